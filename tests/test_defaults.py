"""apply_defaults fills in what the API server writes before validating (v1 defaulting)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8slearn.manifests.defaults import apply_defaults, copy_tree
from k8slearn.manifests.loader import load_manifests


def defaulted(text: str) -> dict[str, Any]:
    data = load_manifests(text).documents[0].data
    return apply_defaults(data["kind"], data)


def service(spec: str) -> dict[str, Any]:
    return defaulted(f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {spec}\n")


# --- Service ---------------------------------------------------------------------------------


def test_service_minimal_gets_clusterip_defaults():
    spec = service("{selector: {app: web}, ports: [{port: 80}]}")["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert "externalTrafficPolicy" not in spec  # only externally reachable Services get one
    assert "allocateLoadBalancerNodePorts" not in spec


@pytest.mark.parametrize("target", ["0", '""', "null"])
def test_service_empty_target_port_becomes_port(target):
    spec = service(f"{{ports: [{{port: 8080, targetPort: {target}}}]}}")["spec"]
    assert spec["ports"][0]["targetPort"] == 8080


def test_service_explicit_values_are_kept():
    spec = service(
        "{type: NodePort, externalTrafficPolicy: Local, internalTrafficPolicy: Local,"
        " ports: [{port: 53, protocol: UDP, targetPort: dns}]}"
    )["spec"]
    assert spec["externalTrafficPolicy"] == "Local"
    assert spec["internalTrafficPolicy"] == "Local"
    assert spec["ports"][0] == {"port": 53, "protocol": "UDP", "targetPort": "dns"}


@pytest.mark.parametrize("kind", ["NodePort", "LoadBalancer"])
def test_external_traffic_policy_for_externally_reachable_types(kind):
    spec = service(f"{{type: {kind}, ports: [{{port: 80}}]}}")["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["internalTrafficPolicy"] == "Cluster"


def test_external_traffic_policy_for_clusterip_with_external_ips():
    spec = service("{externalIPs: [192.0.2.10], ports: [{port: 80}]}")["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"


def test_load_balancer_allocates_node_ports_unless_told_not_to():
    assert (
        service("{type: LoadBalancer, ports: [{port: 80}]}")["spec"][
            "allocateLoadBalancerNodePorts"
        ]
        is True
    )
    spec = service(
        "{type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{port: 80}]}"
    )
    assert spec["spec"]["allocateLoadBalancerNodePorts"] is False


def test_external_name_gets_no_traffic_policies():
    spec = service("{type: ExternalName, externalName: db.example.com}")["spec"]
    assert "internalTrafficPolicy" not in spec
    assert "externalTrafficPolicy" not in spec
    assert spec["sessionAffinity"] == "None"


def test_session_affinity_config_dropped_for_none_and_defaulted_for_client_ip():
    spec = service("{sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, ports: [{port: 1}]}")
    assert "sessionAffinityConfig" not in spec["spec"]
    spec = service("{sessionAffinity: ClientIP, ports: [{port: 1}]}")["spec"]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    spec = service(
        "{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}},"
        " ports: [{port: 1}]}"
    )["spec"]
    assert spec["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == 60


def test_service_nulls_count_as_unset():
    spec = service(
        "{type: null, sessionAffinity: null, ports: [{port: 80, protocol: null}, null]}"
    )["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["ports"][0]["protocol"] == "TCP"
    assert spec["ports"][1] == {"protocol": "TCP"}  # Go decodes a null entry as an empty port


def test_service_without_spec_gets_one():
    obj = defaulted("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: null\n")
    assert obj["spec"]["type"] == "ClusterIP"


def test_input_is_not_modified():
    data = (
        load_manifests(
            "apiVersion: v1\nkind: Service\nmetadata: {name: w}\nspec: {ports: [{port: 80}]}\n"
        )
        .documents[0]
        .data
    )
    before = copy.deepcopy(data)
    result = apply_defaults("Service", data)
    assert data == before
    assert result is not data and result["spec"] is not data["spec"]


# --- NetworkPolicy -------------------------------------------------------------------------


def policy(spec: str) -> dict[str, Any]:
    head = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n"
    return defaulted(f"{head}spec: {spec}\n")["spec"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("{podSelector: {}}", ["Ingress"]),
        ("{podSelector: {}, ingress: [{}]}", ["Ingress"]),
        ("{podSelector: {}, egress: [{}]}", ["Ingress", "Egress"]),
        # upstream tests len(egress) != 0: an empty or null egress list is not "present"
        ("{podSelector: {}, egress: []}", ["Ingress"]),
        ("{podSelector: {}, egress: null}", ["Ingress"]),
        ("{podSelector: {}, policyTypes: [], egress: [{}]}", ["Ingress", "Egress"]),
        ("{podSelector: {}, policyTypes: null}", ["Ingress"]),
        ("{podSelector: {}, policyTypes: [Egress], ingress: [{}]}", ["Egress"]),
    ],
)
def test_policy_types_default(spec, expected):
    assert policy(spec)["policyTypes"] == expected


def test_policy_port_protocol_defaults_to_tcp():
    spec = policy(
        "{ingress: [{ports: [{port: 80}, {port: 53, protocol: UDP}, null]}],"
        " egress: [{ports: [{port: 443, protocol: null}]}]}"
    )
    assert [p["protocol"] for p in spec["ingress"][0]["ports"]] == ["TCP", "UDP", "TCP"]
    assert spec["egress"][0]["ports"][0]["protocol"] == "TCP"


# --- Namespace -------------------------------------------------------------------------------


def test_namespace_gets_name_label():
    obj = defaulted("apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {x: y}}\n")
    assert obj["metadata"]["labels"] == {"x": "y", "kubernetes.io/metadata.name": "team-a"}


def test_namespace_name_label_overrides_a_wrong_one():
    obj = defaulted(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n"
        "  labels: {kubernetes.io/metadata.name: other}\n"
    )
    assert obj["metadata"]["labels"]["kubernetes.io/metadata.name"] == "team-a"


def test_namespace_with_null_labels_and_without_name():
    obj = defaulted("apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: null}\n")
    assert obj["metadata"]["labels"] == {"kubernetes.io/metadata.name": "a"}
    obj = defaulted("apiVersion: v1\nkind: Namespace\nmetadata: {generateName: a-}\n")
    assert "labels" not in obj["metadata"]


# --- Pod and Deployment --------------------------------------------------------------------

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
  - {name: init, image: "busybox:1.36", ports: [{containerPort: 9000}]}
  containers:
  - name: web
    image: nginx
    ports:
    - containerPort: 80
    - {containerPort: 53, protocol: UDP}
  - {name: side, image: "registry.local:5000/tools/side:v2"}
  - {name: latest, image: "registry.local:5000/tools/side"}
  - name: pinned
    image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
"""


def test_pod_container_defaults():
    spec = defaulted(POD)["spec"]
    web = spec["containers"][0]
    assert [p["protocol"] for p in web["ports"]] == ["TCP", "UDP"]
    assert spec["initContainers"][0]["ports"][0]["protocol"] == "TCP"
    pull = [c["imagePullPolicy"] for c in spec["containers"]]
    assert pull == ["Always", "IfNotPresent", "Always", "IfNotPresent"]
    assert spec["initContainers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert web["terminationMessagePath"] == "/dev/termination-log"
    assert web["terminationMessagePolicy"] == "File"


def test_pod_spec_defaults():
    spec = defaulted(POD)["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["securityContext"] == {}
    assert spec["enableServiceLinks"] is True


def test_pod_keeps_explicit_zero_grace_period():
    obj = defaulted(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec: {terminationGracePeriodSeconds: 0, restartPolicy: Never, containers: []}\n"
    )
    assert obj["spec"]["terminationGracePeriodSeconds"] == 0
    assert obj["spec"]["restartPolicy"] == "Never"


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.27", ports: [{containerPort: 80, name: http}]}
"""


def test_deployment_defaults():
    spec = defaulted(DEPLOYMENT)["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    pod = spec["template"]["spec"]
    assert pod["containers"][0]["ports"][0] == {
        "containerPort": 80,
        "name": "http",
        "protocol": "TCP",
    }
    assert pod["restartPolicy"] == "Always"
    assert "enableServiceLinks" not in pod  # a Pod-only default, not a template one


def test_deployment_recreate_and_zero_values_are_kept():
    obj = defaulted(
        DEPLOYMENT.replace(
            "spec:\n  selector", "spec:\n  replicas: 0\n  strategy: {type: Recreate}\n  selector"
        )
    )
    assert obj["spec"]["replicas"] == 0
    assert obj["spec"]["strategy"] == {"type": "Recreate"}


def test_rolling_update_zero_max_unavailable_is_kept():
    obj = defaulted(
        DEPLOYMENT.replace(
            "spec:\n  selector",
            "spec:\n  strategy: {rollingUpdate: {maxUnavailable: 0}}\n  selector",
        )
    )
    assert obj["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": "25%"}


def test_unknown_kind_is_copied_unchanged():
    data = {"kind": "ConfigMap", "data": {"a": "b"}}
    result = apply_defaults("ConfigMap", data)
    assert result == data
    assert result is not data


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_copy_tree_is_a_deep_copy_sharing_nothing(value):
    copied = copy_tree(value)
    assert copied == copy.deepcopy(value)

    def containers(v):
        if isinstance(v, dict):
            yield v
            for item in v.values():
                yield from containers(item)
        elif isinstance(v, list):
            yield v
            for item in v:
                yield from containers(item)

    mine = {id(c) for c in containers(value)}
    assert not any(id(c) in mine for c in containers(copied))
