"""The verify plan, offline: the objects it would create and the probes it would run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8slearn.cluster import HELPER_NAMESPACE, MANAGED_BY_KEY, MANAGED_BY_VALUE
from k8slearn.cluster.plan import (
    AGNHOST_IMAGE,
    CANARY_POLICY,
    CLIENT_KEY,
    ClusterFacts,
    PlanError,
    plan_verification,
)
from k8slearn.grading.grader import Grader
from k8slearn.packs.format import Exercise
from k8slearn.packs.library import load_library


@pytest.fixture(scope="module")
def library():
    return load_library()


def exercise(library, ref: str) -> Exercise:
    found, why = library.find(ref)
    assert found is not None, why
    return found


def make_exercise(scenario: dict, expect: list, solution: str = "") -> Exercise:
    return Exercise(
        id="t",
        title="t",
        prompt="t",
        scenario=scenario,
        expect=expect,
        solution=solution,
        file=Path("t.yaml"),
        pack_id="test",
    )


def objects_of(plan, kind: str) -> list[dict]:
    return [o for o in plan.objects if o["kind"] == kind]


def key_of(obj: dict) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


# -- objects ---------------------------------------------------------------------------------


def test_every_object_carries_the_managed_by_label(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    plan = plan_verification(ex, ex.solution)
    assert plan.objects
    for obj in plan.objects:
        assert obj["metadata"]["labels"][MANAGED_BY_KEY] == MANAGED_BY_VALUE, obj["metadata"]


def test_namespaces_keep_their_names_and_labels_and_builtins_are_not_created(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    plan = plan_verification(ex, ex.solution)
    namespaces = {
        o["metadata"]["name"]: o["metadata"]["labels"] for o in objects_of(plan, "Namespace")
    }
    assert set(namespaces) == {"shop", "monitoring", "logging", "dev", HELPER_NAMESPACE}
    assert namespaces["monitoring"]["team"] == "ops"
    assert namespaces["dev"]["team"] == "dev"
    assert "kubernetes.io/metadata.name" not in namespaces["shop"]  # the API server sets it
    assert plan.created_namespaces == list(namespaces)
    # Namespaces come first, the learner's objects last.
    kinds = [o["kind"] for o in plan.objects]
    assert kinds[: len(namespaces)] == ["Namespace"] * len(namespaces)
    assert plan.objects[-1]["metadata"]["name"] == "api-allow-prometheus"


def test_scenario_pods_are_agnhost_servers_with_the_scenario_labels(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    plan = plan_verification(ex, ex.solution)
    pods = {key_of(o): o for o in plan.pods}
    scenario = Grader(ex).scenario
    assert set(pods) == {p.key for p in scenario.pods}
    for pod in scenario.pods:
        obj = pods[pod.key]
        labels = obj["metadata"]["labels"]
        assert {k: labels[k] for k in pod.labels} == dict(pod.labels)
        assert labels[MANAGED_BY_KEY] == MANAGED_BY_VALUE
        for container in obj["spec"]["containers"]:
            assert container["image"] == AGNHOST_IMAGE
            assert container["image"].startswith("registry.k8s.io/")
    api = pods["shop/api"]["spec"]["containers"]
    assert [c["name"] for c in api] == ["serve-8080-tcp", "serve-9100-tcp"]
    assert api[1]["command"] == [
        "/agnhost",
        "serve-hostname",
        "--tcp",
        "--http=false",
        "--port",
        "9100",
    ]
    assert api[1]["ports"] == [{"containerPort": 9100, "protocol": "TCP", "name": "metrics"}]


def test_one_container_per_port_and_protocol():
    scenario = {
        "namespaces": [{"name": "x"}],
        "pods": [
            {
                "name": "dns",
                "namespace": "x",
                "labels": {"app": "dns"},
                "ports": [
                    {"containerPort": 53, "protocol": "UDP", "name": "dns"},
                    {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
                    {"containerPort": 9000, "protocol": "SCTP"},
                ],
            },
            {"name": "client", "namespace": "x", "labels": {"app": "client"}},
            {
                "name": "starting",
                "namespace": "x",
                "labels": {"app": "db"},
                "ready": False,
                "ports": [{"containerPort": 5432}],
            },
        ],
    }
    ex = make_exercise(
        scenario,
        [
            {
                "connectivity": [
                    {
                        "from": "x/client",
                        "to": "x/dns",
                        "port": 53,
                        "protocol": "UDP",
                        "allowed": True,
                    }
                ]
            }
        ],
    )
    plan = plan_verification(ex, "apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n")
    pods = {key_of(o): o for o in plan.pods}
    dns = pods["x/dns"]["spec"]["containers"]
    assert [c["name"] for c in dns] == ["serve-53-udp", "serve-53-tcp", "serve-9000-sctp"]
    assert "--udp" in dns[0]["command"] and "--tcp" in dns[1]["command"]
    assert dns[2]["command"] == ["/agnhost", "porter"]
    assert dns[2]["env"] == [{"name": "SERVE_SCTP_PORT_9000", "value": "foo"}]
    assert [c["ports"][0]["containerPort"] for c in dns] == [53, 53, 9000]
    assert [c["ports"][0]["protocol"] for c in dns] == ["UDP", "TCP", "SCTP"]
    # a pod without ports still has a container to probe from, serving nothing
    client = pods["x/client"]["spec"]["containers"]
    assert client == [
        {
            "name": "probe",
            "image": AGNHOST_IMAGE,
            "imagePullPolicy": "IfNotPresent",
            "command": ["/agnhost", "pause"],
        }
    ]
    # a pod the scenario has not ready stays not ready on the cluster
    assert "readinessProbe" in pods["x/starting"]["spec"]["containers"][0]
    assert "readinessProbe" not in dns[0]
    # the answer's namespace is created, labelled
    assert "extra" in plan.created_namespaces
    assert plan.containers["x/client"] == "probe"
    assert plan.containers["x/dns"] == "serve-53-udp"


def test_learner_objects_get_the_label_and_keep_their_own(library):
    ex = exercise(library, "services-networking/egress-to-service-backends")
    answer = ex.solution.replace(
        "  name: api-egress-gateway\n", "  name: api-egress-gateway\n  labels: {owner: me}\n"
    )
    plan = plan_verification(ex, answer)
    names = {(o["kind"], o["metadata"]["name"]): o for o in plan.answer}
    assert set(names) == {("Service", "gateway"), ("NetworkPolicy", "api-egress-gateway")}
    policy = names[("NetworkPolicy", "api-egress-gateway")]
    assert policy["metadata"]["labels"] == {"owner": "me", MANAGED_BY_KEY: MANAGED_BY_VALUE}
    assert policy["metadata"]["namespace"] == "shop"
    # the learner's spec is applied as written (not the defaulted form)
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app": "api"}}


def test_helpers_and_canary(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    plan = plan_verification(ex, ex.solution)
    helpers = {key_of(o) for o in plan.helpers}
    assert helpers == {
        CLIENT_KEY,
        f"{HELPER_NAMESPACE}/canary-server",
    }  # no NodePort: no node prober
    assert plan.canary_policy["metadata"]["name"] == CANARY_POLICY
    assert plan.canary_policy["spec"]["policyTypes"] == ["Ingress"]
    assert "ingress" not in plan.canary_policy["spec"]  # deny everything


# -- probes ----------------------------------------------------------------------------------


def test_probes_expect_what_the_model_predicts(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    grader = Grader(ex)
    grade = grader.grade(ex.solution)
    plan = plan_verification(ex, ex.solution)
    table = grade.world.table(grader.probe_ports())
    pod_probes = [p for p in plan.probes if p.via == "pod"]
    assert pod_probes
    for p in pod_probes:
        assert p.expect == table.allowed(p.source, p.target, p.port, p.protocol), p.label()
    # every cell the exercise names is there, with what the exercise wants
    named = {
        (e["from"], e["to"], e["port"], e.get("protocol", "TCP")): e["allowed"]
        for check in ex.expect
        for e in check.get("connectivity") or []
    }
    probed = {p.key: p for p in plan.probes}
    for key, allowed in named.items():
        assert key in probed, key
        assert probed[key].wanted == allowed
        assert probed[key].expect == allowed  # the solution does what the exercise wants


def test_a_wrong_answer_is_planned_with_the_models_prediction_for_it(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    wrong = ex.wrong_answers[0].answer  # the extra dash: namespace OR pod
    plan = plan_verification(ex, wrong)
    cell = {p.key: p for p in plan.probes}[("monitoring/grafana", "shop/api", 9100, "TCP")]
    assert cell.expect is True  # what the model says this answer does
    assert cell.wanted is False  # what the exercise asks for


def test_the_whole_table_is_planned_for_reachability_solution(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    grader = Grader(ex)
    plan = plan_verification(ex, ex.solution)
    table = grader.grade(ex.solution).world.table(grader.probe_ports())
    cells = sum(1 for _ in table.pairs()) * len(table.ports)
    pod_cells = [p for p in plan.all_cells() if p.via == "pod"]
    assert len(pod_cells) == cells
    assert len({p.key for p in plan.all_cells()}) == len(plan.all_cells())  # no duplicates
    reasons = " ".join(p.reason for p in plan.unverifiable)
    assert "outside the cluster" in reasons
    assert "connecting to itself" in reasons
    assert "nothing listens there" in reasons
    for p in plan.probes:  # every probed destination serves the port
        assert not p.reason


def test_service_targets_are_probed_by_dns_name_and_cluster_ip(library):
    ex = exercise(library, "services-networking/egress-to-service-backends")
    plan = plan_verification(ex, ex.solution)
    by_target = {(p.source, p.target): p for p in plan.probes}
    dns = by_target[("shop/api", "gateway.payments.svc.cluster.local")]
    cip = by_target[("shop/api", "clusterip:payments/gateway")]
    for p in (dns, cip):
        assert p.port == 443 and p.protocol == "TCP"
        assert p.expect is True and p.wanted is True
        assert p.ref == "payments/gateway"
    assert dns.via == "dns" and cip.via == "clusterip"
    # a wrong answer (rule on the Service's port, not the pod's) is predicted denied both ways
    wrong = plan_verification(ex, ex.wrong_answers[0].answer)
    cells = {(p.source, p.target): p.expect for p in wrong.probes}
    assert cells[("shop/api", "gateway.payments.svc.cluster.local")] is False
    assert cells[("shop/api", "clusterip:payments/gateway")] is False


def test_service_checks_get_probes_from_a_client_pod(library):
    ex = exercise(library, "services-networking/clusterip-expose-web")
    plan = plan_verification(ex, ex.solution)
    vias = sorted(p.via for p in plan.probes)
    assert vias == ["clusterip", "dns"]
    source = plan.probes[0].source
    svc_backends = {"default/web-1", "default/web-2"}
    assert source not in svc_backends
    assert all(p.expect for p in plan.probes)


def test_headless_services_have_no_cluster_ip_probe(library):
    ex = exercise(library, "services-networking/clusterip-headless")
    plan = plan_verification(ex, ex.solution)
    assert [p.via for p in plan.probes] == ["dns"]


def test_nodeports_are_probed_from_the_node(library):
    ex = exercise(library, "services-networking/nodeport-fixed-port")
    plan = plan_verification(ex, ex.solution)
    node = [p for p in plan.probes if p.via == "nodeport"]
    assert len(node) == 1
    assert node[0].source == "node" and node[0].target.startswith("nodeport:")
    assert node[0].expect is True
    prober = [o for o in plan.helpers if o["metadata"]["name"] == "node-prober"]
    assert prober and prober[0]["spec"]["hostNetwork"] is True


def test_externalname_is_not_verifiable(library):
    ex = exercise(library, "services-networking/externalname-basic")
    plan = plan_verification(ex, ex.solution)
    assert not plan.probes
    assert plan.unverifiable and "ExternalName" in plan.unverifiable[0].reason


DNS_SCENARIO = {
    "namespaces": [{"name": "x"}, {"name": "kube-system"}],
    "pods": [
        {"name": "client", "namespace": "x", "labels": {"app": "client"}},
        {
            "name": "web",
            "namespace": "x",
            "labels": {"app": "web"},
            "ports": [{"containerPort": 8080}],
        },
        {
            "name": "coredns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns"},
            "ports": [
                {"containerPort": 53, "protocol": "UDP", "name": "dns"},
                {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
            ],
        },
        {
            "name": "metrics-server",
            "namespace": "kube-system",
            "labels": {"k8s-app": "metrics-server"},
            "ports": [{"containerPort": 10250}],
        },
    ],
}
SERVICE = """apiVersion: v1
kind: Service
metadata: {name: web, namespace: x}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
EGRESS_TO_WEB_ONLY = """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-egress, namespace: x}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 8080}]
"""


def test_a_service_name_needs_dns_too():
    """With DNS blocked by the answer, the name fails while the ClusterIP works."""
    ex = make_exercise(
        DNS_SCENARIO,
        [{"connectivity": [{"from": "x/client", "to": "svc:x/web", "port": 80, "allowed": True}]}],
    )
    plan = plan_verification(ex, SERVICE + EGRESS_TO_WEB_ONLY)
    cells = {p.via: p for p in plan.probes}
    assert cells["clusterip"].expect is True
    assert cells["dns"].expect is False
    plan = plan_verification(ex, SERVICE)
    assert {p.via: p.expect for p in plan.probes} == {"dns": True, "clusterip": True}


def test_kube_system_pods_are_never_created_and_only_coredns_stands_in():
    ex = make_exercise(
        DNS_SCENARIO,
        [
            {
                "connectivity": [
                    {
                        "from": "x/client",
                        "to": "kube-system/coredns",
                        "port": 53,
                        "protocol": "UDP",
                        "allowed": True,
                    },
                    {
                        "from": "x/client",
                        "to": "kube-system/metrics-server",
                        "port": 10250,
                        "allowed": True,
                    },
                    {"from": "kube-system/coredns", "to": "x/web", "port": 8080, "allowed": True},
                ]
            }
        ],
    )
    plan = plan_verification(ex, SERVICE)
    assert not [o for o in plan.objects if o["metadata"].get("namespace") == "kube-system"]
    assert "kube-system" not in plan.created_namespaces
    assert plan.stand_ins == ["kube-system/coredns"]
    probed = {p.key for p in plan.probes}
    assert ("x/client", "kube-system/coredns", 53, "UDP") in probed
    reasons = {p.key: p.reason for p in plan.unverifiable}
    assert (
        "kind runs no such pod" in reasons[("x/client", "kube-system/metrics-server", 10250, "TCP")]
    )
    assert "kube-system" in reasons[("kube-system/coredns", "x/web", 8080, "TCP")]
    assert any("never adds pods to kube-system" in n for n in plan.notes)


def test_a_kube_system_pod_with_labels_coredns_lacks_is_not_verifiable():
    scenario = json.loads(json.dumps(DNS_SCENARIO))
    scenario["pods"][2]["labels"] = {"k8s-app": "kube-dns", "version": "v1"}
    ex = make_exercise(
        scenario,
        [
            {
                "connectivity": [
                    {
                        "from": "x/client",
                        "to": "kube-system/coredns",
                        "port": 53,
                        "protocol": "UDP",
                        "allowed": True,
                    }
                ]
            }
        ],
    )
    plan = plan_verification(ex, SERVICE)
    assert not plan.probes
    assert "kind runs no such pod" in plan.unverifiable[0].reason
    assert plan.stand_ins == []


def test_cells_the_cluster_cannot_reproduce_are_not_verifiable():
    """A relabelled built-in namespace is not applied, so what depends on it cannot be verified."""
    scenario = {
        "namespaces": [{"name": "x"}],
        "pods": [
            {"name": "client", "namespace": "default", "labels": {"app": "client"}},
            {
                "name": "web",
                "namespace": "x",
                "labels": {"app": "web"},
                "ports": [{"containerPort": 80}],
            },
        ],
    }
    answer = """apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {team: a}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: a}}}]
"""
    ex = make_exercise(
        scenario,
        [
            {
                "connectivity": [
                    {"from": "default/client", "to": "x/web", "port": 80, "allowed": True}
                ]
            }
        ],
    )
    plan = plan_verification(ex, answer)
    assert not plan.probes
    cell = plan.unverifiable[0]
    assert cell.expect is True
    assert "namespace default" in cell.reason and "not the scenario's" in cell.reason
    assert any("Namespace default is not applied" in n for n in plan.notes)
    assert not [o for o in plan.answer if o["kind"] == "Namespace"]


def test_recheck_with_the_real_pod_ips_moves_ip_block_cells():
    scenario = {
        "namespaces": [{"name": "x"}],
        "pods": [
            {"name": "a", "namespace": "x", "labels": {"app": "a"}, "ip": "10.244.1.5"},
            {
                "name": "web",
                "namespace": "x",
                "labels": {"app": "web"},
                "ip": "10.244.1.6",
                "ports": [{"containerPort": 80}],
            },
        ],
    }
    answer = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.1.0/24}}]
"""
    ex = make_exercise(
        scenario, [{"connectivity": [{"from": "x/a", "to": "x/web", "port": 80, "allowed": True}]}]
    )
    plan = plan_verification(ex, answer)
    assert len(plan.probes) == 1 and plan.probes[0].expect is True
    keep, moved = plan.recheck(ClusterFacts(pod_ips={"x/a": "10.244.1.9", "x/web": "10.244.1.10"}))
    assert len(keep) == 1 and not moved  # still inside the block
    keep, moved = plan.recheck(ClusterFacts(pod_ips={"x/a": "10.244.0.7", "x/web": "10.244.0.8"}))
    assert not keep and len(moved) == 1
    assert "ipBlock" in moved[0].reason and "10.244.0.7" in moved[0].reason


def test_recheck_without_coredns():
    ex = make_exercise(
        DNS_SCENARIO,
        [
            {
                "connectivity": [
                    {"from": "x/client", "to": "svc:x/web", "port": 80, "allowed": True},
                    {
                        "from": "x/client",
                        "to": "kube-system/coredns",
                        "port": 53,
                        "protocol": "UDP",
                        "allowed": True,
                    },
                ]
            }
        ],
    )
    plan = plan_verification(ex, SERVICE)
    keep, moved = plan.recheck(ClusterFacts(dns_found=False))
    assert {p.via for p in keep} == {"clusterip"}
    assert {p.via for p in moved} == {"dns", "pod"}


def test_pods_from_the_answer_are_created_but_not_probed():
    scenario = {
        "namespaces": [{"name": "x"}],
        "pods": [{"name": "client", "namespace": "x", "labels": {"app": "c"}}],
    }
    answer = """apiVersion: v1
kind: Pod
metadata: {name: mine, namespace: x, labels: {app: mine}}
spec:
  containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]
"""
    ex = make_exercise(
        scenario,
        [{"connectivity": [{"from": "x/client", "to": "x/mine", "port": 80, "allowed": True}]}],
    )
    plan = plan_verification(ex, answer)
    assert [o["metadata"]["name"] for o in plan.answer] == ["mine"]
    assert plan.answer[0]["metadata"]["labels"][MANAGED_BY_KEY] == MANAGED_BY_VALUE
    assert "created by your answer" in plan.unverifiable[0].reason
    assert "x/mine" not in {key_of(o) for o in plan.pods}


def test_invalid_answers_are_refused_with_their_problems(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    with pytest.raises(PlanError) as caught:
        plan_verification(
            ex,
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: nowhere}\nspec: {podSelector: {}}\n",
        )
    assert caught.value.problems
    assert "nowhere" in " ".join(p.text() for p in caught.value.problems)
    with pytest.raises(PlanError):
        plan_verification(ex, "")


# -- JSON ------------------------------------------------------------------------------------


def test_json_shape(library):
    ex = exercise(library, "services-networking/egress-to-service-backends")
    plan = plan_verification(ex, ex.solution)
    data = json.loads(json.dumps(plan.to_json()))
    assert set(data) == {"objects", "probes", "not_verifiable"}
    assert data["objects"] == plan.objects
    assert len(data["probes"]) == len(plan.probes)
    for probe in data["probes"]:
        assert set(probe) == {"from", "to", "port", "protocol", "expect"}
        assert isinstance(probe["expect"], bool) and isinstance(probe["port"], int)
    for cell in data["not_verifiable"]:
        assert cell["reason"]
    for obj in data["objects"]:
        assert {"apiVersion", "kind", "metadata"} <= set(obj)


def test_describe_lists_objects_and_probes(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    plan = plan_verification(ex, ex.solution)
    text = "\n".join(plan.describe())
    assert f"{len(plan.objects)} objects, {len(plan.probes)} probes" in text
    assert "NetworkPolicy shop/api-allow-prometheus" in text
    assert "monitoring/prometheus → shop/api:9100" in text
    assert "not verifiable" in text


BUILTIN = [ex.qualified_id for ex in load_library().exercises()]


@pytest.mark.parametrize("ref", BUILTIN)
def test_every_builtin_solution_can_be_planned(library, ref):
    ex = exercise(library, ref)
    if getattr(ex, "kind", "build") != "build":
        with pytest.raises(PlanError, match="nothing to apply"):
            plan_verification(ex, ex.solution)
        return
    plan = plan_verification(ex, ex.solution)
    for p in plan.probes:
        if p.wanted is not None:
            assert p.expect == p.wanted, (ex.qualified_id, p.label())


def test_answer_pods_in_kube_system_are_never_applied():
    from k8slearn.cluster.plan import plan_verification
    from k8slearn.packs.library import load_library

    ex = load_library().find("clusterip-expose-web")[0]
    answer = ex.solution + (
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: intruder, namespace: kube-system}\n"
        "spec: {containers: [{name: c, image: busybox}]}\n"
    )
    plan = plan_verification(ex, answer)
    names = [
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in plan.objects
    ]
    assert ("Pod", "kube-system", "intruder") not in names
    assert any("never adds pods to kube-system" in n for n in plan.notes)


def test_a_backend_probing_its_own_service_is_not_verifiable():
    from dataclasses import replace

    from k8slearn.cluster.plan import plan_verification
    from k8slearn.packs.library import load_library

    base = load_library().find("clusterip-expose-web")[0]
    cell = {"from": "default/web-1", "to": "svc:default/web", "port": 80, "allowed": True}
    ex = replace(base, expect=[*base.expect, {"connectivity": [cell]}])
    plan = plan_verification(ex, ex.solution)
    own = [c for c in plan.unverifiable if c.source == "default/web-1" and "web" in c.target]
    assert own and all("hairpin" in c.reason for c in own)
    assert not any(p.source == "default/web-1" for p in plan.probes)
