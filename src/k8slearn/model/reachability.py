"""The truth table: for every source, destination and port, is the connection allowed?

This is the fast engine. Endpoints (pods, then hosts outside the cluster) are
bit positions; every selector, peer and rule becomes a bitset (a Python int)
computed once, and each policy is visited once per port. A row of the table is
one int: bit j of `rows[i]` says whether endpoint i may connect to endpoint j.
The tests hold it to `oracle.py`, which asks the same question pair by pair.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from k8slearn.model.netpol import Endpoint, IPBlock, NetworkPolicy, Peer, Rule
from k8slearn.model.scenario import External, Pod, Scenario
from k8slearn.model.selectors import LabelSelector, Requirement

PortKey = tuple[int, str]  # (port, protocol)


def iter_bits(mask: int) -> Iterator[int]:
    """Positions of the set bits of `mask`, lowest first.

    Peeling bits off a 10,000-bit mask one by one costs a pass over the whole
    number per bit; its binary text, searched for '1's, costs one pass in all.
    """
    if mask.bit_length() <= 64:
        while mask:
            low = mask & -mask
            yield low.bit_length() - 1
            mask ^= low
        return
    text = bin(mask)[:1:-1]  # lowest bit first
    i = text.find("1")
    while i != -1:
        yield i
        i = text.find("1", i + 1)


def spread_rows(rectangles: Sequence[tuple[int, int]], n: int, batch: int = 512) -> list[int]:
    """Row i of n: the union of the destinations of every (sources, destinations) rectangle
    whose sources hold i.

    Spreading each rectangle over its sources one by one costs a big-integer OR per source
    per rectangle: millions at 10,000 pods, where a namespaceSelector peer holds thousands.
    Instead, each source's *signature* (which rectangles hold it) is read off all the
    sources' bit strings at once, a transpose done by `zip` in C. Sources with the same
    signature share a row, and a signature's row is the union of its pieces' rows, each
    piece (32 rectangles) worked out once. Rectangles go `batch` at a time, so the transpose
    holds n x `batch` characters at most.
    """
    rows = [0] * n
    if n == 0:
        return rows
    width = 32
    for first in range(0, len(rectangles), batch):
        chunk = rectangles[first : first + batch]
        destinations = [d for _, d in chunk]
        texts = [format(sources, f"0{n}b")[::-1] for sources, _ in chunk]  # char i: bit i
        pieces: dict[tuple[int, str], int] = {}
        by_signature: dict[str, int] = {}
        for i, signature in enumerate(map("".join, zip(*texts, strict=True))):
            row = by_signature.get(signature)
            if row is None:
                row = 0
                for start in range(0, len(signature), width):
                    piece = signature[start : start + width]
                    if "1" not in piece:
                        continue
                    part = pieces.get((start, piece))
                    if part is None:
                        part = 0
                        k = piece.find("1")
                        while k != -1:
                            part |= destinations[start + k]
                            k = piece.find("1", k + 1)
                        pieces[start, piece] = part
                    row |= part
                by_signature[signature] = row
            if row:
                rows[i] |= row
    return rows


@dataclass
class TruthTable:
    """Allowed connections between `endpoints` on each of `ports`."""

    endpoints: list[Endpoint]
    ports: list[PortKey]
    rows: dict[PortKey, list[int]]

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {endpoint.key: i for i, endpoint in enumerate(self.endpoints)}

    def index(self, key: str) -> int:
        return self._positions[key]

    def allowed(self, src: str, dst: str, port: int, protocol: str = "TCP") -> bool:
        rows = self.rows[(port, protocol)]
        return bool(rows[self.index(src)] >> self.index(dst) & 1)

    @property
    def pods(self) -> list[Pod]:
        return [e for e in self.endpoints if isinstance(e, Pod)]

    @property
    def externals(self) -> list[External]:
        return [e for e in self.endpoints if isinstance(e, External)]

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Every (from, to) pair the table speaks about; two outside hosts are no pair."""
        n = len(self.endpoints)
        pods = len(self.pods)
        for i in range(n):
            for j in range(n):
                if i >= pods and j >= pods:
                    continue
                yield i, j

    def bitstring(self, port: PortKey, i: int) -> str:
        """Row i as '0'/'1' characters, character j for endpoint j."""
        n = len(self.endpoints)
        return format(self.rows[port][i], f"0{n}b")[::-1][:n] if n else ""

    def to_results(self) -> dict:
        """`{"pods", "externals", "results": [...]}`: one result per pair per port."""
        results = []
        for port, protocol in self.ports:
            rows = self.rows[(port, protocol)]
            for i, j in self.pairs():
                results.append(
                    {
                        "from": self.endpoints[i].key,
                        "to": self.endpoints[j].key,
                        "port": port,
                        "protocol": protocol,
                        "allowed": bool(rows[i] >> j & 1),
                    }
                )
        out: dict = {"pods": [p.key for p in self.pods]}
        if self.externals:
            out["externals"] = [e.key for e in self.externals]
        out["results"] = results
        return out

    def to_matrix(self) -> dict:
        """The compact form: row i is from endpoint i, character j to endpoint j."""
        out: dict = {"pods": [p.key for p in self.pods]}
        if self.externals:
            out["externals"] = [e.key for e in self.externals]
        out["tables"] = {
            f"{port}/{protocol}": [
                self.bitstring((port, protocol), i) for i in range(len(self.endpoints))
            ]
            for port, protocol in self.ports
        }
        return out

    def matrix_json(self) -> Iterator[str]:
        """`to_matrix()` as `json.dumps(..., indent=2, ensure_ascii=False)` writes it, in
        pieces: a 10,000-pod table is 200 MB of '0's and '1's, which need not also sit in
        memory as a list of rows and again as one string (nor pass through the pure-Python
        encoder that `indent` selects)."""
        import json

        def strings(name: str, items: Iterable[str], depth: int, last: bool) -> Iterator[str]:
            pad = "  " * depth
            yield f"{pad}{json.dumps(name, ensure_ascii=False)}: ["
            first = True
            for item in items:
                yield f"{'' if first else ','}\n{pad}  {item}"
                first = False
            yield ("]" if first else f"\n{pad}]") + ("\n" if last else ",\n")

        def quoted(keys: Iterable[str]) -> Iterator[str]:
            return (json.dumps(k, ensure_ascii=False) for k in keys)

        yield "{\n"
        yield from strings("pods", quoted(p.key for p in self.pods), 1, False)
        if self.externals:
            yield from strings("externals", quoted(e.key for e in self.externals), 1, False)
        if not self.ports:
            yield '  "tables": {}\n}'
            return
        yield '  "tables": {\n'
        rows = range(len(self.endpoints))
        for k, port in enumerate(self.ports):
            bits = (f'"{self.bitstring(port, i)}"' for i in rows)
            yield from strings(f"{port[0]}/{port[1]}", bits, 2, k == len(self.ports) - 1)
        yield "  }\n}"

    def differences(self, other: TruthTable) -> list[tuple[str, str, PortKey, bool]]:
        """Cells where `other` (same endpoints) differs: (from, to, port, allowed here)."""
        out = []
        for port in self.ports:
            mine, theirs = self.rows[port], other.rows.get(port)
            if theirs is None:
                continue
            for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                for j in iter_bits(a ^ b):
                    if i >= len(self.pods) and j >= len(self.pods):
                        continue
                    out.append(
                        (self.endpoints[i].key, self.endpoints[j].key, port, bool(a >> j & 1))
                    )
        return out


class ReachabilityModel:
    """Policies compiled against one scenario; answers truth tables for any ports."""

    def __init__(self, scenario: Scenario, policies: Iterable[NetworkPolicy]):
        self.scenario = scenario
        self.policies = list(policies)
        self.endpoints: list[Endpoint] = [*scenario.pods, *scenario.externals]
        self.all = (1 << len(self.endpoints)) - 1
        self.pod_count = len(scenario.pods)
        self._index_labels()
        self._selector_cache: dict[tuple[str, LabelSelector], int] = {}
        self._ipblock_cache: dict[IPBlock, int] = {}
        self._compiled = [self._compile(p) for p in self.policies]

    # -- bitsets of pods ------------------------------------------------------------

    def _index_labels(self) -> None:
        self.by_label: dict[tuple[str, str], int] = defaultdict(int)
        self.by_key: dict[str, int] = defaultdict(int)
        self.by_namespace: dict[str, int] = defaultdict(int)
        self.by_named_port: dict[tuple[str, str, int], int] = defaultdict(int)
        for i, pod in enumerate(self.scenario.pods):
            bit = 1 << i
            self.by_namespace[pod.namespace] |= bit
            for k, v in pod.labels.items():
                self.by_label[(k, v)] |= bit
                self.by_key[k] |= bit
            named: set[tuple[str, str]] = set()
            for cp in pod.ports:
                # The first declaration of a name wins, as in Pod.named_port (and upstream FindPort).
                if cp.name and (cp.name, cp.protocol) not in named:
                    named.add((cp.name, cp.protocol))
                    self.by_named_port[(cp.name, cp.protocol, cp.port)] |= bit
        self.all_pods = (1 << self.pod_count) - 1
        self.ns_by_label: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.ns_by_key: dict[str, set[str]] = defaultdict(set)
        for ns in self.scenario.namespaces.values():
            for k, v in ns.labels.items():
                self.ns_by_label[(k, v)].add(ns.name)
                self.ns_by_key[k].add(ns.name)

    def _requirement_pods(self, req: Requirement) -> int:
        in_values = 0
        for value in req.values:
            in_values |= self.by_label.get((req.key, value), 0)
        if req.operator == "In":
            return in_values
        if req.operator == "NotIn":
            return self.all_pods & ~in_values
        if req.operator == "Exists":
            return self.by_key.get(req.key, 0)
        return self.all_pods & ~self.by_key.get(req.key, 0)

    def pods_matching(self, selector: LabelSelector) -> int:
        """Bitset of every pod (any namespace) whose labels match `selector`."""
        cached = self._selector_cache.get(("pod", selector))
        if cached is None:
            cached = self.all_pods
            for req in selector.requirements:
                cached &= self._requirement_pods(req)
            self._selector_cache[("pod", selector)] = cached
        return cached

    def namespaces_matching(self, selector: LabelSelector) -> int:
        """Bitset of every pod living in a namespace whose labels match `selector`."""
        cached = self._selector_cache.get(("ns", selector))
        if cached is None:
            chosen = set(self.scenario.namespaces)
            for req in selector.requirements:
                with_value: set[str] = set()
                for value in req.values:
                    with_value |= self.ns_by_label.get((req.key, value), set())
                if req.operator == "In":
                    chosen &= with_value
                elif req.operator == "NotIn":
                    chosen -= with_value
                elif req.operator == "Exists":
                    chosen &= self.ns_by_key.get(req.key, set())
                else:
                    chosen -= self.ns_by_key.get(req.key, set())
            cached = 0
            for name in chosen:
                cached |= self.by_namespace.get(name, 0)
            self._selector_cache[("ns", selector)] = cached
        return cached

    def endpoints_in_block(self, block: IPBlock) -> int:
        cached = self._ipblock_cache.get(block)
        if cached is None:
            cached = 0
            for i, endpoint in enumerate(self.endpoints):
                if block.contains(endpoint.ip):
                    cached |= 1 << i
            self._ipblock_cache[block] = cached
        return cached

    def peer_mask(self, peer: Peer, policy_namespace: str) -> int:
        if peer.ip_block is not None:
            return self.endpoints_in_block(peer.ip_block)
        if peer.namespace_selector is None:
            mask = self.by_namespace.get(policy_namespace, 0)
        else:
            mask = self.namespaces_matching(peer.namespace_selector)
        if peer.pod_selector is not None:
            mask &= self.pods_matching(peer.pod_selector)
        return mask

    # -- compiling policies ---------------------------------------------------------------

    def _compile(self, policy: NetworkPolicy) -> _CompiledPolicy:
        selected = self.by_namespace.get(policy.namespace, 0) & self.pods_matching(
            policy.pod_selector
        )
        return _CompiledPolicy(
            policy=policy,
            selected=selected,
            ingress=[self._compile_rule(r, policy.namespace) for r in policy.ingress],
            egress=[self._compile_rule(r, policy.namespace) for r in policy.egress],
        )

    def _compile_rule(self, rule: Rule, namespace: str) -> _CompiledRule:
        if not rule.peers:
            peers = self.all
        else:
            peers = 0
            for peer in rule.peers:
                peers |= self.peer_mask(peer, namespace)
        return _CompiledRule(rule, peers)

    def _port_mask(self, rule: Rule, port: int, protocol: str) -> int:
        """Destinations (as a bitset) for which the rule's ports admit port/protocol."""
        if not rule.ports:
            return self.all
        mask = 0
        for pp in rule.ports:
            if pp.protocol != protocol:
                continue
            if pp.port is None:
                return self.all
            if isinstance(pp.port, str):
                mask |= self.by_named_port.get((pp.port, protocol, port), 0)
            elif pp.port == port or (pp.end_port is not None and pp.port <= port <= pp.end_port):
                return self.all
        return mask

    # -- the table ---------------------------------------------------------------------------

    def isolated(self) -> tuple[int, int]:
        """Bitsets of the pods isolated for ingress and for egress."""
        ingress = egress = 0
        for cp in self._compiled:
            if cp.policy.isolates_ingress:
                ingress |= cp.selected
            if cp.policy.isolates_egress:
                egress |= cp.selected
        return ingress, egress

    def rows_for(self, port: int, protocol: str, loopback: bool = True) -> list[int]:
        """Row i: the endpoints endpoint i may connect to on port/protocol.

        With `loopback=False` the diagonal holds what the policies alone say of a
        pod's connection to *another* pod exactly like it (a second replica) —
        the semantic comparison's question — instead of the always-allowed
        connection of a pod to itself.
        """
        n = len(self.endpoints)
        in_isolated, eg_isolated = self.isolated()

        # Ingress, gathered as rectangles "these sources may reach these destinations",
        # merged by source set, then spread into rows.
        by_sources: dict[int, int] = defaultdict(int)
        for cp in self._compiled:
            if not cp.policy.isolates_ingress or not cp.selected:
                continue
            for cr in cp.ingress:
                destinations = cp.selected & self._port_mask(cr.rule, port, protocol)
                if destinations and cr.peers:
                    by_sources[cr.peers] |= destinations
        open_to_all = self.all & ~in_isolated | by_sources.pop(self.all, 0)
        ingress_rows = [open_to_all | row for row in spread_rows(list(by_sources.items()), n)]

        # Egress, per isolated source: the union of what its policies' rules allow.
        egress_rows = [self.all] * n
        for i in iter_bits(eg_isolated):
            egress_rows[i] = 0
        for cp in self._compiled:
            if not cp.policy.isolates_egress or not cp.selected:
                continue
            allowed = 0
            for cr in cp.egress:
                allowed |= cr.peers & self._port_mask(cr.rule, port, protocol)
            if allowed:
                for i in iter_bits(cp.selected):
                    egress_rows[i] |= allowed
        rows = [e & g for e, g in zip(egress_rows, ingress_rows, strict=True)]
        if loopback:
            for i in range(self.pod_count):
                rows[i] |= 1 << i  # a pod cannot block access to itself (explain.SELF_CONNECTION)
        for i in range(self.pod_count, n):
            # Between two hosts outside the cluster there is nothing to say.
            rows[i] &= self.all_pods
        return rows

    def table(self, ports: Sequence[PortKey] | None = None) -> TruthTable:
        """The truth table on `ports`, by default every declared container port."""
        chosen = list(ports) if ports is not None else self.scenario.declared_ports()
        return TruthTable(
            endpoints=self.endpoints,
            ports=chosen,
            rows={p: self.rows_for(*p) for p in chosen},
        )


@dataclass(slots=True)
class _CompiledRule:
    rule: Rule
    peers: int  # every endpoint a peer of the rule matches


@dataclass(slots=True)
class _CompiledPolicy:
    policy: NetworkPolicy
    selected: int  # pods the policy applies to
    ingress: list[_CompiledRule]
    egress: list[_CompiledRule]


def parse_port(text: str) -> PortKey:
    """`80`, `80/TCP` or `53/udp` → (80, "TCP") …; raises ValueError with a clear message."""
    number, _, protocol = text.partition("/")
    protocol = (protocol or "TCP").upper()
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise ValueError(f"{text!r}: the protocol must be TCP, UDP or SCTP")
    if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= 65535:
        raise ValueError(f"{text!r}: a port is a number from 1 to 65535, like 80 or 53/UDP")
    return int(number), protocol


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
