"""A scenario with manifests applied to it: the cluster an answer is judged in.

Namespaces in the manifests add to (or relabel) the scenario's namespaces;
Pods and Deployments add pods; Services and NetworkPolicies are what the
learner usually writes. Only manifests that passed validation come here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

from k8slearn.manifests.validate import Manifest
from k8slearn.model.explain import Explanation, explain_connection
from k8slearn.model.netpol import Endpoint, NetworkPolicy
from k8slearn.model.reachability import PortKey, ReachabilityModel, TruthTable
from k8slearn.model.scenario import ContainerPort, Pod, Scenario, namespace
from k8slearn.model.services import Service, ServiceIndex


@dataclass
class ServiceReach:
    """Connections from one source to a Service: one per backend it could land on."""

    source: Endpoint
    service: Service
    port: int
    protocol: str
    backends: list[tuple[Endpoint, int, bool]]  # (where it lands, on which port, allowed)
    note: str = ""

    @property
    def allowed(self) -> bool:
        return any(ok for _, _, ok in self.backends)

    def answered(self) -> list[str]:
        return [e.key for e, _, ok in self.backends if ok]


class World:
    """Scenario + Services + NetworkPolicies, with everything the faces ask of them."""

    def __init__(self, scenario: Scenario, manifests: Iterable[Manifest] = ()):
        manifests = [m for m in manifests if m.valid and m.obj is not None]
        self.scenario = _apply_workloads(scenario, manifests)
        self.policies = [
            NetworkPolicy.from_manifest(m.obj, m.doc)
            for m in manifests
            if m.kind == "NetworkPolicy"
        ]
        self.services = ServiceIndex(
            self.scenario, [Service.from_manifest(m.obj) for m in manifests if m.kind == "Service"]
        )

    @cached_property
    def model(self) -> ReachabilityModel:
        return ReachabilityModel(self.scenario, self.policies)

    def table(self, ports: list[PortKey] | None = None) -> TruthTable:
        return self.model.table(ports)

    def endpoint(self, key: str) -> Endpoint | None:
        return self.scenario.pod(key) or self.scenario.external(key)

    def explain(self, src: str, dst: str, port: int, protocol: str = "TCP") -> Explanation:
        source, destination = self.endpoint(src), self.endpoint(dst)
        if source is None or destination is None:
            raise KeyError(src if source is None else dst)
        return explain_connection(self.scenario, self.policies, source, destination, port, protocol)

    def reach_service(
        self, src: str, service_key: str, port: int, protocol: str = "TCP"
    ) -> ServiceReach:
        """Judge a connection to a Service at each backend pod and its target port.

        kube-proxy sends each connection to one ready endpoint; the connection
        works when the chosen backend's ingress (and the source's egress to that
        backend's pod IP and target port) allow it — so we judge every backend.
        """
        source = self.endpoint(src)
        svc = self.services.get(service_key)
        if source is None or svc is None:
            raise KeyError(src if source is None else service_key)
        if svc.type == "ExternalName":
            target = self.scenario.external(svc.external_name or "")
            note = f"{svc.key} is a DNS alias (CNAME) for {svc.external_name}; nothing is proxied"
            if target is None:
                return ServiceReach(
                    source,
                    svc,
                    port,
                    protocol,
                    [],
                    note + ", and that host is not in the scenario.",
                )
            ok = self.model.table([(port, protocol)]).allowed(
                source.key, target.key, port, protocol
            )
            return ServiceReach(source, svc, port, protocol, [(target, port, ok)], note + ".")
        sp = svc.port(number=port) if svc.ports else None
        if sp is None or sp.protocol != protocol:
            sp = next((p for p in svc.ports if p.port == port and p.protocol == protocol), None)
        if sp is None:
            have = ", ".join(p.label() for p in svc.ports) or "none"
            return ServiceReach(
                source,
                svc,
                port,
                protocol,
                [],
                f"{svc.key} has no port {port}/{protocol} (it has {have}).",
            )
        backends = self.services.endpoints(svc, sp)
        results = []
        for b in backends:
            table = self.model.table([(b.port, b.protocol)])
            results.append(
                (b.pod, b.port, table.allowed(source.key, b.pod.key, b.port, b.protocol))
            )
        note = "" if backends else f"{svc.key} has no endpoints on port {sp.label()}."
        return ServiceReach(source, svc, port, protocol, results, note)


def _apply_workloads(scenario: Scenario, manifests: list[Manifest]) -> Scenario:
    namespaces = dict(scenario.namespaces)
    pods = list(scenario.pods)
    taken = {p.ip for p in pods}
    added: list[tuple[str, str, dict[str, str], list[ContainerPort]]] = []
    for m in manifests:
        obj = m.obj or {}
        meta = obj.get("metadata") or {}
        if m.kind == "Namespace":
            namespaces[meta["name"]] = namespace(meta["name"], meta.get("labels") or {})
        elif m.kind == "Pod":
            added.append(
                (
                    m.namespace or "default",
                    meta["name"],
                    meta.get("labels") or {},
                    _container_ports(obj.get("spec") or {}),
                )
            )
        elif m.kind == "Deployment":
            spec = obj.get("spec") or {}
            template = spec.get("template") or {}
            labels = (template.get("metadata") or {}).get("labels") or {}
            replicas = spec.get("replicas", 1)
            for i in range(replicas if isinstance(replicas, int) else 1):
                added.append(
                    (
                        m.namespace or "default",
                        f"{meta['name']}-{i}",
                        labels,
                        _container_ports(template.get("spec") or {}),
                    )
                )
    if not added and namespaces == scenario.namespaces:
        return scenario
    ips = (f"10.245.{i // 250}.{i % 250 + 2}" for i in range(65000))
    for ns, name, labels, ports in added:
        if ns not in namespaces:
            namespaces[ns] = namespace(ns)
        ip = next(ip for ip in ips if ip not in taken)
        pods = [p for p in pods if p.key != f"{ns}/{name}"]
        pods.append(Pod(ns, name, MappingProxyType(dict(labels)), ip, True, tuple(ports)))
    return replace(scenario, namespaces=namespaces, pods=pods)


def _container_ports(pod_spec: dict[str, Any]) -> list[ContainerPort]:
    out = []
    for container in pod_spec.get("containers") or []:
        for p in container.get("ports") or []:
            out.append(ContainerPort(p["containerPort"], p.get("protocol") or "TCP", p.get("name")))
    return out
