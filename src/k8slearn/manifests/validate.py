"""The whole of `kubectl apply --dry-run=server` for one file: load, shape, defaults, API rules.

Each stage only runs on what the stage before accepted, as the API server
would: a document with an unknown field is refused before its port numbers
are looked at. Every document is checked, so a learner sees all problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from k8slearn.manifests.defaults import apply_defaults
from k8slearn.manifests.loader import MAX_BYTES, Document, expand_lists, load_manifests
from k8slearn.manifests.rules import check_rules
from k8slearn.manifests.schema import check_shape, identify
from k8slearn.problems import Problem

NAMESPACED = {
    "Service",
    "NetworkPolicy",
    "Pod",
    "Deployment",
    "StatefulSet",
    "EndpointSlice",
    "Endpoints",
}


@dataclass
class Manifest:
    """One document of the input and what the API server would make of it."""

    doc: Document
    kind: str | None
    problems: list[Problem] = field(default_factory=list)
    obj: dict[str, Any] | None = None  # defaulted object, set only when valid
    current_namespace: str = "default"  # where a manifest without a namespace lands

    @property
    def valid(self) -> bool:
        return self.obj is not None and not any(p.is_error for p in self.problems)

    @property
    def name(self) -> str | None:
        if self.obj is not None:  # after defaulting: a generateName has become a name
            return (self.obj.get("metadata") or {}).get("name")
        meta = self.doc.data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) else None

    @property
    def namespace(self) -> str | None:
        if self.kind not in NAMESPACED:
            return None
        meta = self.doc.data.get("metadata")
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        return ns if isinstance(ns, str) and ns else self.current_namespace

    @property
    def written_namespace(self) -> str | None:
        """`metadata.namespace` as the learner wrote it, or None."""
        meta = self.doc.data.get("metadata")
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        return ns if isinstance(ns, str) and ns else None

    @property
    def key(self) -> str:
        """`Kind ns/name` (or `Kind name`), as messages name an object."""
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or self.doc.data.get('kind') or 'object'} {where}{self.name or '?'}"


@dataclass
class ValidationReport:
    manifests: list[Manifest]
    problems: list[Problem]  # about the input as a whole: syntax, size, empty documents

    @property
    def valid(self) -> bool:
        return not any(p.is_error for p in self.problems) and all(m.valid for m in self.manifests)

    def all_problems(self) -> list[Problem]:
        found = list(self.problems)
        for m in self.manifests:
            found.extend(m.problems)
        return sorted(found, key=lambda p: (p.line or 0, p.column or 0))


def check_document(doc: Document, namespace: str = "default", explain: bool = True) -> Manifest:
    """Validate one loaded document the way the API server would on create.

    `namespace` is the current namespace (kubectl's context or `-n`): a
    namespaced object that names none lands there. `explain=False`: see `check_shape`.
    """
    api_version, kind, problems = identify(doc)
    manifest = Manifest(doc=doc, kind=kind, problems=problems, current_namespace=namespace)
    if kind is None or api_version is None or any(p.is_error for p in problems):
        return manifest
    manifest.problems.extend(check_shape(doc, api_version, kind, explain))
    if any(p.is_error for p in manifest.problems):
        return manifest
    obj = apply_defaults(kind, doc.data)
    meta = obj.setdefault("metadata", {})
    if not meta.get("name") and meta.get("generateName"):
        # The API server appends five random characters; a stable suffix keeps runs repeatable.
        meta["name"] = f"{meta['generateName']}{_suffix(doc)}"
    if kind in NAMESPACED:
        obj.setdefault("metadata", {})
        if not obj["metadata"].get("namespace"):
            obj["metadata"]["namespace"] = namespace
    manifest.problems.extend(check_rules(doc, kind, obj))
    if not any(p.is_error for p in manifest.problems):
        manifest.obj = obj
    return manifest


def _suffix(doc: Document) -> str:
    import hashlib

    digest = hashlib.blake2s(repr(doc.data).encode(), digest_size=8).hexdigest()
    return "".join(c for c in digest if c.isalpha() or c.isdigit())[:5]


def validate_text(
    text: str | bytes,
    namespace: str = "default",
    existing: Iterable[Manifest] = (),
    max_bytes: int | None = MAX_BYTES,
    explain: bool = True,
) -> ValidationReport:
    """Load and validate every document of `text`; `namespace` is the current namespace.

    `existing` are objects already in the cluster (a scenario's): the node ports and
    cluster IPs their Services hold are taken, unless `text` replaces them.
    `explain=False`: a shape misfit is reported without its account (see `check_shape`).
    """
    loaded = load_manifests(text, max_bytes)
    documents, problems = expand_lists(loaded.documents)
    manifests = [check_document(doc, namespace, explain) for doc in documents]
    problems = [*loaded.problems, *problems]
    seen: dict[str, Manifest] = {}
    for m in manifests:
        if not m.valid:
            continue
        if m.key in seen:
            first = seen[m.key]
            m.problems.append(
                m.doc.problem(
                    ("metadata", "name"),
                    f"{m.key} is defined twice (first at line {first.doc.line}); "
                    "`kubectl apply` would keep only this one",
                    severity="warning",
                    hint="rename one of them or merge them",
                )
            )
        seen[m.key] = m
    mine = {(m.kind, m.namespace, m.name) for m in manifests if m.valid}
    held = [
        m
        for m in existing
        if m.kind == "Service" and m.valid and (m.kind, m.namespace, m.name) not in mine
    ]
    _check_allocations([m for m in manifests if m.valid and m.kind == "Service"], held)
    return ValidationReport(manifests, problems)


def _check_allocations(services: list[Manifest], held: list[Manifest] = ()) -> None:
    """What the API server's IP and port allocators refuse across Services.

    The node-port allocator tracks numbers, not protocols: a nodePort one
    Service holds (for TCP or UDP) cannot be asked for by another, nor by
    another port number of the same Service. Entries with the same port
    number (53/UDP and 53/TCP) share one node port. A clusterIP must be free
    and lie in the service range (kind's default 10.96.0.0/16, which the model
    uses too). Services are taken in the order of the file, as `kubectl apply`
    creates them.
    """
    import ipaddress

    from k8slearn.model.services import SERVICE_CIDR

    node_ports: dict[int, str] = {}  # node port -> who holds it
    cluster_ips: dict[str, str] = {}
    for m in held:  # already in the cluster: what they hold is taken
        spec = (m.obj or {}).get("spec") or {}
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                node_ports.setdefault(port["nodePort"], f"{m.key}, already in the cluster")
        if spec.get("clusterIP") not in (None, "", "None"):
            cluster_ips.setdefault(spec["clusterIP"], f"{m.key}, already in the cluster")
    for m in services:
        spec = (m.obj or {}).get("spec") or {}
        by_number: dict[Any, int] = {}  # Service port number -> its (first) node port
        for i, port in enumerate(spec.get("ports") or []):
            number = port.get("nodePort")
            if not number:
                continue
            if by_number.get(port.get("port")) == number:
                continue  # another protocol of the same port number: one node port for both
            holder = node_ports.get(number)
            if holder is not None:
                who = "another port of this Service" if holder == m.key else holder
                m.problems.append(
                    m.doc.problem(
                        ("spec", "ports", i, "nodePort"),
                        f"Invalid value: {number}: provided port is already allocated (by {who})",
                        hint="a node port is taken whatever its protocol: choose another, or "
                        "leave it out",
                    )
                )
            node_ports.setdefault(number, m.key)
            by_number.setdefault(port.get("port"), number)
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            continue
        try:
            inside = ipaddress.ip_address(ip) in SERVICE_CIDR
        except ValueError:
            continue  # the rules already reported a malformed address
        if not inside:
            m.problems.append(
                m.doc.problem(
                    ("spec", "clusterIP"),
                    f"Invalid value: {ip!r}: provided IP is not in the valid range; the cluster's "
                    f"service range is {SERVICE_CIDR}",
                    hint="leave clusterIP out and one is chosen",
                )
            )
        elif ip in cluster_ips and cluster_ips[ip] != m.key:
            m.problems.append(
                m.doc.problem(
                    ("spec", "clusterIP"),
                    f"Invalid value: {ip!r}: provided IP is already allocated (by {cluster_ips[ip]})",
                )
            )
        cluster_ips.setdefault(ip, m.key)
    for m in services:
        if any(p.is_error for p in m.problems):
            m.obj = None  # refused: it never reaches the cluster model
