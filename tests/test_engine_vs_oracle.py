"""The fast bitset engine (reachability.py) against the naive oracle (oracle.py).

Random small scenarios and random NetworkPolicies are generated with
hypothesis; every cell of the truth table must agree. The oracle itself is
pinned down by example-based tests on the tricky corners of the API first.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from k8slearn.model.netpol import NetworkPolicy
from k8slearn.model.oracle import oracle_allowed, oracle_table
from k8slearn.model.reachability import ReachabilityModel, iter_bits, spread_rows
from k8slearn.model.scenario import Scenario, load_scenario

PORTS: list[tuple[int, str]] = [(80, "TCP"), (8080, "TCP"), (53, "UDP"), (443, "TCP")]

# -- vocabulary -------------------------------------------------------------------------------

NAMESPACE_NAMES = ["default", "ns-a", "ns-b", "ns-c"]
NS_LABELS = {"team": ["red", "blue"], "env": ["prod", "dev"]}
POD_LABELS = {"app": ["a", "b", "c"], "tier": ["x", "y"]}
SELECTOR_POD_KEYS = [*POD_LABELS, "role"]  # `role` is on no pod: Exists/NotIn edge cases
CONTAINER_PORTS = [80, 443, 8080, 53]
PORT_NAMES = ["http", "https", "web", "dns"]
NAME_HINTS = {80: ["http", "web"], 443: ["https", "web"], 8080: ["web", "http"], 53: ["dns"]}
POD_IPS = [f"10.0.0.{i}" for i in range(16)] + [f"10.0.1.{i}" for i in range(16)]
EXTERNAL_IPS = ["10.0.0.3", "10.0.1.9", "10.0.0.200", "93.184.216.34", "192.168.1.10"]
CIDRS = [
    "10.0.0.0/24",
    "10.0.0.0/28",
    "10.0.1.0/28",
    "10.0.0.0/16",
    "10.0.0.8/29",
    "0.0.0.0/0",
    "93.184.216.0/24",
]
EXCEPTS = [
    "10.0.0.0/30",
    "10.0.0.4/30",
    "10.0.0.8/29",
    "10.0.0.0/28",
    "10.0.1.0/29",
    "10.0.1.8/30",
    "10.0.0.0/24",
    "10.0.0.3/32",
    "93.184.216.34/32",
    "10.0.1.0/28",
]


# -- scenario strategies -------------------------------------------------------------------


def label_maps(vocab: dict[str, list[str]]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {}, optional={key: st.sampled_from(values) for key, values in vocab.items()}
    )


@st.composite
def container_ports(draw) -> list[dict[str, Any]]:
    numbers = draw(st.lists(st.sampled_from(CONTAINER_PORTS), max_size=3))
    used: set[str] = set()
    out = []
    for number in numbers:
        entry: dict[str, Any] = {"containerPort": number}
        protocol = draw(st.sampled_from([None, "TCP", "UDP"]))
        if protocol is not None:
            entry["protocol"] = protocol
        # Mostly the usual name for the number, so named policy ports often resolve
        # to a probed port; names stay unique within the pod.
        free = [n for n in (*NAME_HINTS[number], *PORT_NAMES) if n not in used]
        if free and draw(st.booleans()):
            entry["name"] = draw(st.sampled_from(free[:2]) if len(free) > 1 else st.just(free[0]))
            used.add(entry["name"])
        out.append(entry)
    return out


@st.composite
def scenarios(draw) -> dict[str, Any]:
    ns_names = draw(st.lists(st.sampled_from(NAMESPACE_NAMES), min_size=2, max_size=4, unique=True))
    namespaces = [{"name": n, "labels": draw(label_maps(NS_LABELS))} for n in ns_names]
    pod_count = draw(st.integers(1, 12))
    ips = draw(
        st.lists(st.sampled_from(POD_IPS), min_size=pod_count, max_size=pod_count, unique=True)
    )
    pods = []
    for i, ip in enumerate(ips):
        pods.append(
            {
                "name": f"p{i}",
                "namespace": draw(st.sampled_from([*ns_names, "kube-system"])),
                "labels": draw(label_maps(POD_LABELS)),
                "ip": ip,
                "ports": draw(container_ports()),
            }
        )
    externals = [
        {"name": f"ext-{i}", "ip": ip}
        for i, ip in enumerate(
            draw(st.lists(st.sampled_from(EXTERNAL_IPS), max_size=2, unique=True))
        )
    ]
    return {"namespaces": namespaces, "pods": pods, "externals": externals}


# -- policy strategies ------------------------------------------------------------------------


@st.composite
def label_selectors(draw, vocab: dict[str, list[str]], keys: list[str]) -> dict[str, Any]:
    selector: dict[str, Any] = {}
    if draw(st.booleans()):
        match_labels = draw(label_maps(vocab))
        if match_labels or draw(st.booleans()):
            selector["matchLabels"] = match_labels
    if draw(st.booleans()):
        expressions = []
        for _ in range(draw(st.integers(1, 2))):
            key = draw(st.sampled_from(keys))
            operator = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
            expr: dict[str, Any] = {"key": key, "operator": operator}
            if operator in ("In", "NotIn"):
                pool = vocab.get(key, ["v1", "v2"])
                expr["values"] = draw(
                    st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True)
                )
            expressions.append(expr)
        selector["matchExpressions"] = expressions
    return selector


def pod_selectors() -> st.SearchStrategy[dict[str, Any]]:
    return label_selectors(POD_LABELS, SELECTOR_POD_KEYS)


def namespace_selectors() -> st.SearchStrategy[dict[str, Any]]:
    vocab = {**NS_LABELS, "kubernetes.io/metadata.name": [*NAMESPACE_NAMES, "kube-system"]}
    return label_selectors(vocab, [*vocab, "owner"])


@st.composite
def ip_blocks(draw) -> dict[str, Any]:
    cidr = draw(st.sampled_from(CIDRS))
    network = ipaddress.ip_network(cidr)
    inside = [
        e
        for e in EXCEPTS
        if ipaddress.ip_network(e) != network and ipaddress.ip_network(e).subnet_of(network)
    ]
    block: dict[str, Any] = {"cidr": cidr}
    if inside and draw(st.booleans()):
        block["except"] = draw(
            st.lists(st.sampled_from(inside), min_size=1, max_size=2, unique=True)
        )
    return block


def peers() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda p: {"podSelector": p}, pod_selectors()),
        st.builds(lambda n: {"namespaceSelector": n}, namespace_selectors()),
        st.builds(
            lambda p, n: {"podSelector": p, "namespaceSelector": n},
            pod_selectors(),
            namespace_selectors(),
        ),
        st.builds(lambda b: {"ipBlock": b}, ip_blocks()),
    )


@st.composite
def policy_ports(draw) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    protocol = draw(st.sampled_from([None, "TCP", "UDP"]))
    if protocol is not None:
        entry["protocol"] = protocol
    kind = draw(st.sampled_from(["number", "name", "range", "protocol-only"]))
    if kind == "number":
        entry["port"] = draw(st.sampled_from([80, 443, 8080, 53, 81]))
    elif kind == "name":
        entry["port"] = draw(st.sampled_from([*PORT_NAMES, "nope"]))
    elif kind == "range":
        start = draw(st.sampled_from([53, 79, 80, 443, 1000, 8080]))
        entry["port"] = start
        # Ends on, just below and just above the probed ports make the bounds matter.
        ends = [start, 52, 53, 79, 80, 81, 442, 443, 444, 8079, 8080, 8081, 9000]
        entry["endPort"] = draw(st.sampled_from([e for e in ends if e >= start]))
    return entry


@st.composite
def rules(draw, peer_key: str) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    # Weighted towards real peers and ports: "everything" rules make dull tables.
    peer_form = draw(st.sampled_from(["absent", "empty", "peers", "peers", "peers"]))
    if peer_form == "empty":
        rule[peer_key] = []
    elif peer_form == "peers":
        rule[peer_key] = draw(st.lists(peers(), min_size=1, max_size=3))
    port_form = draw(st.sampled_from(["absent", "empty", "ports", "ports"]))
    if port_form == "empty":
        rule["ports"] = []
    elif port_form == "ports":
        rule["ports"] = draw(st.lists(policy_ports(), min_size=1, max_size=3))
    return rule


@st.composite
def rule_lists(draw, peer_key: str) -> list[dict[str, Any]] | None:
    form = draw(st.sampled_from(["absent", "empty", "allow-all", "rules", "rules", "rules"]))
    if form == "absent":
        return None
    if form == "empty":
        return []
    if form == "allow-all":
        return [{}]
    return draw(st.lists(rules(peer_key), min_size=1, max_size=3))


@st.composite
def policies(draw, index: int, pod_namespaces: list[str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": f"pol-{index}"}
    # Mostly a namespace that has pods, so that the policy selects something.
    if pod_namespaces and draw(st.integers(0, 3)):
        namespace = draw(st.sampled_from(pod_namespaces))
    else:
        namespace = draw(st.sampled_from([None, *NAMESPACE_NAMES, "kube-system"]))
    if namespace is not None:
        metadata["namespace"] = namespace
    spec: dict[str, Any] = {"podSelector": draw(st.one_of(st.just({}), pod_selectors()))}
    types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    if types is not None:
        spec["policyTypes"] = types
    for field, peer_key in (("ingress", "from"), ("egress", "to")):
        rule_list = draw(rule_lists(peer_key))
        if rule_list is not None:
            spec[field] = rule_list
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": spec,
    }


@st.composite
def cases(draw) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    scenario = draw(scenarios())
    pod_namespaces = sorted({p["namespace"] for p in scenario["pods"]})
    count = draw(st.integers(1, 4))
    return scenario, [draw(policies(i, pod_namespaces)) for i in range(count)]


# -- comparing ------------------------------------------------------------------------------


def build(scenario_data: dict[str, Any]) -> Scenario:
    scenario, problems = load_scenario(scenario_data)
    assert not problems, problems
    assert scenario is not None
    return scenario


def engine_table(scenario: Scenario, manifests: list[dict[str, Any]], ports=PORTS):
    compiled = [NetworkPolicy.from_manifest(m) for m in manifests]
    return ReachabilityModel(scenario, compiled).table(ports)


def engine_cells(scenario: Scenario, manifests: list[dict[str, Any]]) -> dict[tuple, bool]:
    table = engine_table(scenario, manifests)
    cells = {}
    for port, protocol in PORTS:
        for i, j in table.pairs():
            src, dst = table.endpoints[i], table.endpoints[j]
            cells[(src.key, dst.key, port, protocol)] = table.allowed(
                src.key, dst.key, port, protocol
            )
    return cells


def describe_mismatch(
    scenario_data: dict[str, Any],
    manifests: list[dict[str, Any]],
    engine: dict[tuple, bool],
    oracle: dict[tuple, bool],
) -> str:
    lines = ["engine and oracle disagree:"]
    wrong = sorted(k for k in oracle if engine.get(k) != oracle[k])
    for src, dst, port, protocol in wrong[:25]:
        key = (src, dst, port, protocol)
        lines.append(
            f"  {src:>14} -> {dst:<14} {port}/{protocol}: "
            f"engine={'allow' if engine.get(key) else 'deny'} "
            f"oracle={'allow' if oracle[key] else 'deny'}"
        )
    if len(wrong) > 25:
        lines.append(f"  … and {len(wrong) - 25} more")
    missing = set(oracle) ^ set(engine)
    if missing:
        lines.append(f"  cells in only one table: {sorted(missing)[:10]}")
    lines.append("scenario:")
    lines.append(yaml.safe_dump(scenario_data, sort_keys=False))
    lines.append("policies:")
    lines.append(yaml.safe_dump_all(manifests, sort_keys=False))
    return "\n".join(lines)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_engine_matches_oracle(case) -> None:
    scenario_data, manifests = case
    scenario = build(scenario_data)
    oracle = oracle_table(scenario, manifests, PORTS)
    engine = engine_cells(scenario, manifests)
    endpoints = len(scenario.pods) + len(scenario.externals)
    expected_cells = (endpoints**2 - len(scenario.externals) ** 2) * len(PORTS)
    assert len(oracle) == expected_cells
    assert engine == oracle, describe_mismatch(scenario_data, manifests, engine, oracle)


# -- the generators reach the interesting cases ---------------------------------------


# Generate only: finding one example is the point, shrinking it would just cost time.
COVERAGE = settings(
    max_examples=3000,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _interesting(predicate):
    def check(case) -> bool:
        scenario_data, manifests = case
        scenario, problems = load_scenario(scenario_data)
        return not problems and scenario is not None and predicate(scenario, manifests)

    return check


def test_generator_produces_mixed_tables() -> None:
    def mixed(scenario, manifests) -> bool:
        return set(oracle_table(scenario, manifests, PORTS).values()) == {True, False}

    find(cases(), _interesting(mixed), settings=COVERAGE)


def _without_named_ports(manifest: dict[str, Any]) -> dict[str, Any]:
    """A copy where named ports match nothing (a rule left without ports admits no port)."""
    copy = yaml.safe_load(yaml.safe_dump(manifest))
    for field in ("ingress", "egress"):
        for rule in copy["spec"].get(field) or []:
            if rule and rule.get("ports"):
                numbered = [p for p in rule["ports"] if not isinstance(p.get("port"), str)]
                rule["ports"] = numbered or [{"protocol": "SCTP"}]
    return copy


def test_generator_produces_named_port_allowances() -> None:
    """Some case where only a named port opens a cell: the named-port path is exercised."""
    probes = set(PORTS)

    def named_port_matters(scenario, manifests) -> bool:
        names = {
            entry["port"]
            for m in manifests
            for field in ("ingress", "egress")
            for rule in m["spec"].get(field) or []
            for entry in (rule or {}).get("ports") or []
            if isinstance(entry.get("port"), str)
        }
        resolvable = any(
            cp.name in names and (cp.port, cp.protocol) in probes
            for pod in scenario.pods
            for cp in pod.ports
        )
        if not resolvable:  # cheap filter before the two tables
            return False
        table = oracle_table(scenario, manifests, PORTS)
        other = oracle_table(scenario, [_without_named_ports(m) for m in manifests], PORTS)
        return any(table[k] and not other[k] for k in table)

    find(cases(), _interesting(named_port_matters), settings=COVERAGE)


# -- the oracle on its own: tricky corners, by hand ---------------------------------------------

BASE = {
    "namespaces": [
        {"name": "ns-a", "labels": {"team": "red"}},
        {"name": "ns-b", "labels": {"team": "blue"}},
    ],
    "pods": [
        {
            "name": "web",
            "namespace": "ns-a",
            "labels": {"app": "web"},
            "ip": "10.0.0.2",
            "ports": [
                {"containerPort": 80, "name": "http"},
                {"containerPort": 53, "name": "dns", "protocol": "UDP"},
            ],
        },
        {
            "name": "db",
            "namespace": "ns-a",
            "labels": {"app": "db", "tier": "x"},
            "ip": "10.0.0.5",
            "ports": [
                {"containerPort": 8080, "name": "http"},
                {"containerPort": 5353, "name": "dns", "protocol": "UDP"},
            ],
        },
        {"name": "client", "namespace": "ns-b", "labels": {"app": "web"}, "ip": "10.0.1.3"},
        {"name": "other", "namespace": "ns-b", "labels": {"app": "db"}, "ip": "10.0.1.4"},
        {"name": "plain", "namespace": "default", "labels": {}, "ip": "10.0.0.9"},
    ],
    "externals": [{"name": "internet", "ip": "93.184.216.34"}, {"name": "lan", "ip": "10.0.0.3"}],
}


def policy(namespace: str | None, spec: dict[str, Any], name: str = "p") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": spec,
    }


@pytest.fixture(scope="module")
def world() -> Scenario:
    return build(BASE)


def allowed(world: Scenario, manifests, src: str, dst: str, port=80, protocol="TCP") -> bool:
    a = world.pod(src) or world.external(src)
    b = world.pod(dst) or world.external(dst)
    assert a is not None and b is not None
    result = oracle_allowed(world, manifests, a, b, port, protocol)
    # Hold the engine to the same hand-checked answers.
    engine = engine_table(world, manifests, [(port, protocol)])
    assert engine.allowed(src, dst, port, protocol) == result
    return result


def test_no_policy_allows_everything(world) -> None:
    assert allowed(world, [], "ns-b/client", "ns-a/web")
    assert allowed(world, [], "internet", "ns-a/db", 5432)
    assert allowed(world, [], "ns-a/web", "ns-a/web")


def test_and_vs_or_peers(world) -> None:
    both = policy(
        "ns-a",
        {
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {"matchLabels": {"team": "blue"}},
                            "podSelector": {"matchLabels": {"app": "db"}},
                        }
                    ]
                }
            ],
        },
    )
    either = policy(
        "ns-a",
        {
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"team": "blue"}}},
                        {"podSelector": {"matchLabels": {"app": "db"}}},
                    ]
                }
            ],
        },
    )
    # AND: only app=db pods of team=blue namespaces.
    assert allowed(world, [both], "ns-b/other", "ns-a/web")
    assert not allowed(world, [both], "ns-b/client", "ns-a/web")
    assert not allowed(world, [both], "ns-a/db", "ns-a/web")
    # OR: every pod of ns-b, and app=db pods of the policy's own namespace.
    assert allowed(world, [either], "ns-b/client", "ns-a/web")
    assert allowed(world, [either], "ns-a/db", "ns-a/web")
    assert not allowed(world, [either], "default/plain", "ns-a/web")
    assert not allowed(world, [either], "internet", "ns-a/web")


def test_pod_selector_peer_stays_in_policy_namespace(world) -> None:
    p = policy(
        "ns-a",
        {
            "podSelector": {},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
        },
    )
    assert allowed(world, [p], "ns-a/web", "ns-a/db")
    assert not allowed(world, [p], "ns-b/client", "ns-a/db")  # same labels, other namespace
    empty_ns = policy(
        "ns-a",
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}
                    ]
                }
            ],
        },
    )
    assert allowed(world, [empty_ns], "ns-b/client", "ns-a/db")


def test_ingress_empty_list_vs_one_empty_rule(world) -> None:
    deny = policy("ns-a", {"podSelector": {}, "ingress": []})
    allow = policy("ns-a", {"podSelector": {}, "ingress": [{}]})
    assert not allowed(world, [deny], "ns-b/client", "ns-a/web")
    assert not allowed(world, [deny], "internet", "ns-a/web")
    assert not allowed(world, [deny], "ns-a/db", "ns-a/web")
    # ...but a pod cannot block access to itself (upstream e2e: AllowLoopback).
    assert allowed(world, [deny], "ns-a/web", "ns-a/web")
    assert allowed(world, [deny], "ns-a/web", "ns-b/client")  # egress untouched
    assert allowed(world, [allow], "ns-b/client", "ns-a/web", 53, "UDP")
    assert allowed(world, [allow], "internet", "ns-a/web", 9999)
    # Policies add up: the deny-all and the allow-all together allow.
    assert allowed(world, [deny, allow], "ns-b/client", "ns-a/web")


def test_policy_types_defaulting(world) -> None:
    egress_only_rules = policy(
        "ns-a", {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.1.0/24"}}]}]}
    )
    # No policyTypes + a non-empty egress list: isolated both ways.
    assert not allowed(world, [egress_only_rules], "ns-a/web", "internet")
    assert allowed(world, [egress_only_rules], "ns-a/web", "ns-b/client")
    assert not allowed(world, [egress_only_rules], "ns-b/client", "ns-a/web")
    # No policyTypes + `egress: []`: only Ingress, so egress stays open.
    empty_egress = policy("ns-a", {"podSelector": {}, "egress": []})
    assert allowed(world, [empty_egress], "ns-a/web", "internet")
    assert not allowed(world, [empty_egress], "ns-b/client", "ns-a/web")
    # Explicit [Egress] with no egress rules: deny all egress, ingress open.
    deny_egress = policy("ns-a", {"podSelector": {}, "policyTypes": ["Egress"]})
    assert not allowed(world, [deny_egress], "ns-a/web", "ns-a/db")
    assert allowed(world, [deny_egress], "ns-b/client", "ns-a/web")


def test_policy_selects_only_its_own_namespace(world) -> None:
    in_default = policy(None, {"podSelector": {}, "ingress": []})  # no namespace: default
    assert not allowed(world, [in_default], "ns-a/web", "default/plain")
    assert allowed(world, [in_default], "default/plain", "ns-a/web")
    assert allowed(world, [in_default], "ns-a/web", "ns-b/client")


def test_named_port_on_egress_uses_destination(world) -> None:
    p = policy(
        "ns-b",
        {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": "dns", "protocol": "UDP"}]}],
        },
    )
    # web names 53/UDP "dns": allowed; db names 5353/UDP "dns": 53 is not it, 5353 is.
    assert allowed(world, [p], "ns-b/client", "ns-a/web", 53, "UDP")
    assert not allowed(world, [p], "ns-b/client", "ns-a/db", 53, "UDP")
    assert allowed(world, [p], "ns-b/client", "ns-a/db", 5353, "UDP")
    # The source has no "dns" port at all; names are never looked up on it.
    assert world.pod("ns-b/client").ports == ()
    # Externals have no named ports; a pod without the name neither.
    assert not allowed(world, [p], "ns-b/client", "internet", 53, "UDP")
    assert not allowed(world, [p], "ns-b/client", "default/plain", 53, "UDP")
    # Protocol must match the name's.
    assert not allowed(world, [p], "ns-b/client", "ns-a/web", 53, "TCP")


def test_named_port_on_ingress(world) -> None:
    p = policy("ns-a", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})
    assert allowed(world, [p], "internet", "ns-a/web", 80)
    assert not allowed(world, [p], "internet", "ns-a/web", 8080)
    assert allowed(world, [p], "internet", "ns-a/db", 8080)
    assert not allowed(world, [p], "internet", "ns-a/db", 80)


def test_not_in_and_does_not_exist_match_pods_without_the_key(world) -> None:
    not_in = policy(
        "ns-a",
        {
            "podSelector": {
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]}]
            },
            "ingress": [],
        },
    )
    # web has no tier label: NotIn selects it; db has tier=x: not selected.
    assert not allowed(world, [not_in], "ns-b/client", "ns-a/web")
    assert allowed(world, [not_in], "ns-b/client", "ns-a/db")
    absent = policy(
        "ns-a",
        {
            "podSelector": {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
            "ingress": [],
        },
    )
    assert not allowed(world, [absent], "ns-b/client", "ns-a/web")
    assert allowed(world, [absent], "ns-b/client", "ns-a/db")
    exists = policy(
        "ns-a",
        {
            "podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
            "ingress": [],
        },
    )
    assert allowed(world, [exists], "ns-b/client", "ns-a/web")
    assert not allowed(world, [exists], "ns-b/client", "ns-a/db")
    in_op = policy(
        "ns-a",
        {
            "podSelector": {
                "matchExpressions": [{"key": "app", "operator": "In", "values": ["db", "cache"]}]
            },
            "ingress": [],
        },
    )
    assert allowed(world, [in_op], "ns-b/client", "ns-a/web")
    assert not allowed(world, [in_op], "ns-b/client", "ns-a/db")


def test_namespace_selector_uses_metadata_name_label(world) -> None:
    p = policy(
        "ns-a",
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "default"}
                            }
                        }
                    ]
                }
            ],
        },
    )
    assert allowed(world, [p], "default/plain", "ns-a/web")
    assert not allowed(world, [p], "ns-b/client", "ns-a/web")


def test_ip_block_except(world) -> None:
    p = policy(
        "ns-a",
        {
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [
                {"from": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.0.0/30"]}}]}
            ],
        },
    )
    assert allowed(world, [p], "ns-a/db", "ns-a/web")  # 10.0.0.5: in, not excepted
    assert allowed(world, [p], "default/plain", "ns-a/web")  # 10.0.0.9
    assert not allowed(world, [p], "lan", "ns-a/web")  # 10.0.0.3: excepted
    assert not allowed(world, [p], "ns-b/client", "ns-a/web")  # 10.0.1.3: outside
    assert not allowed(world, [p], "internet", "ns-a/web")
    egress = policy(
        "ns-b",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}],
        },
    )
    assert allowed(world, [egress], "ns-b/client", "internet")
    assert not allowed(world, [egress], "ns-b/client", "lan")
    assert not allowed(world, [egress], "ns-b/client", "ns-a/web")


def test_end_port_range(world) -> None:
    p = policy(
        "ns-a",
        {
            "podSelector": {},
            "ingress": [{"ports": [{"port": 80, "endPort": 443}, {"protocol": "UDP", "port": 53}]}],
        },
    )
    assert allowed(world, [p], "internet", "ns-a/web", 80)
    assert allowed(world, [p], "internet", "ns-a/web", 300)
    assert allowed(world, [p], "internet", "ns-a/web", 443)
    assert not allowed(world, [p], "internet", "ns-a/web", 444)
    assert not allowed(world, [p], "internet", "ns-a/web", 79)
    assert not allowed(world, [p], "internet", "ns-a/web", 300, "UDP")
    assert allowed(world, [p], "internet", "ns-a/web", 53, "UDP")
    assert not allowed(world, [p], "internet", "ns-a/web", 53, "TCP")


def test_protocol_only_port_and_default_protocol(world) -> None:
    udp = policy("ns-a", {"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]})
    assert allowed(world, [udp], "internet", "ns-a/web", 12345, "UDP")
    assert not allowed(world, [udp], "internet", "ns-a/web", 80, "TCP")
    tcp_default = policy("ns-a", {"podSelector": {}, "ingress": [{"ports": [{"port": 53}]}]})
    assert allowed(world, [tcp_default], "internet", "ns-a/web", 53, "TCP")
    assert not allowed(world, [tcp_default], "internet", "ns-a/web", 53, "UDP")


def test_peers_and_ports_are_anded(world) -> None:
    p = policy(
        "ns-a",
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}],
                    "ports": [{"port": 80}],
                },
                {"from": [{"ipBlock": {"cidr": "93.184.216.0/24"}}], "ports": [{"port": 443}]},
            ],
        },
    )
    assert allowed(world, [p], "ns-b/client", "ns-a/web", 80)
    assert not allowed(world, [p], "ns-b/client", "ns-a/web", 443)
    assert allowed(world, [p], "internet", "ns-a/web", 443)
    assert not allowed(world, [p], "internet", "ns-a/web", 80)


def test_both_directions_must_allow(world) -> None:
    no_egress = policy("ns-b", {"podSelector": {}, "policyTypes": ["Egress"]}, name="e")
    open_ingress = policy("ns-a", {"podSelector": {}, "ingress": [{}]}, name="i")
    assert not allowed(world, [no_egress, open_ingress], "ns-b/client", "ns-a/web")
    egress_ok = policy(
        "ns-b",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {}}]}],
        },
        name="e2",
    )
    no_ingress = policy("ns-a", {"podSelector": {}, "ingress": []}, name="i2")
    assert not allowed(world, [egress_ok, no_ingress], "ns-b/client", "ns-a/web")
    assert allowed(world, [egress_ok], "ns-b/client", "ns-a/web")
    # Selector peers never match hosts outside the cluster.
    assert not allowed(world, [egress_ok], "ns-b/client", "internet")


def test_oracle_table_shape(world) -> None:
    table = oracle_table(world, [], [(80, "TCP")])
    keys = {(s, d) for s, d, _, _ in table}
    assert ("internet", "lan") not in keys
    assert ("ns-a/web", "ns-a/web") in keys
    assert ("internet", "ns-a/web") in keys and ("ns-a/web", "internet") in keys
    assert len(table) == 7 * 7 - 2 * 2
    assert all(table.values())


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**700))
def test_iter_bits_lists_every_set_bit_in_order(mask):
    """Small masks peel bits off; big ones (past 64 bits) search their binary text."""
    assert list(iter_bits(mask)) == [i for i in range(mask.bit_length()) if mask >> i & 1]


@st.composite
def rectangles(draw):
    """n endpoints and (sources, destinations) masks over them, often overlapping."""
    n = draw(st.integers(min_value=0, max_value=90))
    mask = st.integers(min_value=0, max_value=(1 << n) - 1)
    count = draw(st.integers(min_value=0, max_value=80))  # past one 32-rectangle piece often
    return n, draw(st.lists(st.tuples(mask, mask), min_size=count, max_size=count))


@settings(max_examples=300, deadline=None)
@given(rectangles(), st.integers(min_value=1, max_value=40))
def test_spread_rows_is_the_union_per_source(case, batch):
    """The engine's signature-based spreading against the definition, one rectangle and
    one source at a time; small batches and pieces that straddle them included."""
    n, rects = case
    expected = [0] * n
    for sources, destinations in rects:
        for i in range(n):
            if sources >> i & 1:
                expected[i] |= destinations
    assert spread_rows(rects, n, batch=batch) == expected


@st.composite
def truth_tables(draw):
    """Any table: pods and outside hosts (names with characters JSON must escape), any
    ports (none too), any bits."""
    from k8slearn.model.reachability import TruthTable
    from k8slearn.model.scenario import External, Pod

    names = st.text(alphabet='ab-é"\\\n', min_size=1, max_size=4)
    pods = [
        Pod(f"ns{i}", draw(names) + str(i), {}, f"10.0.0.{i + 1}")
        for i in range(draw(st.integers(0, 4)))
    ]
    externals = [
        External(draw(names) + str(i), f"192.0.2.{i + 1}") for i in range(draw(st.integers(0, 2)))
    ]
    endpoints = [*pods, *externals]
    ports = draw(st.lists(st.sampled_from([(80, "TCP"), (53, "UDP"), (8080, "TCP")]), unique=True))
    full = (1 << len(endpoints)) - 1
    rows = {p: [draw(st.integers(0, full)) for _ in endpoints] for p in ports}
    return TruthTable(endpoints, ports, rows)


@given(truth_tables())
@settings(max_examples=200, deadline=None)
def test_matrix_written_in_pieces_is_the_matrix_as_json_writes_it(table):
    import json

    expected = json.dumps(table.to_matrix(), indent=2, ensure_ascii=False)
    assert "".join(table.matrix_json()) == expected
