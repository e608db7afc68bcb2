"""Mutants of a solution: the small edits an examinee makes, each a plausible wrong answer.

`pack validate` grades every mutant with the exercise's own checks: a mutant
that still passes (and really differs from the solution) shows a mistake the
exercise cannot tell from the right answer. The edits work on the manifests
as written (plain dicts), so the mutant reads like something a learner typed:

NetworkPolicy — peers split (AND → OR) or merged (OR → AND); namespaceSelector
widened to `{}`, added as `{}` or dropped; podSelector dropped; a matchLabels
key dropped or turned into `Exists`; the policy's podSelector widened to `{}`;
a CIDR or except one bit wider or narrower; an except dropped; endPort moved
by one or dropped; a port moved by one, dropped or added; UDP added or the
protocol changed; a named port for its number and back; a policyTypes entry
dropped or Egress added; a rule's peers dropped; a rule dropped; the
namespace dropped.

Service — targetPort as a number for a name and back, dropped or moved by
one; a nodePort added, dropped or moved; externalTrafficPolicy flipped; the
type changed; a selector key dropped; the port moved or its protocol changed;
headless added or dropped; publishNotReadyAddresses or internalTrafficPolicy
flipped; session affinity added or dropped, or its timeout dropped; the
namespace dropped.

Pod, Deployment, StatefulSet — a (template) label dropped, its value changed,
or moved to the workload's own metadata; a replica less; a StatefulSet's
serviceName dropped or changed. EndpointSlice — its service-name label
dropped, a port renamed or moved by one, an endpoint not ready, moved to the
next address or (one of several) dropped. Endpoints — an address made not
ready or moved to the next one, a port renamed or moved by one.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from k8slearn.model.scenario import Scenario

Docs = list[dict[str, Any]]


@dataclass(frozen=True)
class Mutant:
    operator: str  # "namespaceSelector widened to {}"
    where: str  # "NetworkPolicy shop/api-allow, spec.ingress[0].from[0]"
    text: str  # the mutated answer, as YAML

    @property
    def name(self) -> str:
        return f"{self.operator} ({self.where})"


def mutants(docs: Docs, scenario: Scenario | None = None) -> list[Mutant]:
    """Every single-edit mutant of `docs`, without duplicates, in a stable order."""
    out: list[Mutant] = []
    seen: set[str] = set()
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            continue
        for operator in _OPERATORS.get(doc.get("kind"), []):
            for name, where, changed in operator(copy.deepcopy(doc), scenario):
                mutated = [*docs[:i], changed, *docs[i + 1 :]]
                text = yaml.safe_dump_all(mutated, sort_keys=False)
                if text in seen:
                    continue
                seen.add(text)
                out.append(Mutant(name, f"{_title(doc)}, {where}", text))
    return out


def _title(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind')} {meta.get('namespace') or 'default'}/{meta.get('name')}"


Edit = tuple[str, str, dict[str, Any]]  # (operator, where, the changed object)
Operator = Callable[[dict[str, Any], Scenario | None], Iterator[Edit]]


def _fresh(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)


# -- walking a NetworkPolicy ----------------------------------------------------------------------


def _rules(doc: dict[str, Any]) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    spec = doc.get("spec") or {}
    for direction, peer_key in (("ingress", "from"), ("egress", "to")):
        for r, rule in enumerate(spec.get(direction) or []):
            if isinstance(rule, dict):
                yield direction, peer_key, r, rule


def _peers(doc: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(where, index, peer) for every peer; `where` like `spec.ingress[0].from[1]`."""
    for direction, peer_key, r, rule in _rules(doc):
        for p, peer in enumerate(rule.get(peer_key) or []):
            if isinstance(peer, dict):
                yield f"spec.{direction}[{r}].{peer_key}[{p}]", p, peer


def _port_entries(doc: dict[str, Any]) -> Iterator[tuple[str, list, int, dict[str, Any]]]:
    for direction, _, r, rule in _rules(doc):
        ports = rule.get("ports") or []
        for p, entry in enumerate(ports):
            if isinstance(entry, dict):
                yield f"spec.{direction}[{r}].ports[{p}]", ports, p, entry


# -- NetworkPolicy operators --------------------------------------------------------------------


def _split_peers(doc, scenario) -> Iterator[Edit]:
    for direction, peer_key, r, _ in list(_rules(doc)):
        rule_peers = _fresh(doc)["spec"][direction][r].get(peer_key) or []
        for p, peer in enumerate(rule_peers):
            if isinstance(peer, dict) and "namespaceSelector" in peer and "podSelector" in peer:
                new = _fresh(doc)
                peers = new["spec"][direction][r][peer_key]
                peers[p : p + 1] = [
                    {"namespaceSelector": peer["namespaceSelector"]},
                    {"podSelector": peer["podSelector"]},
                ]
                yield "peers split (AND → OR)", f"spec.{direction}[{r}].{peer_key}[{p}]", new


def _merge_peers(doc, scenario) -> Iterator[Edit]:
    for direction, peer_key, r, rule in list(_rules(doc)):
        peers = rule.get(peer_key) or []
        ns_only = [
            i
            for i, p in enumerate(peers)
            if isinstance(p, dict) and set(p) == {"namespaceSelector"}
        ]
        pod_only = [
            i for i, p in enumerate(peers) if isinstance(p, dict) and set(p) == {"podSelector"}
        ]
        if ns_only and pod_only:
            a, b = ns_only[0], pod_only[0]
            new = _fresh(doc)
            new_peers = new["spec"][direction][r][peer_key]
            merged = {**new_peers[a], **new_peers[b]}
            new_peers[min(a, b)] = merged
            del new_peers[max(a, b)]
            yield "peers merged (OR → AND)", f"spec.{direction}[{r}].{peer_key}", new


def _peer_edits(doc, scenario) -> Iterator[Edit]:
    for n, (where, _, peer) in enumerate(list(_peers(doc))):

        def at(new, n=n):
            return list(_peers(new))[n][2]

        if "namespaceSelector" in peer and peer["namespaceSelector"] not in ({}, None):
            new = _fresh(doc)
            at(new)["namespaceSelector"] = {}
            yield "namespaceSelector widened to {}", where, new
        if "podSelector" in peer and "namespaceSelector" not in peer:
            new = _fresh(doc)
            at(new)["namespaceSelector"] = {}
            yield "namespaceSelector: {} added to a podSelector peer", where, new
        if "podSelector" in peer and "namespaceSelector" in peer:
            new = _fresh(doc)
            del at(new)["namespaceSelector"]
            yield "namespaceSelector dropped (podSelector-only peer)", where, new
            new = _fresh(doc)
            del at(new)["podSelector"]
            yield "podSelector dropped (namespaceSelector-only peer)", where, new
        block = peer.get("ipBlock")
        if isinstance(block, dict):
            yield from _block_edits(doc, n, where, block)


def _block_edits(doc, n: int, where: str, block: dict[str, Any]) -> Iterator[Edit]:
    def at(new):
        return list(_peers(new))[n][2]["ipBlock"]

    try:
        cidr = ipaddress.ip_network(str(block.get("cidr")), strict=False)
    except ValueError:
        return
    for label, net in (("wider", _wider(cidr)), ("narrower", _narrower(cidr))):
        if net is not None:
            new = _fresh(doc)
            at(new)["cidr"] = str(net)
            if _excepts_fit(at(new), net):
                yield f"cidr one bit {label}", f"{where}.ipBlock.cidr", new
    excepts = block.get("except") or []
    for e, text in enumerate(excepts):
        new = _fresh(doc)
        del at(new)["except"][e]
        if not at(new)["except"]:
            del at(new)["except"]
        yield "except dropped", f"{where}.ipBlock.except[{e}]", new
        try:
            ex = ipaddress.ip_network(str(text), strict=False)
        except ValueError:
            continue
        for label, net in (("wider", _wider(ex)), ("narrower", _narrower(ex))):
            if net is not None and net.subnet_of(cidr) and net != cidr:  # type: ignore[arg-type]
                new = _fresh(doc)
                at(new)["except"][e] = str(net)
                yield f"except one bit {label}", f"{where}.ipBlock.except[{e}]", new


def _excepts_fit(block: dict[str, Any], net) -> bool:
    for text in block.get("except") or []:
        try:
            ex = ipaddress.ip_network(str(text), strict=False)
        except ValueError:
            return False
        if ex.version != net.version or not ex.subnet_of(net) or ex == net:
            return False
    return True


def _wider(net):
    return net.supernet() if net.prefixlen > 0 else None


def _narrower(net):
    return next(net.subnets()) if net.prefixlen < net.max_prefixlen else None


def _selector_slots(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    spec = doc.get("spec") or {}
    if isinstance(spec.get("podSelector"), dict):
        yield "spec.podSelector", spec, "podSelector"
    for where, _, peer in _peers(doc):
        for key in ("podSelector", "namespaceSelector"):
            if isinstance(peer.get(key), dict):
                yield f"{where}.{key}", peer, key


def _selector_edits(doc, scenario) -> Iterator[Edit]:
    slots = list(_selector_slots(doc))
    for n, (where, _, _) in enumerate(slots):

        def at(new, n=n):
            parent, key = list(_selector_slots(new))[n][1:]
            return parent[key]

        sel = at(doc)
        labels = sel.get("matchLabels") or {}
        for key in list(labels):
            new = _fresh(doc)
            del at(new)["matchLabels"][key]
            if not at(new)["matchLabels"]:
                del at(new)["matchLabels"]
            yield "matchLabels key dropped", f"{where}.matchLabels.{key}", new
            new = _fresh(doc)
            del at(new)["matchLabels"][key]
            if not at(new)["matchLabels"]:
                del at(new)["matchLabels"]
            at(new).setdefault("matchExpressions", []).append({"key": key, "operator": "Exists"})
            yield "Exists for a value", f"{where}.matchLabels.{key}", new
        if where == "spec.podSelector" and sel:
            new = _fresh(doc)
            new["spec"]["podSelector"] = {}
            yield "policy podSelector widened to {}", where, new


def _port_edits(doc, scenario) -> Iterator[Edit]:
    entries = list(_port_entries(doc))
    for n, (where, _, _, entry) in enumerate(entries):

        def at(new, n=n):
            return list(_port_entries(new))[n]

        port = entry.get("port")
        end = entry.get("endPort")
        protocol = entry.get("protocol") or "TCP"
        if isinstance(port, int):
            for delta in (1, -1):
                if 1 <= port + delta <= 65535 and (end is None or port + delta <= end):
                    new = _fresh(doc)
                    at(new)[3]["port"] = port + delta
                    yield f"port {'+' if delta > 0 else '−'}1", where, new
        if isinstance(end, int):
            for delta in (1, -1):
                if isinstance(port, int) and port <= end + delta <= 65535:
                    new = _fresh(doc)
                    at(new)[3]["endPort"] = end + delta
                    yield f"endPort {'+' if delta > 0 else '−'}1", where, new
            new = _fresh(doc)
            del at(new)[3]["endPort"]
            yield "endPort dropped", where, new
        new = _fresh(doc)
        _, ports, p, _ = at(new)
        del ports[p]
        yield "port dropped", where, new
        if port is not None and "endPort" not in entry:
            new = _fresh(doc)
            _, ports, p, _ = at(new)
            ports.insert(
                p + 1,
                {**ports[p], "protocol": "UDP"}
                if protocol != "UDP"
                else {**ports[p], "protocol": "TCP"},
            )
            yield ("UDP added" if protocol != "UDP" else "TCP added"), where, new
        new = _fresh(doc)
        at(new)[3]["protocol"] = "UDP" if protocol != "UDP" else "TCP"
        yield "protocol changed", where, new
        if scenario is not None:
            yield from _named_port_edits(doc, n, where, entry, scenario, at)
    for direction, _, r, rule in list(_rules(doc)):
        if rule.get("ports"):
            first = rule["ports"][0]
            if (
                isinstance(first, dict)
                and isinstance(first.get("port"), int)
                and "endPort" not in first
            ):
                new = _fresh(doc)
                target = new["spec"][direction][r]["ports"]
                target.append({**first, "port": first["port"] + 1 if first["port"] < 65535 else 1})
                yield "port added", f"spec.{direction}[{r}].ports", new


def _numbers_named(scenario: Scenario, name: str, protocol: str) -> list[int]:
    """The numbers the scenario's pods give the container port called `name`."""
    return sorted(
        {
            cp.port
            for p in scenario.pods
            for cp in p.ports
            if (cp.name, cp.protocol) == (name, protocol)
        }
    )


def _names_of(scenario: Scenario, number: int, protocol: str) -> list[str]:
    """The names the scenario's pods give container port `number`."""
    return sorted(
        {
            cp.name
            for p in scenario.pods
            for cp in p.ports
            if cp.name and (cp.port, cp.protocol) == (number, protocol)
        }
    )


def _named_port_edits(doc, n, where, entry, scenario, at) -> Iterator[Edit]:
    port = entry.get("port")
    protocol = entry.get("protocol") or "TCP"
    if isinstance(port, str) and not port.isdigit():
        numbers = _numbers_named(scenario, port, protocol)
        if numbers:
            new = _fresh(doc)
            at(new)[3]["port"] = numbers[0]
            yield "port number for its name", where, new
    elif isinstance(port, int) and "endPort" not in entry:
        names = _names_of(scenario, port, protocol)
        if names:
            new = _fresh(doc)
            at(new)[3]["port"] = names[0]
            yield "port name for its number", where, new


def _type_edits(doc, scenario) -> Iterator[Edit]:
    spec = doc.get("spec") or {}
    types = spec.get("policyTypes")
    if isinstance(types, list):
        for t, name in enumerate(types):
            new = _fresh(doc)
            del new["spec"]["policyTypes"][t]
            if not new["spec"]["policyTypes"]:
                del new["spec"]["policyTypes"]
            yield f"policyTypes {name} dropped", f"spec.policyTypes[{t}]", new
        if "Egress" not in types:
            new = _fresh(doc)
            new["spec"]["policyTypes"] = [*types, "Egress"]
            yield "policyTypes Egress added", "spec.policyTypes", new
    elif not spec.get("egress"):
        new = _fresh(doc)
        new.setdefault("spec", {})["policyTypes"] = ["Ingress", "Egress"]
        yield "policyTypes Egress added", "spec.policyTypes", new


def _rule_edits(doc, scenario) -> Iterator[Edit]:
    for direction, peer_key, r, rule in list(_rules(doc)):
        if rule.get(peer_key):
            new = _fresh(doc)
            del new["spec"][direction][r][peer_key]
            yield f"{peer_key} dropped (every peer)", f"spec.{direction}[{r}]", new
        new = _fresh(doc)
        del new["spec"][direction][r]
        yield "rule dropped", f"spec.{direction}[{r}]", new


def _namespace_edits(doc, scenario) -> Iterator[Edit]:
    meta = doc.get("metadata") or {}
    if meta.get("namespace") not in (None, ""):
        new = _fresh(doc)
        del new["metadata"]["namespace"]
        yield "namespace dropped (lands in the current namespace)", "metadata.namespace", new


_POLICY_OPERATORS: list[Operator] = [
    _split_peers,
    _merge_peers,
    _peer_edits,
    _selector_edits,
    _port_edits,
    _type_edits,
    _rule_edits,
    _namespace_edits,
]


# -- Service operators -------------------------------------------------------------------------------


def _service_ports(doc) -> list[dict[str, Any]]:
    return [p for p in (doc.get("spec") or {}).get("ports") or [] if isinstance(p, dict)]


def _service_port_edits(doc, scenario) -> Iterator[Edit]:
    spec = doc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    for i, port in enumerate(_service_ports(doc)):
        where = f"spec.ports[{i}]"

        def at(new, i=i):
            return _service_ports(new)[i]

        target = port.get("targetPort")
        protocol = port.get("protocol") or "TCP"
        if scenario is not None and isinstance(target, str) and not target.isdigit():
            numbers = _numbers_named(scenario, target, protocol)
            if numbers:
                new = _fresh(doc)
                at(new)["targetPort"] = numbers[0]
                yield "targetPort number for its name", f"{where}.targetPort", new
        number = target if isinstance(target, int) else port.get("port") if target is None else None
        if scenario is not None and isinstance(number, int):
            names = _names_of(scenario, number, protocol)
            if names:
                new = _fresh(doc)
                at(new)["targetPort"] = names[0]
                yield "targetPort name for its number", f"{where}.targetPort", new
        if target is not None:
            new = _fresh(doc)
            del at(new)["targetPort"]
            yield "targetPort dropped (the Service port is used)", f"{where}.targetPort", new
        if isinstance(target, int) and target < 65535:
            new = _fresh(doc)
            at(new)["targetPort"] = target + 1
            yield "targetPort +1", f"{where}.targetPort", new
        if isinstance(port.get("port"), int) and port["port"] < 65535:
            new = _fresh(doc)
            at(new)["port"] = port["port"] + 1
            if target is None:
                at(new)["targetPort"] = port["port"]
            yield "port +1", f"{where}.port", new
        new = _fresh(doc)
        at(new)["protocol"] = "UDP" if protocol != "UDP" else "TCP"
        yield "protocol changed", f"{where}.protocol", new
        if kind in ("NodePort", "LoadBalancer"):
            if port.get("nodePort"):
                new = _fresh(doc)
                del at(new)["nodePort"]
                yield "nodePort dropped (allocated)", f"{where}.nodePort", new
                new = _fresh(doc)
                at(new)["nodePort"] = port["nodePort"] + 1 if port["nodePort"] < 32767 else 30000
                yield "nodePort +1", f"{where}.nodePort", new
            else:
                new = _fresh(doc)
                at(new)["nodePort"] = 30000 + (31 * i + 7) % 2700
                yield "nodePort added", f"{where}.nodePort", new
        if port.get("name") and len(_service_ports(doc)) > 1:
            new = _fresh(doc)
            at(new)["name"] = f"{port['name']}-x"[:15]
            yield "port name changed", f"{where}.name", new


def _service_spec_edits(doc, scenario) -> Iterator[Edit]:
    spec = doc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    if kind == "ExternalName":
        target = spec.get("externalName")
        if isinstance(target, str) and "." in target.rstrip("."):
            new = _fresh(doc)
            new["spec"]["externalName"] = target.split(".", 1)[0]
            yield "externalName shortened to its first label", "spec.externalName", new
        return
    for other in ("ClusterIP", "NodePort", "LoadBalancer"):
        if other == kind:
            continue
        new = _fresh(doc)
        new.setdefault("spec", {})["type"] = other
        if other == "ClusterIP":
            for port in _service_ports(new):
                port.pop("nodePort", None)
            new["spec"].pop("externalTrafficPolicy", None)
        yield f"type changed to {other}", "spec.type", new
    if kind in ("NodePort", "LoadBalancer"):
        new = _fresh(doc)
        flipped = "Cluster" if spec.get("externalTrafficPolicy") == "Local" else "Local"
        new["spec"]["externalTrafficPolicy"] = flipped
        yield "externalTrafficPolicy flipped", "spec.externalTrafficPolicy", new
    selector = spec.get("selector")
    if isinstance(selector, dict):
        for key in list(selector):
            new = _fresh(doc)
            del new["spec"]["selector"][key]
            yield "selector key dropped", f"spec.selector.{key}", new
    if kind == "ClusterIP":
        new = _fresh(doc)
        if spec.get("clusterIP") == "None":
            del new["spec"]["clusterIP"]
            yield "headless dropped", "spec.clusterIP", new
        elif not spec.get("clusterIP"):
            new["spec"]["clusterIP"] = "None"
            yield "made headless (clusterIP: None)", "spec.clusterIP", new
    new = _fresh(doc)
    new.setdefault("spec", {})["publishNotReadyAddresses"] = not spec.get(
        "publishNotReadyAddresses"
    )
    yield "publishNotReadyAddresses flipped", "spec.publishNotReadyAddresses", new
    new = _fresh(doc)
    local = spec.get("internalTrafficPolicy") == "Local"
    new.setdefault("spec", {})["internalTrafficPolicy"] = "Cluster" if local else "Local"
    yield "internalTrafficPolicy flipped", "spec.internalTrafficPolicy", new
    yield from _affinity_edits(doc, spec)


def _affinity_edits(doc, spec) -> Iterator[Edit]:
    new = _fresh(doc)
    if spec.get("sessionAffinity") != "ClientIP":
        new.setdefault("spec", {})["sessionAffinity"] = "ClientIP"
        yield "sessionAffinity ClientIP added", "spec.sessionAffinity", new
        return
    new["spec"]["sessionAffinity"] = "None"
    new["spec"].pop("sessionAffinityConfig", None)
    yield "sessionAffinity dropped", "spec.sessionAffinity", new
    client_ip = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
    if isinstance(client_ip.get("timeoutSeconds"), int):
        new = _fresh(doc)
        del new["spec"]["sessionAffinityConfig"]
        yield "affinity timeout dropped (10800 s)", "spec.sessionAffinityConfig", new


_SERVICE_OPERATORS: list[Operator] = [_service_port_edits, _service_spec_edits, _namespace_edits]


# -- workloads and hand-written endpoints ------------------------------------------------------------


def _label_edits(doc, scenario) -> Iterator[Edit]:
    """A Pod's labels, or a Deployment's or StatefulSet's pod template labels."""
    pod = doc.get("kind") == "Pod"
    where = "metadata.labels" if pod else "spec.template.metadata.labels"

    def labels_of(d):
        meta = (
            d.get("metadata")
            if pod
            else ((d.get("spec") or {}).get("template") or {}).get("metadata")
        )
        return (meta or {}).get("labels")

    labels = labels_of(doc)
    if not isinstance(labels, dict):
        return
    for key in list(labels):
        new = _fresh(doc)
        del labels_of(new)[key]
        yield "label dropped", f"{where}.{key}", new
        new = _fresh(doc)
        labels_of(new)[key] = f"{labels[key]}x"[:63] if labels[key] else "x"
        yield "label value changed", f"{where}.{key}", new
        if not pod:
            new = _fresh(doc)
            value = labels_of(new).pop(key)
            new.setdefault("metadata", {}).setdefault("labels", {})[key] = value
            yield "label moved to the workload's own metadata", f"{where}.{key}", new


def _workload_edits(doc, scenario) -> Iterator[Edit]:
    spec = doc.get("spec") or {}
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas > 1:
        new = _fresh(doc)
        new["spec"]["replicas"] = replicas - 1
        yield "replicas −1", "spec.replicas", new
    if doc.get("kind") == "StatefulSet" and spec.get("serviceName"):
        new = _fresh(doc)
        del new["spec"]["serviceName"]
        yield "serviceName dropped", "spec.serviceName", new
        new = _fresh(doc)
        new["spec"]["serviceName"] = f"{spec['serviceName']}-x"[:63]
        yield "serviceName changed", "spec.serviceName", new


def _slice_edits(doc, scenario) -> Iterator[Edit]:
    meta = doc.get("metadata") or {}
    if "kubernetes.io/service-name" in (meta.get("labels") or {}):
        new = _fresh(doc)
        del new["metadata"]["labels"]["kubernetes.io/service-name"]
        yield "service-name label dropped", "metadata.labels", new
    for i, port in enumerate(doc.get("ports") or []):
        if not isinstance(port, dict):
            continue
        new = _fresh(doc)
        new["ports"][i]["name"] = f"{port.get('name') or 'p'}-x"[:15]
        yield "port name changed", f"ports[{i}].name", new
        if isinstance(port.get("port"), int) and port["port"] < 65535:
            new = _fresh(doc)
            new["ports"][i]["port"] = port["port"] + 1
            yield "port +1", f"ports[{i}].port", new
    endpoints = doc.get("endpoints") or []
    for i, endpoint in enumerate(endpoints):
        if not isinstance(endpoint, dict):
            continue
        new = _fresh(doc)
        new["endpoints"][i]["conditions"] = {"ready": False}
        yield "endpoint not ready", f"endpoints[{i}].conditions", new
        moved = _next_address((endpoint.get("addresses") or [None])[0])
        if moved:
            new = _fresh(doc)
            new["endpoints"][i]["addresses"][0] = moved
            yield "endpoint address moved by one", f"endpoints[{i}].addresses[0]", new
        if len(endpoints) > 1:
            new = _fresh(doc)
            del new["endpoints"][i]
            yield "endpoint dropped", f"endpoints[{i}]", new


def _endpoints_edits(doc, scenario) -> Iterator[Edit]:
    """A v1 Endpoints object (mirrored into a slice): the same slips, in its own shape."""
    for s, subset in enumerate(doc.get("subsets") or []):
        if not isinstance(subset, dict):
            continue
        for i, address in enumerate(subset.get("addresses") or []):
            if not isinstance(address, dict):
                continue
            new = _fresh(doc)
            new["subsets"][s]["addresses"].pop(i)
            new["subsets"][s].setdefault("notReadyAddresses", []).append(address)
            yield "address not ready", f"subsets[{s}].addresses[{i}]", new
            moved = _next_address(address.get("ip"))
            if moved:
                new = _fresh(doc)
                new["subsets"][s]["addresses"][i]["ip"] = moved
                yield "address moved by one", f"subsets[{s}].addresses[{i}].ip", new
        for i, port in enumerate(subset.get("ports") or []):
            if not isinstance(port, dict):
                continue
            new = _fresh(doc)
            new["subsets"][s]["ports"][i]["name"] = f"{port.get('name') or 'p'}-x"[:15]
            yield "port name changed", f"subsets[{s}].ports[{i}].name", new
            if isinstance(port.get("port"), int) and port["port"] < 65535:
                new = _fresh(doc)
                new["subsets"][s]["ports"][i]["port"] = port["port"] + 1
                yield "port +1", f"subsets[{s}].ports[{i}].port", new


def _next_address(text: Any) -> str | None:
    """The address after `text` (the one before, at the end of the range); None if not one."""
    try:
        address = ipaddress.ip_address(str(text))
    except ValueError:
        return None
    top = 2 ** (32 if address.version == 4 else 128) - 1
    return str(address + 1 if int(address) < top - 1 else address - 1)


_OPERATORS: dict[str, list[Operator]] = {
    "NetworkPolicy": _POLICY_OPERATORS,
    "Service": _SERVICE_OPERATORS,
    "Pod": [_label_edits, _namespace_edits],
    "Deployment": [_label_edits, _workload_edits, _namespace_edits],
    "StatefulSet": [_label_edits, _workload_edits, _namespace_edits],
    "EndpointSlice": [_slice_edits, _namespace_edits],
    "Endpoints": [_endpoints_edits, _namespace_edits],
}
