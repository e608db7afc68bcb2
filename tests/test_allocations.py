"""What the API server's allocators refuse across Services, and the lints added after review."""

from __future__ import annotations

from conftest import make_world
from k8slearn.grading.lints import lint
from k8slearn.manifests.validate import validate_text


def svc(name: str, extra: str) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n"
        f"  selector: {{app: {name}}}\n{extra}"
    )


def errors(text: str) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in validate_text(text).all_problems() if p.is_error]


def test_node_port_taken_by_another_service():
    text = (
        svc("a", "  type: NodePort\n  ports: [{port: 80, nodePort: 30001}]\n")
        + "---\n"
        + svc("b", "  type: NodePort\n  ports: [{port: 81, nodePort: 30001}]\n")
        + "---\n"
        + svc("c", "  type: NodePort\n  ports: [{port: 82, nodePort: 30001, protocol: UDP}]\n")
    )
    found = errors(text)
    # The allocator tracks the number only: UDP cannot have what TCP holds (upstream initNodePorts).
    assert [f for f, _ in found] == ["spec.ports[0].nodePort", "spec.ports[0].nodePort"]
    assert all("provided port is already allocated (by Service default/a)" in m for _, m in found)
    report = validate_text(text)
    assert [m.valid for m in report.manifests] == [True, False, False]


def test_node_ports_within_one_service():
    # 53/UDP and 53/TCP share one node port, whether it is asked for or allocated.
    asked = (
        "  type: NodePort\n  ports:\n"
        "    - {name: udp, port: 53, protocol: UDP, nodePort: 30053}\n"
        "    - {name: tcp, port: 53, protocol: TCP, nodePort: 30053}\n"
    )
    assert errors(svc("dns", asked)) == []
    allocated = asked.replace(", nodePort: 30053", "")
    world = make_world({"pods": [{"name": "p", "labels": {"app": "dns"}}]}, svc("dns", allocated))
    service = world.services.get("default/dns")
    assert len({world.services.node_port(service, sp) for sp in service.ports}) == 1
    # Two port numbers of one Service cannot ask for the same node port, whatever the protocols.
    two = (
        "  type: NodePort\n  ports:\n"
        "    - {name: a, port: 53, protocol: UDP, nodePort: 30053}\n"
        "    - {name: b, port: 54, nodePort: 30053}\n"
    )
    [(field, message)] = errors(svc("dns", two))
    assert field == "spec.ports[1].nodePort"
    assert "already allocated (by another port of this Service)" in message


def test_cluster_ip_range_and_reuse():
    assert (
        "not in the valid range"
        in errors(svc("a", "  clusterIP: 192.168.7.7\n  ports: [{port: 80}]\n"))[0][1]
    )
    text = (
        svc("a", "  clusterIP: 10.96.5.5\n  ports: [{port: 80}]\n")
        + "---\n"
        + svc("b", "  clusterIP: 10.96.5.5\n  ports: [{port: 80}]\n")
    )
    assert [f for f, _ in errors(text)] == ["spec.clusterIP"]
    assert errors(svc("a", "  clusterIP: None\n  ports: [{port: 80}]\n")) == []


def test_traffic_distribution_values():
    assert errors(svc("a", "  trafficDistribution: PreferSameNode\n  ports: [{port: 80}]\n")) == []
    [(field, message)] = errors(svc("a", "  trafficDistribution: Bogus\n  ports: [{port: 80}]\n"))
    assert field == "spec.trafficDistribution" and "PreferClose" in message


POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: lockdown}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - ports: [%s]
"""


def static_lints(text: str) -> list[str]:
    return [found.problem.message for found in lint(validate_text(text).manifests)]


def test_dns_lint_names_the_missing_protocol():
    udp_only = static_lints(POLICY % "{port: 53, protocol: UDP}")
    assert len(udp_only) == 1 and "53/TCP" in udp_only[0] and "53/UDP" not in udp_only[0]
    assert static_lints(POLICY % "{port: 53, protocol: UDP}, {port: 53, protocol: TCP}") == []
    neither = static_lints(POLICY % "{port: 443}")
    assert "53/UDP and 53/TCP" in neither[0]


def test_empty_service_selector_is_called_out():
    world = make_world({"pods": [{"name": "web", "labels": {"app": "web"}}]})
    manifests = validate_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
        "  selector: {}\n  ports: [{port: 80}]\n"
    ).manifests
    messages = [found.problem.message for found in lint(manifests, world)]
    assert any("`selector: {}` selects nothing" in m for m in messages)


SELECT_ALL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec:
  podSelector: {}
  ingress:
    - from: [%s]
"""


def test_select_all_lint_spares_the_own_namespace_pattern():
    assert not any(
        "every pod of namespace" in m for m in static_lints(SELECT_ALL % "{podSelector: {}}")
    )
    chosen = static_lints(SELECT_ALL % "{podSelector: {matchLabels: {app: frontend}}}")
    assert any("`podSelector: {}` makes this policy apply to every pod" in m for m in chosen)


def test_two_cluster_ips_need_a_dual_stack_policy():
    base = "  clusterIP: 10.96.0.20\n  clusterIPs: [10.96.0.20, 'fd00:10:96::20']\n  ports: [{port: 80}]\n"
    assert any(f == "spec.ipFamilyPolicy" for f, _ in errors(svc("a", base)))
    dual = errors(svc("a", base + "  ipFamilyPolicy: PreferDualStack\n"))
    assert not any(f == "spec.ipFamilyPolicy" for f, _ in dual)


def test_node_ports_and_cluster_ips_already_held_in_the_cluster():
    from k8slearn.model.scenario import load_scenario

    scenario, problems = load_scenario(
        {
            "namespaces": [{"name": "dns"}],
            "objects": [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "resolver", "namespace": "dns"},
                    "spec": {
                        "type": "NodePort",
                        "clusterIP": "10.96.0.53",
                        "selector": {"app": "resolver"},
                        "ports": [{"port": 53, "protocol": "UDP", "nodePort": 30053}],
                    },
                }
            ],
        }
    )
    assert scenario is not None, problems
    tcp = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: resolver-tcp, namespace: dns}\n"
        "spec: {type: NodePort, clusterIP: 10.96.0.53, selector: {app: resolver},"
        " ports: [{port: 53, protocol: TCP, nodePort: 30053}]}\n"
    )
    found = [
        (p.field, p.message)
        for p in validate_text(tcp, existing=scenario.objects).all_problems()
        if p.is_error
    ]
    assert (
        "spec.ports[0].nodePort",
        "Invalid value: 30053: provided port is already allocated (by Service dns/resolver, already in the cluster)",
    ) in found
    assert any(f == "spec.clusterIP" and "already allocated" in m for f, m in found)
    # Replacing the Service that holds them frees them, as kubectl apply would update it.
    same_name = tcp.replace("name: resolver-tcp", "name: resolver")
    assert validate_text(same_name, existing=scenario.objects).valid
