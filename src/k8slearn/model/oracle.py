"""A deliberately naive NetworkPolicy evaluator, used to check the fast engine.

Nothing here shares code with `netpol.py`, `selectors.py` or `reachability.py`:
the oracle reads policies as plain manifest dicts and answers one
(source, destination, port, protocol) question at a time with simple loops,
straight from the networking.k8s.io/v1 semantics:

* a policy applies to the pods of *its own* namespace that match
  `spec.podSelector` (`{}` matches all of them);
* `spec.policyTypes`, when absent (or empty, as the API server's defaulting
  treats it), is `[Ingress]` plus `Egress` when `spec.egress` is non-empty;
* a pod is isolated for a direction when some policy applying to it lists that
  direction; an isolated pod allows a connection when some rule of some policy
  of that direction applying to it admits it;
* a connection happens when the source's egress *and* the destination's
  ingress both allow it; hosts outside the cluster are never isolated;
* a pod's connections to itself are always allowed, whatever the policies say.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from k8slearn.model.scenario import External, Pod, Scenario

Endpoint = Pod | External


# -- label selectors ----------------------------------------------------------------------


def _selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector: matchLabels and matchExpressions, all ANDed; `{}` matches all."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if key not in labels or labels[key] != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key = expr["key"]
        operator = expr["operator"]
        values = list(expr.get("values") or [])
        has_key = key in labels
        if operator == "In":
            ok = has_key and labels[key] in values
        elif operator == "NotIn":
            ok = not has_key or labels[key] not in values
        elif operator == "Exists":
            ok = has_key
        elif operator == "DoesNotExist":
            ok = not has_key
        else:
            raise ValueError(f"unknown selector operator {operator!r}")
        if not ok:
            return False
    return True


# -- policies -------------------------------------------------------------------------------


def _policy_namespace(policy: Mapping[str, Any]) -> str:
    return (policy.get("metadata") or {}).get("namespace") or "default"


def _spec(policy: Mapping[str, Any]) -> Mapping[str, Any]:
    return policy.get("spec") or {}


def _policy_types(policy: Mapping[str, Any]) -> list[str]:
    spec = _spec(policy)
    types = spec.get("policyTypes")
    if types:
        return list(types)
    # v1 defaulting (SetDefaults_NetworkPolicy): Ingress always, Egress if egress rules exist.
    types = ["Ingress"]
    if spec.get("egress"):
        types.append("Egress")
    return types


def _applies_to(policy: Mapping[str, Any], pod: Pod) -> bool:
    if pod.namespace != _policy_namespace(policy):
        return False
    # spec.podSelector is required; an absent one is treated like {} (every pod).
    return _selector_matches(_spec(policy).get("podSelector") or {}, pod.labels)


def _ip_in_block(ip: str, block: Mapping[str, Any]) -> bool:
    address = ipaddress.ip_address(ip)
    cidr = ipaddress.ip_network(block["cidr"], strict=False)
    if address.version != cidr.version or address not in cidr:
        return False
    for text in block.get("except") or []:
        excluded = ipaddress.ip_network(text, strict=False)
        if address.version == excluded.version and address in excluded:
            return False
    return True


def _peer_matches(
    peer: Mapping[str, Any], other: Endpoint, policy_ns: str, scenario: Scenario
) -> bool:
    """Does one `from`/`to` entry of a policy in `policy_ns` match `other`?"""
    if peer.get("ipBlock") is not None:
        return _ip_in_block(other.ip, peer["ipBlock"])
    if not isinstance(other, Pod):
        return False  # selectors pick pods only
    if "namespaceSelector" in peer and peer["namespaceSelector"] is not None:
        ns = scenario.namespaces.get(other.namespace)
        if ns is None or not _selector_matches(peer["namespaceSelector"], ns.labels):
            return False
    elif other.namespace != policy_ns:
        return False
    if "podSelector" in peer and peer["podSelector"] is not None:
        return _selector_matches(peer["podSelector"], other.labels)
    return True


def _port_entry_matches(entry: Mapping[str, Any], port: int, protocol: str, dst: Endpoint) -> bool:
    if (entry.get("protocol") or "TCP") != protocol:
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str) and not wanted.isdigit():
        # A named port: resolved against the destination pod's container ports.
        if not isinstance(dst, Pod):
            return False
        for cp in dst.ports:
            if cp.name == wanted and cp.protocol == protocol and cp.port == port:
                return True
        return False
    number = int(wanted)
    end = entry.get("endPort")
    if end is not None:
        return number <= port <= int(end)
    return number == port


def _rule_admits(
    rule: Mapping[str, Any] | None,
    peer_key: str,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: str,
    policy_ns: str,
    scenario: Scenario,
) -> bool:
    rule = rule or {}
    peers = rule.get(peer_key) or []
    if peers:
        peer_ok = False
        for peer in peers:
            if _peer_matches(peer or {}, other, policy_ns, scenario):
                peer_ok = True
                break
        if not peer_ok:
            return False
    ports = rule.get("ports") or []
    if not ports:
        return True
    return any(_port_entry_matches(entry or {}, port, protocol, dst) for entry in ports)


def _direction_allows(
    scenario: Scenario,
    policies: list[dict],
    pod: Pod,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: str,
    direction: str,
) -> bool:
    """Does `pod` allow the connection in `direction` ("Ingress" or "Egress")?"""
    field, peer_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    isolated = False
    for policy in policies:
        if not _applies_to(policy, pod) or direction not in _policy_types(policy):
            continue
        isolated = True
        for rule in _spec(policy).get(field) or []:
            if _rule_admits(
                rule, peer_key, other, dst, port, protocol, _policy_namespace(policy), scenario
            ):
                return True
    return not isolated


# -- public API -----------------------------------------------------------------------------


def oracle_allowed(
    scenario: Scenario,
    policies: list[dict],
    src: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: str,
) -> bool:
    """May `src` open a connection to `dst` on `port`/`protocol`?"""
    if isinstance(src, Pod) and isinstance(dst, Pod) and src.key == dst.key:
        return True  # "a pod cannot block access to itself" (NetworkPolicy concept page)
    if isinstance(src, Pod) and not _direction_allows(
        scenario, policies, src, dst, dst, port, protocol, "Egress"
    ):
        return False
    return not isinstance(dst, Pod) or _direction_allows(
        scenario, policies, dst, src, dst, port, protocol, "Ingress"
    )


def oracle_table(
    scenario: Scenario, policies: list[dict], ports: list[tuple[int, str]]
) -> dict[tuple[str, str, int, str], bool]:
    """Every (src.key, dst.key, port, protocol) → allowed, except external → external."""
    endpoints: list[Endpoint] = [*scenario.pods, *scenario.externals]
    table: dict[tuple[str, str, int, str], bool] = {}
    for port, protocol in ports:
        for src in endpoints:
            for dst in endpoints:
                if isinstance(src, External) and isinstance(dst, External):
                    continue
                table[(src.key, dst.key, port, protocol)] = oracle_allowed(
                    scenario, policies, src, dst, port, protocol
                )
    return table
