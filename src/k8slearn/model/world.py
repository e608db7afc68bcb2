"""A scenario with manifests applied to it: the cluster an answer is judged in.

Namespaces in the manifests add to (or relabel) the scenario's namespaces;
Pods and Deployments add pods; Services and NetworkPolicies are what the
learner usually writes. Only manifests that passed validation come here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

from k8slearn.manifests.validate import Manifest
from k8slearn.model.endpointslices import EndpointSource, endpoint_sources
from k8slearn.model.explain import Explanation, explain_connection
from k8slearn.model.netpol import Endpoint, NetworkPolicy
from k8slearn.model.reachability import PortKey, ReachabilityModel, TruthTable
from k8slearn.model.scenario import (
    ContainerPort,
    External,
    Node,
    Pod,
    Scenario,
    free_pod_ips,
    namespace,
)
from k8slearn.model.services import Service, ServiceIndex

MAX_REPLICAS = 20  # a Deployment contributes at most this many pods to the model


@dataclass
class ServiceReach:
    """Connections from one source to a Service: one per backend it could land on."""

    source: Endpoint
    service: Service
    port: int
    protocol: str
    backends: list[tuple[Endpoint, int, bool]]  # (where it lands, on which port, allowed)
    note: str = ""
    not_listening: list[str] = field(default_factory=list)  # backends that declare other ports

    @property
    def allowed(self) -> bool:
        return any(ok for _, _, ok in self.backends)

    def answered(self) -> list[str]:
        return [e.key for e, _, ok in self.backends if ok]


class World:
    """Scenario + Services + NetworkPolicies, with everything the faces ask of them."""

    def __init__(self, scenario: Scenario, manifests: Iterable[Manifest] = ()):
        manifests = [m for m in manifests if m.valid and m.obj is not None]
        routing = [*scenario.kept_objects(manifests), *manifests]
        services = [Service.from_manifest(m.obj) for m in routing if m.kind == "Service"]
        selectorless = {(s.namespace, s.name) for s in services if s.selector is None}
        hand_written = [
            (m.kind, m.obj) for m in routing if m.kind in ("EndpointSlice", "Endpoints")
        ]
        self._setup(
            _apply_workloads(scenario, manifests),
            [
                NetworkPolicy.from_manifest(m.obj, m.doc)
                for m in routing
                if m.kind == "NetworkPolicy"
            ],
            services,
            endpoint_sources(hand_written, selectorless),
        )

    def _setup(
        self,
        scenario: Scenario,
        policies: list[NetworkPolicy],
        services: list[Service],
        sources: list[EndpointSource],
    ) -> None:
        self.scenario = scenario
        self.policies = policies
        self._tables: dict[tuple[PortKey, ...] | None, TruthTable] = {}
        self.services = ServiceIndex(scenario, services, sources)

    def over(self, scenario: Scenario) -> World:
        """The same Services and policies in another scenario (one with invented pods, say).

        Workloads the manifests added are already part of `self.scenario`; the
        caller builds `scenario` from it.
        """
        world = World.__new__(World)
        world._setup(
            scenario, self.policies, list(self.services.services.values()), self.services.sources
        )
        return world

    @cached_property
    def model(self) -> ReachabilityModel:
        return ReachabilityModel(self.scenario, self.policies)

    def table(self, ports: list[PortKey] | None = None) -> TruthTable:
        """The truth table on `ports`, computed once per set of ports (a World never changes)."""
        key = None if ports is None else tuple(ports)
        if key not in self._tables:
            self._tables[key] = self.model.table(ports)
        return self._tables[key]

    def endpoint(self, key: str) -> Endpoint | None:
        return self.scenario.pod(key) or self.scenario.external(key)

    def explain(
        self, src: str | Endpoint, dst: str | Endpoint, port: int, protocol: str = "TCP"
    ) -> Explanation:
        """Why one connection is allowed or denied; `src` and `dst` by key, or as endpoints
        (a Service's backend may be an address no scenario object has)."""
        source = self.endpoint(src) if isinstance(src, str) else src
        destination = self.endpoint(dst) if isinstance(dst, str) else dst
        if source is None or destination is None:
            raise KeyError(src if source is None else dst)
        return explain_connection(self.scenario, self.policies, source, destination, port, protocol)

    def reach_service(
        self,
        src: str,
        service_key: str,
        port: int,
        protocol: str = "TCP",
        via_node: str | None = None,
    ) -> ServiceReach:
        """Judge a connection to a Service where it really lands: each backend pod.

        * ClusterIP, NodePort, LoadBalancer: kube-proxy sends the connection to one
          ready endpoint on the Service port's target port, so every backend is judged
          (policies on both sides, and something must listen on that port);
        * headless: no virtual IP and no proxy — DNS hands out the pods' IPs and the
          client dials them on the port it chose, without targetPort translation;
        * ExternalName: a DNS alias; the client connects to the named host itself;
        * from outside the cluster a ClusterIP cannot be reached at all; a client
          outside dials the node port of one node (`via_node`, by default the first):
          with `externalTrafficPolicy: Cluster` the node forwards to any backend and
          replaces the client's address by its own; with `Local` it keeps the
          address but only forwards to backends on that node, and drops the
          connection when it has none;
        * from a pod, `internalTrafficPolicy: Local` keeps the connection to the
          backends on the pod's own node, and drops it when there are none there.
        """
        source = self.endpoint(src)
        svc = self.services.get(service_key)
        if source is None or svc is None:
            raise KeyError(src if source is None else service_key)
        reach = ServiceReach(source, svc, port, protocol, [])
        if svc.type == "ExternalName":
            target = self.scenario.external(svc.external_name or "")
            reach.note = (
                f"{svc.key} is a DNS alias (CNAME) for {svc.external_name}; nothing is proxied"
            )
            if target is None:
                reach.note += ", and that host is not in the scenario."
                return reach
            reach.note += "."
            reach.backends.append((target, port, self._allowed(source, target, port, protocol)))
            return reach
        outside = isinstance(source, External)
        if outside and (svc.type == "ClusterIP" or svc.headless):
            reach.note = (
                f"{svc.key} is a {'headless' if svc.headless else 'ClusterIP'} Service: it is "
                "reachable only from inside the cluster (use a NodePort or LoadBalancer Service)."
            )
            return reach
        if svc.headless:
            targets = [(m, port) for m in self.services.headless_members(svc)]
            reach.note = (
                f"{svc.key} is headless: DNS returns the {'pods' if svc.selector else 'endpoints'}' "
                f"IPs and the client connects to them on port {port} itself (no targetPort "
                "translation)."
            )
        else:
            sp = next((p for p in svc.ports if p.port == port and p.protocol == protocol), None)
            if sp is None:
                have = ", ".join(p.label() for p in svc.ports) or "none"
                reach.note = f"{svc.key} has no port {port}/{protocol} (it has {have})."
                return reach
            targets = [(b.target, b.port) for b in self.services.endpoints(svc, sp)]
            if not targets:
                reach.note = f"{svc.key} has no endpoints on port {sp.label()}."
        judged_source: Endpoint = source
        if not targets:
            pass  # no endpoints at all: that is the news, whatever the traffic policies say
        elif outside and self.scenario.nodes:
            node = self.node(via_node)
            if svc.external_traffic_policy == "Local":
                targets = [(p, tp) for p, tp in targets if _on(p, node.name)]
                reach.note = (
                    f"with externalTrafficPolicy: Local node {node.name} keeps the client's "
                    "address and forwards only to backends on itself"
                    + ("." if targets else "; it runs none, so it drops the connection.")
                )
            else:
                judged_source = External(node.name, node.ip)
                reach.note = (
                    f"with externalTrafficPolicy: Cluster the client's address is replaced by "
                    f"node {node.name}'s ({node.ip}) before the backend sees it."
                )
        elif (
            isinstance(source, Pod)
            and svc.internal_traffic_policy == "Local"
            and not svc.headless  # no proxy, no traffic policy: the client dials the pods
        ):
            local = [(p, tp) for p, tp in targets if _on(p, source.node)]
            reach.note = (
                f"with internalTrafficPolicy: Local a connection from {source.key} only goes to "
                f"backends on its own node, {source.node}"
                + ("." if local else "; there are none, so it is dropped.")
            )
            targets = local
        if svc.session_affinity == "ClientIP" and len(targets) > 1:
            minutes = (svc.affinity_timeout or 10800) // 60
            sticky = (
                f"with sessionAffinity: ClientIP every connection from {source.ip} goes to the "
                f"backend its first one reached, until it has been idle {minutes} minutes"
            )
            reach.note = f"{reach.note} {sticky}." if reach.note else f"{sticky}."
        for pod, target_port in targets:
            listening = (
                not isinstance(pod, Pod)
                or not pod.ports
                or any(cp.port == target_port and cp.protocol == protocol for cp in pod.ports)
            )
            if not listening:
                reach.not_listening.append(pod.key)
            ok = listening and self._allowed(judged_source, pod, target_port, protocol)
            reach.backends.append((pod, target_port, ok))
        return reach

    def node(self, name: str | None = None) -> Node:
        """The node called `name`, or the first one; KeyError for a node the scenario lacks."""
        if name is None:
            return self.scenario.nodes[0]
        found = next((n for n in self.scenario.nodes if n.name == name), None)
        if found is None:
            raise KeyError(name)
        return found

    def _allowed(self, source: Endpoint, destination: Endpoint, port: int, protocol: str) -> bool:
        """The policies' verdict on one connection (the same as the truth table's cell)."""
        return explain_connection(
            self.scenario, self.policies, source, destination, port, protocol
        ).allowed


@dataclass
class _NewPod:
    """A pod a manifest of the answer adds (a Pod, a Deployment's or a StatefulSet's replica)."""

    namespace: str
    name: str
    labels: Mapping[str, Any]
    ports: list[ContainerPort]
    hostname: str = ""
    subdomain: str = ""


def _on(target: Endpoint, node: str) -> bool:
    """Whether a backend runs on `node` (an address outside the cluster runs on none)."""
    return isinstance(target, Pod) and target.node == node


def _apply_workloads(scenario: Scenario, manifests: list[Manifest]) -> Scenario:
    namespaces = dict(scenario.namespaces)
    pods = list(scenario.pods)
    taken = {p.ip for p in pods}
    added: list[_NewPod] = []
    for m in manifests:
        obj = m.obj or {}
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        ns = m.namespace or "default"
        if m.kind == "Namespace":
            namespaces[meta["name"]] = namespace(meta["name"], meta.get("labels") or {})
        elif m.kind == "Pod":
            ports = _container_ports(spec)
            added.append(
                _NewPod(
                    ns,
                    meta["name"],
                    meta.get("labels") or {},
                    ports,
                    spec.get("hostname") or "",
                    spec.get("subdomain") or "",
                )
            )
        elif m.kind in ("Deployment", "StatefulSet"):
            template = spec.get("template") or {}
            labels = (template.get("metadata") or {}).get("labels") or {}
            ports = _container_ports(template.get("spec") or {})
            replicas = spec.get("replicas", 1)
            replicas = replicas if isinstance(replicas, int) else 1
            # Enough pods to show what selectors and policies do, however many are asked for.
            for i in range(min(replicas, MAX_REPLICAS)):
                if m.kind == "Deployment":
                    added.append(_NewPod(ns, f"{meta['name']}-{i}", labels, ports))
                    continue
                # A StatefulSet's pods have stable names and hostnames, and its serviceName as
                # their subdomain: with a headless Service of that name, each gets a DNS name.
                ordinal = ((spec.get("ordinals") or {}).get("start") or 0) + i
                name = f"{meta['name']}-{ordinal}"
                identity = {
                    "statefulset.kubernetes.io/pod-name": name,
                    "apps.kubernetes.io/pod-index": str(ordinal),
                }
                added.append(
                    _NewPod(
                        ns, name, {**labels, **identity}, ports, name, spec.get("serviceName") or ""
                    )
                )
    if not added and namespaces == scenario.namespaces:
        return scenario
    ips = free_pod_ips(taken)  # the same pod range the scenario's pods come from, as on kind
    by_key = {p.key: p for p in pods}
    nodes = [n.name for n in scenario.nodes] or [""]
    for i, new in enumerate(added):
        if new.namespace not in namespaces:
            namespaces[new.namespace] = namespace(new.namespace)
        labels = {k: "" if v is None else str(v) for k, v in new.labels.items()}
        # A Pod in the answer replaces the scenario's of that name, on the same node.
        before = by_key.pop(f"{new.namespace}/{new.name}", None)
        pod = Pod(
            new.namespace,
            new.name,
            MappingProxyType(labels),
            next(ips),
            True,
            tuple(new.ports),
            before.node if before is not None else nodes[i % len(nodes)],
            new.hostname,
            new.subdomain,
        )
        by_key[pod.key] = pod
    return replace(scenario, namespaces=namespaces, pods=list(by_key.values()))


def _container_ports(pod_spec: dict[str, Any]) -> list[ContainerPort]:
    """Declared ports, containers first, then sidecars (init containers that keep running)."""
    out = []
    sidecars = [
        c for c in pod_spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"
    ]
    for container in [*(pod_spec.get("containers") or []), *sidecars]:
        for p in container.get("ports") or []:
            out.append(ContainerPort(p["containerPort"], p.get("protocol") or "TCP", p.get("name")))
    return out
