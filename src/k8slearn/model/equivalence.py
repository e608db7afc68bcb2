"""Where two sets of NetworkPolicies differ — on the scenario, or on an invented endpoint.

`compare_policies` puts the answer's and the solution's policies into the same
universe (the scenario plus the representatives of `decoys.py`), computes both
truth tables with the bitset engine and looks for cells that differ. Cells
between the scenario's own endpoints on the scenario's ports are counted as
before; beyond them, the cheapest difference — the one that needs the fewest
invented things — becomes the counterexample a learner reads.

A pod and a second pod exactly like it (another replica) are one class of the
universe, so the diagonal of the compared tables holds what the policies say
of a connection between two such pods, not the always-allowed connection of a
pod to itself.

Two rules keep the invented cells fair:

* an invented pod is judged as a destination only on the ports it declares
  (a copy keeps the ports of its original); one that declares none is judged
  as a destination only when no rule on either side names a port, since a
  named port resolves on no such pod; and when a rule names a port, neither is
  a copy that took another app's label value (a frontend copy labelled
  app=api): its port names are the frontend's, not what `http` means on the
  api pods;
* two hosts outside the cluster are no pair, as in every truth table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from k8slearn.model.decoys import Invented, Universe, Vocabulary, invent
from k8slearn.model.netpol import Endpoint
from k8slearn.model.reachability import PortKey, iter_bits
from k8slearn.model.scenario import Pod
from k8slearn.model.selectors import LabelSelector
from k8slearn.model.services import resolve_target_port
from k8slearn.model.world import World


@dataclass(frozen=True)
class Difference:
    """One connection the two sides judge differently."""

    source: Endpoint
    destination: Endpoint
    port: PortKey
    answer_allows: bool
    invented: tuple[Invented, ...] = ()  # the parts of it the scenario does not have

    @property
    def cost(self) -> int:
        return sum(i.cost for i in self.invented)


@dataclass
class PolicyComparison:
    """The outcome: differences on the scenario, and the cheapest one anywhere."""

    scenario_differences: list[Difference]
    counterexample: Difference | None
    answer: World  # the answer's policies over the universe, to explain the counterexample
    solution: World
    scenario_cells: int
    universe_cells: int

    @property
    def equivalent(self) -> bool:
        return self.counterexample is None


def compare_policies(
    answer: World, solution: World, ports: list[PortKey], *, invented: bool = True
) -> PolicyComparison:
    """Compare the policies of two worlds over the scenario and, unless told not to, beyond it."""
    vocab = Vocabulary.of_policies([*answer.policies, *solution.policies])
    if invented:
        universe = invent([solution.scenario, answer.scenario], vocab, ports)
    else:
        universe = Universe(ports=list(ports))
    mine = answer.over(universe.extend(answer.scenario))
    theirs = solution.over(universe.extend(solution.scenario))
    return _Comparer(mine, theirs, universe, vocab).run()


class _Comparer:
    def __init__(self, mine: World, theirs: World, universe: Universe, vocab: Vocabulary) -> None:
        self.mine, self.theirs, self.universe = mine, theirs, universe
        mine_keys = [e.key for e in mine.model.endpoints]
        theirs_keys = [e.key for e in theirs.model.endpoints]
        # Both sides usually list the same endpoints; when the answer adds or drops pods,
        # only the endpoints both know are compared.
        self.aligned = mine_keys == theirs_keys
        known = set(mine_keys)
        self.endpoints = [e for e in theirs.model.endpoints if e.key in known]
        self.pods = sum(isinstance(e, Pod) for e in self.endpoints)
        self.cost = [universe.cost(e.key) for e in self.endpoints]
        self.real = sum(1 << i for i, cost in enumerate(self.cost) if cost == 0)
        self.named = vocab.named_ports
        self._always, self._by_port = self._destination_masks()

    def _destination_masks(self) -> tuple[int, dict[PortKey, int]]:
        """Who is judged as a destination (the module's fairness rules): on every port, and
        per port for invented pods, which only count on the ports they declare."""
        always = self.real | (((1 << len(self.endpoints)) - 1) ^ ((1 << self.pods) - 1))
        by_port: dict[PortKey, int] = {}
        for i in range(self.pods):
            pod = self.endpoints[i]
            assert isinstance(pod, Pod)
            if self.cost[i] == 0 or (self.named and pod.key in self.universe.adopted):
                continue
            if not pod.ports:
                if not self.named:
                    always |= 1 << i
                continue
            for cp in pod.ports:
                key = (cp.port, cp.protocol)
                by_port[key] = by_port.get(key, 0) | 1 << i
        return always, by_port

    def destinations(self, port: PortKey) -> int:
        return self._always | self._by_port.get(port, 0)

    def rows(self, world: World, port: PortKey) -> list[int]:
        rows = world.model.rows_for(*port, loopback=False)  # the diagonal: a pod and its twin
        if self.aligned:
            return rows
        own = {e.key: i for i, e in enumerate(world.model.endpoints)}
        index = [own[e.key] for e in self.endpoints]
        return [sum(1 << j for j, col in enumerate(index) if rows[row] >> col & 1) for row in index]

    def run(self) -> PolicyComparison:
        scenario_diffs: list[Difference] = []
        best: Difference | None = None
        best_rank: tuple | None = None
        scenario_cells = universe_cells = 0
        n = len(self.endpoints)
        for order, port in enumerate(self.universe.ports):
            port_invented = self.universe.invented_ports.get(port)
            port_cost = port_invented.cost if port_invented else 0
            destinations = self.destinations(port)
            mine, theirs = self.rows(self.mine, port), self.rows(self.theirs, port)
            for i in range(n):
                allowed_to = (
                    destinations if i < self.pods else destinations & ((1 << self.pods) - 1)
                )
                universe_cells += allowed_to.bit_count()
                if port_cost == 0 and self.cost[i] == 0:
                    scenario_cells += (allowed_to & self.real).bit_count()
                diff = (mine[i] ^ theirs[i]) & allowed_to
                if not diff:
                    continue
                for j in iter_bits(diff):
                    twin = i == j  # a second pod exactly like i, connecting to i
                    cost = port_cost + self.cost[i] + self.cost[j] + twin
                    allows = bool(mine[i] >> j & 1)
                    if cost == 0:
                        scenario_diffs.append(
                            Difference(self.endpoints[i], self.endpoints[j], port, allows)
                        )
                    rank = (cost, not allows, order, i, j)
                    if best_rank is None or rank < best_rank:
                        best_rank = rank
                        best = self._difference(i, j, port, allows)
        # Cells on a port the destination serves read best: they come first.
        scenario_diffs.sort(key=lambda d: not _serves(d.destination, d.port))
        return PolicyComparison(
            scenario_differences=scenario_diffs,
            counterexample=best,
            answer=self.mine,
            solution=self.theirs,
            scenario_cells=scenario_cells,
            universe_cells=universe_cells,
        )

    def _difference(self, i: int, j: int, port: PortKey, allows: bool) -> Difference:
        source, destination = self.endpoints[i], self.endpoints[j]
        twin = None
        if i == j:
            assert isinstance(source, Pod)
            source = replace(source, name=f"{source.name[:54]}-replica")
            twin = Invented(source.key, f"a second pod exactly like {destination.key}", 1)
        keys = dict.fromkeys((source.key, destination.key))
        parts = [self.universe.invented[k] for k in keys if k in self.universe.invented]
        if twin is not None:
            parts.append(twin)
        if port in self.universe.invented_ports:
            parts.append(self.universe.invented_ports[port])
        return Difference(source, destination, port, allows, tuple(parts))


def _serves(endpoint: Endpoint, port: PortKey) -> bool:
    """Whether something listens there: a pod that declares the port (or declares none)."""
    if not isinstance(endpoint, Pod) or not endpoint.ports:
        return True
    return any((cp.port, cp.protocol) == port for cp in endpoint.ports)


# -- Services -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceDifference:
    """One way the answer's Service does not do what the solution's does."""

    field: tuple[str | int, ...]  # where in the answer's Service (for its line)
    message: str
    aspect: str  # what differs: "type", "selector", "ports", "targetPort", a spec field, …

    @property
    def graded(self) -> bool:
        """Whether `compare: solution` fails an answer for it. Two differences do not: the
        answer fixes what the solution leaves to an allocator (a nodePort, say) — the same
        behaviour, unless the task forbids picking, which an `absent` check says — and
        session affinity, which changes which backend a client keeps, not where it may go
        (a `fields` check grades it). Mutation testing counts both."""
        return self.aspect not in ("allocation", "sessionAffinity")


def compare_services(answer: World, solution: World, key: str) -> list[ServiceDifference]:
    """Every way Service `key` of `answer` behaves differently from the one of `solution`.

    Compared: the type; headless or not; the ExternalName target; which pods the
    selector picks, on the scenario and on invented pods (copies of its pods with
    one label changed); the ports; where each port sends traffic on every pod both
    select; where EndpointSlices written by hand take part (always, for Services
    without a selector), the endpoints themselves; the node ports and cluster IP
    the solution fixes (one the answer fixes where the solution lets the allocator
    choose is an `allocation` difference); and the fields that change where
    traffic can go (traffic policies, publishing not-ready pods, node ports for a
    LoadBalancer). Session affinity only changes which backend a client keeps: its
    difference is reported but not graded. Port names are not compared: an
    exercise that cares checks them with `fields`.
    """
    mine, theirs = answer.services.get(key), solution.services.get(key)
    if mine is None or theirs is None:
        return []
    out: list[ServiceDifference] = []

    def differ(field: tuple[str | int, ...], message: str, aspect: str) -> None:
        out.append(ServiceDifference(field, message, aspect))

    if mine.type != theirs.type:
        differ(
            ("spec", "type"), f"its type is {mine.type}; the solution's is {theirs.type}", "type"
        )
    if mine.headless != theirs.headless:
        differ(
            ("spec", "clusterIP"),
            "it is headless (clusterIP: None); the solution's has a virtual IP"
            if mine.headless
            else "it has a virtual IP; the solution's is headless (clusterIP: None)",
            "headless",
        )
    elif not theirs.headless and (mine.cluster_ip or None) != (theirs.cluster_ip or None):
        aspect = "clusterIP" if theirs.cluster_ip else "allocation"
        differ(
            ("spec", "clusterIP"), _fixed("clusterIP", mine.cluster_ip, theirs.cluster_ip), aspect
        )
    if "ExternalName" in (mine.type, theirs.type):
        if (mine.external_name or "").rstrip(".") != (theirs.external_name or "").rstrip("."):
            differ(
                ("spec", "externalName"),
                f"it is an alias for {mine.external_name or 'nothing'}; the solution's for "
                f"{theirs.external_name or 'nothing'}",
                "externalName",
            )
        return out
    # Without a selector on either side, EndpointSlices written by hand decide where traffic
    # goes: targetPort and publishNotReadyAddresses do nothing there; the endpoints are compared.
    selectorless = mine.selector is None and theirs.selector is None
    _compare_selection(answer, solution, mine, theirs, differ)
    _compare_ports(answer, solution, mine, theirs, differ)
    written = answer.services.slices(mine) or solution.services.slices(theirs)
    if (selectorless or written) and not {"selector", "targetPort"} & {d.aspect for d in out}:
        _compare_endpoints(answer, solution, mine, theirs, differ)
    if mine.type == theirs.type:
        for field, a, b in (
            ("externalTrafficPolicy", mine.external_traffic_policy, theirs.external_traffic_policy),
            # kube-proxy programs nothing for a headless Service: its traffic policy is moot
            (
                "internalTrafficPolicy",
                mine.internal_traffic_policy if not mine.headless else None,
                theirs.internal_traffic_policy if not theirs.headless else None,
            ),
            (
                "publishNotReadyAddresses",
                mine.publish_not_ready if not selectorless else None,
                theirs.publish_not_ready if not selectorless else None,
            ),
            ("allocateLoadBalancerNodePorts", mine.allocate_node_ports, theirs.allocate_node_ports),
            ("sessionAffinity", mine.session_affinity, theirs.session_affinity),
        ):
            if a != b:
                differ(
                    ("spec", field), f"{field} is {_show(a)}; the solution's is {_show(b)}", field
                )
        if theirs.session_affinity == mine.session_affinity == "ClientIP" and (
            mine.affinity_timeout != theirs.affinity_timeout
        ):
            differ(
                ("spec", "sessionAffinityConfig"),
                f"a client sticks to its backend for {mine.affinity_timeout} s; in the "
                f"solution for {theirs.affinity_timeout} s",
                "sessionAffinity",
            )
    return out


def _show(value) -> str:
    if value is None:
        return "unset"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _fixed(what: str, mine, theirs) -> str:
    if mine and not theirs:
        return f"it fixes {what} {mine}, where the solution leaves it to the control plane"
    if theirs and not mine:
        return f"it leaves {what} to the control plane, where the solution fixes {theirs}"
    return f"{what} is {mine}; the solution's is {theirs}"


def _compare_selection(answer: World, solution: World, mine, theirs, differ) -> None:
    vocab = Vocabulary(homes={mine.namespace})
    for svc in (mine, theirs):
        if svc.selector:
            vocab.add_pod_selector(svc.namespace, LabelSelector.from_labels(svc.selector))
    universe = invent([solution.scenario, answer.scenario], vocab, [])
    invented = [p for p in universe.pods if p.namespace == mine.namespace]
    # Each side's selector on its own pods (an answer may make its pods itself), then both on
    # the invented ones.
    pairs = [*_same_pods(answer, solution), *((p, p) for p in invented)]
    shown = ",".join(f"{k}={v}" for k, v in sorted((mine.selector or {}).items())) or "(none)"
    for pod, solution_pod in pairs:
        if mine.selects(pod) == theirs.selects(solution_pod):
            continue
        made_up = universe.invented.get(pod.key)
        who = f"{pod.key} ({made_up.words}, not in this scenario)" if made_up else pod.key
        if mine.selects(pod):
            message = f"its selector {shown} also picks {who}; the solution's does not"
        else:
            message = f"its selector {shown} misses {who}, which the solution's picks"
        differ(("spec", "selector"), message, "selector")
        return


def _same_pods(answer: World, solution: World) -> list[tuple[Pod, Pod]]:
    """The pods both worlds have, as each has it (an answer's StatefulSet makes its own)."""
    theirs = {p.key: p for p in solution.scenario.pods}
    return [(p, theirs[p.key]) for p in answer.scenario.pods if p.key in theirs]


def _compare_ports(answer: World, solution: World, mine, theirs, differ) -> None:
    by_port = {(p.port, p.protocol): (i, p) for i, p in enumerate(mine.ports)}
    wanted = {(p.port, p.protocol): p for p in theirs.ports}
    for port_key, sp in wanted.items():
        if port_key not in by_port:
            have = ", ".join(p.label() for p in mine.ports) or "none"
            differ(("spec", "ports"), f"it has no port {sp.label()} (it has {have})", "ports")
    for port_key, (i, sp) in by_port.items():
        if port_key not in wanted:
            differ(
                ("spec", "ports", i), f"port {sp.label()} is not in the solution's Service", "ports"
            )
    both = [
        (a, b) for a, b in _same_pods(answer, solution) if mine.selects(a) and theirs.selects(b)
    ]
    for port_key, (i, sp) in by_port.items():
        other = wanted.get(port_key)
        if other is None:
            continue
        # Real pods only: a copy of a selected pod resolves a port name as its original does.
        for pod, solution_pod in both:
            a, b = resolve_target_port(pod, sp), resolve_target_port(solution_pod, other)
            if a != b:
                differ(
                    ("spec", "ports", i, "targetPort"),
                    f"port {sp.port} sends traffic to {_target(a)} on {pod.key}; the solution's "
                    f"to {_target(b)} (targetPort is the container's port)",
                    "targetPort",
                )
                break
        # Written targetPorts say nothing when either side has no selector (none is read
        # there; a selector left in or out is the difference, and is reported as such).
        if (
            not both
            and mine.selector is not None
            and theirs.selector is not None
            and _written(sp.target_port) != _written(other.target_port)
        ):
            differ(
                ("spec", "ports", i, "targetPort"),
                f"port {sp.port} has targetPort {sp.target_port}; the solution's "
                f"{other.target_port} (no pod here shows whether they are the same)",
                "targetPort",
            )
        if mine.type == theirs.type:
            _compare_node_ports(answer, solution, mine, theirs, i, sp, other, differ)


def _compare_endpoints(answer: World, solution: World, mine, theirs, differ) -> None:
    """Where traffic ends when EndpointSlices written by hand take part: for a headless
    Service the addresses DNS gives out, otherwise each port's endpoints (address and port)."""
    if mine.headless and theirs.headless:
        got = {m.key for m in answer.services.headless_members(mine)}
        wanted = {m.key for m in solution.services.headless_members(theirs)}
        if got != wanted:
            differ(
                ("metadata", "name"),
                f"its name resolves to {_listed(got)}; the solution's to {_listed(wanted)} "
                "(the ready addresses of the EndpointSlices labelled with the Service's name)",
                "endpoints",
            )
        return
    wanted_ports = {(p.port, p.protocol): p for p in theirs.ports}
    for i, sp in enumerate(mine.ports):
        other = wanted_ports.get((sp.port, sp.protocol))
        if other is None:
            continue
        got = {f"{b.target.key}:{b.port}" for b in answer.services.endpoints(mine, sp)}
        wanted = {f"{b.target.key}:{b.port}" for b in solution.services.endpoints(theirs, other)}
        if got != wanted:
            differ(
                ("spec", "ports", i),
                f"port {sp.label()} sends traffic to {_listed(got)}; the solution's to "
                f"{_listed(wanted)}"
                + (
                    " (without a selector, the EndpointSlices labelled with the Service's name "
                    "decide: the slice port with the Service port's name)"
                    if mine.selector is None
                    else ""
                ),
                "endpoints",
            )
            return


def _listed(items: set[str]) -> str:
    return ", ".join(sorted(items)) or "nothing"


def _compare_node_ports(answer, solution, mine, theirs, i, sp, other, differ) -> None:
    """A node port the solution fixes must be the one the answer's port gets (written, or
    shared with another entry of the same port number, as the allocator does); one the answer
    fixes where the solution lets the allocator choose is an allocation difference."""
    wanted = solution.services.node_port(theirs, other) if _asks(theirs, other) else None
    if wanted is not None:
        got = answer.services.node_port(mine, sp)
        if got != wanted:
            differ(
                ("spec", "ports", i, "nodePort"),
                f"port {sp.label()} is on node port {got or 'none'}; the solution's on {wanted}",
                "nodePort",
            )
    elif _asks(mine, sp):
        differ(
            ("spec", "ports", i, "nodePort"),
            _fixed("nodePort", answer.services.node_port(mine, sp), None),
            "allocation",
        )


def _asks(svc, sp) -> bool:
    """Whether the Service asks for this port's node port (on it or a same-numbered entry)."""
    return any(p.node_port for p in svc.ports if p.port == sp.port)


def _written(target: int | str) -> int | str:
    return int(target) if isinstance(target, str) and target.isdigit() else target


def _target(port: int | None) -> str:
    return "nothing (no container port of that name)" if port is None else f"container port {port}"


def routing(world: World) -> tuple:
    """Where each Service port sends traffic, and the DNS names pods have: what workload and
    EndpointSlice edits change without touching a Service or a policy."""
    endpoints = {
        (svc.key, sp.port, sp.protocol, b.target.key, b.port)
        for svc in world.services.services.values()
        for sp in svc.ports
        for b in world.services.endpoints(svc, sp)
    }
    names = {(p.key, p.hostname, p.subdomain) for p in world.scenario.pods if p.hostname}
    return frozenset(endpoints), frozenset(names)
