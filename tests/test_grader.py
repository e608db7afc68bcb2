"""The grader: answers that behave the same pass, answers that don't fail and say why.

Each test builds a small Exercise around one scenario (or takes one from the
built-in pack) and grades answer texts with `Grader(exercise).grade(text)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from k8slearn.grading.grader import Grade, Grader
from k8slearn.grading.lints import lint
from k8slearn.manifests.validate import validate_text
from k8slearn.packs.library import load_library
from k8slearn.packs.model import Exercise

SCENARIO: dict[str, Any] = {
    "namespaces": [
        {"name": "shop", "labels": {"team": "a"}},
        {"name": "monitoring", "labels": {"team": "ops"}},
        {"name": "dev"},
    ],
    "pods": [
        {
            "name": "web-1",
            "namespace": "shop",
            "labels": {"app": "web", "track": "stable"},
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {
            "name": "web-2",
            "namespace": "shop",
            "labels": {"app": "web", "track": "canary"},
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {
            "name": "web-3",
            "namespace": "shop",
            "labels": {"app": "web", "track": "stable"},
            "ready": False,
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {
            "name": "db",
            "namespace": "shop",
            "labels": {"app": "db"},
            "ports": [{"containerPort": 5432}],
        },
        {"name": "prometheus", "namespace": "monitoring", "labels": {"app": "prometheus"}},
        {"name": "grafana", "namespace": "monitoring", "labels": {"app": "grafana"}},
        {"name": "prometheus", "namespace": "dev", "labels": {"app": "prometheus"}},
        {"name": "client", "labels": {"app": "client"}},
        {
            "name": "coredns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns"},
            "ports": [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 53}],
        },
    ],
    "externals": [{"name": "internet", "ip": "93.184.216.34"}],
}


def exercise(expect: list[dict[str, Any]], solution: str = "unused: true\n") -> Exercise:
    return Exercise(
        id="t",
        title="t",
        prompt="p",
        scenario=SCENARIO,
        expect=expect,
        solution=solution,
        file=Path("t.yaml"),
        pack_id="test",
    )


def grade(expect: list[dict[str, Any]], answer: str, solution: str = "unused: true\n") -> Grade:
    return Grader(exercise(expect, solution)).grade(answer)


def lineno(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line of `text` that contains `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def failures(g: Grade) -> str:
    return "\n".join(f"{c.name}: {c.message} (line {c.line})" for c in g.failed_checks())


def only_failure(g: Grade):
    failed = g.failed_checks()
    assert len(failed) == 1, failures(g)
    return failed[0]


# -- answers that behave the same pass -------------------------------------------------------

SVC_SOLUTION = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""

SVC_EXPECT = [
    {"resource": {"kind": "Service", "name": "web", "namespace": "shop"}},
    {
        "service": "shop/web",
        "port": 80,
        "endpoints": ["shop/web-1", "shop/web-2"],
        "targetPort": 8080,
        "type": "ClusterIP",
    },
    {
        "connectivity": [
            {"from": "default/client", "to": "svc:shop/web", "port": 80, "allowed": True}
        ]
    },
    {"reachability": "solution"},
]

SVC_VARIANTS = {
    "key order": """\
spec:
  ports:
    - targetPort: 8080
      port: 80
      name: http
  selector:
    app: web
metadata:
  namespace: shop
  name: web
kind: Service
apiVersion: v1
""",
    "explicit defaults": """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: ClusterIP
  sessionAffinity: None
  selector:
    app: web
  ports:
    - name: http
      protocol: TCP
      port: 80
      targetPort: 8080
""",
    "json": json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
            },
        },
        indent=2,
    ),
    "named targetPort": SVC_SOLUTION.replace("targetPort: 8080", "targetPort: http"),
    "harmless extra objects": SVC_SOLUTION
    + """\
---
apiVersion: v1
kind: Namespace
metadata:
  name: sandbox
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: sandbox
spec:
  ports:
    - port: 7
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
spec:
  selector:
    app: db
  ports:
    - port: 5432
""",
}


@pytest.mark.parametrize("variant", sorted(SVC_VARIANTS))
def test_service_answers_written_differently_pass(variant):
    g = grade(SVC_EXPECT, SVC_VARIANTS[variant], solution=SVC_SOLUTION)
    assert g.passed, failures(g)
    assert [c.name for c in g.checks] == [
        "valid manifests",
        "Service shop/web exists",
        "Service shop/web",
        "default/client → svc:shop/web:80",
        "whole truth table",
    ]
    assert all(c.passed for c in g.checks)


def test_service_variant_that_behaves_differently_fails():
    # The control for the variants above: a named targetPort the pods do not declare.
    g = grade(SVC_EXPECT, SVC_SOLUTION.replace("targetPort: 8080", "targetPort: web"), SVC_SOLUTION)
    assert not g.passed
    assert any("no container port named 'web'" in c.message for c in g.failed_checks())


POLICY_SOLUTION = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: ops
          podSelector:
            matchLabels:
              app: prometheus
        - podSelector:
            matchLabels:
              app: web
      ports:
        - port: 5432
"""

POLICY_EXPECT = [
    {"resource": {"kind": "NetworkPolicy", "name": "db-allow", "namespace": "shop"}},
    {
        "connectivity": [
            {"from": "monitoring/prometheus", "to": "shop/db", "port": 5432, "allowed": True},
            {"from": "shop/web-1", "to": "shop/db", "port": 5432, "allowed": True},
            {"from": "monitoring/grafana", "to": "shop/db", "port": 5432, "allowed": False},
            {"from": "dev/prometheus", "to": "shop/db", "port": 5432, "allowed": False},
            {"from": "shop/web-1", "to": "shop/db", "port": 22, "allowed": False},
        ]
    },
    {"reachability": "solution"},
]

TWO_POLICIES = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: ops
          podSelector:
            matchLabels:
              app: prometheus
      ports:
        - port: 5432
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - port: 5432
"""

POLICY_VARIANTS = {
    "key order": """\
spec:
  ingress:
    - ports:
        - port: 5432
      from:
        - podSelector:
            matchLabels:
              app: web
        - podSelector:
            matchLabels:
              app: prometheus
          namespaceSelector:
            matchLabels:
              team: ops
  podSelector:
    matchLabels:
      app: db
metadata:
  namespace: shop
  name: db-allow
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
""",
    "explicit defaults": POLICY_SOLUTION.replace(
        "  ingress:\n", "  policyTypes:\n    - Ingress\n  ingress:\n"
    ).replace("        - port: 5432", "        - protocol: TCP\n          port: 5432"),
    "json": json.dumps(yaml.safe_load(POLICY_SOLUTION)),
    "matchExpressions": """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow
  namespace: shop
spec:
  podSelector:
    matchExpressions:
      - {key: app, operator: In, values: [db]}
  ingress:
    - from:
        - namespaceSelector:
            matchExpressions:
              - {key: team, operator: In, values: [ops]}
          podSelector:
            matchExpressions:
              - {key: app, operator: In, values: [prometheus]}
        - podSelector:
            matchExpressions:
              - {key: app, operator: In, values: [web]}
      ports:
        - port: 5432
""",
    "two policies": TWO_POLICIES,
    "harmless extra objects": POLICY_SOLUTION
    + """\
---
apiVersion: v1
kind: Namespace
metadata:
  name: sandbox
  labels:
    team: sandbox
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
spec:
  selector:
    app: db
  ports:
    - port: 5432
""",
}


@pytest.mark.parametrize("variant", sorted(POLICY_VARIANTS))
def test_policy_answers_written_differently_pass(variant):
    text = POLICY_VARIANTS[variant]
    assert text.strip() != POLICY_SOLUTION.strip()
    g = grade(POLICY_EXPECT, text, solution=POLICY_SOLUTION)
    assert g.passed, failures(g)
    assert any(c.name == "whole truth table" and c.passed for c in g.checks)


def test_policy_extra_object_that_changes_behaviour_fails():
    harmful = (
        POLICY_SOLUTION
        + """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-shop
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""
    )
    g = grade(POLICY_EXPECT, harmful, solution=POLICY_SOLUTION)
    assert not g.passed
    table = next(c for c in g.checks if c.name == "whole truth table")
    assert not table.passed
    assert "should be allowed" in table.message


def test_only_one_of_two_policies_fails():
    first_only = TWO_POLICIES.split("---")[0]
    g = grade(POLICY_EXPECT, first_only, solution=POLICY_SOLUTION)
    failed = g.failed_checks()
    assert [c.name for c in failed] == ["shop/web-1 → shop/db:5432", "whole truth table"]
    assert "shop/web-1 cannot reach shop/db:5432 but should" in failed[0].message


# -- refused answers ---------------------------------------------------------------------------


def test_invalid_answer_fails_with_only_the_valid_manifests_check_and_its_line():
    text = SVC_SOLUTION.replace("      port: 80", "      port: 80\n      bogus: 1")
    g = grade(SVC_EXPECT, text, SVC_SOLUTION)
    assert not g.passed
    assert len(g.checks) == 1
    check = g.checks[0]
    assert check.name == "valid manifests" and not check.passed
    assert check.line == lineno(text, "bogus")
    assert f"line {check.line}:" in check.message
    assert 'unknown field "bogus"' in check.message
    assert g.problems and g.problems[0].line == check.line


def test_yaml_syntax_error_and_empty_answer_are_refused():
    g = grade(SVC_EXPECT, "apiVersion: v1\nkind: [Service\n", SVC_SOLUTION)
    assert [c.name for c in g.checks] == ["valid manifests"]
    assert "YAML syntax error" in g.checks[0].message
    g = grade(SVC_EXPECT, "", SVC_SOLUTION)
    assert [c.name for c in g.checks] == ["valid manifests"]
    assert "no manifest" in g.checks[0].message


def test_one_invalid_document_refuses_the_whole_answer():
    text = SVC_SOLUTION + "---\n" + POLICY_SOLUTION.replace("ingress:", "ingres:")
    g = grade(SVC_EXPECT, text, SVC_SOLUTION)
    assert len(g.checks) == 1 and not g.passed
    assert g.checks[0].line == lineno(text, "ingres:")
    assert "ingres" in g.checks[0].message


def test_classic_broken_policy_from_the_builtin_pack_is_refused_on_both_lines():
    library = load_library()
    ex, why = library.find("services-networking/netpol-fix-classic")
    assert ex is not None, why
    g = Grader(ex).grade(ex.starter)
    assert [c.name for c in g.checks] == ["valid manifests"]
    message = g.checks[0].message
    assert "2 problems" in message
    ports_line = lineno(ex.starter, "ports:")
    egres_line = lineno(ex.starter, "egres:")
    assert f"line {ports_line}:" in message and f"line {egres_line}:" in message
    assert "egress" in message  # the did-you-mean
    assert g.checks[0].line == ports_line
    assert Grader(ex).grade(ex.solution).passed


def test_manifest_without_namespace_lands_in_default():
    text = SVC_SOLUTION.replace("  namespace: shop\n", "").replace("app: web", "app: client")
    expect = [
        {"resource": {"kind": "Service", "name": "web"}},
        {"resource": {"kind": "Service", "name": "web", "namespace": "default"}},
        {"service": "default/web", "endpoints": ["default/client"]},
    ]
    g = grade(expect, text)
    assert g.passed, failures(g)
    assert g.world is not None and g.world.services.get("default/web") is not None


def test_namespace_the_scenario_lacks_is_refused():
    text = SVC_SOLUTION.replace("namespace: shop", "namespace: x")
    g = grade(SVC_EXPECT, text, SVC_SOLUTION)
    assert len(g.checks) == 1 and not g.passed
    assert 'namespaces "x" not found' in g.checks[0].message
    assert g.checks[0].line == lineno(text, "namespace: x")


def test_namespace_created_by_the_answer_is_accepted():
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n" + SVC_SOLUTION.replace(
        "namespace: shop", "namespace: x"
    )
    g = grade([{"resource": {"kind": "Service", "name": "web", "namespace": "x"}}], text)
    assert g.passed, failures(g)


# -- resource ----------------------------------------------------------------------------------

LABELLED_SVC = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
spec:
  selector:
    app: web
  ports:
    - name: metrics
      port: 9090
    - name: http
      port: 80
      targetPort: 8080
"""

RESOURCE_FIELDS = {
    "resource": {"kind": "Service", "name": "web", "namespace": "shop"},
    "fields": {
        "spec.type": "ClusterIP",  # defaulted
        "spec.ports[0].protocol": "TCP",  # defaulted
        "spec.ports[0].targetPort": 9090,  # defaulted to the port
        "spec.ports[name=http].targetPort": 8080,
        "spec.ports[1].port": 80,
        'metadata.labels["app.kubernetes.io/name"]': "web",
    },
}


def test_resource_fields_pass_after_defaulting_with_every_path_form():
    g = grade([RESOURCE_FIELDS], LABELLED_SVC)
    assert g.passed, failures(g)
    assert g.checks[1].name == "Service shop/web exists"
    assert "spec.ports[name=http].targetPort" in g.checks[1].message


def test_resource_field_wrong_names_the_path_values_and_line():
    text = LABELLED_SVC.replace("targetPort: 8080", "targetPort: 80")
    check = only_failure(grade([RESOURCE_FIELDS], text))
    assert check.name == "Service shop/web fields"
    assert check.message == "`spec.ports[name=http].targetPort` is 80; it should be 8080"
    assert check.line == lineno(text, "targetPort: 80")


def test_resource_field_not_set_names_the_path_and_nearest_line():
    text = LABELLED_SVC.replace("  labels:\n    app.kubernetes.io/name: web\n", "")
    check = only_failure(grade([RESOURCE_FIELDS], text))
    assert (
        check.message
        == '`metadata.labels["app.kubernetes.io/name"]` is not set; it should be "web"'
    )
    assert check.line == lineno(text, "metadata:")


def test_resource_missing_lists_what_the_answer_has():
    text = LABELLED_SVC.replace("name: web\n  namespace", "name: webb\n  namespace")
    check = only_failure(grade([RESOURCE_FIELDS], text))
    assert check.name == "Service shop/web exists"
    assert (
        check.message
        == "there is no Service named web in namespace shop (your answer has Service shop/webb)"
    )


def test_resource_in_wrong_namespace_says_where_it_is_and_where_it_belongs():
    text = LABELLED_SVC.replace("namespace: shop", "namespace: dev")
    check = only_failure(grade([RESOURCE_FIELDS], text))
    assert "Service web is in namespace dev, but it belongs in namespace shop" in check.message
    assert "`metadata.namespace: shop`" in check.message
    assert check.line == lineno(text, "metadata:")


def test_resource_check_for_a_cluster_scoped_namespace():
    text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: sandbox\n  labels:\n    team: b\n"
    check = {
        "resource": {"kind": "Namespace", "name": "sandbox"},
        "fields": {"metadata.labels.team": "b"},
    }
    assert grade([check], text).passed
    failed = only_failure(grade([check], text.replace("team: b", "team: c")))
    assert failed.message == '`metadata.labels.team` is "c"; it should be "b"'


def test_resource_field_value_types_are_not_coerced():
    # 8080 and "8080" are different intstr values; true is not 1.
    check = {
        "resource": {"kind": "Service", "name": "web", "namespace": "shop"},
        "fields": {"spec.ports[name=http].targetPort": "8080"},
    }
    failed = only_failure(grade([check], LABELLED_SVC))
    assert 'should be "8080"' in failed.message


# -- service -----------------------------------------------------------------------------------


def svc(spec: str, name: str = "web", namespace: str = "shop") -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n{spec}"


WEB_SPEC = """\
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""


def test_service_endpoints_pass_as_a_set():
    check = {"service": "shop/web", "port": 80, "endpoints": ["shop/web-2", "shop/web-1"]}
    g = grade([check], svc(WEB_SPEC))
    assert g.passed, failures(g)
    assert g.checks[1].message == "shop/web behaves as expected (port, endpoints)"


def test_service_endpoints_missing_pod_is_named_with_why():
    text = svc(WEB_SPEC.replace("app: web", "app: web\n    track: canary"))
    check = {"service": "shop/web", "port": 80, "endpoints": ["shop/web-1", "shop/web-2"]}
    failed = only_failure(grade([check], text))
    assert failed.name == "Service shop/web"
    assert failed.message.startswith("endpoints are shop/web-2: ")
    assert (
        "shop/web-1 is not an endpoint: the selector app=web,track=canary does not match its "
        "labels (app=web,track=stable)"
    ) in failed.message
    assert failed.line == lineno(text, "spec:")


@pytest.mark.parametrize(
    ("spec", "expected", "why"),
    [
        (WEB_SPEC, "shop/web-3", "shop/web-3 is not an endpoint: it is not ready"),
        (
            WEB_SPEC,
            "monitoring/prometheus",
            "a Service only selects pods of its own namespace (shop)",
        ),
        (WEB_SPEC, "shop/nope", "shop/nope is not an endpoint: no such pod in the scenario"),
        (
            WEB_SPEC.replace("targetPort: 8080", "targetPort: web"),
            "shop/web-1",
            "shop/web-1 is not an endpoint: it has no container port named 'web' (TCP)",
        ),
        (
            "  ports:\n    - port: 80\n",
            "shop/web-1",
            "the Service has no selector and no EndpointSlice labelled kubernetes.io/service-name: web",
        ),
    ],
)
def test_service_endpoint_reasons(spec, expected, why):
    check = {"service": "shop/web", "port": 80, "endpoints": [expected]}
    failed = only_failure(grade([check], svc(spec)))
    assert why in failed.message


def test_service_extra_endpoint_is_named():
    check = {"service": "shop/web", "port": 80, "endpoints": ["shop/web-1"]}
    failed = only_failure(grade([check], svc(WEB_SPEC)))
    assert "shop/web-2 is an endpoint but should not be" in failed.message


def test_service_target_port_is_compared_as_the_resolved_container_port():
    check = {"service": "shop/web", "port": 80, "targetPort": 8080}
    assert grade([check], svc(WEB_SPEC.replace("targetPort: 8080", "targetPort: http"))).passed
    failed = only_failure(
        grade([check], svc(WEB_SPEC.replace("targetPort: 8080", "targetPort: 80")))
    )
    assert failed.message == (
        "port 80 sends traffic to container port 80; it should reach 8080 "
        "(targetPort is the container's port, port is the Service's)"
    )


def test_service_target_port_without_backends():
    check = {"service": "shop/web", "port": 80, "targetPort": 8080}
    no_selector = "  ports:\n    - port: 80\n      targetPort: 9999\n"
    assert only_failure(grade([check], svc(no_selector))).message == (
        "targetPort is 9999; it should be 8080"
    )
    unresolved = WEB_SPEC.replace("targetPort: 8080", "targetPort: web")
    assert (
        "targetPort 'web' resolves on no pod"
        in only_failure(grade([check], svc(unresolved))).message
    )


def test_service_port_and_protocol_select_the_port():
    two_ports = (
        WEB_SPEC + "    - name: dns\n      port: 53\n      protocol: UDP\n      targetPort: 8080\n"
    )
    ok = {"service": "shop/web", "port": 53, "protocol": "UDP", "targetPort": 8080}
    assert grade([ok], svc(two_ports)).passed
    missing = {"service": "shop/web", "port": 443, "endpoints": ["shop/web-1"]}
    failed = only_failure(grade([missing], svc(two_ports)))
    assert failed.message == "shop/web has no port 443/TCP (it has 80/TCP (http), 53/UDP (dns))"
    wrong_protocol = {"service": "shop/web", "port": 80, "protocol": "UDP", "targetPort": 8080}
    assert "has no port 80/UDP" in only_failure(grade([wrong_protocol], svc(two_ports))).message


def test_service_type():
    check = {"service": "shop/web", "type": "NodePort"}
    assert grade([check], svc("  type: NodePort\n" + WEB_SPEC)).passed
    assert only_failure(grade([check], svc(WEB_SPEC))).message == (
        "type is ClusterIP; it should be NodePort"
    )


def test_service_node_port():
    check = {"service": "shop/web", "port": 80, "nodePort": 30080}
    node_port = "  type: NodePort\n" + WEB_SPEC + "      nodePort: 30080\n"
    assert grade([check], svc(node_port)).passed
    other = node_port.replace("30080", "30081")
    assert only_failure(grade([check], svc(other))).message == (
        "port 80/TCP (http) is on nodePort 30081; it should be 30080"
    )
    assert only_failure(grade([check], svc(WEB_SPEC))).message == (
        "port 80/TCP (http) has no nodePort (type ClusterIP); it should be 30080"
    )


def test_service_external_name():
    check = {"service": "shop/db", "externalName": "db.example.com", "type": "ExternalName"}
    alias = svc("  type: ExternalName\n  externalName: db.example.com.\n", name="db")
    g = grade([check], alias)
    assert g.passed, failures(g)
    wrong = alias.replace("db.example.com.", "db.example.org")
    assert only_failure(grade([check], wrong)).message == (
        "shop/db should be an alias for db.example.com (type ExternalName)"
    )
    plain = svc(WEB_SPEC, name="db")
    message = only_failure(grade([check], plain)).message
    assert "type is ClusterIP; it should be ExternalName" in message
    assert "alias for db.example.com" in message


@pytest.mark.parametrize(
    "name",
    ["web.shop.svc.cluster.local", "web.shop.svc", "web.shop", "web.shop.svc.cluster.local."],
)
def test_service_dns_accepts_every_form_of_its_name(name):
    assert grade([{"service": "shop/web", "dns": name}], svc(WEB_SPEC)).passed


def test_service_dns_wrong_name():
    failed = only_failure(
        grade([{"service": "shop/web", "dns": "web.default.svc.cluster.local"}], svc(WEB_SPEC))
    )
    assert failed.message == (
        "web.default.svc.cluster.local does not resolve to this Service; its name is "
        "web.shop.svc.cluster.local"
    )


def test_service_headless_both_ways():
    headless = svc("  clusterIP: None\n" + WEB_SPEC)
    assert grade([{"service": "shop/web", "headless": True}], headless).passed
    assert grade([{"service": "shop/web", "headless": False}], svc(WEB_SPEC)).passed
    assert (
        "`clusterIP: None`"
        in only_failure(grade([{"service": "shop/web", "headless": True}], svc(WEB_SPEC))).message
    )
    assert (
        "it is headless"
        in only_failure(grade([{"service": "shop/web", "headless": False}], headless)).message
    )


def test_service_missing_or_elsewhere():
    check = {"service": "shop/web", "endpoints": ["shop/web-1"]}
    failed = only_failure(grade([check], svc(WEB_SPEC, namespace="dev")))
    assert failed.message == (
        "there is no Service web in namespace shop; there is dev/web: check `metadata.namespace`"
    )
    failed = only_failure(grade([check], svc(WEB_SPEC, name="other")))
    assert failed.message == "there is no Service web in namespace shop"


def test_service_several_failures_in_one_message():
    check = {"service": "shop/web", "port": 80, "type": "NodePort", "targetPort": 9090}
    message = only_failure(grade([check], svc(WEB_SPEC))).message
    assert "type is ClusterIP; it should be NodePort" in message
    assert "it should reach 9090" in message


# -- connectivity ------------------------------------------------------------------------------

DENY_CANARY = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-canary
  namespace: shop
spec:
  podSelector:
    matchLabels:
      track: canary
  policyTypes:
    - Ingress
"""


def test_connectivity_to_a_service_needs_every_backend_to_answer():
    text = svc(WEB_SPEC) + DENY_CANARY
    want = [
        {
            "connectivity": [
                {"from": "default/client", "to": "svc:shop/web", "port": 80, "allowed": True}
            ]
        }
    ]
    failed = only_failure(grade(want, text))
    assert failed.name == "default/client → svc:shop/web:80"
    assert failed.message.startswith(
        "default/client should reach shop/web:80 but backend shop/web-2 refuses it on 8080: "
    )
    assert "isolated for ingress by policy shop/deny-canary" in failed.message
    assert failed.line == lineno(text, "spec:", 2)


def test_connectivity_to_a_service_denied_needs_no_backend_to_answer():
    text = svc(WEB_SPEC) + DENY_CANARY
    deny = [
        {
            "connectivity": [
                {"from": "default/client", "to": "svc:shop/web", "port": 80, "allowed": False}
            ]
        }
    ]
    failed = only_failure(grade(deny, text))
    assert (
        "default/client can reach shop/web:80 (backend shop/web-1:8080) but should not"
        in failed.message
    )
    assert "nothing isolates" in failed.message
    deny_all = text.replace("track: canary", "app: web")
    g = grade(deny, deny_all)
    assert g.passed, failures(g)
    assert g.checks[1].message == "denied, as expected"


def test_connectivity_to_a_service_allowed_names_who_answered():
    ok = [
        {
            "connectivity": [
                {"from": "default/client", "to": "svc:shop/web", "port": 80, "allowed": True}
            ]
        }
    ]
    g = grade(ok, svc(WEB_SPEC))
    assert g.passed
    assert g.checks[1].message == "allowed: answered by shop/web-1, shop/web-2"


def test_connectivity_to_a_service_without_endpoints_or_port():
    want = [
        {
            "connectivity": [
                {"from": "default/client", "to": "svc:shop/web", "port": 80, "allowed": True}
            ]
        }
    ]
    no_match = svc(WEB_SPEC.replace("app: web", "app: nope"))
    assert only_failure(grade(want, no_match)).message == (
        "default/client cannot reach shop/web: shop/web has no endpoints on port 80/TCP (http)."
    )
    other_port = svc(WEB_SPEC.replace("port: 80\n", "port: 81\n"))
    assert "shop/web has no port 80/TCP" in only_failure(grade(want, other_port)).message
    missing = [
        {
            "connectivity": [
                {"from": "default/client", "to": "svc:shop/nope", "port": 80, "allowed": True}
            ]
        }
    ]
    assert only_failure(grade(missing, svc(WEB_SPEC))).message == (
        "there is no Service shop/nope, so nothing answers there"
    )


def test_connectivity_pod_to_pod_and_to_outside_hosts():
    deny_egress = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: no-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Egress]
"""
    cells = [
        {"from": "shop/web-1", "to": "internet", "port": 443, "allowed": False},
        {"from": "internet", "to": "shop/web-1", "port": 8080, "allowed": True},
        {"from": "default/client", "to": "shop/db", "port": 5432, "allowed": True},
        {
            "from": "shop/web-1",
            "to": "kube-system/coredns",
            "port": 53,
            "protocol": "UDP",
            "allowed": False,
        },
    ]
    g = grade([{"connectivity": cells}], deny_egress)
    assert g.passed, failures(g)
    assert [c.name for c in g.checks[1:]] == [
        "shop/web-1 → internet:443",
        "internet → shop/web-1:8080",
        "default/client → shop/db:5432",
        "shop/web-1 → kube-system/coredns:53/UDP",
    ]
    flipped = [{**cell, "allowed": not cell["allowed"]} for cell in cells]
    g = grade([{"connectivity": flipped}], deny_egress)
    assert [c.passed for c in g.checks[1:]] == [False] * 4
    first = g.checks[1]
    assert first.message.startswith("shop/web-1 cannot reach internet:443 but should: ")
    assert "isolated for egress by policy shop/no-egress" in first.message
    assert first.line == lineno(deny_egress, "spec:")
    assert "nothing isolates" in g.checks[2].message


def test_connectivity_unknown_endpoints():
    cells = [
        {"from": "shop/ghost", "to": "shop/db", "port": 5432, "allowed": True},
        {"from": "shop/web-1", "to": "shop/ghost", "port": 5432, "allowed": True},
    ]
    g = grade([{"connectivity": cells}], svc(WEB_SPEC))
    assert (
        g.checks[1].message == "shop/ghost is not a pod (ns/name) or outside host of the scenario"
    )
    assert g.checks[2].message == (
        "shop/ghost is not a pod, svc:<ns>/<name> or outside host of the scenario"
    )


SPLIT_PEER = POLICY_SOLUTION.replace(
    "          podSelector:\n            matchLabels:\n              app: prometheus",
    "        - podSelector:\n            matchLabels:\n              app: prometheus",
)


def test_split_peer_failure_names_the_rule_line_and_says_peers_are_ored():
    assert SPLIT_PEER.count("- podSelector") == 2
    want = [
        {
            "connectivity": [
                {"from": "monitoring/grafana", "to": "shop/db", "port": 5432, "allowed": False}
            ]
        }
    ]
    failed = only_failure(grade(want, SPLIT_PEER))
    rule_line = lineno(SPLIT_PEER, "- from:")
    pod_line = lineno(SPLIT_PEER, "- podSelector:")
    assert failed.line == rule_line
    assert failed.message.startswith("monitoring/grafana can reach shop/db:5432 but should not: ")
    assert (
        f"ingress rule 1 of shop/db-allow (line {rule_line}) admits every pod of namespaces with team=ops"
        in failed.message
    )
    assert "they are ORed" in failed.message
    assert f"remove the `-` before podSelector (line {pod_line})" in failed.message


# -- reachability ------------------------------------------------------------------------------


def test_reachability_pass_counts_the_cells_compared():
    g = grade([{"reachability": "solution"}], POLICY_SOLUTION, POLICY_SOLUTION)
    # 9 pods + 1 outside host: 10 * 10 - 1 pairs, on 8080, 5432, 53/UDP and 53/TCP.
    assert g.checks[1].message.startswith("all 396 connections match the solution's, and so do ")
    assert g.checks[1].message.endswith(
        " more with pods, namespaces, addresses and ports this scenario does not have"
    )
    narrow = {"reachability": {"compare": "solution", "over": "scenario"}}
    g = grade([narrow], POLICY_SOLUTION, POLICY_SOLUTION)
    assert g.checks[1].message == "all 396 connections match the solution's"


def test_reachability_names_the_differences_with_their_count():
    g = grade([{"reachability": "solution"}], SPLIT_PEER, POLICY_SOLUTION)
    failed = only_failure(g)
    assert failed.name == "whole truth table"
    assert failed.message.startswith(
        "1 connection(s) differ from the solution's: "
        "monitoring/grafana → shop/db:5432/TCP is allowed but should be denied. First one: "
    )
    assert "they are ORed" in failed.message
    assert failed.line == lineno(SPLIT_PEER, "- from:")


def test_reachability_many_differences_are_summarised():
    # No policy at all: everyone reaches db on every probed port.
    answer = svc(WEB_SPEC)
    failed = only_failure(grade([{"reachability": "solution"}], answer, POLICY_SOLUTION))
    # Denied by the solution: 8 pods + internet on 4 ports, minus what it allows
    # (5432 from monitoring/prometheus, web-1, web-2, web-3, and db to itself on
    # every port, which no policy can block): 40 - 4 - 4 = 32 cells.
    assert failed.message.startswith("32 connection(s) differ from the solution's: ")
    assert "is allowed but should be denied" in failed.message
    assert "(and 28 more)" in failed.message
    # db listens on 5432: the cells on that port are listed first, they read best.
    assert failed.message.startswith(
        "32 connection(s) differ from the solution's: monitoring/grafana → shop/db:5432/TCP"
    )
    assert failed.message.endswith(
        "First one: nothing isolates monitoring/grafana or shop/db for this direction, "
        "so all traffic is allowed"
    )


def test_reachability_compares_declared_ports_and_connectivity_ports():
    ex = exercise(
        [
            {
                "connectivity": [
                    {"from": "default/client", "to": "shop/db", "port": 6379, "allowed": True}
                ]
            },
            {"reachability": "solution"},
        ],
        POLICY_SOLUTION,
    )
    assert Grader(ex).probe_ports() == [
        (53, "TCP"),
        (53, "UDP"),
        (5432, "TCP"),
        (6379, "TCP"),
        (8080, "TCP"),
    ]


# -- lints -------------------------------------------------------------------------------------

DENY_EGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-egress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Egress
"""

ALLOW_DNS = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
"""

ANY_CELL = [
    {"connectivity": [{"from": "shop/web-1", "to": "internet", "port": 443, "allowed": False}]}
]


def warnings_of(text: str) -> list:
    """The lints for a valid answer (the one check here only gets grading past validation)."""
    g = grade(
        [
            {
                "connectivity": [
                    {"from": "default/client", "to": "internet", "port": 1, "allowed": True}
                ]
            }
        ],
        text,
    )
    assert g.checks[0].passed, failures(g)
    return g.warnings


def test_lint_default_deny_egress_blocking_dns():
    g = grade(ANY_CELL, DENY_EGRESS)
    assert g.passed  # a lint warns, it never fails
    [w] = g.warnings
    assert w.severity == "warning"
    assert w.field == "spec.policyTypes" and w.line == lineno(DENY_EGRESS, "policyTypes:")
    assert "can no longer reach DNS" in w.message and "shop/web-1" in w.message
    clean = grade(ANY_CELL, DENY_EGRESS + ALLOW_DNS)
    assert clean.passed and clean.warnings == []


def test_lint_dns_without_a_scenario_as_in_k8slearn_validate():
    found = lint(validate_text(DENY_EGRESS).manifests)
    assert [f.problem.field for f in found] == ["spec.policyTypes"]
    assert "no egress rule allows DNS" in found[0].problem.message
    assert lint(validate_text(DENY_EGRESS + ALLOW_DNS).manifests) == []


def test_lint_empty_pod_selector_with_ingress_allow_rules():
    text = POLICY_SOLUTION.replace(
        "  podSelector:\n    matchLabels:\n      app: db\n", "  podSelector: {}\n"
    )
    [w] = warnings_of(text)
    assert w.field == "spec.podSelector" and w.line == lineno(text, "podSelector: {}")
    assert "makes this policy apply to every pod of namespace shop" in w.message
    default_deny = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n"
    assert warnings_of(default_deny) == []


def test_lint_split_peer():
    warned = [w for w in warnings_of(SPLIT_PEER) if "ORed" in w.message]
    assert len(warned) == 1
    assert warned[0].field == "spec.ingress[0].from[1]"
    assert warned[0].line == lineno(SPLIT_PEER, "- podSelector:")
    assert "remove the `-`" in warned[0].hint
    assert warnings_of(POLICY_SOLUTION) == []


def test_lint_policy_selector_matching_no_pod():
    text = POLICY_SOLUTION.replace("      app: db", "      app: dbb")
    [w] = warnings_of(text)
    assert w.field == "spec.podSelector"
    assert w.message == (
        "the podSelector (app=dbb) selects no pod of namespace shop, so this policy changes nothing"
    )


def test_lint_policy_in_the_wrong_namespace():
    text = POLICY_SOLUTION.replace("namespace: shop", "namespace: dev")
    messages = [w.message for w in warnings_of(text)]
    assert any(
        m.startswith(
            "the policy lives in namespace dev, but the pods its podSelector (app=db) matches are in shop"
        )
        for m in messages
    ), messages
    [w] = [w for w in warnings_of(text) if w.message.startswith("the policy lives")]
    assert w.line == lineno(text, "namespace: dev")


def test_lint_peers_matching_nothing():
    text = POLICY_SOLUTION.replace("team: ops", "team: opz").replace("app: web", "app: wep")
    messages = sorted(w.message for w in warnings_of(text))
    assert messages == [
        "no namespace has labels team=opz",
        "this peer (pods with app=wep of namespace shop) matches no pod",
    ]


def test_lint_service_selector_matching_no_pod_or_in_the_wrong_namespace():
    [w] = warnings_of(svc(WEB_SPEC.replace("app: web", "app: wep")))
    assert w.field == "spec.selector"
    assert w.message == "the selector app=wep matches no pod, so the Service has no endpoints"
    [w] = warnings_of(svc(WEB_SPEC, namespace="dev"))
    assert w.message.startswith(
        "the Service is in namespace dev, but the pods its selector matches are in shop"
    )
    assert w.hint == "set `metadata.namespace: shop`"
    assert warnings_of(svc(WEB_SPEC)) == []
    assert warnings_of(svc("  type: ExternalName\n  externalName: db.example.com\n")) == []


def test_grade_to_dict_shape():
    g = grade(ANY_CELL, DENY_EGRESS)
    data = g.to_dict()
    assert set(data) == {"exercise", "passed", "checks", "warnings"}
    assert data["exercise"] == "test/t" and data["passed"] is True
    assert [set(c) for c in data["checks"]] == [{"name", "passed", "message", "line"}] * 2
    assert data["warnings"][0]["line"] == lineno(DENY_EGRESS, "policyTypes:")


# -- what a prompt forbids, Services compared with the solution, kind: List --------------------


NODEPORT_SPEC = WEB_SPEC.replace("  selector:", "  type: NodePort\n  selector:")


def test_absent_fails_a_field_the_prompt_forbids():
    check = {
        "resource": {"kind": "Service", "name": "web", "namespace": "shop"},
        "absent": ["spec.ports[port=80].nodePort"],
    }
    assert grade([check], svc(NODEPORT_SPEC)).passed
    picked = svc(
        NODEPORT_SPEC.replace("targetPort: 8080", "targetPort: 8080\n      nodePort: 30080")
    )
    failed = only_failure(grade([check], picked))
    assert failed.message == (
        "`spec.ports[port=80].nodePort` is set to 30080; leave it out, as the task says"
    )
    assert failed.line == lineno(picked, "nodePort: 30080")
    # `nodePort: null` is what Go reads as unset: still absent.
    assert grade(
        [check],
        svc(NODEPORT_SPEC.replace("targetPort: 8080", "targetPort: 8080\n      nodePort: null")),
    ).passed


def test_service_compared_with_the_solution():
    check = {"service": "shop/web", "compare": "solution"}
    solution = svc(NODEPORT_SPEC)
    # Written differently, the same Service: a named targetPort, an explicit protocol.
    same = svc(NODEPORT_SPEC.replace("targetPort: 8080", "targetPort: http\n      protocol: TCP"))
    g = grade([check], same, solution)
    assert g.passed, failures(g)
    assert g.checks[1].message == "shop/web behaves as expected (the same as the solution's)"
    # A node port the solution leaves to the allocator is not a difference by itself…
    fixed = svc(
        NODEPORT_SPEC.replace("targetPort: 8080", "targetPort: 8080\n      nodePort: 30080")
    )
    assert grade([check], fixed, solution).passed
    # …but behaviour is: who may send traffic where, and how.
    local = svc(NODEPORT_SPEC + "  externalTrafficPolicy: Local\n")
    failed = only_failure(grade([check], local, solution))
    assert failed.message == "externalTrafficPolicy is Local; the solution's is Cluster"
    assert failed.line == lineno(local, "externalTrafficPolicy")
    assert grade([{**check, "ignore": ["externalTrafficPolicy"]}], local, solution).passed
    broad = svc(NODEPORT_SPEC.replace("app: web", "track: stable"))
    failed = only_failure(grade([check], broad, solution))
    assert (
        failed.message == "its selector track=stable misses shop/web-2, which the solution's picks"
    )


def test_a_list_as_kubectl_get_prints_it_is_graded_by_its_items():
    check = {"service": "shop/web", "port": 80, "endpoints": ["shop/web-1", "shop/web-2"]}
    items = svc(WEB_SPEC).replace("\n", "\n    ")
    listed = f"apiVersion: v1\nkind: List\nmetadata: {{resourceVersion: ''}}\nitems:\n  - {items}"
    g = grade([check], listed)
    assert g.passed, failures(g)
    broken = listed.replace("port: 80", "port: 0")
    failed = only_failure(grade([check], broken))
    assert f"line {lineno(broken, 'port: 0')}: spec.ports[0].port" in failed.message


def test_answers_without_a_namespace_land_in_the_current_one():
    check = {"service": "shop/web", "port": 80, "endpoints": ["shop/web-1", "shop/web-2"]}
    bare = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n" + WEB_SPEC
    from dataclasses import replace

    in_default = exercise([check])
    in_shop = replace(in_default, namespace="shop")
    assert not Grader(in_default).grade(bare).passed  # it lands in default
    assert Grader(in_shop).grade(bare).passed
    # `check -n` overrides the exercise's namespace, as `kubectl -n` overrides the context…
    assert Grader(in_default, "shop").grade(bare).passed
    # …and, like kubectl, refuses an object that names another one.
    failed = only_failure(Grader(in_default, "dev").grade(svc(WEB_SPEC)))
    assert 'the namespace from the provided object "shop" does not match the namespace "dev"' in (
        failed.message
    )


def test_a_missing_port_is_said_once():
    grader = Grader(load_library().find("clusterip-expose-web")[0])
    grade = grader.grade(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec:\n  selector: {app: web}\n  ports: [{port: 8080}]\n"
    )
    [failed] = [c for c in grade.checks if not c.passed]
    assert failed.message.count("no port 80/TCP") == 1, failed.message
