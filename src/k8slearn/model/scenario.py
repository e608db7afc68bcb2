"""The world an answer is judged in: namespaces, pods, nodes and hosts outside the cluster.

A scenario is a small YAML file an exercise (or `k8slearn reach`) names:

    namespaces: [{name: x, labels: {team: a}}]
    nodes:      [{name: node-1, ip: 172.18.0.2}]          # optional
    pods:       [{name: web-1, namespace: x, labels: {app: web},
                  ip: 10.244.1.5, ready: true,              # both optional
                  ports: [{containerPort: 80, name: http, protocol: TCP}]}]
    externals:  [{name: internet, ip: 93.184.216.34}]       # optional
    objects:    [<a Service or NetworkPolicy manifest>, …]  # optional: already there

Every namespace carries `kubernetes.io/metadata.name: <name>`, as the API
server adds it; `default` and `kube-system` always exist.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from k8slearn.manifests import names
from k8slearn.manifests.loader import MAX_BYTES, Document, load_manifests
from k8slearn.problems import Path, Problem, format_path

if TYPE_CHECKING:
    from k8slearn.manifests.validate import Manifest

NAME_LABEL = "kubernetes.io/metadata.name"
BUILTIN_NAMESPACES = ("default", "kube-system")
PROTOCOLS = ("TCP", "UDP", "SCTP")
DEFAULT_NODE_IP = "172.18.0.2"
# What a scenario may already hold besides pods: objects that route traffic.
OBJECT_KINDS = ("Service", "NetworkPolicy", "EndpointSlice", "Endpoints")


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """A port a container declares; only these can be named in a Service or policy."""

    port: int
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    labels: Mapping[str, str]
    ip: str
    ready: bool = True
    ports: tuple[ContainerPort, ...] = ()
    node: str = ""  # where it runs; traffic policies that keep traffic local depend on it
    hostname: str = ""  # with subdomain: a DNS name of its own (a StatefulSet's pods have both)
    subdomain: str = ""

    @property
    def key(self) -> str:
        """`namespace/name`, how the CLI and exercises name a pod."""
        return f"{self.namespace}/{self.name}"

    def named_port(self, name: str, protocol: str) -> int | None:
        """The container port called `name` with `protocol`, or None when the pod has none."""
        for cp in self.ports:
            if cp.name == name and cp.protocol == protocol:
                return cp.port
        return None


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    ip: str


@dataclass(frozen=True, slots=True)
class External:
    """A host outside the cluster, reached by egress rules and ipBlock peers."""

    name: str
    ip: str

    @property
    def key(self) -> str:
        return self.name


@dataclass
class Scenario:
    namespaces: dict[str, Namespace]
    pods: list[Pod]
    nodes: list[Node] = field(default_factory=list)
    externals: list[External] = field(default_factory=list)
    objects: list[Manifest] = field(default_factory=list)  # Services and policies already there

    def pod(self, key: str) -> Pod | None:
        return next((p for p in self.pods if p.key == key), None)

    def external(self, name: str) -> External | None:
        return next((e for e in self.externals if e.name == name), None)

    def kept_objects(self, manifests: Iterable[Manifest]) -> list[Manifest]:
        """The objects already there that `manifests` do not replace, as `kubectl apply` would."""
        replaced = {(m.kind, m.namespace, m.name) for m in manifests}
        return [m for m in self.objects if (m.kind, m.namespace, m.name) not in replaced]

    def declared_ports(self) -> list[tuple[int, str]]:
        """Every distinct (port, protocol) some container declares, sorted."""
        return sorted({(cp.port, cp.protocol) for p in self.pods for cp in p.ports})


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Namespace:
    """A Namespace with the automatic `kubernetes.io/metadata.name` label."""
    merged = dict(labels or {})
    merged[NAME_LABEL] = name
    return Namespace(name, MappingProxyType(merged))


def load_scenario(
    source: str | bytes | Mapping[str, Any], max_bytes: int | None = MAX_BYTES
) -> tuple[Scenario | None, list[Problem]]:
    """Read a scenario from YAML text or already loaded data, reporting every problem."""
    if isinstance(source, Mapping):
        doc = Document(data=dict(source), index=0, line=1)
    else:
        result = load_manifests(source, max_bytes)
        if not result.ok:
            return None, result.problems
        if len(result.documents) != 1:
            return None, [Problem("a scenario is one YAML document", line=1)]
        doc = result.documents[0]
    return _ScenarioReader(doc).read()


class _ScenarioReader:
    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: list[Problem] = []

    def error(self, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(self.doc.problem(path, message, hint=hint))

    def items(self, key: str) -> Iterator[tuple[Path, dict[str, Any]]]:
        raw = self.doc.data.get(key)
        if raw is None:
            return
        if not isinstance(raw, list):
            self.error((key,), "must be a list", hint="start each item with `- `")
            return
        for i, item in enumerate(raw):
            if isinstance(item, dict):
                yield (key, i), item
            else:
                self.error((key, i), "must be a mapping")

    def read(self) -> tuple[Scenario | None, list[Problem]]:
        data = self.doc.data
        if not isinstance(data, dict):
            return None, [Problem("a scenario must be a mapping", line=1)]
        known = {"namespaces", "pods", "nodes", "externals", "objects"}
        for key in data:
            if key not in known:
                self.error(
                    (key,),
                    f"unknown scenario field {key!r}",
                    hint="a scenario has " + ", ".join(sorted(known)),
                )
        namespaces = {n: namespace(n) for n in BUILTIN_NAMESPACES}
        for path, item in self.items("namespaces"):
            self.check_keys(path, item, {"name", "labels"})
            name = self.name(path, item, names.is_dns1123_label, "a DNS-1123 label")
            labels = self.labels((*path, "labels"), item.get("labels"))
            if name is None:
                continue
            if name in namespaces and name not in BUILTIN_NAMESPACES:
                self.error((*path, "name"), f"namespace {name!r} is declared twice")
            namespaces[name] = namespace(name, labels)
        nodes = self.nodes()
        externals = self.externals()
        pods = self.pods(namespaces, nodes)
        objects = self.objects(namespaces)
        if self.problems:
            return None, self.problems
        return Scenario(namespaces, pods, nodes, externals, objects), []

    def objects(self, namespaces: dict[str, Namespace]) -> list[Manifest]:
        """Objects already in the cluster (OBJECT_KINDS), validated as the API server would."""
        from k8slearn.manifests.validate import check_document

        out = []
        for path, item in self.items("objects"):
            manifest = check_document(self.doc.part(path, item, len(out)))
            where = format_path(path)
            self.problems.extend(
                replace(p, field=f"{where}.{p.field}" if p.field else where)
                for p in manifest.problems
                if p.is_error
            )
            if manifest.kind not in (None, *OBJECT_KINDS):
                self.error(
                    (*path, "kind"),
                    f"a scenario's objects are {', '.join(OBJECT_KINDS)}, not {manifest.kind}",
                    hint="declare pods under `pods:` and namespaces under `namespaces:`",
                )
            elif manifest.valid and manifest.namespace not in namespaces:
                self.error(
                    (*path, "metadata", "namespace"),
                    f"namespace {manifest.namespace!r} is not declared",
                    hint="add it under `namespaces:`",
                )
            elif manifest.valid:
                out.append(manifest)
        return out

    def check_keys(self, path: Path, item: dict[str, Any], allowed: set[str]) -> None:
        for key in item:
            if key not in allowed:
                self.error(
                    (*path, key),
                    f"unknown field {key!r}",
                    hint="allowed: " + ", ".join(sorted(allowed)),
                )

    def name(self, path: Path, item: dict[str, Any], rule, what: str) -> str | None:
        value = item.get("name")
        if not isinstance(value, str) or not value:
            self.error((*path, "name"), "Required value: a name")
            return None
        if not rule(value):
            self.error((*path, "name"), f"{value!r} is not a valid name: must be {what}")
            return None
        return value

    def labels(self, path: Path, raw: Any) -> dict[str, str]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.error(path, "must be a mapping of labels")
            return {}
        out = {}
        for key, value in raw.items():
            if not isinstance(key, str) or not names.is_qualified_name(key):
                self.error((*path, key), f"{key!r} is not a valid label key")
                continue
            if not isinstance(value, str):
                self.error((*path, key), "label values are strings: quote it")
                continue
            if not names.is_label_value(value):
                self.error((*path, key), f"{value!r} is not a valid label value")
            out[key] = value
        return out

    def ip(self, path: Path, raw: Any) -> str | None:
        try:
            return str(ipaddress.ip_address(str(raw)))
        except ValueError:
            self.error(path, f"{raw!r} is not an IP address")
            return None

    def nodes(self) -> list[Node]:
        nodes = []
        for path, item in self.items("nodes"):
            self.check_keys(path, item, {"name", "ip"})
            name = self.name(path, item, names.is_dns1123_subdomain, "a DNS-1123 subdomain")
            ip = self.ip((*path, "ip"), item.get("ip"))
            if name and ip:
                nodes.append(Node(name, ip))
        return nodes or [Node("node-1", DEFAULT_NODE_IP)]

    def externals(self) -> list[External]:
        externals = []
        for path, item in self.items("externals"):
            self.check_keys(path, item, {"name", "ip"})
            name = self.name(path, item, names.is_dns1123_subdomain, "a DNS-1123 subdomain")
            ip = self.ip((*path, "ip"), item.get("ip"))
            if name and "/" in name:
                self.error((*path, "name"), "an external host's name has no `/`")
            if name and ip:
                externals.append(External(name, ip))
        return externals

    def pods(self, namespaces: dict[str, Namespace], nodes: list[Node]) -> list[Pod]:
        pods: list[Pod] = []
        pending: list[tuple[Path, dict[str, Any], str, str]] = []
        taken: set[str] = set()
        seen: set[str] = set()
        for path, item in self.items("pods"):
            self.check_keys(
                path,
                item,
                {
                    "name",
                    "namespace",
                    "labels",
                    "ip",
                    "ready",
                    "ports",
                    "node",
                    "hostname",
                    "subdomain",
                },
            )
            name = self.name(path, item, names.is_dns1123_subdomain, "a DNS-1123 subdomain")
            ns = item.get("namespace", "default")
            if not isinstance(ns, str):
                self.error((*path, "namespace"), "must be a namespace's name")
                continue
            if ns not in namespaces:
                self.error(
                    (*path, "namespace"),
                    f"namespace {ns!r} is not declared",
                    hint="add it under `namespaces:`",
                )
            if name is None:
                continue
            key = f"{ns}/{name}"
            if key in seen:
                self.error((*path, "name"), f"pod {key} is declared twice")
            seen.add(key)
            ip = ""
            if item.get("ip") is not None:
                ip = self.ip((*path, "ip"), item["ip"]) or ""
                if ip in taken:
                    self.error((*path, "ip"), f"IP {ip} is used by another pod")
                taken.add(ip)
            pending.append((path, item, ns, ip))
        addresses = free_pod_ips(taken)
        node_names = [n.name for n in nodes]
        for i, (path, item, ns, ip) in enumerate(pending):
            ready = item.get("ready", True)
            if not isinstance(ready, bool):
                self.error((*path, "ready"), "must be true or false")
            node = item.get("node")
            if node is not None and node not in node_names:
                self.error(
                    (*path, "node"),
                    f"node {node!r} is not declared",
                    hint="the scenario's nodes are " + ", ".join(node_names),
                )
            pods.append(
                Pod(
                    namespace=ns,
                    name=item["name"],
                    labels=MappingProxyType(self.labels((*path, "labels"), item.get("labels"))),
                    ip=ip or next(addresses),
                    ready=bool(ready),
                    ports=self.ports((*path, "ports"), item.get("ports")),
                    # Unplaced pods are spread over the nodes in turn, as a scheduler would.
                    node=node if isinstance(node, str) else node_names[i % len(node_names)],
                    hostname=self.dns_label((*path, "hostname"), item.get("hostname")),
                    subdomain=self.dns_label((*path, "subdomain"), item.get("subdomain")),
                )
            )
        return pods

    def dns_label(self, path: Path, raw: Any) -> str:
        """A pod's hostname or subdomain: a DNS-1123 label, or "" when not given."""
        if raw is None:
            return ""
        if not isinstance(raw, str) or not names.is_dns1123_label(raw):
            self.error(path, f"{raw!r} is not a valid name: must be a DNS-1123 label")
            return ""
        return raw

    def ports(self, path: Path, raw: Any) -> tuple[ContainerPort, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.error(path, "must be a list of ports")
            return ()
        out = []
        names_seen: set[str] = set()
        for i, item in enumerate(raw):
            where = (*path, i)
            if not isinstance(item, dict):
                self.error(where, "must be a mapping like {containerPort: 80}")
                continue
            self.check_keys(where, item, {"containerPort", "name", "protocol"})
            port = item.get("containerPort")
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                self.error((*where, "containerPort"), "must be a port number from 1 to 65535")
                continue
            protocol = item.get("protocol", "TCP")
            if protocol not in PROTOCOLS:
                self.error((*where, "protocol"), f"must be one of {', '.join(PROTOCOLS)}")
                continue
            name = item.get("name")
            if name is not None:
                if not isinstance(name, str) or not names.is_iana_svc_name(name):
                    self.error(
                        (*where, "name"),
                        f"{name!r} is not a valid port name",
                        hint="at most 15 lowercase letters, digits and '-', with a letter",
                    )
                    continue
                if name in names_seen:
                    self.error((*where, "name"), f"port name {name!r} is used twice in this pod")
                names_seen.add(name)
            out.append(ContainerPort(port, protocol, name))
        return tuple(out)


def free_pod_ips(taken: set[str]) -> Iterator[str]:
    """Deterministic pod IPs from kind's default pod range, skipping the ones given."""
    network = ipaddress.ip_network("10.244.0.0/16")
    for address in network.hosts():
        text = str(address)
        if text.endswith((".0", ".1", ".255")) or text in taken:
            continue
        yield text
