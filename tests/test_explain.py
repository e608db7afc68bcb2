"""Explanations: their verdict is always the truth table's, and their words name the cause."""

from __future__ import annotations

from hypothesis import given, settings

from conftest import make_world
from k8slearn.model.explain import explain_connection
from k8slearn.model.netpol import NetworkPolicy
from k8slearn.model.reachability import ReachabilityModel
from test_engine_vs_oracle import PORTS, build, cases


@settings(max_examples=150, deadline=None)
@given(cases())
def test_explanation_verdict_equals_engine(case):
    scenario_data, manifests = case
    scenario = build(scenario_data)
    policies = [NetworkPolicy.from_manifest(m) for m in manifests]
    table = ReachabilityModel(scenario, policies).table(PORTS)
    for i, j in table.pairs():
        src, dst = table.endpoints[i], table.endpoints[j]
        for port, protocol in PORTS:
            e = explain_connection(scenario, policies, src, dst, port, protocol)
            assert e.allowed == table.allowed(src.key, dst.key, port, protocol), e.lines()


SCENARIO = {
    "namespaces": [{"name": "shop", "labels": {"team": "a"}}],
    "pods": [
        {
            "name": "api",
            "namespace": "shop",
            "labels": {"app": "api"},
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    ],
    "externals": [{"name": "internet", "ip": "93.184.216.34"}],
}

POLICIES = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    ports:
    - port: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
"""


def test_admitted_connection_names_rule_and_line():
    w = make_world(SCENARIO, POLICIES)
    e = w.explain("shop/web", "shop/api", 8080)
    # web is egress-isolated by a policy with no egress rules: denied at the source
    assert not e.allowed
    assert "web-out has Egress in policyTypes but no egress rules" in e.egress.describe()
    assert e.ingress.allowed
    assert "ingress rule 1 of shop/api-in (line 7) allows" in e.ingress.describe()


def test_denied_connection_lists_near_misses():
    w = make_world(SCENARIO, POLICIES)
    e = w.explain("internet", "shop/api", 8080)
    assert not e.allowed
    text = e.ingress.describe()
    assert "isolated for ingress by policy shop/api-in" in text
    assert "admits pods with app=web of namespace shop, and internet is not one of them" in text
    e = w.explain("shop/api", "shop/api", 9090)
    assert "matches shop/api" not in e.ingress.describe()  # wrong peer and wrong port
    assert "neither the peer nor the port match" in e.ingress.describe()


def test_open_side_and_outside_host():
    w = make_world(SCENARIO, POLICIES)
    e = w.explain("shop/api", "internet", 443)
    assert e.allowed
    assert "not isolated for egress" in e.egress.describe()
    assert "outside the cluster" in e.ingress.describe()
    assert e.to_dict()["ingress"]["isolatedBy"] == []


def test_note_when_nothing_listens():
    w = make_world(SCENARIO, "")
    e = w.explain("shop/web", "shop/api", 9999)
    assert e.allowed
    assert any("declares no container port 9999/TCP" in n for n in e.notes)


def test_pod_admitted_only_by_an_ip_block_carries_the_plugin_note():
    by_cidr = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - ipBlock: {cidr: 0.0.0.0/0}
"""
    w = make_world(SCENARIO, by_cidr)
    pod = w.explain("shop/web", "shop/api", 8080)
    assert pod.allowed
    [note] = [n for n in pod.notes if "ipBlock" in n]
    assert "shop/web is a pod" in note and "Cilium" in note
    outside = w.explain("internet", "shop/api", 8080)  # what ipBlock is meant for: no note
    assert outside.allowed and not any("ipBlock" in n for n in outside.notes)
    # A selector peer of the same rule that admits the pod too: the note is not needed.
    both = by_cidr + "    - podSelector: {matchLabels: {app: web}}\n"
    pod = make_world(SCENARIO, both).explain("shop/web", "shop/api", 8080)
    assert pod.allowed and not any("ipBlock" in n for n in pod.notes)
