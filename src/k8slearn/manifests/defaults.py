"""Fill in the defaults the API server writes into an object before it validates it.

A learner's Service without `type` *is* a ClusterIP Service, and a port
without `protocol` *is* TCP: the rules and the cluster model must see the
object the way the cluster stores it. The facts come from kubernetes/kubernetes
`pkg/apis/core/v1/defaults.go`, `pkg/apis/networking/v1/defaults.go` and
`pkg/apis/apps/v1/defaults.go`.

A YAML `null` decodes in Go to the zero value, which the defaulting treats as
"not set", so here None counts as absent everywhere.
"""

from __future__ import annotations

from typing import Any

CLIENT_IP_TIMEOUT_DEFAULT = 10800  # seconds, three hours
EXTERNALLY_REACHABLE_TYPES = ("NodePort", "LoadBalancer")


def apply_defaults(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `obj` with the API server's defaults for `kind` filled in."""
    result = copy_tree(obj)
    defaulter = _DEFAULTERS.get(kind)
    if defaulter is not None:
        defaulter(result)
    return result


def copy_tree(value: Any) -> Any:
    """A copy of parsed YAML or JSON (dicts, lists, scalars), every dict and list new.

    What `copy.deepcopy` gives for such data, several times faster: it has no other kinds
    of object to ask about, and no shared parts to remember (a parsed file is a tree).
    """
    if isinstance(value, dict):
        return {k: copy_tree(v) if isinstance(v, dict | list) else v for k, v in value.items()}
    if isinstance(value, list):
        return [copy_tree(v) if isinstance(v, dict | list) else v for v in value]
    return value


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """parent[key] as a dict, created when absent or null (Go's zero-value struct)."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def _items(parent: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The entries of the list parent[key]; a null entry becomes {} as in Go."""
    value = parent.get(key)
    if not isinstance(value, list):
        return []
    for i, item in enumerate(value):
        if item is None:
            value[i] = {}
    return [item for item in value if isinstance(item, dict)]


def _default(obj: dict[str, Any], key: str, value: Any) -> None:
    """Set obj[key] unless the learner set it (None and "" count as unset)."""
    if obj.get(key) in (None, ""):
        obj[key] = value


def externally_accessible(spec: dict[str, Any]) -> bool:
    """Reachable from outside the cluster: NodePort, LoadBalancer, or ClusterIP with externalIPs.

    Only these Services get (and may carry) an externalTrafficPolicy.
    """
    kind = spec.get("type")
    return kind in EXTERNALLY_REACHABLE_TYPES or (
        kind == "ClusterIP" and bool(spec.get("externalIPs"))
    )


def _service(obj: dict[str, Any]) -> None:
    spec = _child(obj, "spec")
    _default(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)  # the API server drops it silently
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = _child(_child(spec, "sessionAffinityConfig"), "clientIP")
        _default(client_ip, "timeoutSeconds", CLIENT_IP_TIMEOUT_DEFAULT)
    _default(spec, "type", "ClusterIP")
    for port in _items(spec, "ports"):
        _default(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, "") and isinstance(port.get("port"), int):
            port["targetPort"] = port["port"]
    if externally_accessible(spec):
        _default(spec, "externalTrafficPolicy", "Cluster")
    if spec["type"] in ("ClusterIP", "NodePort", "LoadBalancer"):
        _default(spec, "internalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True


def _network_policy(obj: dict[str, Any]) -> None:
    spec = _child(obj, "spec")
    # Upstream SetDefaults_NetworkPolicy only fills policyTypes when it is empty
    # (`len(PolicyTypes) == 0`), and adds "Egress" only when `len(Egress) != 0`.
    # So `egress: []` (or null) does NOT make the policy an egress policy: a
    # deny-all-egress policy has to say `policyTypes: [Egress]` explicitly.
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"]
        if spec.get("egress"):
            spec["policyTypes"].append("Egress")
    for direction in ("ingress", "egress"):
        for rule in _items(spec, direction):
            for port in _items(rule, "ports"):
                _default(port, "protocol", "TCP")


def _namespace(obj: dict[str, Any]) -> None:
    meta = _child(obj, "metadata")
    name = meta.get("name")
    if name:  # a generateName-only Namespace gets the label later, from its final name
        _child(meta, "labels")["kubernetes.io/metadata.name"] = name


def _image_tag(image: str) -> str:
    """The tag of an image reference; "latest" when it has neither tag nor digest."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]  # a registry host may carry a :port
    if ":" in last:
        return last.split(":", 1)[1]
    return "" if digest else "latest"


def _container(container: dict[str, Any]) -> None:
    image = container.get("image")
    always = isinstance(image, str) and image != "" and _image_tag(image) == "latest"
    _default(container, "imagePullPolicy", "Always" if always else "IfNotPresent")
    _default(container, "terminationMessagePath", "/dev/termination-log")
    _default(container, "terminationMessagePolicy", "File")
    for port in _items(container, "ports"):
        _default(port, "protocol", "TCP")


def _pod_spec(spec: dict[str, Any]) -> None:
    """Defaults shared by a Pod's spec and a pod template's spec."""
    _default(spec, "dnsPolicy", "ClusterFirst")
    _default(spec, "restartPolicy", "Always")
    _default(spec, "schedulerName", "default-scheduler")
    _default(spec, "terminationGracePeriodSeconds", 30)
    _child(spec, "securityContext")
    for key in ("initContainers", "containers"):
        for container in _items(spec, key):
            _container(container)


def _pod(obj: dict[str, Any]) -> None:
    spec = _child(obj, "spec")
    _pod_spec(spec)
    if spec.get("enableServiceLinks") is None:  # Pods only, not templates
        spec["enableServiceLinks"] = True


def _deployment(obj: dict[str, Any]) -> None:
    spec = _child(obj, "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = _child(spec, "strategy")
    _default(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _default(rolling, "maxUnavailable", "25%")
        _default(rolling, "maxSurge", "25%")
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    _pod_spec(_child(_child(spec, "template"), "spec"))


def _stateful_set(obj: dict[str, Any]) -> None:
    """SetDefaults_StatefulSet (with MaxUnavailableStatefulSet on, as in v1.37)."""
    spec = _child(obj, "spec")
    _default(spec, "podManagementPolicy", "OrderedReady")
    strategy = _child(spec, "updateStrategy")
    if strategy.get("type") in (None, ""):
        strategy["type"] = "RollingUpdate"
        _child(strategy, "rollingUpdate")  # only then does an absent rollingUpdate become {}
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        if rolling.get("partition") is None:
            rolling["partition"] = 0
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = 1
    retention = _child(spec, "persistentVolumeClaimRetentionPolicy")
    _default(retention, "whenDeleted", "Retain")
    _default(retention, "whenScaled", "Retain")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    _pod_spec(_child(_child(spec, "template"), "spec"))


def _endpoint_slice(obj: dict[str, Any]) -> None:
    for port in _items(obj, "ports"):
        if port.get("name") is None:
            port["name"] = ""
        _default(port, "protocol", "TCP")


def _endpoints(obj: dict[str, Any]) -> None:
    for subset in _items(obj, "subsets"):
        for port in _items(subset, "ports"):
            _default(port, "protocol", "TCP")


_DEFAULTERS = {
    "Service": _service,
    "NetworkPolicy": _network_policy,
    "Namespace": _namespace,
    "Pod": _pod,
    "Deployment": _deployment,
    "StatefulSet": _stateful_set,
    "EndpointSlice": _endpoint_slice,
    "Endpoints": _endpoints,
}
