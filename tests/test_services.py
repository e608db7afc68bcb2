"""Service resolution: endpoints, target ports, node ports, DNS."""

from __future__ import annotations

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
    return [(b.pod.key, b.port) for b in w.services.endpoints(svc, sp)]


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
