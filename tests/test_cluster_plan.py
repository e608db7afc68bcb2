"""The verify plan, offline: the objects it would create and the probes it would run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8slearn.cluster import HELPER_NAMESPACE, MANAGED_BY_KEY, MANAGED_BY_VALUE
from k8slearn.cluster.lookups import Lookup
from k8slearn.cluster.plan import (
    AGNHOST_IMAGE,
    CANARY_POLICY,
    CLIENT_KEY,
    ClusterFacts,
    PlanError,
    plan_verification,
)
from k8slearn.grading.grader import Grader
from k8slearn.packs.library import load_library
from k8slearn.packs.model import Exercise


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


def test_headless_services_have_no_cluster_ip_probe_and_each_backend_is_probed(library):
    ex = exercise(library, "services-networking/clusterip-headless")
    plan = plan_verification(ex, ex.solution)
    assert [p.via for p in plan.probes] == ["dns", "pod", "pod"]
    dns = plan.probes[0]
    backends = plan.probes[1:]
    # the ready members, each at its own address on the Service's target port; postgres-2 is
    # not ready, so it is no backend
    assert [p.target for p in backends] == ["data/postgres-0", "data/postgres-1"]
    for p in backends:
        assert p.backend_of == "data/postgres"
        assert (p.source, p.port, p.protocol) == (dns.source, 5432, "TCP")
        assert p.expect is True
        assert p.source not in ("data/postgres-0", "data/postgres-1")
    # the wrong answer (a ClusterIP) has a virtual IP to probe and no backend probed directly
    wrong = plan_verification(ex, ex.wrong_answers[0].answer)
    assert sorted(p.via for p in wrong.probes) == ["clusterip", "dns"]
    assert not any(p.backend_of for p in wrong.all_cells())


def test_nodeports_are_probed_from_the_node(library):
    ex = exercise(library, "services-networking/nodeport-fixed-port")
    plan = plan_verification(ex, ex.solution)
    node = [p for p in plan.probes if p.via == "nodeport"]
    assert len(node) == 1
    assert node[0].source == "node" and node[0].target.startswith("nodeport:")
    assert node[0].expect is True
    prober = [o for o in plan.helpers if o["metadata"]["name"] == "node-prober"]
    assert prober and prober[0]["spec"]["hostNetwork"] is True


def test_externalname_is_checked_by_its_cname(library):
    ex = exercise(library, "services-networking/externalname-basic")
    plan = plan_verification(ex, ex.solution)
    assert not plan.probes  # a connection to the alias says nothing about the cluster
    assert plan.unverifiable and "ExternalName" in plan.unverifiable[0].reason
    assert "a DNS lookup checks its CNAME" in plan.unverifiable[0].reason
    assert plan.lookups == [
        Lookup(
            source=CLIENT_KEY,
            name="billing-db.shop.svc.cluster.local",
            asking="",
            record="CNAME",
            expect=("CNAME db.billing.example.com",),
            subject="svc:shop/billing-db",
        )
    ]
    assert plan.lookups[0].queries == ("billing-db.shop.svc.cluster.local.",)
    # An alias for another Service's cluster name: the CNAME is the name as written.
    cross = exercise(library, "services-networking/externalname-cross-namespace")
    (lookup,) = plan_verification(cross, cross.solution).lookups
    assert lookup.expect == ("CNAME search.platform.svc.cluster.local",)


def test_externalname_wrong_answers_are_predicted_by_the_model(library):
    ex = exercise(library, "services-networking/externalname-basic")
    # a ClusterIP Service with a selector: the name has its virtual IP, and no alias
    selector = plan_verification(ex, ex.wrong_answers[0].answer)
    assert not selector.lookups  # no lookup for a plain ClusterIP Service named by a check
    # the Service under another name: the name the check asks for does not exist
    renamed = ex.solution.replace("name: billing-db", "name: billing-database")
    (lookup,) = plan_verification(ex, renamed).lookups
    assert (lookup.name, lookup.record, lookup.expect) == (
        "billing-db.shop.svc.cluster.local",
        "A",
        (),
    )


def test_headless_lookups_expect_the_ready_members(library):
    ex = exercise(library, "services-networking/clusterip-headless")
    plan = plan_verification(ex, ex.solution)
    (lookup,) = plan.lookups
    assert (lookup.name, lookup.record) == ("postgres.data.svc.cluster.local", "A")
    assert lookup.expect == ("pod:data/postgres-0", "pod:data/postgres-1")
    assert lookup.source == CLIENT_KEY and lookup.subject == "svc:data/postgres"
    # publishNotReadyAddresses: the member that is not ready is in DNS, and probed, too
    published = ex.solution.replace(
        "clusterIP: None", "clusterIP: None\n  publishNotReadyAddresses: true"
    )
    plan = plan_verification(ex, published)
    assert plan.lookups[0].expect == (
        "pod:data/postgres-0",
        "pod:data/postgres-1",
        "pod:data/postgres-2",
    )
    assert "data/postgres-2" in {p.target for p in plan.probes if p.backend_of}


def test_statefulset_names_follow_the_exercises_lookups(library):
    ex = exercise(library, "services-networking/clusterip-statefulset-headless")
    plan = plan_verification(ex, ex.solution)
    assert not plan.unverifiable_lookups
    by_name = {lk.name: lk for lk in plan.lookups}
    for check in ex.expect:
        if "lookup" not in check:
            continue
        lookup = by_name[check["lookup"]]
        assert lookup.wanted is not None
        assert lookup.expect == lookup.wanted  # the solution resolves as the exercise asks
    assert by_name["db-0.db.data.svc.cluster.local"].expect == ("pod:data/db-0",)
    assert by_name["db-2.db.data.svc.cluster.local"].expect == ()  # not ready: no such name
    assert by_name["db.data.svc.cluster.local"].expect == ("pod:data/db-0", "pod:data/db-1")
    short = by_name["db-0.db"]
    assert short.asking == "data"
    assert short.queries == (
        "db-0.db.data.svc.cluster.local.",
        "db-0.db.svc.cluster.local.",
        "db-0.db.cluster.local.",
    )
    assert by_name["db-1.db.data"].queries[0] == "db-1.db.data.staging.svc.cluster.local."
    assert by_name["db-1.db.data"].expect == ("pod:data/db-1",)
    # verify's pods carry the scenario's hostname and subdomain, which give them their names
    pods = {key_of(o): o["spec"] for o in plan.pods}
    assert (pods["data/db-0"]["hostname"], pods["data/db-0"]["subdomain"]) == ("db-0", "db")
    assert (pods["staging/db-1"]["hostname"], pods["staging/db-1"]["subdomain"]) == ("db-1", "db")
    assert "hostname" not in pods["data/db-exporter"]


def test_a_wrong_namespace_is_predicted_as_no_such_name(library):
    ex = exercise(library, "services-networking/clusterip-statefulset-headless")
    staging = next(w.answer for w in ex.wrong_answers if "namespace: data" not in w.answer)
    plan = plan_verification(ex, staging)
    by_name = {lk.name: lk for lk in plan.lookups}
    assert by_name["db-0.db.data.svc.cluster.local"].expect == ()
    assert by_name["db-0.db.data.svc.cluster.local"].wanted == ("pod:data/db-0",)
    assert by_name["db.data.svc.cluster.local"].expect == ()


def test_peer_discovery_publishes_members_that_are_not_ready(library):
    ex = exercise(library, "services-networking/clusterip-statefulset-peer-discovery")
    plan = plan_verification(ex, ex.solution)
    by_name = {lk.name: lk for lk in plan.lookups}
    assert by_name["etcd.kv.svc.cluster.local"].expect == (
        "pod:kv/etcd-0",
        "pod:kv/etcd-1",
        "pod:kv/etcd-2",
    )
    assert by_name["etcd-2.etcd"].expect == ("pod:kv/etcd-2",)
    direct = {(p.target, p.port) for p in plan.probes if p.backend_of == "kv/etcd"}
    assert direct == {(f"kv/etcd-{i}", port) for i in range(3) for port in (2379, 2380)}


def test_names_of_pods_the_answer_creates_are_not_verifiable(library):
    ex = exercise(library, "services-networking/clusterip-statefulset-and-service")
    plan = plan_verification(ex, ex.solution)
    assert not plan.lookups and not plan.probes
    assert plan.unverifiable_lookups
    for lookup in plan.unverifiable_lookups:
        assert "pods your answer creates" in lookup.reason, lookup.reason


def test_where_coredns_departs_from_the_dns_specification_nothing_is_claimed(library):
    # CoreDNS answers <hostname>.<service> for a Service with a ClusterIP too
    ex = exercise(library, "services-networking/clusterip-statefulset-headless")
    plan = plan_verification(ex, ex.wrong_answers[0].answer)  # no clusterIP: None
    member = {lk.name: lk for lk in plan.unverifiable_lookups}["db-0.db.data.svc.cluster.local"]
    assert member.expect == ()  # what the model (the DNS specification) says
    assert "CoreDNS also answers" in member.reason
    # CoreDNS serves nothing for an ExternalName that is an IP address
    legacy = exercise(library, "services-networking/selectorless-legacy-db")
    answer = next(w.answer for w in legacy.wrong_answers if "ExternalName" in w.answer)
    (lookup,) = plan_verification(legacy, answer).unverifiable_lookups
    assert lookup.expect == ("CNAME 10.20.0.15",)
    assert "IP address" in lookup.reason


LOOKUP_SCENARIO = {
    "namespaces": [{"name": "x"}, {"name": "kube-system"}],
    "pods": [
        {"name": "client", "namespace": "x", "labels": {"app": "client"}},
        {
            "name": "web",
            "namespace": "x",
            "labels": {"app": "web"},
            "ip": "10.244.1.5",
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
    ],
}
SELECTORLESS_HEADLESS = """apiVersion: v1
kind: Service
metadata: {name: ext, namespace: x}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-1
  namespace: x
  labels: {kubernetes.io/service-name: ext}
addressType: IPv4
ports: [{name: pg, port: 5432}]
endpoints:
  - addresses: ["10.20.0.15"]
    hostname: primary
"""


def test_a_headless_service_without_selector_answers_with_its_slices_addresses():
    ex = make_exercise(
        LOOKUP_SCENARIO,
        [
            {"service": "x/ext", "headless": True},
            {"lookup": "ext", "from": "x", "resolves_to": ["10.20.0.15"]},
        ],
    )
    plan = plan_verification(ex, SELECTORLESS_HEADLESS)
    by_name = {lk.name: lk for lk in plan.lookups}
    assert by_name["ext.x.svc.cluster.local"].expect == ("10.20.0.15",)  # as written
    assert by_name["primary.ext.x.svc.cluster.local"].expect == ("10.20.0.15",)
    assert by_name["ext"].expect == by_name["ext"].wanted == ("10.20.0.15",)
    assert not plan.unverifiable_lookups
    # verify creates the slice with the rest of the answer
    assert [o["kind"] for o in plan.answer] == ["Service", "EndpointSlice"]
    # a slice naming a selected pod's scenario address: on the cluster that pod has another one
    both = SELECTORLESS_HEADLESS.replace(
        "  ports: [{name: pg", "  selector: {app: web}\n  ports: [{name: pg"
    )
    both = both.replace("10.20.0.15", "10.244.1.5")
    plan = plan_verification(ex, both)
    reasons = " ".join(lk.reason for lk in plan.unverifiable_lookups)
    assert "is both x/web's address and one written in an EndpointSlice" in reasons


def test_a_lookup_of_a_clusterip_service_expects_its_cluster_ip():
    ex = make_exercise(LOOKUP_SCENARIO, [{"lookup": "web", "from": "x", "resolves_to": []}])
    (lookup,) = plan_verification(ex, SERVICE).lookups
    assert lookup.expect == ("clusterip:x/web",)
    assert lookup.wanted == ()
    assert lookup.queries[0] == "web.x.svc.cluster.local."


def test_the_clusters_own_services_are_not_the_scenarios_to_predict():
    ex = make_exercise(
        LOOKUP_SCENARIO,
        [{"lookup": "kubernetes.default.svc.cluster.local", "resolves_to": []}],
    )
    plan = plan_verification(ex, SERVICE)
    assert not plan.lookups
    assert (
        "every cluster has its own Service default/kubernetes"
        in plan.unverifiable_lookups[0].reason
    )


def test_lookups_need_the_client_to_reach_cluster_dns():
    ex = make_exercise(LOOKUP_SCENARIO, [{"lookup": "web", "from": "x", "resolves_to": []}])
    deny_dns = (
        SERVICE
        + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: lock-dns, namespace: kube-system}
spec:
  podSelector: {matchLabels: {k8s-app: kube-dns}}
  policyTypes: [Ingress]
"""
    )
    plan = plan_verification(ex, deny_dns)
    assert not plan.lookups
    assert "stop it from reaching cluster DNS" in plan.unverifiable_lookups[0].reason


def test_recheck_without_coredns_sets_lookups_aside(library):
    ex = exercise(library, "services-networking/clusterip-statefulset-headless")
    plan = plan_verification(ex, ex.solution)
    keep, moved = plan.recheck_lookups(ClusterFacts())
    assert keep == plan.lookups and not moved  # kind as planned: nothing changes
    keep, moved = plan.recheck_lookups(ClusterFacts(dns_found=False))
    assert not keep and len(moved) == len(plan.lookups)
    assert all("no CoreDNS pod was found" in lk.reason for lk in moved)


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
    assert set(data) == {
        "objects",
        "probes",
        "not_verifiable",
        "lookups",
        "lookups_not_verifiable",
    }
    assert data["objects"] == plan.objects
    assert len(data["probes"]) == len(plan.probes)
    for probe in data["probes"]:
        assert set(probe) == {"from", "to", "port", "protocol", "expect"}
        assert isinstance(probe["expect"], bool) and isinstance(probe["port"], int)
    for cell in data["not_verifiable"]:
        assert cell["reason"]
    for obj in data["objects"]:
        assert {"apiVersion", "kind", "metadata"} <= set(obj)


def test_json_of_lookups_and_backends(library):
    ex = exercise(library, "services-networking/clusterip-statefulset-headless")
    data = json.loads(json.dumps(plan_verification(ex, ex.solution).to_json()))
    backends = [p for p in data["probes"] if "backend_of" in p]
    assert backends and {p["backend_of"] for p in backends} == {"data/db"}
    by_name = {lk["name"]: lk for lk in data["lookups"]}
    short = by_name["db-0.db"]
    assert short == {
        "from": CLIENT_KEY,
        "name": "db-0.db",
        "search": "data",
        "queries": [
            "db-0.db.data.svc.cluster.local.",
            "db-0.db.svc.cluster.local.",
            "db-0.db.cluster.local.",
        ],
        "type": "A",
        "expect": ["pod:data/db-0"],
        "wanted": ["pod:data/db-0"],
        "about": "lookup",
    }
    assert by_name["db-2.db.data.svc.cluster.local"]["expect"] == []
    assert by_name["db-2.db.data.svc.cluster.local"]["search"] is None
    assert data["lookups_not_verifiable"] == []


def test_describe_lists_objects_and_probes(library):
    ex = exercise(library, "services-networking/netpol-and-vs-or")
    plan = plan_verification(ex, ex.solution)
    text = "\n".join(plan.describe())
    assert f"{len(plan.objects)} objects, {len(plan.probes)} probes" in text
    assert "NetworkPolicy shop/api-allow-prometheus" in text
    assert "monitoring/prometheus → shop/api:9100" in text
    assert "not verifiable" in text


def test_describe_lists_lookups_and_backends(library):
    ex = exercise(library, "services-networking/clusterip-statefulset-headless")
    plan = plan_verification(ex, ex.solution)
    lines = plan.describe()
    text = "\n".join(lines)
    assert f"{len(plan.probes)} probes, {len(plan.lookups)} DNS lookups" in lines[0]
    assert f"DNS lookups with dig in {CLIENT_KEY}" in text
    row = next(line for line in lines if "A db.data.svc.cluster.local " in line)
    assert row.rstrip().endswith("expect data/db-0, data/db-1")
    gone = next(line for line in lines if "A db-2.db.data.svc.cluster.local " in line)
    assert gone.rstrip().endswith("expect no such name")
    short = lines.index(next(line for line in lines if "A db-0.db (search path of data)" in line))
    assert lines[short + 1].strip().startswith("asks db-0.db.data.svc.cluster.local.")
    assert "(a backend of headless svc:data/db)" in text
    alias = exercise(library, "services-networking/externalname-basic")
    text = "\n".join(plan_verification(alias, alias.solution).describe())
    assert "CNAME billing-db.shop.svc.cluster.local  expect CNAME db.billing.example.com" in text


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
    for lookup in plan.lookups:  # the model resolves the solution's names as the checks ask
        if lookup.wanted is not None:
            assert lookup.expect == lookup.wanted, (ex.qualified_id, lookup.label())


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
