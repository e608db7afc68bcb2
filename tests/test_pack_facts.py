"""Facts the built-in pack once got wrong: the lesson text and the model agree, and stay so."""

from __future__ import annotations

import pytest

from conftest import make_world
from k8slearn.grading.grader import Grader
from k8slearn.manifests.validate import validate_text
from k8slearn.packs.library import builtin_pack_dirs, load_library

PACK = builtin_pack_dirs()[0]


def lesson(folder: str) -> str:
    return " ".join((PACK / folder / "lesson.md").read_text().split())


@pytest.fixture(scope="module")
def exercises():
    return {e.id: e for p in load_library([]).packs for e in p.exercises()}


def service(spec: str) -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec:\n  selector: {{app: s}}\n{spec}"


def test_node_ports_are_held_by_number_whatever_the_protocol():
    text = lesson("02-nodeport")
    assert "(per protocol)" not in text
    assert "whatever the protocol" in text and "share one node port" in text
    two = (
        service("  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n")
        + "---\n"
        + service(
            "  type: NodePort\n  ports: [{port: 53, protocol: UDP, nodePort: 30080}]\n"
        ).replace("name: s}", "name: t}")
    )
    assert [m.valid for m in validate_text(two).manifests] == [True, False]


def test_allocate_load_balancer_node_ports_false_keeps_requested_ones(exercises):
    assert "requested node ports are respected" in lesson("03-loadbalancer")
    hints = " ".join(exercises["loadbalancer-kind-nodeport"].hints)
    assert "removes the node ports" not in hints and "automatic" in hints
    world = make_world(
        {"pods": [{"name": "p", "labels": {"app": "s"}}]},
        service(
            "  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n"
            "  ports: [{name: a, port: 80, nodePort: 31080}, {name: b, port: 81}]\n"
        ),
    )
    svc = world.services.get("default/s")
    assert [world.services.node_port(svc, sp) for sp in svc.ports] == [31080, None]


def test_external_traffic_policy_on_cluster_ip_with_external_ips():
    assert "ClusterIP Service with `externalIPs`" in lesson("03-loadbalancer")
    with_ips = service(
        "  externalIPs: [198.51.100.20]\n  externalTrafficPolicy: Local\n  ports: [{port: 80}]\n"
    )
    assert validate_text(with_ips).valid
    plain = service("  externalTrafficPolicy: Local\n  ports: [{port: 80}]\n")
    assert not validate_text(plain).valid


def test_container_port_names_follow_iana_svc_name():
    text = lesson("01-clusterip")
    assert "not starting or ending with `-`" in text and "no `--`" in text
    for bad in ("-http", "http-", "ht--tp"):
        pod = (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
            f"    - name: c\n      image: busybox\n      ports: [{{containerPort: 80, name: {bad}}}]\n"
        )
        assert not validate_text(pod).valid, bad


def test_imprecisions_stay_corrected():
    assert "IPVS" in lesson("01-clusterip")  # ping a Service IP: no answer with iptables/nftables
    assert "kube-proxy listens on all node addresses" not in lesson("02-nodeport")
    assert "does not listen on the node port" in lesson("02-nodeport")


def test_predict_prompt_says_what_its_data_holds(exercises):
    ex = exercises["predict-and-or-peers"]
    policies = validate_text(ex.manifests).manifests
    assert len(policies) == 1 and ex.prompt.startswith("One policy")
    for target in ex.predict["to"]:
        assert f"`{target}`" in ex.prompt


def test_removing_only_the_dash_is_no_fix(exercises):
    ex = exercises["three-tier-fix-this"]
    assert not any("Remove the dash" in w.why for w in ex.wrong_answers)
    [dash_removed] = [w for w in ex.wrong_answers if w.why.startswith("The dash is gone")]
    grade = Grader(ex).grade(dash_removed.answer)
    assert not grade.passed
    assert any("of every namespace" in c.message for c in grade.failed_checks())


@pytest.mark.parametrize("exercise_id", ["netpol-default-deny-egress", "netpol-default-deny-all"])
def test_no_lint_contradicts_a_deny_everything_exercise(exercises, exercise_id):
    ex = exercises[exercise_id]
    [warning] = Grader(ex).grade(ex.solution).warnings
    assert warning.message.endswith("— as this exercise asks") and not warning.hint
    assert "kubernetes.default" in warning.message and "web.shop" not in warning.message


@pytest.mark.parametrize(
    ("exercise_id", "old", "new", "shown"),
    [
        # a second namespace of the ops team: naming `monitoring` leaves its Prometheus out
        (
            "netpol-and-vs-or",
            "team: ops",
            "kubernetes.io/metadata.name: monitoring",
            "logging/prometheus",
        ),
        # the first guest address: an except one bit too narrow lets it in
        ("netpol-ipblock-except", "203.0.113.128/25", "203.0.113.192/26", "guest-kiosk"),
        # the ports just outside the range are declared
        ("netpol-endport-range", "endPort: 7009", "endPort: 7010", "games/match-1:7010"),
    ],
)
def test_scenarios_carry_the_decoys_that_expose_the_usual_mistakes(
    exercises, exercise_id, old, new, shown
):
    ex = exercises[exercise_id]
    answer = ex.solution.replace(old, new)
    assert answer != ex.solution
    [check] = [c for c in Grader(ex).grade(answer).failed_checks() if c.name == "whole truth table"]
    # The mistake shows on the scenario's own pods and hosts, in the matrix the learner sees.
    assert "connection(s) differ from the solution's" in check.message and shown in check.message


def test_decoys_in_the_shared_scenarios():
    from k8slearn.model.scenario import load_scenario

    egress, _ = load_scenario((PACK / "scenarios/egress-lab.yaml").read_text())
    dns_like = [p for p in egress.pods if p.labels.get("k8s-app") == "kube-dns"]
    assert {p.namespace for p in dns_like} == {"kube-system", "payments"}
    three, _ = load_scenario((PACK / "scenarios/three-tier.yaml").read_text())
    assert any(p.labels.get("tier") == "backend" and p.namespace != "shop" for p in three.pods)
    lb, _ = load_scenario((PACK / "scenarios/external-access.yaml").read_text())
    assert {p.node for p in lb.pods if p.labels.get("app") == "gateway"} == {"node-1"}


def test_a_pod_that_carries_only_part_of_a_selector_shows_a_broad_service(exercises):
    ex = exercises["three-tier-services"]
    # Selecting the frontends by tier alone picks shop/legacy-frontend too: visible in the endpoints.
    answer = ex.solution.replace("    app: shop\n    tier: frontend\n", "    tier: frontend\n", 1)
    assert answer != ex.solution
    failed = Grader(ex).grade(answer).failed_checks()
    assert any("shop/legacy-frontend is an endpoint but should not be" in c.message for c in failed)
