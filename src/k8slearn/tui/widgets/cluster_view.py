"""The Cluster tab: the exercise's practice cluster as `kubectl get` shows it.

Read in-process from the PracticeState (no kubectl, no HTTP), with the same cell
functions the stand-in's Table printers use, so READY, STATUS, PORT(S) and
ENDPOINTS read exactly as `kubectl get` prints them. Pods add what a learner
checks before writing a selector or a policy: their labels (`--show-labels`),
IP and node (`-o wide`) and container ports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from k8slearn.practice.state import PracticeState

SYSTEM_PREFIX = "kube-"  # kube-system, kube-public, kube-node-lease: listed, not detailed
MINE = "*"  # marks what the learner made (or changed) with kubectl or F5


@dataclass(frozen=True)
class NamespaceRow:
    name: str
    status: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class PodRow:
    namespace: str
    name: str
    ready: str
    status: str
    ip: str
    node: str
    ports: str
    labels: tuple[str, ...]
    mine: bool


@dataclass(frozen=True)
class ServiceRow:
    namespace: str
    name: str
    type: str
    cluster_ip: str
    ports: str
    selector: str
    endpoints: str
    mine: bool


@dataclass(frozen=True)
class PolicyRow:
    namespace: str
    name: str
    pod_selector: str
    policy_types: str
    mine: bool


@dataclass(frozen=True)
class WorkloadRow:
    """A Deployment, ReplicaSet or StatefulSet: READY as `kubectl get` prints it."""

    kind: str
    namespace: str
    name: str
    ready: str
    selector: str
    mine: bool


@dataclass(frozen=True)
class ClusterSnapshot:
    """Everything the Cluster tab shows, read at one resourceVersion."""

    resource_version: str
    namespace: str  # the exercise's (kubectl's current) namespace: shown first
    namespaces: tuple[NamespaceRow, ...]
    pods: tuple[PodRow, ...]
    services: tuple[ServiceRow, ...]
    policies: tuple[PolicyRow, ...]
    workloads: tuple[WorkloadRow, ...]


def snapshot_of(state: PracticeState, now: datetime | None = None) -> ClusterSnapshot:
    """Read the state (thread-safe; may run in a worker) into the rows the tab shows."""
    from k8slearn.practice import tables
    from k8slearn.practice.resources import resource_of_kind

    now = now or datetime.now(UTC)
    rv = state.resource_version
    mine = {
        (o.get("kind"), (o.get("metadata") or {}).get("namespace", ""), o["metadata"]["name"])
        for o in state.learner_objects()
    }

    def listed(kind: str) -> list[dict[str, Any]]:
        r = resource_of_kind(kind)
        return state.list(r, None) if r is not None else []

    def is_mine(obj: dict[str, Any]) -> bool:
        meta = obj["metadata"]
        return (obj.get("kind"), meta.get("namespace", ""), meta["name"]) in mine

    namespaces = tuple(
        NamespaceRow(
            o["metadata"]["name"],
            str((o.get("status") or {}).get("phase") or "Active"),
            _labels(o["metadata"].get("labels")),
        )
        for o in listed("Namespace")
    )
    pods = []
    for o in listed("Pod"):
        ready, status, _ = tables.pod_status_text(o, now)
        spec, st = o.get("spec") or {}, o.get("status") or {}
        pods.append(
            PodRow(
                o["metadata"].get("namespace", ""),
                o["metadata"]["name"],
                ready,
                status,
                str(st.get("podIP") or "<none>"),
                str(spec.get("nodeName") or "<none>"),
                _container_ports(spec) or "<none>",
                _labels(o["metadata"].get("labels")),
                is_mine(o),
            )
        )
    endpoints = {
        (o["metadata"].get("namespace", ""), o["metadata"]["name"]): tables.endpoints_text(o)
        for o in listed("Endpoints")
    }
    services = []
    for o in listed("Service"):
        spec = o.get("spec") or {}
        key = (o["metadata"].get("namespace", ""), o["metadata"]["name"])
        services.append(
            ServiceRow(
                key[0],
                key[1],
                str(spec.get("type") or ""),
                str(spec.get("clusterIP") or "<none>"),
                tables.service_ports_text(spec.get("ports")) or "<none>",
                tables.format_labels(spec.get("selector")),
                # no selector: no Endpoints object unless the learner wrote one
                endpoints.get(key, "<none>"),
                is_mine(o),
            )
        )
    policies = []
    for o in listed("NetworkPolicy"):
        spec = o.get("spec") or {}
        selector = tables.selector_string(spec.get("podSelector") or {})
        policies.append(
            PolicyRow(
                o["metadata"].get("namespace", ""),
                o["metadata"]["name"],
                "<error>" if selector is None else (selector or "<none>"),
                ",".join(spec.get("policyTypes") or []) or "<none>",
                is_mine(o),
            )
        )
    workloads = []
    for kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        for o in listed(kind):
            spec, st = o.get("spec") or {}, o.get("status") or {}
            wanted = spec.get("replicas", 1)
            workloads.append(
                WorkloadRow(
                    kind,
                    o["metadata"].get("namespace", ""),
                    o["metadata"]["name"],
                    f"{st.get('readyReplicas') or 0}/{wanted}",
                    tables.format_label_selector(spec.get("selector")),
                    is_mine(o),
                )
            )
    return ClusterSnapshot(
        rv,
        state.default_namespace,
        namespaces,
        tuple(pods),
        tuple(services),
        tuple(policies),
        tuple(workloads),
    )


def _labels(labels: Any) -> tuple[str, ...]:
    if not isinstance(labels, dict):
        return ()
    return tuple(f"{k}={v}" for k, v in sorted(labels.items()))


def _container_ports(spec: dict[str, Any]) -> str:
    """`8080/TCP,9090/TCP` (named ports as `http:8080/TCP`), every container's."""
    found = []
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            text = f"{port.get('containerPort')}/{port.get('protocol') or 'TCP'}"
            found.append(f"{port['name']}:{text}" if port.get("name") else text)
    return ",".join(found)


GAP = "   "  # kubectl's tabwriter puts three spaces between columns
METADATA_NAME = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Listing:
    """A `kubectl get`-like listing that fits the pane: one line per object when the width
    allows; else as many leading columns as fit on the line and the others below it
    (never cut: an IP or a label half shown would mislead)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    mine: tuple[bool, ...]  # per row: shown bold, its name marked

    def _widths(self) -> list[int]:
        return [
            max([len(h), *(len(row[i]) for row in self.rows)]) for i, h in enumerate(self.headers)
        ]

    def _line(self, cells: Sequence[str], widths: Sequence[int], style: str = "") -> Text:
        padded = GAP.join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()
        return Text(padded, style=style, no_wrap=True, overflow="ellipsis")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self._widths()
        keep = len(widths)
        while keep > 1 and sum(widths[:keep]) + len(GAP) * (keep - 1) > options.max_width:
            keep -= 1
        yield self._line(self.headers[:keep], widths[:keep], "bold")
        for row, mine in zip(self.rows, self.mine, strict=True):
            yield self._line(row[:keep], widths[:keep], "bold" if mine else "")
            if keep < len(row):
                detail = Text()
                for i, (header, cell) in enumerate(
                    zip(self.headers[keep:], row[keep:], strict=True)
                ):
                    if i:
                        detail.append(" · ", style="dim")
                    detail.append(f"{header} ", style="dim")
                    detail.append(cell)
                yield Padding(detail, (0, 0, 0, 2))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = self._widths()
        full = sum(widths) + len(GAP) * (len(widths) - 1)
        return Measurement(min(full, widths[0]), full)


def listing(headers: Sequence[str], rows: Iterable[tuple[Sequence[str], bool]]) -> Listing:
    rows = list(rows)
    return Listing(
        tuple(headers), tuple(tuple(cells) for cells, _ in rows), tuple(mine for _, mine in rows)
    )


def _named(name: str, mine: bool) -> str:
    return name + MINE if mine else name


def _order(snapshot: ClusterSnapshot) -> list[str]:
    """Namespaces to detail: the exercise's first, then the others with something in them."""
    used = {row.namespace for row in (*snapshot.pods, *snapshot.services, *snapshot.policies)}
    used |= {row.namespace for row in snapshot.workloads}
    names = [n.name for n in snapshot.namespaces if not n.name.startswith(SYSTEM_PREFIX)]
    names = [n for n in names if n in used or n == snapshot.namespace]
    names.sort(key=lambda n: (n != snapshot.namespace, n))
    return names


def _heading(title: str, command: str = "") -> Text:
    """A section's title and the kubectl command that shows the same (cut if narrow)."""
    text = Text.assemble((title, "bold underline"), (f"  {command}" if command else "", "dim"))
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def render_snapshot(snapshot: ClusterSnapshot) -> RenderableType:
    """The tab's content: namespaces, then each namespace's pods, workloads, Services and
    NetworkPolicies, with the columns `kubectl get` prints (and the ones a learner needs)."""
    shown = [n for n in snapshot.namespaces if not n.name.startswith(SYSTEM_PREFIX)]
    system = [n.name for n in snapshot.namespaces if n.name.startswith(SYSTEM_PREFIX)]
    parts: list[RenderableType] = [
        _heading("NAMESPACES", "kubectl get ns --show-labels"),
        listing(
            ("NAME", "STATUS", "LABELS"),
            (
                (
                    (
                        n.name,
                        n.status,
                        ",".join(lb for lb in n.labels if not lb.startswith(METADATA_NAME + "="))
                        or "-",
                    ),
                    False,
                )
                for n in shown
            ),
        ),
        Text(
            f"each also has the label {METADATA_NAME}=<its name>"
            + (f"; also there: {', '.join(system)}" if system else ""),
            style="dim",
        ),
    ]
    sections = (  # per namespace, in this order: (title, kubectl, header, objects, cells)
        (
            "PODS",
            "get pods -o wide --show-labels",
            ("NAME", "READY", "STATUS", "IP", "NODE", "PORTS", "LABELS"),
            snapshot.pods,
            lambda p: (
                _named(p.name, p.mine),
                p.ready,
                p.status,
                p.ip,
                p.node,
                p.ports,
                ",".join(p.labels) or "<none>",
            ),
        ),
        (
            "WORKLOADS",
            "get deploy,sts,rs",
            ("KIND", "NAME", "READY", "SELECTOR"),
            snapshot.workloads,
            lambda w: (w.kind, _named(w.name, w.mine), w.ready, w.selector),
        ),
        (
            "SERVICES",
            "get svc -o wide; get endpoints",
            ("NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "SELECTOR", "ENDPOINTS"),
            snapshot.services,
            lambda s: (
                _named(s.name, s.mine),
                s.type,
                s.cluster_ip,
                s.ports,
                s.selector,
                s.endpoints,
            ),
        ),
        (
            "NETWORKPOLICIES",
            "get netpol",
            ("NAME", "POD-SELECTOR", "POLICY-TYPES"),
            snapshot.policies,
            lambda p: (_named(p.name, p.mine), p.pod_selector, p.policy_types),
        ),
    )
    for ns in _order(snapshot):
        parts.append(Text(""))
        parts.append(Text.assemble(("namespace ", "dim"), (f" {ns} ", "bold reverse")))
        empty = True
        for title, command, header, objects, cells in sections:
            here = [o for o in objects if o.namespace == ns]
            if here:
                empty = False
                parts.append(_heading(title, command))
                parts.append(listing(header, ((cells(o), o.mine) for o in here)))
        if empty:
            parts.append(Text("nothing here yet", style="dim"))
    parts.append(Text(""))
    parts.append(
        Text(
            f"{MINE} made or changed by you · resourceVersion {snapshot.resource_version}",
            style="dim",
        )
    )
    return Group(*parts)


class ClusterView(VerticalScroll):
    """Shows a ClusterSnapshot; the screen hands it a new one after every change."""

    def compose(self) -> ComposeResult:
        yield Static(
            "The practice cluster opens with the first kubectl command (ctrl+t), "
            "or when this tab is first shown.",
            id="cluster-body",
        )

    def show(self, snapshot: ClusterSnapshot) -> None:
        self.snapshot = snapshot
        self.query_one("#cluster-body", Static).update(render_snapshot(snapshot))

    def show_message(self, message: str) -> None:
        self.query_one("#cluster-body", Static).update(Text(message, style="yellow"))
