"""Service resolution: endpoints, target ports, node ports, DNS."""

from __future__ import annotations

import pytest

from conftest import make_world

SCENARIO = {
    "namespaces": [{"name": "shop"}],
    "pods": [
        {
            "name": "web-1",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ip": "10.244.0.11",
            "ports": [
                {"containerPort": 8080, "name": "http"},
                {"containerPort": 9090, "name": "metrics"},
            ],
        },
        {
            "name": "web-2",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ip": "10.244.0.12",
            "ports": [{"containerPort": 8081, "name": "http"}],
        },
        {
            "name": "web-3",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ip": "10.244.0.13",
            "ready": False,
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {
            "name": "web-other-ns",
            "labels": {"app": "web"},
            "ip": "10.244.0.14",
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {
            "name": "udp",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ip": "10.244.0.15",
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "UDP"}],
        },
    ],
    "nodes": [{"name": "n1", "ip": "172.18.0.2"}, {"name": "n2", "ip": "172.18.0.3"}],
    "externals": [{"name": "db.example.com", "ip": "203.0.113.9"}],
}

SVC = "apiVersion: v1\nkind: Service\n"


def svc_world(spec: str, name: str = "web", ns: str = "shop"):
    w = make_world(SCENARIO, SVC + f"metadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}")
    return w, w.services.get(f"{ns}/{name}")


def endpoints(w, svc, port=None):
    sp = svc.ports[0] if port is None else svc.port(number=port)
    return [(b.target.key, b.port) for b in w.services.endpoints(svc, sp)]


def test_named_target_port_resolves_per_pod_and_skips_unready_other_ns_and_protocol():
    w, svc = svc_world("  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n")
    assert endpoints(w, svc) == [("shop/web-1", 8080), ("shop/web-2", 8081)]


def test_numeric_target_port_is_used_even_if_undeclared():
    w, svc = svc_world("  selector: {app: web}\n  ports: [{port: 80, targetPort: 7000}]\n")
    assert endpoints(w, svc) == [("shop/web-1", 7000), ("shop/web-2", 7000), ("shop/udp", 7000)]


def test_target_port_defaults_to_port():
    _w, svc = svc_world("  selector: {app: web}\n  ports: [{port: 8080}]\n")
    assert svc.ports[0].target_port == 8080
    assert svc.type == "ClusterIP"
    assert svc.ports[0].protocol == "TCP"


def test_publish_not_ready_addresses_includes_unready_pods():
    w, svc = svc_world(
        "  selector: {app: web}\n  publishNotReadyAddresses: true\n"
        "  ports: [{port: 80, targetPort: http}]\n"
    )
    assert ("shop/web-3", 8080) in endpoints(w, svc)


def test_selector_mismatch_and_no_selector_give_no_endpoints():
    w, svc = svc_world("  selector: {app: wbe}\n  ports: [{port: 80}]\n")
    assert endpoints(w, svc) == []
    w, svc = svc_world("  ports: [{port: 80}]\n")
    assert endpoints(w, svc) == []


def test_multi_port_service_named_ports():
    w, svc = svc_world(
        "  selector: {app: web}\n  ports:\n  - {name: http, port: 80, targetPort: http}\n"
        "  - {name: metrics, port: 9090, targetPort: metrics}\n"
    )
    assert endpoints(w, svc, 9090) == [("shop/web-1", 9090)]


def test_cluster_ip_and_dns():
    w, svc = svc_world("  selector: {app: web}\n  ports: [{port: 80}]\n")
    answer = w.services.dns(svc)
    assert answer.name == "web.shop.svc.cluster.local"
    assert answer.record == "A"
    assert answer.values == (w.services.cluster_ip(svc),)
    assert answer.values[0].startswith("10.96.")


def test_headless_dns_answers_ready_pod_ips():
    w, svc = svc_world("  clusterIP: None\n  selector: {app: web}\n  ports: [{port: 80}]\n")
    assert w.services.cluster_ip(svc) is None
    assert w.services.dns(svc).values == ("10.244.0.11", "10.244.0.12", "10.244.0.15")


def test_external_name_is_a_cname_with_no_endpoints():
    w, svc = svc_world("  type: ExternalName\n  externalName: db.example.com\n")
    answer = w.services.dns(svc)
    assert (answer.record, answer.values) == ("CNAME", ("db.example.com",))
    assert w.services.cluster_ip(svc) is None
    reach = w.reach_service("shop/web-1", "shop/web", 5432)
    assert reach.allowed and reach.answered() == ["db.example.com"]


def test_node_ports_are_stable_in_range_and_respect_given_ones():
    spec = (
        "  type: NodePort\n  selector: {app: web}\n  ports:\n"
        "  - {name: a, port: 80}\n  - {name: b, port: 81, nodePort: 30080}\n"
    )
    w, svc = svc_world(spec)
    chosen = w.services.node_port(svc, svc.ports[0])
    assert 30000 <= chosen <= 32767 and chosen != 30080
    assert w.services.node_port(svc, svc.ports[1]) == 30080
    w2, svc2 = svc_world(spec)
    assert w2.services.node_port(svc2, svc2.ports[0]) == chosen  # deterministic


def test_load_balancer_has_cluster_ip_and_node_ports():
    w, svc = svc_world("  type: LoadBalancer\n  selector: {app: web}\n  ports: [{port: 80}]\n")
    assert w.services.cluster_ip(svc)
    assert w.services.node_port(svc, svc.ports[0]) in range(30000, 32768)
    assert svc.external_traffic_policy == "Cluster"


def test_traffic_to_a_service_is_judged_at_the_backend_and_target_port():
    policy = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-8080, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - ports: [{port: 8080}]
"""
    w = make_world(
        SCENARIO,
        SVC + "metadata: {name: web, namespace: shop}\nspec:\n"
        "  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n---" + policy,
    )
    reach = w.reach_service("default/web-other-ns", "shop/web", 80)
    # web-1 listens on 8080 (allowed); web-2 on 8081 (the policy admits only 8080)
    assert [(e.key, p, ok) for e, p, ok in reach.backends] == [
        ("shop/web-1", 8080, True),
        ("shop/web-2", 8081, False),
    ]
    assert reach.allowed


def test_load_balancer_without_node_port_allocation():
    w, svc = svc_world(
        "  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n"
        "  selector: {app: web}\n"
        "  ports: [{name: a, port: 80}, {name: b, port: 81, nodePort: 30081}]\n"
    )
    assert w.services.node_port(svc, svc.ports[0]) is None
    assert w.services.node_port(svc, svc.ports[1]) == 30081


def test_headless_service_is_dialled_on_the_port_the_client_uses():
    w, _svc = svc_world(
        "  clusterIP: None\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n"
    )
    on_80 = w.reach_service("default/web-other-ns", "shop/web", 80)
    assert not on_80.allowed and on_80.not_listening  # no translation: nothing listens on 80
    on_8080 = w.reach_service("default/web-other-ns", "shop/web", 8080)
    assert on_8080.allowed
    assert "headless" in on_8080.note


def test_a_connection_needs_something_listening_on_the_target_port():
    w, _svc = svc_world("  selector: {app: web}\n  ports: [{port: 80, targetPort: 7000}]\n")
    reach = w.reach_service("default/web-other-ns", "shop/web", 80)
    assert not reach.allowed
    assert set(reach.not_listening) == {"shop/web-1", "shop/web-2", "shop/udp"}


OUTSIDE_POLICY = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-the-db-host, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{ipBlock: {cidr: 203.0.113.9/32}}]
"""


def test_outside_hosts_cannot_reach_a_cluster_ip():
    w = make_world(
        SCENARIO,
        SVC + "metadata: {name: web, namespace: shop}\nspec:\n"
        "  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n",
    )
    reach = w.reach_service("db.example.com", "shop/web", 80)
    assert not reach.allowed and reach.backends == []
    assert "only from inside the cluster" in reach.note


@pytest.mark.parametrize(("policy", "allowed"), [("Cluster", False), ("Local", True)])
def test_node_port_from_outside_sees_the_node_address_unless_local(policy, allowed):
    w = make_world(
        SCENARIO,
        SVC + "metadata: {name: web, namespace: shop}\nspec:\n"
        f"  type: NodePort\n  externalTrafficPolicy: {policy}\n"
        "  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n" + OUTSIDE_POLICY,
    )
    reach = w.reach_service("db.example.com", "shop/web", 80)
    assert reach.allowed is allowed  # the ipBlock admits the client's address, not the node's


def test_pods_added_by_the_answer_get_addresses_from_the_pod_range():
    w = make_world(
        SCENARIO,
        """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: c, image: x}]
      initContainers: [{name: proxy, image: y, restartPolicy: Always, ports: [{containerPort: 15001, name: proxy}]}]
""",
    )
    added = [p for p in w.scenario.pods if p.name.startswith("api-")]
    assert len(added) == 2 and all(p.ip.startswith("10.244.") for p in added)
    assert added[0].named_port("proxy", "TCP") == 15001  # a sidecar's ports count


def test_first_declaration_of_a_duplicate_port_name_wins_everywhere():
    w = make_world(
        SCENARIO,
        """apiVersion: v1
kind: Pod
metadata: {name: dup, namespace: shop, labels: {app: dup}}
spec:
  containers:
    - {name: a, image: x, ports: [{containerPort: 8080, name: http}]}
    - {name: b, image: x, ports: [{containerPort: 9090, name: http}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: by-name, namespace: shop}
spec:
  podSelector: {matchLabels: {app: dup}}
  ingress: [{ports: [{port: http}]}]
""",
    )
    table = w.table([(8080, "TCP"), (9090, "TCP")])
    for port in (8080, 9090):
        assert (
            table.allowed("shop/web-1", "shop/dup", port)
            == w.explain("shop/web-1", "shop/dup", port).allowed
        )
    assert table.allowed("shop/web-1", "shop/dup", 8080) and not table.allowed(
        "shop/web-1", "shop/dup", 9090
    )


# -- where pods run, and the traffic policies that keep traffic on a node ------------------------

NODES = {
    "namespaces": [{"name": "shop"}],
    "nodes": [{"name": "node-1", "ip": "172.18.0.2"}, {"name": "node-2", "ip": "172.18.0.3"}],
    "pods": [
        {
            "name": "gw-1",
            "namespace": "shop",
            "labels": {"app": "gw"},
            "node": "node-1",
            "ports": [{"containerPort": 8443}],
        },
        {
            "name": "gw-2",
            "namespace": "shop",
            "labels": {"app": "gw"},
            "node": "node-1",
            "ports": [{"containerPort": 8443}],
        },
        {"name": "client-1", "namespace": "shop", "labels": {"app": "client"}, "node": "node-1"},
        {"name": "client-2", "namespace": "shop", "labels": {"app": "client"}, "node": "node-2"},
    ],
    "externals": [{"name": "customer", "ip": "203.0.113.5"}],
}


def gateway(spec: str = "") -> str:
    return (
        "apiVersion: v1\nkind: Service\nmetadata: {name: gw, namespace: shop}\nspec:\n"
        f"  type: NodePort\n  selector: {{app: gw}}\n  ports: [{{port: 443, targetPort: 8443}}]\n{spec}"
    )


def test_pods_are_spread_over_the_nodes_unless_placed():
    from k8slearn.model.scenario import load_scenario

    spread = {**NODES, "pods": [{"name": f"p{i}"} for i in range(3)]}
    scenario, _ = load_scenario(spread)
    assert [p.node for p in scenario.pods] == ["node-1", "node-2", "node-1"]
    _, problems = load_scenario({**NODES, "pods": [{"name": "p", "node": "node-9"}]})
    assert [p.field for p in problems] == ["pods[0].node"]
    assert "node 'node-9' is not declared" in problems[0].message


def test_external_traffic_policy_local_keeps_the_client_and_the_node():
    local = make_world(NODES, gateway("  externalTrafficPolicy: Local\n"))
    through_1 = local.reach_service("customer", "shop/gw", 443, via_node="node-1")
    assert through_1.answered() == ["shop/gw-1", "shop/gw-2"]
    through_2 = local.reach_service("customer", "shop/gw", 443, via_node="node-2")
    assert through_2.backends == [] and "runs none, so it drops the connection" in through_2.note
    # With Cluster every node forwards, but the backend sees the node's address, not the client's.
    only_customer = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: gw, namespace: shop}
spec:
  podSelector: {matchLabels: {app: gw}}
  ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24}}]}]
"""
    cluster = make_world(NODES, gateway() + only_customer)
    snat = cluster.reach_service("customer", "shop/gw", 443, via_node="node-2")
    assert not snat.allowed and "node node-2's (172.18.0.3)" in snat.note
    kept = make_world(NODES, gateway("  externalTrafficPolicy: Local\n") + only_customer)
    assert kept.reach_service("customer", "shop/gw", 443, via_node="node-1").allowed


def test_internal_traffic_policy_local_keeps_pods_on_their_node():
    world = make_world(NODES, gateway("  internalTrafficPolicy: Local\n"))
    assert world.reach_service("shop/client-1", "shop/gw", 443).answered() == [
        "shop/gw-1",
        "shop/gw-2",
    ]
    dropped = world.reach_service("shop/client-2", "shop/gw", 443)
    assert not dropped.allowed and "there are none, so it is dropped" in dropped.note
    assert make_world(NODES, gateway()).reach_service("shop/client-2", "shop/gw", 443).allowed


def test_session_affinity_says_a_client_sticks_to_one_backend():
    world = make_world(
        NODES,
        gateway(
            "  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}\n"
        ),
    )
    reach = world.reach_service("shop/client-1", "shop/gw", 443)
    assert (
        "goes to the backend its first one reached, until it has been idle 10 minutes" in reach.note
    )
    assert world.services.describe(world.services.get("shop/gw"))["sessionAffinity"] == "ClientIP"


def test_a_connectivity_cell_through_a_chosen_node():
    from k8slearn.grading.checks import Answer, check_connectivity
    from k8slearn.manifests.validate import validate_text

    text = gateway("  externalTrafficPolicy: Local\n")
    world = make_world(NODES, text)
    answer = Answer(world, validate_text(text).manifests)
    cells = [
        {"from": "customer", "to": "svc:shop/gw", "port": 443, "node": "node-2", "allowed": False},
        {"from": "customer", "to": "svc:shop/gw", "port": 443, "node": "node-1", "allowed": True},
        {"from": "customer", "to": "svc:shop/gw", "port": 443, "node": "node-7", "allowed": True},
    ]
    results = check_connectivity({"connectivity": cells}, answer)
    assert [r.passed for r in results] == [True, True, False]
    assert results[0].name == "customer → svc:shop/gw:443 via node-2"
    assert results[2].message == "there is no node node-7 in the scenario"
