"""What a Service does: which pods back it, on which port, under which DNS name and IPs.

Built from manifests that already passed validation and v1 defaulting, so
every port has a protocol and a targetPort. The rules modelled are those of
the endpoints controller and kube-proxy:

* endpoints are the *ready* pods of the Service's namespace whose labels
  include every label of `spec.selector` (not-ready pods too when
  `publishNotReadyAddresses` is true); a Service without a selector gets none;
* a numeric `targetPort` is used as is; a named one is looked up per pod among
  its declared container ports with the same protocol, and a pod without that
  name is not an endpoint of that port;
* NodePort and LoadBalancer Services open a node port on every node (and
  still have a ClusterIP); headless Services (`clusterIP: None`) have no
  virtual IP and DNS answers with the endpoints' pod IPs; ExternalName is only
  a DNS CNAME.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from k8slearn.model.endpointslices import EndpointSource
from k8slearn.model.scenario import External, Pod, Scenario
from k8slearn.model.selectors import LabelSelector

CLUSTER_DOMAIN = "cluster.local"
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
NODE_PORT_RANGE = range(30000, 32768)


@dataclass(frozen=True, slots=True)
class ServicePort:
    name: str | None
    port: int
    protocol: str
    target_port: int | str
    node_port: int | None = None

    def label(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"{self.port}/{self.protocol}{named}"


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    type: str
    selector: Mapping[str, str] | None
    ports: tuple[ServicePort, ...]
    cluster_ip: str | None = None  # as written; "None" for headless
    external_name: str | None = None
    external_traffic_policy: str | None = None
    internal_traffic_policy: str | None = None
    session_affinity: str = "None"  # "ClientIP": a client's connections stick to one backend
    affinity_timeout: int | None = None  # seconds, with ClientIP
    publish_not_ready: bool = False
    allocate_node_ports: bool = True  # LoadBalancer's allocateLoadBalancerNodePorts

    @classmethod
    def from_manifest(cls, obj: Mapping[str, Any]) -> Service:
        """Build from a validated, defaulted v1 Service."""
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        ports = tuple(
            ServicePort(
                name=p.get("name") or None,
                port=p["port"],
                protocol=p.get("protocol") or "TCP",
                target_port=p.get("targetPort")
                if p.get("targetPort") not in (None, 0, "")
                else p["port"],
                node_port=p.get("nodePort") or None,
            )
            for p in spec.get("ports") or []
        )
        selector = spec.get("selector")
        return cls(
            namespace=meta.get("namespace") or "default",
            name=meta["name"],
            type=spec.get("type") or "ClusterIP",
            # An empty selector is stored as no selector: such a Service gets no endpoints.
            selector={k: "" if v is None else str(v) for k, v in selector.items()}
            if selector
            else None,
            ports=ports,
            cluster_ip=spec.get("clusterIP") or None,
            external_name=spec.get("externalName"),
            external_traffic_policy=spec.get("externalTrafficPolicy"),
            internal_traffic_policy=spec.get("internalTrafficPolicy"),
            session_affinity=spec.get("sessionAffinity") or "None",
            affinity_timeout=(
                ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get(
                    "timeoutSeconds"
                )
            ),
            publish_not_ready=bool(spec.get("publishNotReadyAddresses")),
            allocate_node_ports=spec.get("allocateLoadBalancerNodePorts") is not False,
        )

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def headless(self) -> bool:
        return self.cluster_ip == "None"

    @property
    def dns_name(self) -> str:
        return f"{self.name}.{self.namespace}.svc.{CLUSTER_DOMAIN}"

    def port(self, number: int | None = None, name: str | None = None) -> ServicePort | None:
        for sp in self.ports:
            if (number is None or sp.port == number) and (name is None or sp.name == name):
                return sp
        return None

    def selects(self, pod: Pod) -> bool:
        if self.selector is None or pod.namespace != self.namespace:
            return False
        return LabelSelector.from_labels(self.selector).matches(pod.labels)


@dataclass(frozen=True, slots=True)
class Backend:
    """One endpoint of one Service port: where traffic lands, and on which port.

    The target is a pod, or — for a Service without a selector whose
    EndpointSlice names an address — whatever has that address: a pod, or a
    host outside the cluster.
    """

    target: Pod | External
    port: int
    protocol: str


def resolve_target_port(pod: Pod, sp: ServicePort) -> int | None:
    """The container port `sp` sends to on `pod` (like the endpoints controller's FindPort).

    A number is taken as is, declared or not; a name must match a declared
    container port with the same name *and* protocol, or the pod is no
    endpoint of this Service port.
    """
    if isinstance(sp.target_port, int):
        return sp.target_port
    if sp.target_port.isdigit():  # "8080" written as a string still means the number
        return int(sp.target_port)
    return pod.named_port(sp.target_port, sp.protocol)


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    name: str
    record: str  # "A", "CNAME"
    values: tuple[str, ...]


class ServiceIndex:
    """Services of one scenario with the IPs and node ports a cluster would give them.

    Where the manifest leaves them out, ClusterIPs and node ports are chosen
    deterministically (from a hash of the Service's name, probing on
    collision), so a learner sees the same numbers on every run.
    """

    def __init__(
        self,
        scenario: Scenario,
        services: Iterable[Service],
        sources: Iterable[EndpointSource] = (),
    ):
        self.scenario = scenario
        self.sources = list(sources)  # hand-written EndpointSlices, for Services without a selector
        self.services: dict[str, Service] = {}
        for svc in services:
            self.services[svc.key] = svc
        self.cluster_ips = self._allocate_cluster_ips()
        self.node_ports = self._allocate_node_ports()

    def get(self, key: str) -> Service | None:
        return self.services.get(key)

    def _allocate_cluster_ips(self) -> dict[str, str | None]:
        given = {
            k: s.cluster_ip for k, s in self.services.items() if s.cluster_ip and not s.headless
        }
        taken = set(given.values())
        out: dict[str, str | None] = {}
        size = SERVICE_CIDR.num_addresses
        for key, svc in sorted(self.services.items()):
            if svc.type == "ExternalName" or svc.headless:
                out[key] = None
            elif key in given:
                out[key] = given[key]
            else:
                offset = _stable_hash(key) % (size - 20) + 10
                while str(SERVICE_CIDR[offset]) in taken:
                    offset = (offset + 1 - 10) % (size - 20) + 10
                out[key] = str(SERVICE_CIDR[offset])
                taken.add(out[key])
        return out

    def _allocate_node_ports(self) -> dict[tuple[str, int, str], int]:
        """Node ports as the API server's allocator hands them out.

        The allocator tracks numbers only: one node port serves one Service port
        *number*, whatever the protocol, cluster-wide. Within one Service the
        entries with the same port number share one node port (53/UDP and 53/TCP
        of a DNS Service get the same), the first requested one if any; a number
        left out is chosen from the range.
        """
        out: dict[tuple[str, int, str], int] = {}
        opening = sorted(
            (k, s) for k, s in self.services.items() if s.type in ("NodePort", "LoadBalancer")
        )
        taken = {sp.node_port for _, svc in opening for sp in svc.ports if sp.node_port}
        wanting: list[tuple[str, Service, int]] = []
        for key, svc in opening:
            for number, requested in _requested_node_ports(svc).items():
                if requested:
                    self._share(out, key, svc, number, requested)
                elif svc.type == "LoadBalancer" and not svc.allocate_node_ports:
                    continue  # the load balancer reaches pods directly; only given ports stay
                else:
                    wanting.append((key, svc, number))
        n = len(NODE_PORT_RANGE)
        for key, svc, number in wanting:
            offset = _stable_hash(f"{key}:{number}") % n
            while NODE_PORT_RANGE[offset] in taken:
                offset = (offset + 1) % n
            taken.add(NODE_PORT_RANGE[offset])
            self._share(out, key, svc, number, NODE_PORT_RANGE[offset])
        return out

    @staticmethod
    def _share(out: dict, key: str, svc: Service, number: int, node_port: int) -> None:
        """Every entry of port `number` gets `node_port`, unless it asks for its own."""
        for sp in svc.ports:
            if sp.port == number:
                out[(key, sp.port, sp.protocol)] = sp.node_port or node_port

    def cluster_ip(self, svc: Service) -> str | None:
        return self.cluster_ips.get(svc.key)

    def node_port(self, svc: Service, sp: ServicePort) -> int | None:
        return self.node_ports.get((svc.key, sp.port, sp.protocol))

    def endpoints(self, svc: Service, sp: ServicePort) -> list[Backend]:
        """The backends of one Service port: the selected pods (in scenario order), then the
        addresses of any EndpointSlice written for the Service.

        kube-proxy merges every slice labelled with the Service's name, the controller's and
        hand-written ones alike; a Service without a selector has only the latter.
        """
        if svc.type == "ExternalName":
            return []
        out = []
        if svc.selector is not None:
            for pod in self.scenario.pods:
                if not svc.selects(pod) or not (pod.ready or svc.publish_not_ready):
                    continue
                port = resolve_target_port(pod, sp)
                if port is not None:
                    out.append(Backend(pod, port, sp.protocol))
        seen = {(b.target.key, b.port) for b in out}
        out += [b for b in self._hand_written(svc, sp) if (b.target.key, b.port) not in seen]
        return out

    def _hand_written(self, svc: Service, sp: ServicePort) -> list[Backend]:
        """The ready addresses of the Service's own EndpointSlices, on the slice port that
        matches the Service port by name (its targetPort plays no part)."""
        out = []
        for source in self.slices(svc):
            port = source.port(sp.name, sp.protocol)
            if port is None or port.port is None or source.address_type not in ("IPv4", "IPv6"):
                continue
            for endpoint in source.endpoints:
                if endpoint.ready:
                    out.append(Backend(self.at(endpoint.address), port.port, sp.protocol))
        return out

    def headless_members(self, svc: Service) -> list[Pod | External]:
        """Whom DNS names for a headless Service: its selected pods that are ready (or all,
        with publishNotReadyAddresses), then the ready addresses of slices written for it."""
        out: list[Pod | External] = []
        if svc.selector is not None:
            out += [p for p in self.selected_pods(svc) if p.ready or svc.publish_not_ready]
        for source in self.slices(svc):
            if source.address_type not in ("IPv4", "IPv6"):
                continue
            for endpoint in source.endpoints:
                if endpoint.ready and all(m.ip != endpoint.address for m in out):
                    out.append(self.at(endpoint.address))
        return out

    def slices(self, svc: Service) -> list[EndpointSource]:
        return [s for s in self.sources if (s.namespace, s.service) == (svc.namespace, svc.name)]

    def at(self, address: str) -> Pod | External:
        """Whatever has `address`: a pod, a known host outside the cluster, or an unknown one."""
        found = next((p for p in self.scenario.pods if p.ip == address), None)
        if found is None:
            found = next((e for e in self.scenario.externals if e.ip == address), None)
        return found or External(address, address)

    def selected_pods(self, svc: Service) -> list[Pod]:
        """Every pod the selector matches, ready or not, for explanations and lints."""
        return [p for p in self.scenario.pods if svc.selects(p)]

    def dns(self, svc: Service) -> DnsAnswer:
        """What cluster DNS answers for the Service's name."""
        if svc.type == "ExternalName":
            return DnsAnswer(svc.dns_name, "CNAME", (svc.external_name or "",))
        if svc.headless:
            ips = tuple(m.ip for m in self.headless_members(svc))
            return DnsAnswer(svc.dns_name, "A", ips)
        ip = self.cluster_ip(svc)
        return DnsAnswer(svc.dns_name, "A", (ip,) if ip else ())

    def describe(self, svc: Service) -> dict[str, Any]:
        """A plain summary (for `reach` output and the app's status line)."""
        return {
            "service": svc.key,
            "type": svc.type,
            "clusterIP": "None" if svc.headless else self.cluster_ip(svc),
            "sessionAffinity": svc.session_affinity,
            "dns": self.dns(svc).name,
            "ports": [
                {
                    "name": sp.name,
                    "port": sp.port,
                    "protocol": sp.protocol,
                    "targetPort": sp.target_port,
                    "nodePort": self.node_port(svc, sp),
                    "endpoints": [f"{b.target.key}:{b.port}" for b in self.endpoints(svc, sp)],
                }
                for sp in svc.ports
            ],
        }


def _requested_node_ports(svc: Service) -> dict[int, int | None]:
    """Per Service port number, the node port the first of its entries asks for (or None)."""
    out: dict[int, int | None] = {}
    for sp in svc.ports:
        if out.get(sp.port) is None:
            out[sp.port] = sp.node_port
    return out


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2s(text.encode(), digest_size=8).digest(), "big")
