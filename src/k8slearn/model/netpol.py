"""NetworkPolicy (networking.k8s.io/v1) as data, and what each part of it matches.

The whole meaning of a policy, field by field (the API reference says the same):

* `spec.podSelector` picks the pods of the *policy's namespace* the policy
  applies to; `{}` picks all of them.
* `spec.policyTypes` says which directions those pods become *isolated* for.
  Left out, it is `[Ingress]`, plus `Egress` when the policy has an `egress`
  section. A pod no policy isolates for a direction allows everything that way.
* An isolated pod allows a connection when *some* rule of *some* policy that
  selects it allows it (rules are ORed, policies are ORed — whitelists add up).
* In a rule, the peers (`from` / `to`) are ORed and ANDed with the ports.
  A missing or empty `from`/`to` means every peer; a missing or empty `ports`
  means every port. `ingress: []` has no rule at all, so nothing is admitted,
  while `ingress: [{}]` has one rule that admits everything.
* A peer is `podSelector` alone (pods of the policy's namespace),
  `namespaceSelector` alone (every pod of the matching namespaces), both in one
  peer (pods matching the first in namespaces matching the second — an AND),
  or `ipBlock` (addresses in `cidr` but in none of `except`).
* A port matches by protocol (default TCP) and number, a range up to `endPort`,
  or a name, which is looked up among the *destination* pod's container ports
  — for egress as for ingress.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from k8slearn.manifests.loader import Document
from k8slearn.model.scenario import External, Pod, Scenario
from k8slearn.model.selectors import LabelSelector

Endpoint = Pod | External
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def contains(self, ip: str) -> bool:
        address = ipaddress.ip_address(ip)
        if address.version != self.cidr.version or address not in self.cidr:
            return False
        return not any(address in ex for ex in self.excepts)

    def describe(self) -> str:
        if not self.excepts:
            return f"ipBlock {self.cidr}"
        return f"ipBlock {self.cidr} except {', '.join(map(str, self.excepts))}"


@dataclass(frozen=True, slots=True)
class Peer:
    """One entry of `from` or `to`."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None
    line: int | None = None

    @property
    def namespace_only(self) -> bool:
        """Only a namespaceSelector: every pod of the matching namespaces."""
        return (
            self.namespace_selector is not None
            and self.pod_selector is None
            and self.ip_block is None
        )

    @property
    def pod_only(self) -> bool:
        """Only a podSelector: matching pods of the policy's own namespace."""
        return (
            self.pod_selector is not None
            and self.namespace_selector is None
            and self.ip_block is None
        )

    def matches(self, endpoint: Endpoint, policy_namespace: str, scenario: Scenario) -> bool:
        if self.ip_block is not None:
            return self.ip_block.contains(endpoint.ip)
        if not isinstance(endpoint, Pod):
            return False  # selectors only ever pick pods, never hosts outside the cluster
        if self.namespace_selector is None:
            if endpoint.namespace != policy_namespace:
                return False
        else:
            ns = scenario.namespaces.get(endpoint.namespace)
            if ns is None or not self.namespace_selector.matches(ns.labels):
                return False
        return self.pod_selector is None or self.pod_selector.matches(endpoint.labels)

    def describe(self, policy_namespace: str) -> str:
        if self.ip_block is not None:
            return self.ip_block.describe()
        pods = (
            "every pod"
            if self.pod_selector is None or self.pod_selector.is_empty
            else (f"pods with {self.pod_selector.describe()}")
        )
        if self.namespace_selector is None:
            return f"{pods} of namespace {policy_namespace}"
        if self.namespace_selector.is_empty:
            return f"{pods} of every namespace"
        return f"{pods} of namespaces with {self.namespace_selector.describe()}"


@dataclass(frozen=True, slots=True)
class PolicyPort:
    protocol: str = "TCP"
    port: int | str | None = None  # None: every port of this protocol
    end_port: int | None = None

    def matches(self, port: int, protocol: str, destination: Endpoint) -> bool:
        if protocol != self.protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str):
            # A named port means whatever number the destination pod gives that name.
            if not isinstance(destination, Pod):
                return False
            return destination.named_port(self.port, protocol) == port
        if self.end_port is not None:
            return self.port <= port <= self.end_port
        return self.port == port

    def describe(self) -> str:
        if self.port is None:
            return f"every {self.protocol} port"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol}"
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress or egress rule; `peers=()` admits every peer, `ports=()` every port."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()
    line: int | None = None

    def describe_peers(self, policy_namespace: str) -> str:
        return " or ".join(p.describe(policy_namespace) for p in self.peers) or "every peer"

    def describe_ports(self) -> str:
        return ", ".join(p.describe() for p in self.ports) or "every port"

    def port_matches(self, port: int, protocol: str, destination: Endpoint) -> bool:
        return not self.ports or any(p.matches(port, protocol, destination) for p in self.ports)

    def peer_matches(self, other: Endpoint, policy_namespace: str, scenario: Scenario) -> bool:
        return not self.peers or any(
            peer.matches(other, policy_namespace, scenario) for peer in self.peers
        )


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[str]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    line: int | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def isolates_ingress(self) -> bool:
        return "Ingress" in self.policy_types

    @property
    def isolates_egress(self) -> bool:
        return "Egress" in self.policy_types

    def selects(self, pod: Pod) -> bool:
        return pod.namespace == self.namespace and self.pod_selector.matches(pod.labels)

    @classmethod
    def from_manifest(cls, obj: Mapping[str, Any], doc: Document | None = None) -> NetworkPolicy:
        """Build from a validated, defaulted manifest; `doc` gives rules their lines."""
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}

        def line(*path: str | int) -> int | None:
            return doc.line_of(path) if doc is not None else None

        def rules(direction: str, peer_key: str) -> tuple[Rule, ...]:
            out = []
            for i, raw in enumerate(spec.get(direction) or []):
                raw = raw or {}
                peers = tuple(
                    _peer(p or {}, line("spec", direction, i, peer_key, j))
                    for j, p in enumerate(raw.get(peer_key) or [])
                )
                ports = tuple(_port(p or {}) for p in raw.get("ports") or [])
                out.append(Rule(peers, ports, line("spec", direction, i)))
            return tuple(out)

        policy_types = spec.get("policyTypes")
        if not policy_types:  # defaulting normally fills this; kept for raw input
            policy_types = ["Ingress", *(["Egress"] if spec.get("egress") else [])]
        return cls(
            namespace=meta.get("namespace") or "default",
            name=meta["name"],
            pod_selector=LabelSelector.from_dict(spec.get("podSelector")),
            policy_types=frozenset(policy_types),
            ingress=rules("ingress", "from"),
            egress=rules("egress", "to"),
            line=line("spec"),
        )


def _peer(raw: Mapping[str, Any], line: int | None) -> Peer:
    block = raw.get("ipBlock")
    ip_block = None
    if block is not None:
        ip_block = IPBlock(
            ipaddress.ip_network(block["cidr"], strict=False),
            tuple(ipaddress.ip_network(e, strict=False) for e in block.get("except") or ()),
        )
    pod_selector = raw.get("podSelector")
    namespace_selector = raw.get("namespaceSelector")
    return Peer(
        pod_selector=None if pod_selector is None else LabelSelector.from_dict(pod_selector),
        namespace_selector=(
            None if namespace_selector is None else LabelSelector.from_dict(namespace_selector)
        ),
        ip_block=ip_block,
        line=line,
    )


def _port(raw: Mapping[str, Any]) -> PolicyPort:
    port = raw.get("port")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    return PolicyPort(
        protocol=raw.get("protocol") or "TCP",
        port=port,
        end_port=raw.get("endPort"),
    )
