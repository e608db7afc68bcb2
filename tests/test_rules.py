"""check_rules reports what the API server refuses on create, at the paths it prints."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from k8slearn.manifests.defaults import apply_defaults
from k8slearn.manifests.loader import load_manifests
from k8slearn.manifests.rules import check_rules
from k8slearn.problems import Problem


def check(text: str) -> list[Problem]:
    doc = load_manifests(text).documents[0]
    kind = doc.data["kind"]
    return check_rules(doc, kind, apply_defaults(kind, doc.data))


def error_fields(text: str) -> list[str]:
    return sorted(p.field for p in check(text) if p.is_error)


def warning_fields(text: str) -> list[str]:
    return sorted(p.field for p in check(text) if not p.is_error)


def only(text: str) -> Problem:
    problems = check(text)
    assert len(problems) == 1, [p.text() for p in problems]
    return problems[0]


def mutate(base: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> str:
    obj = copy.deepcopy(base)
    change(obj)
    return yaml.safe_dump(obj, sort_keys=False)


# --- valid manifests produce nothing at all --------------------------------------------------

VALID = {
    "clusterip": """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app.kubernetes.io/name: web, tier: ""}}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http-web}
  - {name: metrics-and-more-than-15, port: 9090, targetPort: 9090, appProtocol: http}
""",
    "nodeport": """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: tcp, port: 53, nodePort: 30053}
  - {name: udp, port: 53, protocol: UDP, nodePort: 30053}
  - {name: edge, port: 81, nodePort: 32767}
""",
    "loadbalancer": """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  healthCheckNodePort: 30100
  loadBalancerSourceRanges: [10.0.0.0/8, " 192.168.0.0/16 ", "2001:db8::/32"]
  loadBalancerClass: example.com/lb
  allocateLoadBalancerNodePorts: false
  selector: {app: web}
  ports: [{port: 443, targetPort: 8443}]
""",
    "externalname": """
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.com.}
""",
    "headless": """
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}}
""",
    "fixed-ips": """
apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, "fd00::10"]
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: RequireDualStack
  externalIPs: [192.0.2.10]
  externalTrafficPolicy: Local
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 86400}}
  ports: [{port: 53, protocol: UDP}]
""",
    "networkpolicy": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api.allow}
spec:
  podSelector:
    matchLabels: {app: api}
    matchExpressions:
    - {key: tier, operator: In, values: [backend, ""]}
    - {key: canary, operator: DoesNotExist}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.1.0/24, 10.0.2.5/32]}
    - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48"]}
    ports:
    - {port: http}
    - {port: 8080, endPort: 8090}
    - {protocol: SCTP, port: 9000, endPort: 9000}
  egress:
  - to: [{namespaceSelector: {}}]
    ports: [{port: 53, protocol: UDP}]
  - {}
""",
    "namespace": """
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
""",
    "pod": """
apiVersion: v1
kind: Pod
metadata: {name: web.v1, labels: {app: web}}
spec:
  initContainers:
  - {name: init, image: busybox, ports: [{containerPort: 9000, name: init-port}]}
  containers:
  - name: web
    image: nginx
    ports:
    - {containerPort: 80, name: http}
    - {containerPort: 53, protocol: UDP, name: dns, hostPort: 5353}
""",
    "deployment": """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: track, operator: NotIn, values: [canary]}]
  template:
    metadata: {labels: {app: web, track: stable}}
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 80, name: http}]}]
""",
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_manifest_has_no_problems(name):
    assert [p.text() for p in check(VALID[name])] == []


def test_nulls_are_treated_as_unset():
    text = """
apiVersion: v1
kind: Service
metadata: {name: web, labels: null, annotations: null}
spec:
  type: null
  clusterIP: null
  selector: null
  externalIPs: null
  ports: [{port: 80, name: null, protocol: null, targetPort: null, nodePort: null}]
"""
    assert check(text) == []
    text = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: null
  policyTypes: null
  ingress: [null, {from: null, ports: [null, {port: null}]}]
"""
    assert check(text) == []


def test_unknown_kind_is_not_checked():
    doc = load_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: BAD_NAME}\n").documents[
        0
    ]
    assert check_rules(doc, "ConfigMap", doc.data) == []


# --- metadata ----------------------------------------------------------------------------------

SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutator setting a dotted path (list indexes as numbers) in a manifest."""

    def change(obj: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = obj
        for part in parents:
            target = target[part]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (_set("metadata.name", "Web_App"), ["metadata.name"]),
        (_set("metadata.name", "a" * 64), ["metadata.name"]),
        (_set("metadata.name", "web.app"), ["metadata.name"]),  # a label: no dots
        (_set("metadata.name", "web-"), ["metadata.name"]),
        (_set("metadata.name", None), ["metadata.name"]),
        (_set("metadata.namespace", "Shop_1"), ["metadata.namespace"]),
        (_set("metadata.labels", {"app name": "web"}), ["metadata.labels"]),
        (_set("metadata.labels", {"example.com/": "web"}), ["metadata.labels"]),
        (_set("metadata.labels", {"Example.com/app": "web"}), ["metadata.labels"]),
        (_set("metadata.labels", {"a/b/c": "web"}), ["metadata.labels"]),
        (_set("metadata.labels", {"app": "web app"}), ["metadata.labels"]),
        (_set("metadata.labels", {"app": "x" * 64}), ["metadata.labels"]),
        (_set("metadata.labels", {"app": "-web"}), ["metadata.labels"]),
        (_set("metadata.annotations", {"not valid!": "x"}), ["metadata.annotations"]),
    ],
)
def test_metadata_rules(change, fields):
    assert error_fields(mutate(SERVICE, change)) == fields


def test_generate_name_may_end_with_a_dash():
    text = mutate(SERVICE, lambda o: o.update(metadata={"generateName": "web-"}))
    assert check(text) == []
    text = mutate(SERVICE, lambda o: o.update(metadata={"generateName": "Web-"}))
    assert error_fields(text) == ["metadata.generateName"]


def test_service_name_starting_with_a_digit_is_only_a_warning():
    # Since v1.36 (RelaxedServiceNameValidation beta) Service names are DNS-1123 labels.
    text = mutate(SERVICE, _set("metadata.name", "1web"))
    assert error_fields(text) == []
    assert warning_fields(text) == ["metadata.name"]


def test_label_problem_points_at_the_key_line():
    text = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
    bad key: x
spec:
  ports: [{port: 80}]
"""
    problem = only(text)
    assert (problem.field, problem.line) == ("metadata.labels", 7)
    assert "'bad key'" in problem.message


def test_invalid_name_suggests_a_valid_one():
    problem = only(mutate(SERVICE, _set("metadata.name", "My_Web")))
    assert "my-web" in problem.hint


# --- Service -----------------------------------------------------------------------------------


def _ports(*ports: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return _set("spec.ports", list(ports))


def _spec(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda obj: obj["spec"].update(fields)


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        # ports are required, except for headless and ExternalName Services
        (_ports(), ["spec.ports"]),
        (_set("spec.ports", None), ["spec.ports"]),
        (_spec(type="NodePort", ports=[]), ["spec.ports"]),
        (_spec(clusterIP="None", ports=[]), []),
        (_spec(type="ExternalName", externalName="db.example.com", ports=[]), []),
        # port numbers
        (_ports({"port": 0}), ["spec.ports[0].port"]),
        (_ports({"port": 65536}), ["spec.ports[0].port"]),
        (_ports({"port": 65535}), []),
        # names: required with several ports, unique, DNS-1123 labels (not IANA names)
        (_ports({"port": 80}, {"port": 81}), ["spec.ports[0].name", "spec.ports[1].name"]),
        (_ports({"port": 80, "name": "web"}, {"port": 81}), ["spec.ports[1].name"]),
        (_ports({"port": 80, "name": "web"}, {"port": 81, "name": "web"}), ["spec.ports[1].name"]),
        (_ports({"port": 80, "name": "HTTP"}), ["spec.ports[0].name"]),
        (_ports({"port": 80, "name": "web_1"}), ["spec.ports[0].name"]),
        (_ports({"port": 80, "name": "8080"}), []),  # a DNS label may be all digits
        (_ports({"port": 80, "name": "a-name-longer-than-15"}), []),
        (_ports({"port": 80, "name": "x" * 64}), ["spec.ports[0].name"]),
        # protocol
        (_ports({"port": 80, "protocol": "tcp"}), ["spec.ports[0].protocol"]),
        (_ports({"port": 80, "protocol": "HTTP"}), ["spec.ports[0].protocol"]),
        (_ports({"port": 53, "protocol": "SCTP"}), []),
        # each port/protocol pair once
        (_ports({"port": 80, "name": "a"}, {"port": 80, "name": "b"}), ["spec.ports[1]"]),
        (_ports({"port": 53, "name": "a"}, {"port": 53, "name": "b", "protocol": "UDP"}), []),
        # targetPort: a number or an IANA service name
        (_ports({"port": 80, "targetPort": 65536}), ["spec.ports[0].targetPort"]),
        (_ports({"port": 80, "targetPort": -1}), ["spec.ports[0].targetPort"]),
        (_ports({"port": 80, "targetPort": "8080"}), ["spec.ports[0].targetPort"]),
        (_ports({"port": 80, "targetPort": "Http"}), ["spec.ports[0].targetPort"]),
        (_ports({"port": 80, "targetPort": "web--api"}), ["spec.ports[0].targetPort"]),
        (_ports({"port": 80, "targetPort": "-web"}), ["spec.ports[0].targetPort"]),
        (_ports({"port": 80, "targetPort": "a-name-of-16-chr"}), ["spec.ports[0].targetPort"]),
        (_ports({"port": 80, "targetPort": "name-of-15-chrs"}), []),
        (_ports({"port": 80, "appProtocol": "not valid"}), ["spec.ports[0].appProtocol"]),
        # type
        (_spec(type="nodeport"), ["spec.type"]),
        (_spec(type="Ingress"), ["spec.type"]),
        # selector labels
        (_spec(selector={"app": "web server"}), ["spec.selector"]),
        (_spec(selector={"app/": "web"}), ["spec.selector"]),
        # session affinity
        (_spec(sessionAffinity="Sticky"), ["spec.sessionAffinity"]),
        (
            _spec(
                sessionAffinity="ClientIP",
                sessionAffinityConfig={"clientIP": {"timeoutSeconds": 0}},
            ),
            ["spec.sessionAffinityConfig.clientIP.timeoutSeconds"],
        ),
        (
            _spec(
                sessionAffinity="ClientIP",
                sessionAffinityConfig={"clientIP": {"timeoutSeconds": 86401}},
            ),
            ["spec.sessionAffinityConfig.clientIP.timeoutSeconds"],
        ),
        # traffic policies
        (_spec(externalTrafficPolicy="Local"), ["spec.externalTrafficPolicy"]),
        (_spec(externalTrafficPolicy="Cluster", externalIPs=["192.0.2.1"]), []),
        (_spec(type="NodePort", externalTrafficPolicy="local"), ["spec.externalTrafficPolicy"]),
        (_spec(internalTrafficPolicy="Node"), ["spec.internalTrafficPolicy"]),
        (_spec(type="NodePort", healthCheckNodePort=30100), ["spec.healthCheckNodePort"]),
        (
            _spec(type="LoadBalancer", externalTrafficPolicy="Local", healthCheckNodePort=80),
            ["spec.healthCheckNodePort"],
        ),
        # LoadBalancer-only fields
        (_spec(allocateLoadBalancerNodePorts=True), ["spec.allocateLoadBalancerNodePorts"]),
        (_spec(loadBalancerClass="example.com/lb"), ["spec.loadBalancerClass"]),
        (_spec(type="LoadBalancer", loadBalancerClass="a b"), ["spec.loadBalancerClass"]),
        (
            _spec(loadBalancerSourceRanges=["10.0.0.0/8"]),
            ["spec.LoadBalancerSourceRanges"],  # sic: the API server prints a capital L
        ),
        (
            _spec(type="LoadBalancer", loadBalancerSourceRanges=["10.0.0.1/8"]),
            ["spec.LoadBalancerSourceRanges[0]"],
        ),
        (
            _spec(type="LoadBalancer", loadBalancerSourceRanges=["10.0.0.0/8", "10.0.0.0"]),
            ["spec.LoadBalancerSourceRanges[1]"],
        ),
        (
            _spec(type="LoadBalancer", loadBalancerSourceRanges=["2001:DB8::/32"]),
            ["spec.LoadBalancerSourceRanges[0]"],  # must be canonical (lowercase)
        ),
        # externalIPs
        (_spec(externalIPs=["127.0.0.1"]), ["spec.externalIPs[0]"]),
        (_spec(externalIPs=["192.0.2.1", "0.0.0.0"]), ["spec.externalIPs[1]"]),
        (_spec(externalIPs=["169.254.1.1"]), ["spec.externalIPs[0]"]),
        (_spec(externalIPs=["224.0.0.5"]), ["spec.externalIPs[0]"]),
        (_spec(externalIPs=["192.0.2.300"]), ["spec.externalIPs[0]"]),
        (_spec(externalIPs=["192.0.2.010"]), ["spec.externalIPs[0]"]),
        # dual-stack fields
        (_spec(ipFamilies=["IPv5"]), ["spec.ipFamilies[0]"]),
        (_spec(ipFamilyPolicy="DualStack"), ["spec.ipFamilyPolicy"]),
        (
            _spec(ipFamilies=["IPv6", "IPv6"], ipFamilyPolicy="RequireDualStack"),
            ["spec.ipFamilies[1]"],
        ),
        # two families need a dual-stack policy; left out, the allocator defaults to SingleStack
        (_spec(ipFamilies=["IPv4", "IPv6"], ipFamilyPolicy="SingleStack"), ["spec.ipFamilyPolicy"]),
        (_spec(ipFamilies=["IPv4", "IPv6"]), ["spec.ipFamilyPolicy"]),
        (_spec(ipFamilies=["IPv4", "IPv6"], ipFamilyPolicy="PreferDualStack"), []),
        (_spec(clusterIP="None", ipFamilies=["IPv4", "IPv6"]), ["spec.ipFamilyPolicy"]),
        # ...but a headless Service without a selector defaults to RequireDualStack
        (_spec(clusterIP="None", selector=None, ipFamilies=["IPv4", "IPv6"]), []),
        (_spec(clusterIP="10.96.0.10", ipFamilies=["IPv6"]), ["spec.clusterIPs[0]"]),
        (
            _spec(
                clusterIP="fd00::10",
                clusterIPs=["fd00::10", "10.96.0.10"],
                ipFamilies=["IPv4", "IPv6"],
                ipFamilyPolicy="RequireDualStack",
            ),
            ["spec.clusterIPs[0]", "spec.clusterIPs[1]"],
        ),
    ],
)
def test_service_rules(change, fields):
    assert error_fields(mutate(SERVICE, change)) == fields


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (_spec(clusterIP="10.96.0.300"), ["spec.clusterIPs[0]"]),
        (_spec(clusterIP="none"), ["spec.clusterIPs[0]"]),
        (_spec(clusterIP="2001:DB8::1"), ["spec.clusterIPs[0]"]),
        (_spec(clusterIP="::ffff:10.0.0.1"), ["spec.clusterIPs[0]"]),
        (_spec(clusterIP="10.96.0.10"), []),
        (_spec(type="NodePort", clusterIP="None"), ["spec.clusterIPs[0]"]),
        (_spec(type="LoadBalancer", clusterIP="None"), ["spec.clusterIPs[0]"]),
        (_spec(clusterIPs=["10.96.0.10"]), ["spec.clusterIPs"]),
        (_spec(clusterIP="10.96.0.10", clusterIPs=["10.96.0.11"]), ["spec.clusterIPs"]),
        (_spec(clusterIP="None", clusterIPs=["None", "10.96.0.1"]), ["spec.clusterIPs"]),
        (_spec(clusterIP="10.96.0.1", clusterIPs=["10.96.0.1", "10.96.0.2"]), ["spec.clusterIPs"]),
        (
            _spec(clusterIP="10.96.0.1", clusterIPs=["10.96.0.1", "fd00::1", "fd00::2"]),
            ["spec.clusterIPs"],
        ),
    ],
)
def test_cluster_ip_rules(change, fields):
    assert error_fields(mutate(SERVICE, change)) == fields


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ({}, ["spec.externalName"]),
        ({"externalName": "."}, ["spec.externalName"]),
        ({"externalName": "DB.example.com"}, ["spec.externalName"]),
        ({"externalName": "https://db.example.com"}, ["spec.externalName"]),
        ({"externalName": "db..example.com"}, ["spec.externalName"]),
        ({"externalName": "db.example.com", "clusterIP": "None"}, ["spec.clusterIPs"]),
        ({"externalName": "db.example.com", "clusterIP": "10.96.0.1"}, ["spec.clusterIPs"]),
        (
            {"externalName": "db.example.com", "externalTrafficPolicy": "Cluster"},
            ["spec.externalTrafficPolicy"],
        ),
        (
            {"externalName": "db.example.com", "ipFamilyPolicy": "SingleStack"},
            ["spec.ipFamilyPolicy"],
        ),
        ({"externalName": "db"}, []),
    ],
)
def test_external_name_rules(spec, fields):
    text = mutate(SERVICE, lambda o: o.update(spec={"type": "ExternalName", **spec}))
    assert error_fields(text) == fields


def test_external_name_hints():
    base = {"type": "ExternalName"}
    text = mutate(SERVICE, lambda o: o.update(spec={**base, "externalName": "DB.example.com"}))
    assert "db.example.com" in only(text).hint
    text = mutate(SERVICE, lambda o: o.update(spec={**base, "externalName": "https://db.x"}))
    assert "host name" in only(text).hint


@pytest.mark.parametrize(
    ("kind", "node_port", "fields"),
    [
        ("ClusterIP", 30080, ["spec.ports[0].nodePort"]),
        ("NodePort", 30080, []),
        ("NodePort", 30000, []),
        ("NodePort", 29999, ["spec.ports[0].nodePort"]),
        ("NodePort", 32768, ["spec.ports[0].nodePort"]),
        ("NodePort", 80, ["spec.ports[0].nodePort"]),
        ("LoadBalancer", 8080, ["spec.ports[0].nodePort"]),
        ("LoadBalancer", 31000, []),
        ("NodePort", 0, []),  # 0 means "pick one"
    ],
)
def test_node_port_rules(kind, node_port, fields):
    text = mutate(SERVICE, _spec(type=kind, ports=[{"port": 80, "nodePort": node_port}]))
    assert error_fields(text) == fields


def test_node_port_range_message():
    problem = only(mutate(SERVICE, _spec(type="NodePort", ports=[{"port": 80, "nodePort": 80}])))
    assert "between 30000 and 32767" in problem.message
    assert "leave it out" in problem.message


def test_duplicate_node_ports_per_protocol():
    ports = [
        {"name": "a", "port": 80, "nodePort": 30080},
        {"name": "b", "port": 81, "nodePort": 30080},
        {"name": "c", "port": 82, "nodePort": 30080, "protocol": "UDP"},
    ]
    text = mutate(SERVICE, _spec(type="NodePort", ports=ports))
    assert error_fields(text) == ["spec.ports[1].nodePort"]


def test_case_mistakes_get_a_did_you_mean_hint():
    problem = only(mutate(SERVICE, _spec(type="nodeport")))
    assert "NodePort" in problem.hint
    problem = only(mutate(SERVICE, _ports({"port": 80, "protocol": "udp"})))
    assert "UDP" in problem.hint


def test_quoted_number_target_port_hint():
    problem = only(mutate(SERVICE, _ports({"port": 80, "targetPort": "8080"})))
    assert "without quotes" in problem.hint


def test_ignored_fields_are_warnings():
    text = mutate(SERVICE, _spec(externalName="db.example.com"))
    assert (error_fields(text), warning_fields(text)) == ([], ["spec.externalName"])
    text = mutate(
        SERVICE,
        lambda o: o.update(
            spec={"type": "ExternalName", "externalName": "db", "externalIPs": ["192.0.2.1"]}
        ),
    )
    assert (error_fields(text), warning_fields(text)) == ([], ["spec.externalIPs"])


def test_cluster_ip_problem_is_placed_on_the_clusterip_line():
    text = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  clusterIP: None
  ports: [{port: 80}]
"""
    problem = only(text)
    assert (problem.field, problem.line) == ("spec.clusterIPs[0]", 6)


def test_source_range_problem_is_placed_on_its_line():
    text = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  ports: [{port: 80}]
  loadBalancerSourceRanges:
  - 10.0.0.0/8
  - 10.1.2.3/16
"""
    problem = only(text)
    assert (problem.field, problem.line) == ("spec.LoadBalancerSourceRanges[1]", 9)
    assert "10.1.0.0/16" in problem.message


def test_node_port_problem_line():
    text = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  ports:
  - port: 80
    nodePort: 8080
"""
    problem = only(text)
    assert (problem.field, problem.line) == ("spec.ports[0].nodePort", 8)


def test_all_service_problems_are_reported_together():
    text = mutate(
        SERVICE,
        _spec(type="NodePort", ports=[{"port": 0, "protocol": "tcp", "nodePort": 1}, {"port": 81}]),
    )
    assert error_fields(text) == [
        "spec.ports[0].name",
        "spec.ports[0].nodePort",
        "spec.ports[0].port",
        "spec.ports[0].protocol",
        "spec.ports[1].name",
    ]


# --- NetworkPolicy -------------------------------------------------------------------------

POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "np"},
    "spec": {"podSelector": {"matchLabels": {"app": "api"}}},
}


def _ingress(*peers: dict[str, Any], ports: list[dict[str, Any]] | None = None):
    rule: dict[str, Any] = {"from": list(peers)}
    if ports is not None:
        rule["ports"] = ports
    return _set("spec.ingress", [rule])


def _block(cidr: Any, *excepts: Any):
    block: dict[str, Any] = {"cidr": cidr}
    if excepts:
        block["except"] = list(excepts)
    return _ingress({"ipBlock": block})


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (_set("metadata.name", "NP"), ["metadata.name"]),
        (_set("metadata.name", "allow.web"), []),  # a DNS subdomain may have dots
        # podSelector is optional in networking/v1: omitted means "every Pod"
        (lambda o: o["spec"].pop("podSelector"), []),
        (_set("spec.podSelector", {}), []),
        (
            _set("spec.podSelector", {"matchLabels": {"app": "a b"}}),
            ["spec.podSelector.matchLabels"],
        ),
        (
            _set("spec.podSelector", {"matchExpressions": [{"key": "app", "operator": "In"}]}),
            ["spec.podSelector.matchExpressions[0].values"],
        ),
        (
            _set(
                "spec.podSelector",
                {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": []}]},
            ),
            ["spec.podSelector.matchExpressions[0].values"],
        ),
        (
            _set(
                "spec.podSelector",
                {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["a"]}]},
            ),
            ["spec.podSelector.matchExpressions[0].values"],
        ),
        (
            _set(
                "spec.podSelector",
                {"matchExpressions": [{"key": "app", "operator": "DoesNotExist", "values": ["a"]}]},
            ),
            ["spec.podSelector.matchExpressions[0].values"],
        ),
        (
            _set(
                "spec.podSelector",
                {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["a"]}]},
            ),
            ["spec.podSelector.matchExpressions[0].operator"],
        ),
        (
            _set(
                "spec.podSelector", {"matchExpressions": [{"key": "bad key", "operator": "Exists"}]}
            ),
            ["spec.podSelector.matchExpressions[0].key"],
        ),
        (
            _set(
                "spec.podSelector",
                {
                    "matchExpressions": [
                        {"key": "app", "operator": "In", "values": ["ok", "not ok"]}
                    ]
                },
            ),
            ["spec.podSelector.matchExpressions[0].values[1]"],
        ),
        # peers: ipBlock alone, or podSelector and/or namespaceSelector
        (_ingress({"podSelector": {}, "namespaceSelector": {}}), []),
        (
            _ingress({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}),
            ["spec.ingress[0].from[0]"],
        ),
        (
            _ingress({"ipBlock": {"cidr": "10.0.0.0/8"}, "namespaceSelector": {}}),
            ["spec.ingress[0].from[0]"],
        ),
        (_ingress({}), ["spec.ingress[0].from[0]"]),
        (_ingress(None), ["spec.ingress[0].from[0]"]),
        (_ingress({"podSelector": {}}, {}), ["spec.ingress[0].from[1]"]),
        (_set("spec.egress", [{"to": [{}]}]), ["spec.egress[0].to[0]"]),
        (
            _ingress({"namespaceSelector": {"matchLabels": {"team": "a b"}}}),
            ["spec.ingress[0].from[0].namespaceSelector.matchLabels"],
        ),
        # ipBlock.cidr
        (_block("10.0.0.0/8"), []),
        (_block("0.0.0.0/0"), []),
        (_block("2001:db8::/32"), []),
        (_block(""), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        (_block(None), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        (_block("10.0.0.0"), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        (_block("10.0.0.0/33"), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        (_block("10.0.0.0/255.0.0.0"), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        (_block("010.0.0.0/8"), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        (_block("10.0.0.0/08"), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        (_block("10.1.2.3/16"), ["spec.ingress[0].from[0].ipBlock.cidr"]),  # strict since v1.36
        (_block("::ffff:10.0.0.0/104"), ["spec.ingress[0].from[0].ipBlock.cidr"]),
        # except: strictly inside cidr, same family
        (_block("10.0.0.0/16", "10.0.5.0/24", "10.0.0.7/32"), []),
        (_block("10.0.0.0/16", "10.0.0.0/16"), ["spec.ingress[0].from[0].ipBlock.except[0]"]),
        (_block("10.0.0.0/16", "10.0.0.0/8"), ["spec.ingress[0].from[0].ipBlock.except[0]"]),
        (_block("10.0.0.0/16", "10.1.0.0/24"), ["spec.ingress[0].from[0].ipBlock.except[0]"]),
        (_block("10.0.0.0/16", "::/0"), ["spec.ingress[0].from[0].ipBlock.except[0]"]),
        (
            _block("10.0.0.0/16", "10.0.0.0/24", "nope"),
            ["spec.ingress[0].from[0].ipBlock.except[1]"],
        ),
        (_block("10.0.0.0/16", "10.0.1.5/24"), ["spec.ingress[0].from[0].ipBlock.except[0]"]),
        # ports
        (_ingress(ports=[{"port": 80, "protocol": "tcp"}]), ["spec.ingress[0].ports[0].protocol"]),
        (_ingress(ports=[{"port": 0}]), ["spec.ingress[0].ports[0].port"]),
        (_ingress(ports=[{"port": 65536}]), ["spec.ingress[0].ports[0].port"]),
        (_ingress(ports=[{"port": "http"}, {"protocol": "UDP"}]), []),
        (_ingress(ports=[{"port": "HTTP"}]), ["spec.ingress[0].ports[0].port"]),
        (_ingress(ports=[{"port": "80"}]), ["spec.ingress[0].ports[0].port"]),
        (_ingress(ports=[{"port": "http", "endPort": 90}]), ["spec.ingress[0].ports[0].endPort"]),
        (_ingress(ports=[{"endPort": 90}]), ["spec.ingress[0].ports[0].endPort"]),
        (_ingress(ports=[{"port": 100, "endPort": 90}]), ["spec.ingress[0].ports[0].endPort"]),
        (_ingress(ports=[{"port": 100, "endPort": 65536}]), ["spec.ingress[0].ports[0].endPort"]),
        (_ingress(ports=[{"port": 100, "endPort": 100}]), []),
        (
            _set("spec.egress", [{"ports": [{"port": 53, "protocol": "DNS"}]}]),
            ["spec.egress[0].ports[0].protocol"],
        ),
        # policyTypes
        (_set("spec.policyTypes", ["Egress"]), []),
        (_set("spec.policyTypes", ["ingress"]), ["spec.policyTypes[0]"]),
        (_set("spec.policyTypes", ["Ingress", "All"]), ["spec.policyTypes[1]"]),
        (_set("spec.policyTypes", ["Ingress", "Egress", "Ingress"]), ["spec.policyTypes"]),
    ],
)
def test_network_policy_rules(change, fields):
    assert error_fields(mutate(POLICY, change)) == fields


def test_duplicate_policy_type_is_only_a_warning():
    # ValidateNetworkPolicySpec accepts [Ingress, Ingress]; we point it out without failing.
    text = mutate(POLICY, _set("spec.policyTypes", ["Ingress", "Ingress"]))
    assert (error_fields(text), warning_fields(text)) == ([], ["spec.policyTypes[1]"])


def test_ip_block_with_selector_hint_and_line():
    text = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock:
        cidr: 10.0.0.0/8
      podSelector: {}
"""
    problem = only(text)
    assert (problem.field, problem.line) == ("spec.ingress[0].from[0]", 8)
    assert "separate" in problem.hint


def test_cidr_with_host_bits_suggests_both_readings():
    problem = only(mutate(POLICY, _block("192.168.1.10/24")))
    assert "192.168.1.0/24" in problem.message and "192.168.1.10/32" in problem.message


# --- Pod ---------------------------------------------------------------------------------------

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]},
}


def _container_ports(*ports: dict[str, Any]):
    return _set("spec.containers.0.ports", list(ports))


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (_set("metadata.name", "Web_Pod"), ["metadata.name"]),
        (_container_ports({"containerPort": 0}), ["spec.containers[0].ports[0].containerPort"]),
        (_container_ports({"containerPort": None}), ["spec.containers[0].ports[0].containerPort"]),
        (_container_ports({"containerPort": 65536}), ["spec.containers[0].ports[0].containerPort"]),
        (
            _container_ports({"containerPort": 80, "hostPort": 70000}),
            ["spec.containers[0].ports[0].hostPort"],
        ),
        (
            _container_ports({"containerPort": 80, "protocol": "tcp"}),
            ["spec.containers[0].ports[0].protocol"],
        ),
        (
            _container_ports({"containerPort": 80, "name": "HTTP"}),
            ["spec.containers[0].ports[0].name"],
        ),
        (
            _container_ports({"containerPort": 80, "name": "a-name-of-16-chr"}),
            ["spec.containers[0].ports[0].name"],
        ),
        (
            _container_ports({"containerPort": 80, "name": "80"}),
            ["spec.containers[0].ports[0].name"],
        ),
        (
            _container_ports(
                {"containerPort": 80, "name": "http"}, {"containerPort": 81, "name": "http"}
            ),
            ["spec.containers[0].ports[1].name"],
        ),
        (
            _set(
                "spec.initContainers",
                [{"name": "i", "image": "x", "ports": [{"containerPort": 0}]}],
            ),
            ["spec.initContainers[0].ports[0].containerPort"],
        ),
    ],
)
def test_pod_rules(change, fields):
    assert error_fields(mutate(POD, change)) == fields


def test_port_name_repeated_inside_the_second_container_is_an_error():
    ports = [{"containerPort": 8080, "name": "http"}, {"containerPort": 8081, "name": "http"}]

    def change(obj):
        obj["spec"]["containers"][0]["ports"][0]["name"] = "http"
        obj["spec"]["containers"].append({"name": "side", "image": "x", "ports": ports})

    text = mutate(POD, change)
    assert error_fields(text) == ["spec.containers[1].ports[1].name"]


def test_port_name_reused_by_another_container_is_a_warning():
    second = {"name": "side", "image": "x", "ports": [{"containerPort": 8080, "name": "http"}]}

    def change(obj):
        obj["spec"]["containers"][0]["ports"][0]["name"] = "http"
        obj["spec"]["containers"].append(second)

    text = mutate(POD, change)
    assert error_fields(text) == []
    assert warning_fields(text) == ["spec.containers[1].ports[0].name"]


# --- Deployment ------------------------------------------------------------------------------

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]
            },
        },
    },
}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (_set("metadata.name", "Web"), ["metadata.name"]),
        (_set("spec.replicas", -1), ["spec.replicas"]),
        (lambda o: o["spec"].pop("selector"), ["spec.selector"]),
        (_set("spec.selector", None), ["spec.selector"]),
        (_set("spec.selector", {}), ["spec.selector"]),
        (_set("spec.selector", {"matchLabels": {}}), ["spec.selector"]),
        (_set("spec.selector", {"matchLabels": {"app": "api"}}), ["spec.template.metadata.labels"]),
        (
            _set("spec.selector", {"matchLabels": {"app": "web", "tier": "fe"}}),
            ["spec.template.metadata.labels"],
        ),
        (_set("spec.template.metadata.labels", None), ["spec.template.metadata.labels"]),
        (
            _set(
                "spec.selector",
                {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]},
            ),
            [],
        ),
        (
            _set(
                "spec.selector",
                {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]},
            ),
            ["spec.template.metadata.labels"],
        ),
        (
            _set(
                "spec.selector", {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}
            ),
            ["spec.template.metadata.labels"],
        ),
        (
            _set("spec.selector", {"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
            [],
        ),
        # an invalid selector is reported once, without a second "does not match"
        (_set("spec.selector", {"matchLabels": {"app": "w b"}}), ["spec.selector.matchLabels"]),
        # template label errors are printed at spec.template.labels (no `metadata`)
        (
            lambda o: o["spec"]["template"]["metadata"]["labels"].update({"bad key": "x"}),
            ["spec.template.labels"],
        ),
        (_set("spec.template.spec.restartPolicy", "Never"), ["spec.template.spec.restartPolicy"]),
        (
            _set("spec.template.spec.restartPolicy", "OnFailure"),
            ["spec.template.spec.restartPolicy"],
        ),
        (
            _set("spec.template.spec.containers.0.ports", [{"containerPort": 0}]),
            ["spec.template.spec.containers[0].ports[0].containerPort"],
        ),
    ],
)
def test_deployment_rules(change, fields):
    assert error_fields(mutate(DEPLOYMENT, change)) == fields


def test_selector_mismatch_hint_names_the_missing_label():
    problem = only(mutate(DEPLOYMENT, _set("spec.template.metadata.labels", {"app": "wbe"})))
    assert "selector" in problem.message and "does not match" in problem.message
    assert "app: web" in problem.hint


def test_template_label_error_is_placed_on_the_key_line():
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels:
        app: web
        version: v1.0!
    spec:
      containers: [{name: web, image: nginx}]
"""
    problem = only(text)
    assert (problem.field, problem.line) == ("spec.template.labels", 10)


# --- Namespace -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("team-a", []),
        ("1team", []),
        ("Team-A", ["metadata.name"]),
        ("team.a", ["metadata.name"]),
        ("t" * 64, ["metadata.name"]),
    ],
)
def test_namespace_name(name, fields):
    text = f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n"
    assert error_fields(text) == fields


def test_namespace_name_with_dots_message():
    problem = only("apiVersion: v1\nkind: Namespace\nmetadata: {name: team.a}\n")
    assert "dots" in problem.message


# --- robustness --------------------------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-70000, 70000)
    | st.sampled_from(["", "None", "a", "TCP", "10.0.0.1/8"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "port",
                    "ports",
                    "name",
                    "cidr",
                    "except",
                    "ipBlock",
                    "podSelector",
                    "from",
                    "to",
                    "matchLabels",
                    "matchExpressions",
                    "key",
                    "operator",
                    "values",
                    "type",
                    "clusterIP",
                    "protocol",
                    "targetPort",
                    "nodePort",
                    "endPort",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["Service", "NetworkPolicy", "Namespace", "Pod", "Deployment"]),
    spec=_json,
    metadata=_json,
)
def test_never_raises_on_odd_values(kind, spec, metadata):
    text = yaml.safe_dump({"kind": kind, "metadata": metadata, "spec": spec})
    doc = load_manifests(text).documents[0]
    problems = check_rules(doc, kind, apply_defaults(kind, doc.data))
    assert all(isinstance(p, Problem) for p in problems)


def test_cidr_with_host_bits_says_what_older_clusters_did():
    problem = only(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
        "spec:\n  podSelector: {}\n  ingress:\n    - from: [{ipBlock: {cidr: 203.0.113.10/24}}]\n"
    )
    assert problem.field == "spec.ingress[0].from[0].ipBlock.cidr"
    assert "write 203.0.113.0/24 for the whole range, or 203.0.113.10/32" in problem.message
    assert "Kubernetes 1.36 and newer refuse it" in problem.message
    assert "older releases accepted it with a warning" in problem.message
