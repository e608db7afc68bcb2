"""The real path: verify on a live kind cluster.

Runs when the kind cluster `k8slearn` answers (`k8slearn cluster up`), and is
skipped with its reason otherwise. Run only these with

    pytest -m kind

Each test creates the exercise's namespaces and pods on the cluster, proves
enforcement with the canary, applies an answer, probes, and cleans up; a run
takes a minute or two (the first one also pulls the agnhost image).
"""

from __future__ import annotations

import shutil

import pytest

from k8slearn.cluster import BUILTIN_NAMESPACES, KIND_CONTEXT
from k8slearn.cluster.plan import plan_verification
from k8slearn.packs.library import load_library

pytestmark = pytest.mark.kind


def _why_not_reachable() -> str | None:
    if shutil.which("kind") is None:
        return "no `kind` binary on PATH (docs/cluster.md says how to install it)"
    from k8slearn.cluster.verify import ApiError, KubeCluster, VerifyError

    try:
        names, _ = KubeCluster().contexts()
    except VerifyError as exc:
        return f"no usable kubeconfig: {exc}"
    if KIND_CONTEXT not in names:
        return f"no kube context {KIND_CONTEXT}: run `k8slearn cluster up`"
    cluster = KubeCluster(request_timeout=5)
    try:
        cluster.connect(KIND_CONTEXT)
        cluster.server_version()
    except ApiError as exc:
        return f"the API server of {KIND_CONTEXT} does not answer: {exc}"
    return None


@pytest.fixture(scope="module")
def kind_cluster():
    reason = _why_not_reachable()
    if reason:
        pytest.skip(reason)
    from k8slearn.cluster.verify import KubeCluster

    return KubeCluster()


@pytest.fixture(scope="module")
def library():
    return load_library()


def run(library, kind_cluster, ref: str, answer: str | None = None):
    from k8slearn.cluster.verify import run_verification

    ex, why = library.find(ref)
    assert ex is not None, why
    plan = plan_verification(ex, ex.solution if answer is None else answer)
    logs: list[str] = []
    result = run_verification(plan, context=KIND_CONTEXT, cluster=kind_cluster, on_log=logs.append)
    assert result.cleaned, result.cleanup_problems
    # Nothing labelled is left outside verify's own namespaces (those may still be terminating).
    left = [
        ref
        for ref, _ in kind_cluster.list_managed()
        if ref.kind != "Namespace" and ref.namespace in BUILTIN_NAMESPACES
    ]
    assert left == [], left
    return result, logs


@pytest.mark.parametrize(
    "ref",
    [
        "services-networking/netpol-and-vs-or",
        "services-networking/egress-default-deny-with-dns",
        "services-networking/egress-to-service-backends",
        "services-networking/nodeport-fixed-port",
        # DNS: an ExternalName's CNAME, a headless Service's members and per-pod names
        "services-networking/externalname-basic",
        "services-networking/clusterip-headless",
        "services-networking/clusterip-statefulset-headless",
        "services-networking/clusterip-statefulset-peer-discovery",
    ],
)
def test_solutions_verify_on_kind(library, kind_cluster, ref):
    result, logs = run(library, kind_cluster, ref)
    assert "enforces NetworkPolicy" in result.canary
    comparison = result.comparison
    assert comparison is not None
    assert comparison.ok, (
        "\n".join(c.message() for c in comparison.differing) + "\n" + "\n".join(logs)
    )
    assert comparison.agreeing
    assert result.passed


def test_a_wrong_answer_fails_on_kind_as_the_model_says(library, kind_cluster):
    ex, _ = library.find("services-networking/netpol-and-vs-or")
    result, logs = run(library, kind_cluster, ex.qualified_id, ex.wrong_answers[0].answer)
    assert result.comparison.ok, "\n".join(logs)
    assert result.comparison.wanted_failures()
    assert not result.passed
