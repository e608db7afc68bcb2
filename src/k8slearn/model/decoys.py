"""Pods, namespaces, addresses and ports a scenario lacks but a cluster could have.

Two sets of NetworkPolicies (or two Services) can agree on every pod of a
small scenario and still differ: `team: ops` and `kubernetes.io/metadata.name:
monitoring` pick the same namespace until a second ops namespace appears. To
tell them apart we *invent* representatives — one endpoint for each way the
selectors, CIDRs and ports of either side can tell endpoints apart — but only
endpoints that could plausibly exist, made from what the scenario has:

* namespaces: a copy of each namespace under a new name (only its name label
  changes), copies with one selector label removed, set to a value no
  selector mentions, or set to one a selector does mention; a new namespace
  carrying just the labels each namespaceSelector asks for; a namespace named
  after each `kubernetes.io/metadata.name` value a selector mentions; one new
  namespace without labels;
* pods: a new pod carrying just the labels each podSelector asks for (in the
  namespace of the object that holds the selector); then, of every real or
  new pod, a copy in every other namespace, real or invented, and copies in
  its own namespace with one selector label removed, added or changed — to a
  value no selector mentions, or to one a selector does mention. A copy keeps
  the container ports of the pod it copies, so a named port means on it what
  it means on the original (a new pod declares none);
* hosts outside the cluster: the first and last address of every `cidr` and
  `except`, and the addresses just outside them;
* ports: the first and last port of every rule's port or range and the ports
  just outside it, each with every protocol the rules name plus one they do
  not name.

Endpoints that nothing on either side can tell apart are kept once, so the
universe stays small (tens of pods, not thousands) and the comparison fast.
Facts the API server guarantees hold for invented objects too: every
namespace carries `kubernetes.io/metadata.name` equal to its name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from k8slearn.manifests import names
from k8slearn.model.netpol import IPNetwork, NetworkPolicy
from k8slearn.model.reachability import PortKey
from k8slearn.model.scenario import (
    NAME_LABEL,
    PROTOCOLS,
    External,
    Namespace,
    Pod,
    Scenario,
    free_pod_ips,
    namespace,
)
from k8slearn.model.selectors import LabelSelector

MAX_INVENTED_PODS = 400  # beyond this the cheapest (closest to the scenario) are kept
_UNMENTIONED = "\x00"  # stands for "a value no selector mentions" in projections


@dataclass
class Vocabulary:
    """Everything the compared objects can tell apart: label keys and values, CIDRs, ports."""

    pod_labels: dict[str, set[str]] = field(default_factory=dict)
    namespace_labels: dict[str, set[str]] = field(default_factory=dict)
    pod_selectors: list[tuple[str, LabelSelector]] = field(default_factory=list)  # (home, sel)
    namespace_selectors: list[LabelSelector] = field(default_factory=list)
    networks: set[IPNetwork] = field(default_factory=set)
    ranges: set[tuple[int, int, str]] = field(default_factory=set)  # (first, last, protocol)
    protocols: set[str] = field(default_factory=set)
    named_ports: bool = False
    homes: set[str] = field(default_factory=set)  # namespaces the objects live in

    @classmethod
    def of_policies(cls, policies: Iterable[NetworkPolicy]) -> Vocabulary:
        vocab = cls()
        for policy in policies:
            vocab.homes.add(policy.namespace)
            vocab.add_pod_selector(policy.namespace, policy.pod_selector)
            for rule in (*policy.ingress, *policy.egress):
                for peer in rule.peers:
                    if peer.ip_block is not None:
                        vocab.networks.add(peer.ip_block.cidr)
                        vocab.networks.update(peer.ip_block.excepts)
                    if peer.pod_selector is not None:
                        vocab.add_pod_selector(policy.namespace, peer.pod_selector)
                    if peer.namespace_selector is not None:
                        _mention(vocab.namespace_labels, peer.namespace_selector)
                        if peer.namespace_selector not in vocab.namespace_selectors:
                            vocab.namespace_selectors.append(peer.namespace_selector)
                for port in rule.ports:
                    vocab.protocols.add(port.protocol)
                    if isinstance(port.port, str):
                        vocab.named_ports = True
                    elif port.port is not None:
                        last = port.end_port if port.end_port is not None else port.port
                        vocab.ranges.add((port.port, last, port.protocol))
        return vocab

    def add_pod_selector(self, home: str, selector: LabelSelector) -> None:
        _mention(self.pod_labels, selector)
        if (home, selector) not in self.pod_selectors:
            self.pod_selectors.append((home, selector))


def _mention(into: dict[str, set[str]], selector: LabelSelector) -> None:
    for req in selector.requirements:
        into.setdefault(req.key, set()).update(req.values)


def satisfying(selector: LabelSelector, mentioned: dict[str, set[str]]) -> dict[str, str] | None:
    """The fewest labels `selector` matches, or None when nothing can match it."""
    labels: dict[str, str] = {}
    for key in dict.fromkeys(req.key for req in selector.requirements):
        reqs = [r for r in selector.requirements if r.key == key]
        allowed: set[str] | None = None  # None: any value
        for req in reqs:
            if req.operator == "In":
                allowed = set(req.values) if allowed is None else allowed & req.values
        refused = {v for r in reqs if r.operator == "NotIn" for v in r.values}
        if allowed is not None:
            choices = sorted(allowed - refused)
            if not choices:
                return None
            labels[key] = choices[0]
        elif any(r.operator == "Exists" for r in reqs):
            labels[key] = _fresh_value(mentioned.get(key, set()) | refused)
    return labels if selector.matches(labels) else None


@dataclass(frozen=True)
class Invented:
    """An endpoint or port that is not in the scenario, and how to say what it is."""

    key: str
    words: str  # "a copy of shop/api (app=api) in a new namespace shop-2 labelled team=shop"
    cost: int  # how far from the scenario: 1 for one change, 2 for two


@dataclass
class Universe:
    """The invented objects, added to a scenario with `extend`."""

    namespaces: list[Namespace] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    externals: list[External] = field(default_factory=list)
    ports: list[PortKey] = field(default_factory=list)  # the given ports first
    invented: dict[str, Invented] = field(default_factory=dict)  # by endpoint key
    invented_namespaces: dict[str, Invented] = field(default_factory=dict)  # by name
    invented_ports: dict[PortKey, Invented] = field(default_factory=dict)
    # Copies that took a label value some selector mentions: another app's pod wearing this
    # one's label. Its container ports are its own app's, so it cannot say what a port *name*
    # means for the pods that label is meant for.
    adopted: set[str] = field(default_factory=set)

    def extend(self, scenario: Scenario) -> Scenario:
        namespaces = dict(scenario.namespaces)
        for ns in self.namespaces:
            namespaces.setdefault(ns.name, ns)
        return replace(
            scenario,
            namespaces=namespaces,
            pods=[*scenario.pods, *self.pods],
            externals=[*scenario.externals, *self.externals],
        )

    def cost(self, key: str) -> int:
        found = self.invented.get(key)
        return found.cost if found else 0


def invent(scenarios: list[Scenario], vocab: Vocabulary, ports: Iterable[PortKey]) -> Universe:
    """Representatives for everything `vocab` can tell apart that `scenarios` lack.

    `scenarios` are the worlds being compared (the solution's first); their
    pods and namespaces are the models the invented ones are copied from.
    """
    universe = Universe()
    namespaces: dict[str, Namespace] = {}
    pods: dict[str, Pod] = {}
    externals: dict[str, External] = {}
    for scenario in scenarios:
        for ns in scenario.namespaces.values():
            namespaces.setdefault(ns.name, ns)
        for pod in scenario.pods:
            pods.setdefault(pod.key, pod)
        for ext in scenario.externals:
            externals.setdefault(ext.name, ext)
    _invent_namespaces(universe, vocab, namespaces)
    _invent_pods(universe, vocab, list(pods.values()), namespaces)
    taken = {p.ip for p in pods.values()} | {e.ip for e in externals.values()}
    _invent_externals(universe, vocab, list(externals.values()), taken)
    _invent_ports(universe, vocab, list(ports))
    return universe


# -- namespaces ---------------------------------------------------------------------------------


def _project(labels: Mapping[str, str], keys: dict[str, set[str]]) -> tuple:
    """What selectors over `keys` can see of `labels`."""
    return tuple(
        None if k not in labels else (labels[k] if labels[k] in keys[k] else _UNMENTIONED)
        for k in sorted(keys)
    )


def _namespace_class(ns: Namespace, vocab: Vocabulary) -> tuple:
    # A namespace an object lives in is special by name (a podSelector-only peer means it);
    # any other namespace is only what its labels say.
    if ns.name in vocab.homes:
        return ("home", ns.name)
    return ("labels", _project(ns.labels, vocab.namespace_labels))


def _fresh_value(mentioned: set[str]) -> str:
    value, n = "other", 1
    while value in mentioned:
        n += 1
        value = f"other-{n}"
    return value


def _fresh_name(base: str, taken: set[str]) -> str:
    """`base` itself, else `base-2`, `base-3`, …: the first not in `taken` (a valid DNS label)."""
    base = base[:58].rstrip("-.") or "x"
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _show_labels(labels: Mapping[str, str]) -> str:
    shown = [f"{k}={v}" for k, v in sorted(labels.items()) if k != NAME_LABEL]
    return ",".join(shown)


def _without(labels: Mapping[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k != key}


def _invent_namespaces(
    universe: Universe, vocab: Vocabulary, existing: dict[str, Namespace]
) -> None:
    seen = {_namespace_class(ns, vocab) for ns in existing.values()}
    taken = set(existing)

    def offer(base: str, labels: dict[str, str], named: bool = False) -> None:
        name = base if named else _fresh_name(base, taken)
        ns = namespace(name, labels)
        cls = _namespace_class(ns, vocab)
        if cls in seen or name in taken:
            return
        seen.add(cls)
        taken.add(name)
        universe.namespaces.append(ns)
        shown = _show_labels(ns.labels)
        words = (
            f"a namespace named {name}"
            if named
            else f"a new namespace {name} " + (f"labelled {shown}" if shown else "without labels")
        )
        universe.invented_namespaces[name] = Invented(name, words, 1)

    def base_for(value: str) -> str:
        return value if names.is_dns1123_label(value) else "new-ns"

    plain = {ns.name: _without(ns.labels, NAME_LABEL) for ns in existing.values()}
    for name, labels in plain.items():
        offer(name, labels)  # the same labels under another name
    for selector in vocab.namespace_selectors:
        labels = satisfying(selector, vocab.namespace_labels)
        if labels is not None and NAME_LABEL not in labels:
            offer(base_for(next(iter(labels.values()), "new-ns")), labels)
    for labels in plain.values():
        for key in sorted(vocab.namespace_labels):
            if key == NAME_LABEL:
                continue
            mentioned = vocab.namespace_labels[key]
            fresh = _fresh_value(mentioned)
            if key in labels:
                offer("new-ns", _without(labels, key))
            offer(fresh, {**labels, key: fresh})
            for value in sorted(mentioned):
                if labels.get(key) != value:
                    offer(base_for(value), {**labels, key: value})
    for value in sorted(vocab.namespace_labels.get(NAME_LABEL, ())):
        if names.is_dns1123_label(value):
            offer(value, {}, named=True)
    offer("new-ns", {})


# -- pods -----------------------------------------------------------------------------------------


def _pod_class(pod: Pod, ns: Namespace, vocab: Vocabulary) -> tuple:
    return (_namespace_class(ns, vocab), _project(pod.labels, vocab.pod_labels), pod.ports)


@dataclass(frozen=True)
class _Seed:
    pod: Pod
    cost: int  # 0: a pod of the scenario; 1: a new pod made for a selector
    words: str  # how a copy names it: "a copy of shop/web" or "a new pod"


def _invent_pods(
    universe: Universe, vocab: Vocabulary, real: list[Pod], real_namespaces: dict[str, Namespace]
) -> None:
    namespaces = {**real_namespaces, **{ns.name: ns for ns in universe.namespaces}}
    seen = {
        _pod_class(p, namespaces[p.namespace], vocab) for p in real if p.namespace in namespaces
    }
    taken: dict[str, set[str]] = {}  # namespace -> pod names in use
    for p in real:
        taken.setdefault(p.namespace, set()).add(p.name)
    offers: list[tuple[int, Pod, str, bool]] = []

    def offer(
        seed: Pod, ns: str, labels: dict[str, str], words: str, cost: int, adopted: bool = False
    ) -> Pod | None:
        used = taken.setdefault(ns, set())
        pod = Pod(ns, seed.name, MappingProxyType(labels), "", seed.ready, seed.ports)
        cls = _pod_class(pod, namespaces[ns], vocab)
        if cls in seen:
            return None
        if seed.name in used:
            pod = replace(pod, name=_fresh_name(f"{seed.name[:57]}-copy", used))
        seen.add(cls)
        used.add(pod.name)
        offers.append((cost, pod, words, adopted))
        return pod

    def synthesized() -> list[_Seed]:
        out = []
        for home, selector in vocab.pod_selectors:
            labels = satisfying(selector, vocab.pod_labels)
            if labels is None or home not in namespaces:
                continue
            first = next(iter(labels.values()), "")
            name = f"new-{first}"[:57].rstrip("-.")
            base = Pod(home, name if names.is_dns1123_label(name) else "new-pod", {}, "")
            words = f"a new pod labelled {_show_labels(labels) or '(nothing)'} in namespace {home}"
            pod = offer(base, home, labels, words, 1)
            # Its class may already be there (a copy of a real pod); its copies still count.
            out.append(_Seed(pod or replace(base, labels=MappingProxyType(labels)), 1, "a new pod"))
        return out

    def vary(seed: _Seed) -> None:
        pod, labels = seed.pod, dict(seed.pod.labels)
        shown = _show_labels(labels) or "no labels"
        for key in sorted(vocab.pod_labels):
            mentioned = vocab.pod_labels[key]
            # (labels, words, adopted: takes a value a selector mentions, moving into it)
            changes: list[tuple[dict[str, str], str, bool]] = []
            fresh = _fresh_value(mentioned)
            if key in labels:
                changes.append((_without(labels, key), f"without the label {key}", False))
                changes.append(
                    (
                        {**labels, key: fresh},
                        f"labelled {key}={fresh} instead of {key}={labels[key]}",
                        False,
                    )
                )
            else:  # `Exists` and `DoesNotExist` tell a pod with the key from one without
                changes.append(
                    ({**labels, key: fresh}, f"with the label {key}={fresh} added", False)
                )
            for value in sorted(mentioned):
                if labels.get(key) != value:
                    change = (
                        f"labelled {key}={value} instead of {key}={labels[key]}"
                        if key in labels
                        else f"with the label {key}={value} added"
                    )
                    changes.append(({**labels, key: value}, change, True))
            for new_labels, change, adopted in changes:
                if seed.cost == 0:
                    words = f"{seed.words} {change}"
                else:
                    words = f"a new pod labelled {_show_labels(new_labels) or '(nothing)'} in namespace {pod.namespace}"
                offer(pod, pod.namespace, new_labels, words, seed.cost + 1, adopted)
        for ns in namespaces.values():
            if ns.name == pod.namespace:
                continue
            invented_ns = universe.invented_namespaces.get(ns.name)
            where = invented_ns.words if invented_ns else f"namespace {ns.name}"
            if seed.cost == 0:
                words = f"{seed.words} ({shown}) in {where}"
            else:
                words = f"a new pod labelled {shown} in {where}"
            offer(pod, ns.name, labels, words, seed.cost + 1 + (invented_ns is not None))

    # Copies of real pods first: where a copy and a new pod show the same thing, the copy
    # reads better ("a copy of shop/web-1 without the label tier").
    for pod in real:
        vary(_Seed(pod, 0, f"a copy of {pod.key}"))
    for seed in synthesized():
        vary(seed)
    offers.sort(key=lambda o: o[0])  # stable: the closest to the scenario first
    ips = free_pod_ips({p.ip for p in real})
    for cost, pod, words, adopted in offers[:MAX_INVENTED_PODS]:
        pod = replace(pod, ip=next(ips))
        universe.pods.append(pod)
        universe.invented[pod.key] = Invented(pod.key, words, cost)
        if adopted:
            universe.adopted.add(pod.key)


# -- hosts outside the cluster --------------------------------------------------------------------


def _invent_externals(
    universe: Universe, vocab: Vocabulary, existing: list[External], taken: set[str]
) -> None:
    networks = sorted(vocab.networks, key=lambda n: (n.version, n))

    def cls(ip: str) -> tuple[bool, ...]:
        address = ipaddress.ip_address(ip)
        return tuple(address.version == n.version and address in n for n in networks)

    seen = {cls(e.ip) for e in existing}
    for net in networks:
        first, last = net.network_address, net.broadcast_address
        for address in (first, last, first - 1 if int(first) else None, _next(last)):
            if address is None:
                continue
            ip = str(address)
            if ip in taken or cls(ip) in seen:
                continue
            seen.add(cls(ip))
            taken.add(ip)
            universe.externals.append(External(ip, ip))
            universe.invented[ip] = Invented(ip, f"a host outside the cluster at {ip}", 1)
    if not existing and not universe.externals:
        ip = "198.51.100.1"
        universe.externals.append(External(ip, ip))
        universe.invented[ip] = Invented(ip, f"a host outside the cluster at {ip}", 1)


def _next(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    try:
        return address + 1
    except ipaddress.AddressValueError:
        return None


# -- ports ----------------------------------------------------------------------------------------


def _invent_ports(universe: Universe, vocab: Vocabulary, given: list[PortKey]) -> None:
    numbers = {number for number, _ in given}
    for first, last, _protocol in vocab.ranges:
        numbers.update(n for n in (first - 1, first, last, last + 1) if 1 <= n <= 65535)
    if not numbers:
        numbers.add(80)
    protocols = {protocol for _, protocol in given} | vocab.protocols | {"TCP"}
    unnamed = [p for p in PROTOCOLS if p not in protocols]
    if unnamed:
        protocols.add(unnamed[0])  # one protocol no rule names stands for all of them
    universe.ports = list(dict.fromkeys(given))
    known = set(universe.ports)
    for number in sorted(numbers):
        for protocol in sorted(protocols, key=PROTOCOLS.index):
            port = (number, protocol)
            if port not in known:
                known.add(port)
                universe.ports.append(port)
                universe.invented_ports[port] = Invented(
                    f"{number}/{protocol}", f"port {number}/{protocol}", 1
                )
