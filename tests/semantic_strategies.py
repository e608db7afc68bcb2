"""Random scenarios, policies, meaning-preserving rewrites and single mutations, plus a
brute-force judge over an exhaustive universe — for the semantic comparison's property tests.

The alphabet is small on purpose: every label value a selector can mention is in
APPS/TIERS/TEAMS/NAMESPACES, so a universe holding every combination of those values
(plus "some other value" and "no label") is exhaustive: two policy sets that agree on it
agree on every cluster whose pods declare no ports (named ports are left out here; they
have tests of their own).
"""

from __future__ import annotations

import copy
import ipaddress
import itertools
from typing import Any

from hypothesis import strategies as st

from k8slearn.manifests.validate import validate_text
from k8slearn.model.reachability import ReachabilityModel
from k8slearn.model.scenario import External, Pod, Scenario, namespace
from k8slearn.model.world import World

APPS = ["web", "api"]
TIERS = ["fe", "be"]
TEAMS = ["x", "y"]
NAMESPACES = ["a", "b", "c"]
HOMES = ["a", "b"]
PORTS = list(range(1, 9))
BLOCKS = ["10.0.0.0/28", "10.0.0.0/29", "10.0.0.8/29", "10.0.0.4/30", "10.0.0.5/32", "0.0.0.0/0"]
NAME = "kubernetes.io/metadata.name"


# -- generating ---------------------------------------------------------------------------------


def label_selector(draw, keys: dict[str, list[str]]) -> dict[str, Any]:
    """A random metav1.LabelSelector over `keys` (possibly empty)."""
    out: dict[str, Any] = {}
    chosen = draw(st.lists(st.sampled_from(sorted(keys)), unique=True, max_size=2))
    labels, exprs = {}, []
    for key in chosen:
        how = draw(st.sampled_from(["label", "In", "NotIn", "Exists", "DoesNotExist"]))
        values = keys[key]
        if how == "label":
            labels[key] = draw(st.sampled_from(values))
        elif how in ("In", "NotIn"):
            picked = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
            exprs.append({"key": key, "operator": how, "values": sorted(picked)})
        else:
            exprs.append({"key": key, "operator": how})
    if labels:
        out["matchLabels"] = labels
    if exprs:
        out["matchExpressions"] = exprs
    return out


POD_KEYS = {"app": APPS, "tier": TIERS}
NS_KEYS = {"team": TEAMS, NAME: NAMESPACES}


def peer(draw) -> dict[str, Any]:
    kind = draw(st.sampled_from(["pod", "ns", "both", "ip"]))
    if kind == "ip":
        cidr = draw(st.sampled_from(BLOCKS))
        net = ipaddress.ip_network(cidr)
        block: dict[str, Any] = {"cidr": cidr}
        subs = [b for b in BLOCKS if b != cidr and ipaddress.ip_network(b).subnet_of(net)]
        if subs and draw(st.booleans()):
            block["except"] = [draw(st.sampled_from(subs))]
        return {"ipBlock": block}
    out: dict[str, Any] = {}
    if kind in ("pod", "both"):
        out["podSelector"] = label_selector(draw, POD_KEYS)
    if kind in ("ns", "both"):
        out["namespaceSelector"] = label_selector(draw, NS_KEYS)
    return out


def port_entry(draw) -> dict[str, Any]:
    protocol = draw(st.sampled_from(["TCP", "UDP"]))
    shape = draw(st.sampled_from(["one", "range", "protocol"]))
    if shape == "protocol":
        return {"protocol": protocol}
    port = draw(st.sampled_from(PORTS[:-2]))
    entry: dict[str, Any] = {"protocol": protocol, "port": port}
    if shape == "range":
        entry["endPort"] = draw(st.integers(port, PORTS[-1]))
    return entry


def rule(draw, peer_key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.integers(0, 4)):
        out[peer_key] = [peer(draw) for _ in range(draw(st.integers(1, 2)))]
    if draw(st.integers(0, 3)):
        out["ports"] = [port_entry(draw) for _ in range(draw(st.integers(1, 2)))]
    return out


def policy(draw, index: int) -> dict[str, Any]:
    types = draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    spec: dict[str, Any] = {"podSelector": label_selector(draw, POD_KEYS), "policyTypes": types}
    if "Ingress" in types:
        spec["ingress"] = [rule(draw, "from") for _ in range(draw(st.integers(0, 2)))]
    if "Egress" in types:
        spec["egress"] = [rule(draw, "to") for _ in range(draw(st.integers(0, 2)))]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"p{index}", "namespace": draw(st.sampled_from(HOMES))},
        "spec": spec,
    }


@st.composite
def policies(draw) -> list[dict[str, Any]]:
    return [policy(draw, i) for i in range(draw(st.integers(1, 3)))]


@st.composite
def scenarios(draw) -> dict[str, Any]:
    nss = [{"name": n, "labels": {"team": draw(st.sampled_from(TEAMS))}} for n in NAMESPACES]
    pods = []
    for i in range(draw(st.integers(2, 6))):
        labels = {}
        for key, values in POD_KEYS.items():
            if draw(st.integers(0, 3)):
                labels[key] = draw(st.sampled_from(values))
        pods.append(
            {"name": f"p{i}", "namespace": draw(st.sampled_from(NAMESPACES)), "labels": labels}
        )
    externals = [{"name": "inside", "ip": "10.0.0.3"}, {"name": "far", "ip": "198.51.100.7"}]
    return {"namespaces": nss, "pods": pods, "externals": externals}


# -- meaning-preserving rewrites --------------------------------------------------------------------


def _selectors(obj: dict[str, Any]):
    """Every LabelSelector dict inside one policy (policy, peers), as (parent, key)."""
    spec = obj["spec"]
    yield spec, "podSelector"
    for direction, peer_key in (("ingress", "from"), ("egress", "to")):
        for r in spec.get(direction) or []:
            for p in r.get(peer_key) or []:
                for key in ("podSelector", "namespaceSelector"):
                    if key in p:
                        yield p, key


def rewrite(draw, docs: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """One rewrite that keeps the meaning: how an examinee might write the same answer."""
    docs = copy.deepcopy(docs)
    i = draw(st.integers(0, len(docs) - 1))
    doc = docs[i]
    spec = doc["spec"]
    how = draw(
        st.sampled_from(
            [
                "matchExpressions for matchLabels",
                "policy split per rule",
                "rule split per peer",
                "endPort spelled out",
                "pod-only peer as its namespace's name",
                "explicit defaults",
                "order reversed",
            ]
        )
    )
    if how == "matchExpressions for matchLabels":
        for parent, key in _selectors(doc):
            sel = parent[key]
            for k, v in (sel.pop("matchLabels", None) or {}).items():
                sel.setdefault("matchExpressions", []).append(
                    {"key": k, "operator": "In", "values": [v]}
                )
    elif how == "policy split per rule":
        rules = [("ingress", r) for r in spec.get("ingress") or []]
        rules += [("egress", r) for r in spec.get("egress") or []]
        if len(rules) >= 2:
            docs.pop(i)
            base = {k: v for k, v in spec.items() if k not in ("ingress", "egress")}
            for n, (direction, r) in enumerate(rules):
                part = copy.deepcopy(doc)
                part["metadata"]["name"] = f"{doc['metadata']['name']}-{n}"
                part["spec"] = {**copy.deepcopy(base), direction: [r]}
                docs.append(part)
    elif how == "rule split per peer":
        for direction, peer_key in (("ingress", "from"), ("egress", "to")):
            out = []
            for r in spec.get(direction) or []:
                peers = r.get(peer_key) or []
                if len(peers) > 1:
                    out += [{**r, peer_key: [p]} for p in peers]
                else:
                    out.append(r)
            if direction in spec:
                spec[direction] = out
    elif how == "endPort spelled out":
        for direction in ("ingress", "egress"):
            for r in spec.get(direction) or []:
                out = []
                for p in r.get("ports") or []:
                    if "endPort" in p:
                        out += [
                            {"protocol": p["protocol"], "port": n}
                            for n in range(p["port"], p["endPort"] + 1)
                        ]
                    else:
                        out.append(p)
                if "ports" in r:
                    r["ports"] = out
    elif how == "pod-only peer as its namespace's name":
        home = doc["metadata"]["namespace"]
        for direction, peer_key in (("ingress", "from"), ("egress", "to")):
            for r in spec.get(direction) or []:
                for p in r.get(peer_key) or []:
                    if "podSelector" in p and "namespaceSelector" not in p:
                        p["namespaceSelector"] = {"matchLabels": {NAME: home}}
    elif how == "explicit defaults":
        for direction in ("ingress", "egress"):
            for r in spec.get(direction) or []:
                for p in r.get("ports") or []:
                    p.setdefault("protocol", "TCP")
        spec.setdefault("ingress", []) if "Ingress" in spec["policyTypes"] else None
    else:
        for direction in ("ingress", "egress"):
            if direction in spec:
                spec[direction] = list(reversed(spec[direction]))
        docs.reverse()
    return how, docs


# -- the brute-force judge --------------------------------------------------------------------------


def universe_scenario(base: Scenario) -> Scenario:
    """Every combination of namespace and pod labels the alphabet can tell apart (two pods
    of each), and every address around the blocks: the exhaustive universe for these
    policies.

    Namespaces a, b and c are unique by name (their labels are the scenario's); any
    other namespace is only its team label, so four more stand for all of them.
    """
    namespaces = dict(base.namespaces)
    for team in [*TEAMS, "other", None]:
        name = f"u-{team or 'none'}"
        namespaces[name] = namespace(name, {"team": team} if team else {})
    pods = list(base.pods)
    n = 0
    for ns in list(namespaces):
        for app, tier in itertools.product([*APPS, "other", None], [*TIERS, "other", None]):
            labels = {k: v for k, v in (("app", app), ("tier", tier)) if v}
            for _replica in range(2):  # two of each: a pod's connection to itself is no evidence
                n += 1
                pods.append(Pod(ns, f"u{n}", labels, f"10.244.{200 + n // 250}.{n % 250 + 2}"))
    externals = list(base.externals)
    for host in range(0, 18):
        externals.append(External(f"h{host}", f"10.0.0.{host}"))
    externals.append(External("outside", "203.0.113.9"))
    return Scenario(namespaces, pods, base.nodes, externals)


def brute_force_differs(scenario: Scenario, one: list[dict], other: list[dict]) -> bool:
    """Do two policy sets differ anywhere in the exhaustive universe (ports 1-10, 3 protocols)?"""
    universe = universe_scenario(scenario)
    ports = [(n, p) for n in range(1, len(PORTS) + 3) for p in ("TCP", "UDP", "SCTP")]
    tables = []
    for docs in (one, other):
        world = World(scenario, manifests(docs)).over(universe)
        tables.append(ReachabilityModel(universe, world.policies).table(ports))
    return any(tables[0].rows[p] != tables[1].rows[p] for p in ports)


def manifests(docs: list[dict]):
    import yaml

    report = validate_text(yaml.safe_dump_all(docs))
    assert report.valid, [p.text() for p in report.all_problems()]
    return report.manifests
