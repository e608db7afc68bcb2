"""Golden cases: the Kubernetes documentation's NetworkPolicy examples and the widely used
network-policy recipes, each transcribed into a scenario and the verdicts they promise."""

from __future__ import annotations

import pytest

from conftest import make_world

NP = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"


def allowed(w, src, dst, port, proto="TCP"):
    return w.table([(port, proto)]).allowed(src, dst, port, proto)


# -- kubernetes.io "The NetworkPolicy resource" example --------------------------------------

DOCS_SCENARIO = {
    "namespaces": [{"name": "myproject-ns", "labels": {"project": "myproject"}}, {"name": "other"}],
    "pods": [
        {"name": "db", "labels": {"role": "db"}, "ip": "10.244.0.10"},
        {"name": "frontend", "labels": {"role": "frontend"}, "ip": "10.244.0.11"},
        {"name": "backend", "labels": {"role": "backend"}, "ip": "10.244.0.12"},
        {"name": "proj", "namespace": "myproject-ns", "ip": "10.244.1.10"},
        {
            "name": "stranger",
            "namespace": "other",
            "labels": {"role": "frontend"},
            "ip": "10.244.2.10",
        },
    ],
    "externals": [
        {"name": "in-block", "ip": "172.17.0.5"},
        {"name": "in-except", "ip": "172.17.1.5"},
        {"name": "beyond-except", "ip": "172.17.2.5"},
        {"name": "egress-target", "ip": "10.0.0.7"},
        {"name": "elsewhere", "ip": "8.8.8.8"},
    ],
}

DOCS_POLICY = (
    NP
    + """
metadata: {name: test-network-policy, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24]}
        - namespaceSelector: {matchLabels: {project: myproject}}
        - podSelector: {matchLabels: {role: frontend}}
      ports: [{protocol: TCP, port: 6379}]
  egress:
    - to: [{ipBlock: {cidr: 10.0.0.0/24}}]
      ports: [{protocol: TCP, port: 5978}]
"""
)


@pytest.mark.parametrize(
    ("src", "port", "expected"),
    [
        ("default/frontend", 6379, True),
        ("default/backend", 6379, False),  # role=backend is not whitelisted
        ("myproject-ns/proj", 6379, True),  # every pod of a project=myproject namespace
        ("other/stranger", 6379, False),  # role=frontend, but podSelector alone means default only
        ("in-block", 6379, True),
        ("in-except", 6379, False),
        ("beyond-except", 6379, True),
        ("elsewhere", 6379, False),
        ("default/frontend", 80, False),  # right peer, wrong port
    ],
)
def test_docs_example_ingress(src, port, expected):
    w = make_world(DOCS_SCENARIO, DOCS_POLICY)
    assert allowed(w, src, "default/db", port) is expected


def test_docs_example_egress():
    w = make_world(DOCS_SCENARIO, DOCS_POLICY)
    assert allowed(w, "default/db", "egress-target", 5978)
    assert not allowed(w, "default/db", "egress-target", 80)
    assert not allowed(w, "default/db", "elsewhere", 5978)
    # db is egress-isolated: it cannot even reach frontend, which itself is open
    assert not allowed(w, "default/db", "default/frontend", 80)
    # other pods are untouched by the policy
    assert allowed(w, "default/frontend", "default/backend", 80)


# -- the network-policy recipes ---------------------------------------------------------------

RECIPE_SCENARIO = {
    "namespaces": [
        {"name": "prod", "labels": {"purpose": "production"}},
        {"name": "dev", "labels": {"purpose": "development"}},
    ],
    "pods": [
        {"name": "web", "labels": {"app": "web"}, "ports": [{"containerPort": 80}]},
        {"name": "api", "labels": {"app": "api", "role": "monitoring"}},
        {"name": "db", "labels": {"app": "db"}},
        {"name": "prod-mon", "namespace": "prod", "labels": {"type": "monitoring"}},
        {"name": "prod-app", "namespace": "prod", "labels": {"app": "shop"}},
        {"name": "dev-app", "namespace": "dev", "labels": {"app": "shop"}},
        {"name": "dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
    ],
    "externals": [{"name": "internet", "ip": "93.184.216.34"}],
}


def test_recipe_deny_all_traffic_to_an_application():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: web-deny-all}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: []
""",
    )
    for src in ["default/api", "prod/prod-app", "internet"]:
        assert not allowed(w, src, "default/web", 80), src
    assert allowed(w, "default/web", "default/web", 80)  # a pod cannot block itself
    assert allowed(w, "default/web", "default/api", 80)  # egress untouched


def test_recipe_allow_all_traffic_to_an_application():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: web-deny-all}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: []
---
"""
        + NP
        + """
metadata: {name: web-allow-all}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{}]
""",
    )
    for src in ["default/api", "prod/prod-app", "internet"]:
        assert allowed(w, src, "default/web", 80), src


def test_recipe_deny_from_other_namespaces():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: deny-from-other-namespaces, namespace: default}
spec:
  podSelector: {}
  ingress:
    - from: [{podSelector: {}}]
""",
    )
    assert allowed(w, "default/api", "default/web", 80)
    assert not allowed(w, "prod/prod-app", "default/web", 80)
    assert not allowed(w, "internet", "default/db", 80)
    assert allowed(w, "default/api", "prod/prod-app", 80)  # prod is not isolated


def test_recipe_allow_from_all_namespaces():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: web-allow-all-namespaces}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{namespaceSelector: {}}]
""",
    )
    assert allowed(w, "prod/prod-app", "default/web", 80)
    assert allowed(w, "kube-system/dns", "default/web", 80)
    assert not allowed(w, "internet", "default/web", 80)  # a selector never picks outside hosts


def test_recipe_allow_from_some_pods_in_another_namespace_and_vs_or():
    both = (
        NP
        + """
metadata: {name: web-allow-prod-monitoring}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {purpose: production}}
          podSelector: {matchLabels: {type: monitoring}}
"""
    )
    w = make_world(RECIPE_SCENARIO, both)
    assert allowed(w, "prod/prod-mon", "default/web", 80)
    assert not allowed(w, "prod/prod-app", "default/web", 80)
    assert not allowed(w, "default/api", "default/web", 80)
    # the same selectors as two peers (one extra "-") are ORed: much wider
    split = both.replace("          podSelector", "        - podSelector")
    w = make_world(RECIPE_SCENARIO, split)
    assert allowed(w, "prod/prod-app", "default/web", 80)  # any pod of a production namespace
    assert not allowed(w, "default/api", "default/web", 80)  # podSelector alone: only default
    assert not allowed(w, "dev/dev-app", "default/web", 80)


def test_recipe_allow_only_one_port():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: api-allow-5000}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - ports: [{port: 5000}]
      from: [{podSelector: {matchLabels: {role: monitoring}}}]
""",
    )
    assert allowed(w, "default/api", "default/api", 5000)  # role=monitoring is api itself
    assert not allowed(w, "default/web", "default/api", 5000)
    assert not allowed(w, "default/web", "default/api", 80)
    assert allowed(w, "default/api", "default/api", 80)  # to itself: no policy applies


def test_recipe_deny_all_egress_but_dns():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: default-deny-egress-allow-dns}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
          podSelector: {matchLabels: {k8s-app: kube-dns}}
      ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
""",
    )
    assert allowed(w, "default/web", "kube-system/dns", 53, "UDP")
    assert allowed(w, "default/web", "kube-system/dns", 53, "TCP")
    assert not allowed(w, "default/web", "internet", 443)
    assert not allowed(w, "default/web", "default/api", 80)
    assert allowed(w, "prod/prod-app", "internet", 443)  # other namespaces untouched


def test_recipe_deny_external_egress_only():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: foo-deny-external-egress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
    - to: [{namespaceSelector: {}}]
""",
    )
    assert allowed(w, "default/web", "prod/prod-app", 8080)
    assert not allowed(w, "default/web", "internet", 443)


def test_policy_types_egress_alone_leaves_ingress_open():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: only-egress}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
""",
    )
    assert allowed(w, "default/web", "default/db", 80)
    assert not allowed(w, "default/db", "default/web", 80)


def test_policy_in_another_namespace_does_not_select_these_pods():
    w = make_world(
        RECIPE_SCENARIO,
        NP
        + """
metadata: {name: deny, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: []
""",
    )
    assert allowed(w, "default/api", "default/web", 80)
