"""Why one connection is allowed or denied, in words a learner can follow.

A connection needs two yeses: the source's egress and the destination's
ingress. For each side we name the policies that isolate the pod (or say
nothing isolates it, so everything is allowed that way) and the first rule that
admits the connection, or why none does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from k8slearn.model.netpol import Endpoint, NetworkPolicy, Rule
from k8slearn.model.scenario import Pod, Scenario

SELF_CONNECTION = (
    "a pod cannot block access to itself: NetworkPolicies never apply to a pod's "
    "connections to its own address, so this is allowed whatever the policies say"
)


@dataclass(frozen=True)
class Admission:
    """The rule that lets the connection through on one side."""

    policy: NetworkPolicy
    direction: str  # "ingress" or "egress"
    rule_index: int
    rule: Rule

    def describe(self) -> str:
        where = f" (line {self.rule.line})" if self.rule.line else ""
        return f"{self.direction} rule {self.rule_index + 1} of {self.policy.key}{where}"


@dataclass(frozen=True)
class SideVerdict:
    """One direction of one connection: egress at the source or ingress at the destination."""

    direction: str
    endpoint: Endpoint
    isolating: tuple[NetworkPolicy, ...]
    admitted_by: Admission | None
    near_misses: tuple[str, ...] = ()
    closest: Rule | None = None  # when refused: the first rule that matched the peer or the port

    @property
    def allowed(self) -> bool:
        return not self.isolating or self.admitted_by is not None

    def describe(self) -> str:
        side = "leave" if self.direction == "egress" else "enter"
        if not isinstance(self.endpoint, Pod):
            key, direction = self.endpoint.key, self.direction
            return f"{key} is outside the cluster: no policy governs its {direction}."
        if not self.isolating:
            return (
                f"{self.endpoint.key} is not isolated for {self.direction}: no NetworkPolicy that "
                f"selects it has {self.direction.capitalize()} in its policyTypes, so all traffic "
                f"may {side}."
            )
        names = ", ".join(p.key for p in self.isolating)
        plural = "policies" if len(self.isolating) > 1 else "policy"
        head = f"{self.endpoint.key} is isolated for {self.direction} by {plural} {names}"
        if self.admitted_by is not None:
            return f"{head}; {self.admitted_by.describe()} allows this connection."
        why = " ".join(self.near_misses)
        whose = "their" if len(self.isolating) > 1 else "its"
        none = f"none of {whose} {self.direction} rules allows this connection"
        return f"{head}, and {none}. {why}".strip()


@dataclass(frozen=True)
class Explanation:
    source: Endpoint
    destination: Endpoint
    port: int
    protocol: str
    egress: SideVerdict
    ingress: SideVerdict
    notes: tuple[str, ...] = field(default=())

    @property
    def to_itself(self) -> bool:
        """A pod connecting to itself: allowed whatever the policies say."""
        return (
            isinstance(self.source, Pod)
            and isinstance(self.destination, Pod)
            and self.source.key == self.destination.key
        )

    @property
    def allowed(self) -> bool:
        return self.to_itself or (self.egress.allowed and self.ingress.allowed)

    def summary(self) -> str:
        verdict = "ALLOWED" if self.allowed else "DENIED"
        return (
            f"{self.source.key} → {self.destination.key} on {self.port}/{self.protocol}: {verdict}"
        )

    def lines(self) -> list[str]:
        if self.to_itself:
            return [self.summary(), f"  {SELF_CONNECTION}.", *(f"  note: {n}" for n in self.notes)]
        return [
            self.summary(),
            f"  egress:  {self.egress.describe()}",
            f"  ingress: {self.ingress.describe()}",
            *(f"  note: {n}" for n in self.notes),
        ]

    def to_dict(self) -> dict:
        def side(v: SideVerdict) -> dict:
            return {
                "allowed": v.allowed,
                "isolatedBy": [p.key for p in v.isolating],
                "admittedBy": None
                if v.admitted_by is None
                else {
                    "policy": v.admitted_by.policy.key,
                    "rule": v.admitted_by.rule_index,
                    "line": v.admitted_by.rule.line,
                },
                "text": v.describe(),
            }

        return {
            "from": self.source.key,
            "to": self.destination.key,
            "port": self.port,
            "protocol": self.protocol,
            "allowed": self.allowed,
            "toItself": self.to_itself,
            "egress": side(self.egress),
            "ingress": side(self.ingress),
            "notes": list(self.notes),
        }


def explain_connection(
    scenario: Scenario,
    policies: Iterable[NetworkPolicy],
    source: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str = "TCP",
) -> Explanation:
    """Explain one connection; its verdict always equals the truth table's cell."""
    policies = list(policies)
    egress = _side(scenario, policies, "egress", source, destination, port, protocol)
    ingress = _side(scenario, policies, "ingress", destination, source, port, protocol)
    notes = []
    if (
        isinstance(destination, Pod)
        and destination.ports
        and not any(cp.port == port and cp.protocol == protocol for cp in destination.ports)
    ):
        notes.append(
            f"{destination.key} declares no container port {port}/{protocol}: policies may allow "
            "the connection, but nothing may be listening there."
        )
    for side, other in ((egress, destination), (ingress, source)):
        if _admitted_only_by_ip_block(scenario, side, other):
            assert side.admitted_by is not None
            notes.append(
                f"{other.key} is a pod, admitted here only by an ipBlock of "
                f"{side.admitted_by.describe()}. The API leaves it to the network plugin "
                "whether an ipBlock matches pod addresses: some (Cilium, for one) never let an "
                "ipBlock select a pod, and the Kubernetes docs advise ipBlock for ranges outside "
                "the cluster. Select pods with podSelector/namespaceSelector instead."
            )
    return Explanation(source, destination, port, protocol, egress, ingress, tuple(notes))


def _admitted_only_by_ip_block(scenario: Scenario, side: SideVerdict, other: Endpoint) -> bool:
    """The admitting rule lets the pod `other` in through an ipBlock and no selector peer."""
    admission = side.admitted_by
    if admission is None or not isinstance(other, Pod) or not admission.rule.peers:
        return False
    namespace = admission.policy.namespace
    matching = [p for p in admission.rule.peers if p.matches(other, namespace, scenario)]
    return bool(matching) and all(p.ip_block is not None for p in matching)


def _side(
    scenario: Scenario,
    policies: list[NetworkPolicy],
    direction: str,
    pod: Endpoint,
    other: Endpoint,
    port: int,
    protocol: str,
) -> SideVerdict:
    if not isinstance(pod, Pod):
        return SideVerdict(direction, pod, (), None)
    isolating = tuple(
        p
        for p in policies
        if p.selects(pod) and (p.isolates_egress if direction == "egress" else p.isolates_ingress)
    )
    destination = other if direction == "egress" else pod
    misses: list[str] = []
    closest: Rule | None = None
    for policy in isolating:
        rules = policy.egress if direction == "egress" else policy.ingress
        if not rules:
            misses.append(
                f"{policy.key} has {direction.capitalize()} in policyTypes but no {direction} "
                f"rules, so it allows no {direction} at all."
            )
        for i, rule in enumerate(rules):
            peer_ok = rule.peer_matches(other, policy.namespace, scenario)
            port_ok = rule.port_matches(port, protocol, destination)
            if peer_ok and port_ok:
                return SideVerdict(direction, pod, isolating, Admission(policy, direction, i, rule))
            misses.append(_near_miss(policy, direction, i, rule, other, peer_ok, port_ok))
            if closest is None and (peer_ok or port_ok):
                closest = rule
    return SideVerdict(direction, pod, isolating, None, tuple(m for m in misses if m), closest)


def _near_miss(
    policy: NetworkPolicy,
    direction: str,
    index: int,
    rule: Rule,
    other: Endpoint,
    peer_ok: bool,
    port_ok: bool,
) -> str:
    label = f"{direction} rule {index + 1} of {policy.key}"
    if rule.line:
        label += f" (line {rule.line})"
    peers = rule.describe_peers(policy.namespace)
    ports = rule.describe_ports()
    if not peer_ok and not port_ok:
        return f"{label} admits {peers} on {ports}: neither the peer nor the port match."
    if not peer_ok:
        return f"{label} admits {peers}, and {other.key} is not one of them."
    return f"{label} matches {other.key} but admits only {ports}."
