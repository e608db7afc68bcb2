"""Which contexts, namespaces and objects verify may touch: pure rules, fake inputs."""

from __future__ import annotations

import pytest

from k8slearn.cluster import MANAGED_BY_KEY, MANAGED_BY_VALUE
from k8slearn.cluster.safety import (
    NamespaceState,
    ObjectRef,
    SafetyError,
    check_conflicts,
    check_namespaces,
    choose_context,
    is_managed,
    leftovers,
    may_delete,
    namespace_action,
    with_label,
)

OURS = {MANAGED_BY_KEY: MANAGED_BY_VALUE}


# -- contexts ------------------------------------------------------------------------------


def test_kind_k8slearn_is_preferred_even_when_another_context_is_current():
    names = ["prod-eu", "kind-k8slearn", "kind-other"]
    assert choose_context(names, "prod-eu") == "kind-k8slearn"


def test_a_current_kind_context_is_used_by_default():
    assert choose_context(["kind-dev", "prod"], "kind-dev") == "kind-dev"


def test_a_current_context_that_is_not_kind_is_refused():
    with pytest.raises(SafetyError) as caught:
        choose_context(["prod", "staging"], "prod")
    message = str(caught.value)
    assert "'prod'" in message and "kind-" in message
    assert "k8slearn cluster up" in message
    assert "--context" in message and "--yes" in message


def test_a_non_kind_current_context_names_the_kind_contexts_there_are():
    with pytest.raises(SafetyError) as caught:
        choose_context(["prod", "kind-dev"], "prod")
    assert "kind-dev" in str(caught.value)


def test_another_context_needs_both_context_and_yes():
    with pytest.raises(SafetyError) as caught:
        choose_context(["prod", "kind-k8slearn"], "kind-k8slearn", requested="prod")
    assert "--context prod --yes" in str(caught.value)
    assert (
        choose_context(["prod", "kind-k8slearn"], "kind-k8slearn", requested="prod", yes=True)
        == "prod"
    )


def test_yes_alone_does_not_unlock_the_current_context():
    with pytest.raises(SafetyError):
        choose_context(["prod"], "prod", yes=True)


def test_a_named_kind_context_needs_no_yes():
    assert choose_context(["kind-a", "kind-b"], "kind-a", requested="kind-b") == "kind-b"


def test_unknown_or_no_contexts_are_refused():
    with pytest.raises(SafetyError) as caught:
        choose_context(["kind-a"], "kind-a", requested="kind-typo")
    assert "no context 'kind-typo'" in str(caught.value) and "kind-a" in str(caught.value)
    with pytest.raises(SafetyError) as caught:
        choose_context([], None)
    assert "k8slearn cluster up" in str(caught.value)
    with pytest.raises(SafetyError):
        choose_context(["prod"], None)


# -- namespaces ----------------------------------------------------------------------------


def test_namespace_actions():
    assert namespace_action("shop", None) == "create"
    assert namespace_action("shop", NamespaceState(OURS)) == "leftover"
    assert namespace_action("shop", NamespaceState({"team": "shop"})) == "refuse"
    for builtin in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert namespace_action(builtin, NamespaceState({})) == "builtin"
        assert namespace_action(builtin, None) == "builtin"


def test_a_scenario_namespace_that_exists_without_the_label_is_refused():
    existing = {
        "shop": NamespaceState({"team": "shop"}),
        "monitoring": NamespaceState(OURS),
        "dev": None,
        "default": NamespaceState({}),
    }
    problems = check_namespaces(["shop", "monitoring", "dev", "default"], existing)
    assert len(problems) == 1
    assert problems[0].startswith("namespace shop already exists and was not created by k8slearn")
    assert MANAGED_BY_KEY in problems[0]
    assert "cluster down" in problems[0]


# -- objects ---------------------------------------------------------------------------------


def pod(name: str, namespace: str) -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": namespace}}


def test_objects_in_builtin_namespaces_must_not_take_someone_elses_name():
    planned = [pod("client", "default"), pod("web", "default"), pod("api", "shop")]
    existing = {
        ObjectRef("Pod", "default", "client"): {"run": "client"},  # someone else's
        ObjectRef("Pod", "default", "web"): OURS,  # a leftover: fine, it is removed first
        ObjectRef("Pod", "shop", "api"): {"x": "y"},  # our own namespace: not checked here
    }
    problems = check_conflicts(planned, existing)
    assert problems == [
        "Pod default/client already exists and was not created by k8slearn; verify never "
        "changes what it did not create. Rename or delete it yourself, or use a fresh cluster"
    ]
    assert check_conflicts(planned, {}) == []


def test_leftovers_are_the_labelled_objects_namespaces_last():
    found = [
        (ObjectRef("Namespace", None, "shop"), OURS),
        (ObjectRef("Namespace", None, "theirs"), {"team": "x"}),
        (ObjectRef("Pod", "default", "client"), OURS),
        (ObjectRef("Pod", "default", "mine"), None),
        (ObjectRef("NetworkPolicy", "kube-system", "p"), OURS),
    ]
    assert leftovers(found) == [
        ObjectRef("NetworkPolicy", "kube-system", "p"),
        ObjectRef("Pod", "default", "client"),
        ObjectRef("Namespace", None, "shop"),
    ]


def test_only_labelled_objects_are_deleted_and_never_a_builtin_namespace():
    assert may_delete(ObjectRef("Pod", "default", "client"), OURS)
    assert not may_delete(ObjectRef("Pod", "default", "client"), {"run": "client"})
    assert not may_delete(ObjectRef("Pod", "default", "client"), None)
    assert may_delete(ObjectRef("Namespace", None, "shop"), OURS)
    assert not may_delete(ObjectRef("Namespace", None, "default"), OURS)
    assert not may_delete(ObjectRef("Namespace", None, "kube-system"), OURS)


def test_label_helpers():
    assert is_managed(OURS)
    assert not is_managed({MANAGED_BY_KEY: "Helm"})
    assert not is_managed(None)
    assert with_label({"app": "web"}) == {"app": "web", **OURS}
    assert with_label(None) == OURS
    assert str(ObjectRef("Pod", "default", "a")) == "Pod default/a"
    assert str(ObjectRef("Namespace", None, "shop")) == "Namespace shop"
