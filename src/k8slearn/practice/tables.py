"""Server-side Tables: what `kubectl get` prints, computed the way the API server computes it.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints what it
receives: the columns, the cell text, nothing more. So the columns and cells here
follow the API server's printers for each kind (kubernetes `pkg/printers/internalversion`,
the `*ColumnDefinitions` tables and the `print<Kind>` functions), with these rules
of the server around them:

* the server always prints *wide* (the generic TableConvertor asks the printers for
  `Wide: true`), so every row carries the priority-1 cells too; kubectl drops the
  priority-1 columns unless `-o wide` is given;
* each row's `object` is a `PartialObjectMetadata` (the object's whole metadata,
  labels included: `--show-labels`, `-L` and `-A` read it) unless the request says
  `includeObject=Object` (the whole object; kubectl asks for it with `--sort-by`)
  or `includeObject=None`;
* the Table's own metadata carries the list's resourceVersion, or the object's
  for a GET of one object; with `noHeaders` the column definitions are left out;
* AGE and the other durations are shortened like apimachinery's
  `duration.HumanDuration` (`5s`, `3m2s`, `10m`, `2d3h`), measured against `now`.

Objects are plain dicts as the API returns them (defaulted). A missing field prints
what the upstream printer prints for the Go zero value.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TABLE_API_VERSION = "meta.k8s.io/v1"
INCLUDE_OBJECT_VALUES = ("Metadata", "Object", "None")

#: The kinds this module prints: plural -> (apiVersion, kind) of the objects.
KINDS: dict[str, tuple[str, str]] = {
    "pods": ("v1", "Pod"),
    "services": ("v1", "Service"),
    "endpoints": ("v1", "Endpoints"),
    "endpointslices": ("discovery.k8s.io/v1", "EndpointSlice"),
    "networkpolicies": ("networking.k8s.io/v1", "NetworkPolicy"),
    "namespaces": ("v1", "Namespace"),
    "nodes": ("v1", "Node"),
    "deployments": ("apps/v1", "Deployment"),
    "replicasets": ("apps/v1", "ReplicaSet"),
    "statefulsets": ("apps/v1", "StatefulSet"),
    "configmaps": ("v1", "ConfigMap"),
    "events": ("v1", "Event"),
}


class TableError(ValueError):
    """A Table request this module cannot answer; the message is fit for a 400 Status."""


@dataclass(frozen=True, slots=True)
class TableContext:
    """What the Table needs beyond the objects: the request's options and the list's metadata.

    Every cell is computed from the object itself (a pod's node is its `spec.nodeName`,
    a Service's endpoints are not part of its row), so this carries only what the
    request and the list add around the rows.
    """

    resource_version: str = ""  # the list's metadata.resourceVersion
    continue_token: str = ""  # the list's metadata.continue, when paging
    single_object: bool = False  # a GET of one named object: its resourceVersion heads the Table
    no_headers: bool = False  # TableOptions.noHeaders: leave the column definitions out
    api_version: str = TABLE_API_VERSION  # meta.k8s.io/v1 (or v1beta1, as negotiated)


@dataclass(frozen=True, slots=True)
class Column:
    """One TableColumnDefinition; priority 1 columns show only with `-o wide`."""

    name: str
    type: str
    description: str
    priority: int = 0
    format: str = ""

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


CellsFunc = Callable[[Mapping[str, Any], datetime], list[Any]]


@dataclass(frozen=True, slots=True)
class Printer:
    """A kind's columns and the function computing one object's (wide) cells."""

    columns: tuple[Column, ...]
    cells: CellsFunc
    conditions: Callable[[Mapping[str, Any]], list[dict[str, str]]] | None = None


# --- descriptions ------------------------------------------------------------------
# What each column shows, in our own short words (kubectl prints none of them; they
# are in the Table for clients that do, and upstream's are the types' field docs).

_NAME_DOC = "The object's name, unique among objects of its kind in its namespace."
_AGE_DOC = "How long ago the object was created (from metadata.creationTimestamp)."
_CONTAINERS_DOC = "The names of the template's containers."
_IMAGES_DOC = "The images of the template's containers."
_READY_REPLICAS_DOC = "Ready pods out of the wanted number."

_DOCS: dict[str, str] = {
    "PodStatus.podIP": "The pod's IP address, once one is allocated.",
    "PodSpec.nodeName": "The node the pod is scheduled on.",
    "PodStatus.nominatedNodeName": "The node the scheduler freed room on for this pod, if any.",
    "PodSpec.readinessGates": "Extra conditions that must hold before the pod counts as ready.",
    "ServiceSpec.type": "How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.",
    "ServiceSpec.clusterIP": "The Service's virtual IP inside the cluster; None for a headless Service.",
    "ServiceSpec.externalIPs": "Addresses outside the cluster that nodes also accept this Service's traffic on.",
    "ServiceSpec.ports": "The ports the Service exposes.",
    "ServiceSpec.selector": "The labels of the pods the Service sends traffic to.",
    "Endpoints.subsets": "The addresses and ports that back the Service.",
    "EndpointSlice.addressType": "The kind of address in this slice: IPv4, IPv6 or FQDN.",
    "EndpointSlice.ports": "The ports every endpoint in this slice serves.",
    "EndpointSlice.endpoints": "The endpoints (addresses) in this slice.",
    "NetworkPolicySpec.podSelector": "The pods in the namespace this policy applies to; empty selects them all.",
    "NodeSystemInfo.kubeletVersion": "The kubelet version the node reports.",
    "NodeStatus.addresses": "The node's addresses.",
    "NodeSystemInfo.osImage": "The operating system the node reports.",
    "NodeSystemInfo.kernelVersion": "The kernel version the node reports.",
    "NodeSystemInfo.containerRuntimeVersion": "The container runtime and its version.",
    "DeploymentStatus.updatedReplicas": "Pods already running the current template.",
    "DeploymentStatus.availableReplicas": "Pods ready (for at least minReadySeconds) and serving.",
    "DeploymentSpec.selector": "The labels that pick the Deployment's pods.",
    "ReplicaSetSpec.replicas": "The wanted number of pods.",
    "ReplicaSetStatus.replicas": "The pods there are now.",
    "ReplicaSetStatus.readyReplicas": "The pods that are ready.",
    "ReplicaSetSpec.selector": "The labels that pick the ReplicaSet's pods.",
    "ConfigMap.data": "The configuration entries (key and text value).",
    "Event.lastTimestamp": "When the event last happened.",
    "Event.type": "Normal or Warning.",
    "Event.reason": "A short machine-readable cause.",
    "Event.involvedObject": "The object the event is about.",
    "ObjectReference.fieldPath": "The part of the object the event is about, such as one container.",
    "Event.source": "The component that reported the event.",
    "Event.message": "What happened, for people.",
    "Event.firstTimestamp": "When the event first happened.",
    "Event.count": "How many times it happened.",
}


def _name_column(priority: int = 0) -> Column:
    return Column("Name", "string", _NAME_DOC, priority, "name")


def _age_column() -> Column:
    return Column("Age", "string", _AGE_DOC)


# --- small formatting helpers (apimachinery / printers behaviour) ------------------


def human_duration(delta: timedelta) -> str:
    """A duration shortened to 2-3 significant figures, as apimachinery's HumanDuration.

    Up to 2 minutes in seconds, up to 10 minutes as `XmYs`, up to 3 hours in minutes,
    up to 8 hours as `XhYm`, up to 2 days in hours, up to 8 days as `XdYh`, up to 2 years
    in days, up to 8 years as `XyYd`, then years. A clock up to a second ahead reads `0s`;
    further ahead is `<invalid>`.
    """
    total_us = delta // timedelta(microseconds=1)
    # Go's int(d.Seconds()) truncates toward zero.
    seconds = -(-total_us // 1_000_000) if total_us < 0 else total_us // 1_000_000
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (Time or MicroTime) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def age(timestamp: Any, now: datetime) -> str:
    """Time since `timestamp`, or `<unknown>` for a zero (absent) one, as the printers show it."""
    when = parse_time(timestamp)
    if when is None:
        return "<unknown>"
    return human_duration(_aware(now) - when)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def format_labels(labels: Mapping[str, str] | None) -> str:
    """`k=v` pairs sorted and comma-joined, `<none>` when empty (labels.FormatLabels)."""
    text = ",".join(sorted(f"{k}={v}" for k, v in (labels or {}).items()))
    return text or "<none>"


_NAME_PART = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _valid_label_key(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_NAME_PART.match(name))


def _valid_label_value(value: str) -> bool:
    return value == "" or (len(value) <= 63 and bool(_NAME_PART.match(value)))


_OPERATORS = {"In": " in ", "NotIn": " notin ", "Exists": "", "DoesNotExist": ""}


def selector_string(selector: Mapping[str, Any] | None) -> str | None:
    """A LabelSelector as a selector string (`a=b,c in (d,e),!f`); None if it is invalid.

    Requirements are sorted by key; values inside `in`/`notin` are sorted. An absent
    selector selects nothing and an empty one everything: both print as "".
    """
    if not selector:
        return ""
    requirements: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        value = "" if value is None else str(value)
        if not _valid_label_key(str(key)) or not _valid_label_value(value):
            return None
        requirements.append((str(key), f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, Mapping):
            return None
        key = str(expr.get("key") or "")
        op = expr.get("operator")
        values = [str(v) for v in (expr.get("values") or [])]
        if op not in _OPERATORS or not _valid_label_key(key):
            return None
        if op in ("In", "NotIn") and not values:
            return None
        if op in ("Exists", "DoesNotExist") and values:
            return None
        if not all(_valid_label_value(v) for v in values):
            return None
        if op == "Exists":
            text = key
        elif op == "DoesNotExist":
            text = "!" + key
        else:
            text = f"{key}{_OPERATORS[op]}({','.join(sorted(values))})"
        requirements.append((key, text))
    requirements.sort(key=lambda r: r[0])  # stable, as Go's sort for short lists
    return ",".join(text for _, text in requirements)


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: the selector string, `<none>` if empty, `<error>` if invalid."""
    text = selector_string(selector)
    if text is None:
        return "<error>"
    return text or "<none>"


def _containers_cells(pod_spec: Mapping[str, Any] | None) -> list[str]:
    """Container names and images, each comma-joined (layoutContainerCells)."""
    containers = (pod_spec or {}).get("containers") or []
    names = ",".join(str(c.get("name", "")) for c in containers)
    images = ",".join(str(c.get("image", "")) for c in containers)
    return [names, images]


def _template_spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _join_host_port(host: str, port: int) -> str:
    """net.JoinHostPort: IPv6 addresses go in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _with_more(items: list[str], count: int, limit: int = 3) -> str:
    """The first `limit` items and `+ N more...` (listWithMoreString); `<unset>` when none."""
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _name(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("name", ""))


def _created(obj: Mapping[str, Any], now: datetime) -> str:
    return age(_meta(obj).get("creationTimestamp"), now)


# --- pods --------------------------------------------------------------------------

_POD_COLUMNS = (
    _name_column(),
    Column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", "string", "The aggregate status of the containers in this pod."),
    Column(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    _age_column(),
    Column("IP", "string", _DOCS["PodStatus.podIP"], 1),
    Column("Node", "string", _DOCS["PodSpec.nodeName"], 1),
    Column("Nominated Node", "string", _DOCS["PodStatus.nominatedNodeName"], 1),
    Column("Readiness Gates", "string", _DOCS["PodSpec.readinessGates"], 1),
)


def _later(current: datetime | None, candidate: Any) -> datetime | None:
    when = parse_time(candidate)
    if when is None or (current is not None and when <= current):
        return current
    return when


def _condition_true(conditions: Sequence[Mapping[str, Any]], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


def pod_status_text(pod: Mapping[str, Any], now: datetime) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS of a pod, as printPod works them out.

    STATUS starts from the phase (or status.reason), becomes `Init:…` while init
    containers run or fail, then the reason of a waiting or terminated container
    (`ContainerCreating`, `CrashLoopBackOff`, `Completed`, `ExitCode:1`…), and
    `Terminating` once the pod is being deleted. READY counts ready running
    containers (and started sidecar init containers) over all of them. RESTARTS adds
    `(<age> ago)` of the last container exit when there were restarts.
    """
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, Mapping)]
    containers = spec.get("containers") or []
    init_containers = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_containers if c.get("restartPolicy") == "Always"}

    total = len(containers) + sum(1 for c in init_containers if c.get("restartPolicy") == "Always")
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None

    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or "") or phase
    for cond in conditions:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    for index, cs in enumerate(status.get("initContainerStatuses") or []):
        count = _int(cs.get("restartCount"))
        restarts += count
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        last_restart = _later(last_restart, finished)
        is_sidecar = cs.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += count
            last_sidecar_restart = _later(last_sidecar_restart, finished)
        state = cs.get("state") or {}
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if is_sidecar and cs.get("started") is True:
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if terminated.get("reason"):
                reason = "Init:" + str(terminated["reason"])
            elif _int(terminated.get("signal")) != 0:
                reason = f"Init:Signal:{_int(terminated.get('signal'))}"
            else:
                reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
        elif (
            waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing"
        ):
            reason = "Init:" + str(waiting["reason"])
        else:
            reason = f"Init:{index}/{len(init_containers)}"
        initializing = True
        break

    if not initializing or _condition_true(conditions, "Initialized"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += _int(cs.get("restartCount"))
            finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
            last_restart = _later(last_restart, finished)
            state = cs.get("state") or {}
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif terminated is not None:
                signal = _int(terminated.get("signal"))
                code = _int(terminated.get("exitCode"))
                reason = f"Signal:{signal}" if signal else f"ExitCode:{code}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(conditions, "Ready") else "NotReady"

    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(_aware(now) - last_restart)} ago)"
    return f"{ready}/{total}", reason, restarts_text


def _pod_ip(status: Mapping[str, Any]) -> str:
    ips = [p.get("ip") for p in status.get("podIPs") or [] if isinstance(p, Mapping)]
    # The API keeps podIP equal to podIPs[0]; an object written with podIP alone still shows it.
    return str((ips[0] if ips else None) or status.get("podIP") or "")


def _pod_cells(pod: Mapping[str, Any], now: datetime) -> list[Any]:
    ready, reason, restarts = pod_status_text(pod, now)
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        met = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        gates_text = f"{met}/{len(gates)}"
    return [
        _name(pod),
        ready,
        reason,
        restarts,
        _created(pod, now),
        _pod_ip(status) or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]


def _pod_conditions(pod: Mapping[str, Any]) -> list[dict[str, str]]:
    """Finished pods carry a Completed row condition (printPod's success/failed conditions)."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        message = "The pod has completed successfully."
    elif phase == "Failed":
        message = "The pod failed."
    else:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


# --- services, endpoints, endpoint slices ------------------------------------------

_SERVICE_COLUMNS = (
    _name_column(),
    Column("Type", "string", _DOCS["ServiceSpec.type"]),
    Column("Cluster-IP", "string", _DOCS["ServiceSpec.clusterIP"]),
    Column("External-IP", "string", _DOCS["ServiceSpec.externalIPs"]),
    Column("Port(s)", "string", _DOCS["ServiceSpec.ports"]),
    _age_column(),
    Column("Selector", "string", _DOCS["ServiceSpec.selector"], 1),
)


def service_ports_text(ports: Sequence[Mapping[str, Any]] | None) -> str:
    """`80/TCP`, or `80:30080/TCP` with a node port, comma-joined (makePortString)."""
    pieces = []
    for port in ports or []:
        number, protocol = _int(port.get("port")), port.get("protocol", "")
        node_port = _int(port.get("nodePort"))
        pieces.append(
            f"{number}:{node_port}/{protocol}" if node_port > 0 else f"{number}/{protocol}"
        )
    return ",".join(pieces)


def service_external_ip(svc: Mapping[str, Any]) -> str:
    """EXTERNAL-IP: externalIPs, the load balancer's ingress or `<pending>`, the external name.

    The server prints wide, so a long load-balancer list is never cut to 16 characters.
    """
    spec = svc.get("spec") or {}
    external_ips = [str(ip) for ip in spec.get("externalIPs") or []]
    kind = spec.get("type", "")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else "<none>"
    if kind == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        found = sorted(
            {
                str(i.get("ip") or i.get("hostname"))
                for i in ingress
                if i.get("ip") or i.get("hostname")
            }
        )
        if external_ips:
            return ",".join(found + external_ips)
        return ",".join(found) if found else "<pending>"
    if kind == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_cells(svc: Mapping[str, Any], now: datetime) -> list[Any]:
    spec = svc.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or []
    # The API keeps clusterIP equal to clusterIPs[0]; an object written with clusterIP alone still shows it.
    cluster_ip = (cluster_ips[0] if cluster_ips else None) or spec.get("clusterIP") or "<none>"
    return [
        _name(svc),
        str(spec.get("type", "")),
        str(cluster_ip),
        service_external_ip(svc),
        service_ports_text(spec.get("ports")) or "<none>",
        _created(svc, now),
        format_labels(spec.get("selector")),
    ]


_ENDPOINTS_COLUMNS = (
    _name_column(),
    Column("Endpoints", "string", _DOCS["Endpoints.subsets"]),
    _age_column(),
)


def endpoints_text(endpoints: Mapping[str, Any]) -> str:
    """ENDPOINTS of an Endpoints object: up to 3 `ip:port`, then `+ N more...` (formatEndpoints).

    Only ready addresses count; every port of a subset pairs with every address; a
    subset without ports lists bare IPs; no subsets at all is `<none>`.
    """
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return "<none>"
    limit, shown, count = 3, [], 0
    for subset in subsets:
        addresses = [str(a.get("ip", "")) for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            count += len(addresses)
            shown.extend(addresses[: max(0, limit - len(shown))])
            continue
        for port in ports:
            count += len(addresses)
            for ip in addresses:
                if len(shown) == limit:
                    break
                shown.append(_join_host_port(ip, _int(port.get("port"))))
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if count > limit else text


def _endpoints_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    return [_name(obj), endpoints_text(obj), _created(obj, now)]


_ENDPOINTSLICE_COLUMNS = (
    _name_column(),
    Column("AddressType", "string", _DOCS["EndpointSlice.addressType"]),
    Column("Ports", "string", _DOCS["EndpointSlice.ports"]),
    Column("Endpoints", "string", _DOCS["EndpointSlice.endpoints"]),
    _age_column(),
)


def _endpointslice_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    ports = []
    for port in obj.get("ports") or []:
        if port.get("port") is not None:
            ports.append(str(port["port"]))
        elif port.get("name") is not None:
            ports.append(str(port["name"]))
        else:
            ports.append("*")
    addresses = [str(a) for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        _name(obj),
        str(obj.get("addressType", "")),
        _with_more(ports, len(ports)),
        _with_more(addresses, len(addresses)),
        _created(obj, now),
    ]


# --- network policies, namespaces, nodes, config maps, events ----------------------

_NETWORKPOLICY_COLUMNS = (
    _name_column(),
    Column("Pod-Selector", "string", _DOCS["NetworkPolicySpec.podSelector"]),
    _age_column(),
)


def _networkpolicy_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    selector = (obj.get("spec") or {}).get("podSelector") or {}
    # podSelector is a value, never nil: an absent one is the empty selector (<none>).
    text = selector_string(selector)
    return [_name(obj), "<error>" if text is None else (text or "<none>"), _created(obj, now)]


_NAMESPACE_COLUMNS = (
    _name_column(),
    Column("Status", "string", "The status of the namespace"),
    _age_column(),
)


def _namespace_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    return [_name(obj), str((obj.get("status") or {}).get("phase", "")), _created(obj, now)]


_NODE_COLUMNS = (
    _name_column(),
    Column("Status", "string", "The status of the node"),
    Column("Roles", "string", "The roles of the node"),
    _age_column(),
    Column("Version", "string", _DOCS["NodeSystemInfo.kubeletVersion"]),
    Column("Internal-IP", "string", _DOCS["NodeStatus.addresses"], 1),
    Column("External-IP", "string", _DOCS["NodeStatus.addresses"], 1),
    Column("OS-Image", "string", _DOCS["NodeSystemInfo.osImage"], 1),
    Column("Kernel-Version", "string", _DOCS["NodeSystemInfo.kernelVersion"], 1),
    Column("Container-Runtime", "string", _DOCS["NodeSystemInfo.containerRuntimeVersion"], 1),
)

_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def _node_cells(node: Mapping[str, Any], now: datetime) -> list[Any]:
    status = node.get("status") or {}
    ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
    states = (
        [("Ready" if ready[-1].get("status") == "True" else "NotReady")] if ready else ["Unknown"]
    )
    if (node.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in (_meta(node).get("labels") or {}).items():
        if key.startswith(_NODE_ROLE_PREFIX) and key[len(_NODE_ROLE_PREFIX) :]:
            roles.add(key[len(_NODE_ROLE_PREFIX) :])
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        for entry in status.get("addresses") or []:
            if entry.get("type") == kind:
                return str(entry.get("address", ""))
        return "<none>"

    return [
        _name(node),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _created(node, now),
        str(info.get("kubeletVersion", "")),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


_CONFIGMAP_COLUMNS = (
    _name_column(),
    Column("Data", "string", _DOCS["ConfigMap.data"]),
    _age_column(),
)


def _configmap_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [_name(obj), count, _created(obj, now)]


_EVENT_COLUMNS = (
    Column("Last Seen", "string", _DOCS["Event.lastTimestamp"]),
    Column("Type", "string", _DOCS["Event.type"]),
    Column("Reason", "string", _DOCS["Event.reason"]),
    Column("Object", "string", _DOCS["Event.involvedObject"]),
    Column("Subobject", "string", _DOCS["ObjectReference.fieldPath"], 1),
    Column("Source", "string", _DOCS["Event.source"], 1),
    Column("Message", "string", _DOCS["Event.message"]),
    Column("First Seen", "string", _DOCS["Event.firstTimestamp"], 1),
    Column("Count", "string", _DOCS["Event.count"], 1),
    _name_column(priority=1),
)


def _event_cells(event: Mapping[str, Any], now: datetime) -> list[Any]:
    first = age(event.get("firstTimestamp"), now)
    if parse_time(event.get("firstTimestamp")) is None:
        first = age(event.get("eventTime"), now)
    last = age(event.get("lastTimestamp"), now)
    if parse_time(event.get("lastTimestamp")) is None:
        last = first
    count = _int(event.get("count"))
    series = event.get("series")
    if series is not None:
        last = age(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1  # singleton events of the events.k8s.io API have no count
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return [
        last,
        str(event.get("type", "")),
        str(event.get("reason", "")),
        target,
        str(involved.get("fieldPath", "")),
        f"{component}, {host}" if host else str(component),
        str(event.get("message", "")).strip(),
        first,
        count,
        _name(event),
    ]


# --- workloads ---------------------------------------------------------------------

_DEPLOYMENT_COLUMNS = (
    _name_column(),
    Column("Ready", "string", _READY_REPLICAS_DOC),
    Column("Up-to-date", "string", _DOCS["DeploymentStatus.updatedReplicas"]),
    Column("Available", "string", _DOCS["DeploymentStatus.availableReplicas"]),
    _age_column(),
    Column("Containers", "string", _CONTAINERS_DOC, 1),
    Column("Images", "string", _IMAGES_DOC, 1),
    Column("Selector", "string", _DOCS["DeploymentSpec.selector"], 1),
)


def _deployment_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    selector = selector_string(spec.get("selector"))
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'))}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _created(obj, now),
        *_containers_cells(_template_spec(obj)),
        "<invalid>" if selector is None else selector,  # printDeployment shows "" for empty
    ]


_REPLICASET_COLUMNS = (
    _name_column(),
    Column("Desired", "integer", _DOCS["ReplicaSetSpec.replicas"]),
    Column("Current", "integer", _DOCS["ReplicaSetStatus.replicas"]),
    Column("Ready", "integer", _DOCS["ReplicaSetStatus.readyReplicas"]),
    _age_column(),
    Column("Containers", "string", _CONTAINERS_DOC, 1),
    Column("Images", "string", _IMAGES_DOC, 1),
    Column("Selector", "string", _DOCS["ReplicaSetSpec.selector"], 1),
)


def _replicaset_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    return [
        _name(obj),
        _int(spec.get("replicas")),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _created(obj, now),
        *_containers_cells(_template_spec(obj)),
        format_label_selector(spec.get("selector")),
    ]


_STATEFULSET_COLUMNS = (
    _name_column(),
    Column("Ready", "string", _READY_REPLICAS_DOC),
    _age_column(),
    Column("Containers", "string", _CONTAINERS_DOC, 1),
    Column("Images", "string", _IMAGES_DOC, 1),
)


def _statefulset_cells(obj: Mapping[str, Any], now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'))}",
        _created(obj, now),
        *_containers_cells(_template_spec(obj)),
    ]


PRINTERS: dict[str, Printer] = {
    "pods": Printer(_POD_COLUMNS, _pod_cells, _pod_conditions),
    "services": Printer(_SERVICE_COLUMNS, _service_cells),
    "endpoints": Printer(_ENDPOINTS_COLUMNS, _endpoints_cells),
    "endpointslices": Printer(_ENDPOINTSLICE_COLUMNS, _endpointslice_cells),
    "networkpolicies": Printer(_NETWORKPOLICY_COLUMNS, _networkpolicy_cells),
    "namespaces": Printer(_NAMESPACE_COLUMNS, _namespace_cells),
    "nodes": Printer(_NODE_COLUMNS, _node_cells),
    "deployments": Printer(_DEPLOYMENT_COLUMNS, _deployment_cells),
    "replicasets": Printer(_REPLICASET_COLUMNS, _replicaset_cells),
    "statefulsets": Printer(_STATEFULSET_COLUMNS, _statefulset_cells),
    "configmaps": Printer(_CONFIGMAP_COLUMNS, _configmap_cells),
    "events": Printer(_EVENT_COLUMNS, _event_cells),
}


# --- the Table ---------------------------------------------------------------------


def _row_object(
    plural: str, obj: Mapping[str, Any], include_object: str, api_version: str
) -> dict[str, Any] | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        whole = copy.deepcopy(dict(obj))
        # kubectl decodes each row's object by its apiVersion and kind.
        default_version, default_kind = KINDS[plural]
        whole.setdefault("apiVersion", default_version)
        whole.setdefault("kind", default_kind)
        return whole
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": api_version,
        "metadata": copy.deepcopy(dict(_meta(obj))),
    }


def table_for(
    resource_plural: str,
    objects: list[dict],
    *,
    now: datetime,
    context: TableContext,
    include_object: str = "Metadata",
) -> dict:
    """The meta.k8s.io/v1 Table the API server returns for these objects of one kind.

    `include_object` is the request's `includeObject` (Metadata, the default; Object; None).
    Raises TableError for a kind without a printer or an unknown includeObject value.
    """
    printer = PRINTERS.get(resource_plural)
    if printer is None:
        raise TableError(f'no table printer for resource "{resource_plural}"')
    include = include_object or "Metadata"
    if include not in INCLUDE_OBJECT_VALUES:
        raise TableError(f"unrecognized includeObject value: {json.dumps(include_object)}")

    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.cells(obj, now)}
        conditions = printer.conditions(obj) if printer.conditions else []
        if conditions:
            row["conditions"] = conditions
        row["object"] = _row_object(resource_plural, obj, include, context.api_version)
        rows.append(row)

    metadata: dict[str, Any] = {}
    resource_version = context.resource_version
    if context.single_object and objects:
        resource_version = str(_meta(objects[0]).get("resourceVersion", ""))
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if context.continue_token:
        metadata["continue"] = context.continue_token

    return {
        "kind": "Table",
        "apiVersion": context.api_version,
        "metadata": metadata,
        "columnDefinitions": None
        if context.no_headers
        else [column.definition() for column in printer.columns],
        "rows": rows,
    }


def supported_resources() -> frozenset[str]:
    """The plurals `table_for` can print."""
    return frozenset(PRINTERS)
