"""Shape checks against the strict OpenAPI schema, with kubectl-style paths."""

from __future__ import annotations

import pytest

from k8slearn.manifests.loader import load_manifests
from k8slearn.manifests.schema import check_shape, identify

SEED_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: my-network-policy
spec:
  podSelector:
    matchLabels:
      app: MyApp
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: MyApp
          ports:
            - protocol: TCP
              port: 6379
  egres:
    - to: []
"""


def shape(text: str):
    doc = load_manifests(text).documents[0]
    api_version, kind, problems = identify(doc)
    if kind:
        problems += check_shape(doc, api_version, kind)
    return problems


def test_the_classic_broken_policy():
    problems = shape(SEED_POLICY)
    assert [(p.field, p.line) for p in problems] == [
        ("spec.ingress[0].from[0].ports", 16),
        ("spec.egres", 19),
    ]
    assert "belongs to the rule, one level up" in problems[0].hint
    assert "did you mean `egress`" in problems[1].hint


@pytest.mark.parametrize(
    ("snippet", "field", "words"),
    [
        ("  ports: [{port: '80'}]\n", "spec.ports[0].port", "remove the quotes"),
        (
            "  ports: [{port: 80, targetPort: [1]}]\n",
            "spec.ports[0].targetPort",
            "port number or a port name",
        ),
        ("  ports: {port: 80}\n", "spec.ports", "start each item"),
        ("  selector: {matchLabels: {app: web}}\n", "spec.selector.matchLabels", "plain map"),
        ("  selector: {enabled: true}\n", "spec.selector.enabled", "quote it"),
        (
            "  ports: [{port: 80, containerPort: 8080}]\n",
            "spec.ports[0].containerPort",
            "targetPort",
        ),
        ("  Type: NodePort\n", "spec.Type", "did you mean `type`"),
    ],
)
def test_service_shape_mistakes(snippet, field, words):
    problems = shape("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n" + snippet)
    assert [p.field for p in problems] == [field]
    assert words in problems[0].text()


def test_int_or_string_accepts_both():
    ok = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n"
    assert shape(ok + "  - {port: 80, targetPort: http}\n") == []
    assert shape(ok + "  - {port: 80, targetPort: 8080}\n") == []


def test_identify_explains_missing_and_wrong_kinds():
    assert [p.field for p in shape("metadata: {name: x}\n")] == ["kind", "apiVersion"]
    problems = shape("apiVersion: v1\nkind: NetworkPolicy\nmetadata: {name: x}\n")
    assert "networking.k8s.io/v1" in problems[0].hint
    problems = shape("apiVersion: v1\nkind: service\nmetadata: {name: x}\n")
    assert "did you mean `Service`" in problems[0].hint
    problems = shape("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert "unknown kind" in problems[0].message


def test_metadata_name_is_required():
    problems = shape("apiVersion: v1\nkind: Service\nspec: {ports: [{port: 80}]}\n")
    assert [p.field for p in problems] == ["metadata.name"]


def test_peer_and_rule_slips():
    problems = shape(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n"
        "spec:\n  podSelector: {}\n  ingress:\n  - podSelector: {}\n"
    )
    assert problems[0].field == "spec.ingress[0].podSelector"
    assert "inside `from:`" in problems[0].hint


def test_every_kind_validates_a_plain_example():
    examples = [
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {team: a}}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - {name: c, image: nginx, ports: [{containerPort: 80, name: http}]}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n"
        "  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n",
    ]
    for text in examples:
        assert shape(text) == [], text
