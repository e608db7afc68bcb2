"""The API server's create-time checks, for objects that already fit the OpenAPI shape.

The schema layer knows field names and types; it cannot know that a nodePort
must lie in the NodePort range or that an ipBlock may not sit next to a
podSelector. Those rules live in kubernetes/kubernetes
`pkg/apis/core/validation`, `pkg/apis/networking/validation` and
`pkg/apis/apps/validation`, and this module re-states the ones a learner can
hit with Services, NetworkPolicies, Namespaces, Pods and Deployments.

Field paths are the ones the API server prints (quirks included, such as
`spec.clusterIPs[0]` for a `clusterIP:` the learner wrote, or
`spec.LoadBalancerSourceRanges`); the line points at what the learner wrote.
Every rule reports and carries on, so one pass shows every mistake. Values
may be None anywhere (YAML null): None means "not set", as it does in Go.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from k8slearn.manifests.defaults import externally_accessible
from k8slearn.manifests.loader import Document
from k8slearn.manifests.names import (
    IPAddress,
    IPNetwork,
    iana_svc_name_errors,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_value,
    parse_cidr,
    parse_ip,
    qualified_name_errors,
    suggest_dns_name,
)
from k8slearn.problems import Path, Problem, format_path

NODE_PORT_RANGE = (30000, 32767)  # the kube-apiserver default --service-node-port-range
PROTOCOLS = ("TCP", "UDP", "SCTP")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
POLICY_TYPES = ("Ingress", "Egress")
MAX_CLIENT_IP_TIMEOUT = 86400  # seconds, one day
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def check_rules(doc: Document, kind: str, obj: dict[str, Any]) -> list[Problem]:
    """Every create-time rule `obj` (already defaulted) breaks, as Problems; never raises."""
    checker = _CHECKERS.get(kind)
    if checker is None or not isinstance(obj, dict):
        return []
    report = _Report(doc)
    checker(report, obj)
    return report.problems


@dataclass
class _Report:
    """Collects Problems, placing each on the learner's line."""

    doc: Document
    problems: list[Problem] = field(default_factory=list)

    def error(self, path: Path, message: str, hint: str = "", at: Path | None = None) -> None:
        self._add(path, message, hint, at, "error")

    def warn(self, path: Path, message: str, hint: str = "", at: Path | None = None) -> None:
        self._add(path, message, hint, at, "warning")

    def _add(self, path: Path, message: str, hint: str, at: Path | None, severity: str) -> None:
        # `at` is where the learner wrote the value when the API's path differs from it.
        problem = self.doc.problem(path, message, hint=hint, severity=severity)
        where = self.doc.positions.get(tuple(at)) if at is not None else None
        if where:
            problem = replace(problem, line=where[0], column=where[1])
        self.problems.append(problem)


# --- small helpers -------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_port(value: Any) -> bool:
    return _is_int(value) and 1 <= value <= 65535


def _did_you_mean(value: Any, choices: Iterable[str]) -> str:
    """A hint for values that differ from an allowed one only in case (they are case-sensitive)."""
    if isinstance(value, str):
        for choice in choices:
            if value.lower() == choice.lower() and value != choice:
                return f"did you mean {choice}? Values are case-sensitive"
    return ""


def _either(choices: tuple[str, ...]) -> str:
    """Join choices as "A, B or C"."""
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def _not_supported(r: _Report, path: Path, value: Any, choices: tuple[str, ...], what: str) -> None:
    r.error(path, f"{value!r} is not {what}: use {_either(choices)}", _did_you_mean(value, choices))


def _check_protocol(r: _Report, path: Path, value: Any) -> None:
    if value not in PROTOCOLS:
        _not_supported(r, path, value, PROTOCOLS, "a supported protocol")


def _check_port_number(r: _Report, path: Path, value: Any) -> None:
    if value is None:
        r.error(path, "is required")
    elif not _is_port(value):
        r.error(path, f"{value!r} must be a port number between 1 and 65535")


def _check_named_port(r: _Report, path: Path, value: str) -> None:
    """A port given by name (IANA_SVC_NAME), as targetPort and NetworkPolicy ports allow."""
    errors = iana_svc_name_errors(value)
    if not errors:
        return
    if value.isdigit():
        hint = f"write {value} without quotes: a quoted number is read as a port name"
    else:
        suggestion = suggest_dns_name(value)[:15].strip("-")
        hint = (
            f"for example `{suggestion}`"
            if suggestion and not iana_svc_name_errors(suggestion)
            else ""
        )
    r.error(path, f"{value!r} is not a valid port name: " + "; ".join(errors), hint)


# --- metadata, labels and selectors ----------------------------------------------------------

_NAME_FORMATS = {
    "subdomain": (
        is_dns1123_subdomain,
        True,
        "a DNS subdomain: lowercase letters, digits, '-' and '.', "
        "starting and ending with a letter or digit, at most 253 characters",
    ),
    "label": (
        is_dns1123_label,
        False,
        "a DNS label: lowercase letters, digits and '-', "
        "starting and ending with a letter or digit, at most 63 characters",
    ),
}


def _check_name(r: _Report, path: Path, value: str, shown: str, fmt: str) -> None:
    """`value` (maybe masked from a generateName) against a name format; reports `shown`."""
    valid, dots, description = _NAME_FORMATS[fmt]
    if valid(value):
        return
    suggestion = suggest_dns_name(shown, dots=dots)
    hint = f"for example `{suggestion}`" if suggestion != shown and valid(suggestion) else ""
    if not dots and "." in shown and is_dns1123_subdomain(shown):
        r.error(path, f"{shown!r} must not contain dots: it must be {description}", hint)
    else:
        r.error(path, f"{shown!r} is not a valid name: it must be {description}", hint)


def _check_metadata(r: _Report, obj: dict[str, Any], fmt: str, namespaced: bool = True) -> None:
    """Name, namespace, labels and annotation keys, as ValidateObjectMeta checks them."""
    meta = _dict(obj.get("metadata"))
    name = _str(meta.get("name"))
    generate = _str(meta.get("generateName"))
    if name:
        _check_name(r, ("metadata", "name"), name, name, fmt)
    elif generate:
        # A generated name gets a random suffix, so one trailing '-' is fine.
        masked = generate[:-1] + "a" if generate.endswith("-") else generate
        _check_name(r, ("metadata", "generateName"), masked, generate, fmt)
    else:
        r.error(
            ("metadata", "name"),
            "is required: every object needs a name",
            "add `name:` under metadata",
        )
    namespace = _str(meta.get("namespace"))
    if namespaced and namespace and not is_dns1123_label(namespace):
        _check_name(r, ("metadata", "namespace"), namespace, namespace, "label")
    labels = dict(_dict(meta.get("labels")))
    if not namespaced and labels.get(NAMESPACE_NAME_LABEL) == name:
        del labels[NAMESPACE_NAME_LABEL]  # copied from the name by defaulting: checked there
    _check_labels(r, labels, ("metadata", "labels"))
    for key in _dict(meta.get("annotations")):
        errors = qualified_name_errors(key.lower())
        if errors:
            r.error(
                ("metadata", "annotations"),
                f"annotation key {key!r}: " + "; ".join(errors),
                at=("metadata", "annotations", key),
            )


def _check_labels(r: _Report, labels: Any, path: Path, reported: Path | None = None) -> None:
    """Label keys and values. The API reports both at the map itself (`reported`, if it differs)."""
    shown = reported or path
    for key, value in _dict(labels).items():
        errors = qualified_name_errors(key)
        if errors:
            r.error(shown, f"label key {key!r}: " + "; ".join(errors), at=(*path, key))
        text = "" if value is None else value
        if isinstance(text, str) and not is_label_value(text):
            r.error(
                shown,
                f"label value {text!r} (key {key!r}) must be at most 63 letters, digits, '-', "
                "'_' or '.', starting and ending with a letter or digit (or empty)",
                at=(*path, key),
            )


def _check_selector(r: _Report, selector: Any, path: Path) -> None:
    """A LabelSelector: matchLabels checked like labels, then each of matchExpressions."""
    sel = _dict(selector)
    _check_labels(r, sel.get("matchLabels"), (*path, "matchLabels"))
    for i, expr in enumerate(_list(sel.get("matchExpressions"))):
        _check_requirement(r, _dict(expr), (*path, "matchExpressions", i))


def _check_requirement(r: _Report, expr: dict[str, Any], path: Path) -> None:
    operator = expr.get("operator")
    values = _list(expr.get("values"))
    if operator in ("In", "NotIn"):
        if not values:
            r.error(
                (*path, "values"),
                f"must list at least one value when operator is {operator}",
                "use Exists to match any value of the key",
            )
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            r.error(
                (*path, "values"),
                f"must be empty when operator is {operator}",
                "remove values, or use In to match particular values",
            )
    else:
        _not_supported(r, (*path, "operator"), operator, SELECTOR_OPERATORS, "a selector operator")
    key = _str(expr.get("key"))
    errors = qualified_name_errors(key) if key else ["is required: the label key to test"]
    if errors:
        r.error((*path, "key"), f"{key!r} is not a valid label key: " + "; ".join(errors))
    for i, value in enumerate(values):
        text = "" if value is None else value
        if isinstance(text, str) and not is_label_value(text):
            r.error(
                (*path, "values", i),
                f"{text!r} is not a valid label value: at most 63 "
                "letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
            )


def _selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether a (valid) LabelSelector selects an object with `labels`."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    have = {key: text(value) for key, value in labels.items()}
    for key, value in _dict(selector.get("matchLabels")).items():
        if have.get(key) != text(value):
            return False
    for expr in _list(selector.get("matchExpressions")):
        expr = _dict(expr)
        key, operator = expr.get("key"), expr.get("operator")
        values = {text(v) for v in _list(expr.get("values"))}
        present = key in have
        if operator == "In" and not (present and have[key] in values):
            return False
        if operator == "NotIn" and present and have[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


# --- Service -------------------------------------------------------------------------------


def _check_service(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "label")
    _service_name_compat(r, obj)
    spec = _dict(obj.get("spec"))
    kind = spec.get("type")
    if kind not in SERVICE_TYPES:
        _not_supported(r, ("spec", "type"), kind, SERVICE_TYPES, "a Service type")
    cluster_ips = _service_cluster_ips(r, spec, kind)
    _service_external_name(r, spec, kind)
    _service_ports(r, spec, kind, headless=cluster_ips == ["None"])
    _service_node_ports(r, spec, kind)
    _check_labels(r, spec.get("selector"), ("spec", "selector"))
    _service_affinity(r, spec)
    _service_external_ips(r, spec, kind)
    _service_load_balancer_fields(r, spec, kind)
    _service_traffic_policies(r, spec, kind)


def _service_name_compat(r: _Report, obj: dict[str, Any]) -> None:
    """Since v1.36 (RelaxedServiceNameValidation, beta) a Service name may start with a digit."""
    name = _str(_dict(obj.get("metadata")).get("name"))
    if name and is_dns1123_label(name) and not is_dns1035_label(name):
        r.warn(
            ("metadata", "name"),
            "starts with a digit: accepted since Kubernetes v1.36, rejected by older clusters",
            "start Service names with a letter to be safe on any cluster",
        )


def _service_cluster_ips(r: _Report, spec: dict[str, Any], kind: Any) -> list[str]:
    """clusterIP / clusterIPs. The API server copies clusterIP into clusterIPs and reports there."""
    cluster_ip = _str(spec.get("clusterIP"))
    given = [_str(ip) for ip in _list(spec.get("clusterIPs"))]
    ips = given or ([cluster_ip] if cluster_ip else [])
    path: Path = ("spec", "clusterIPs")
    written = path if given else ("spec", "clusterIP")
    if kind == "ExternalName":
        if ips:
            r.error(
                path,
                "must be empty for an ExternalName Service: it is a DNS alias, not a cluster IP",
                "remove clusterIP",
                at=written,
            )
        for key in ("ipFamilies", "ipFamilyPolicy"):
            if spec.get(key):
                r.error(("spec", key), "may not be set for an ExternalName Service")
        return ips
    if kind in ("NodePort", "LoadBalancer") and ips == ["None"]:
        r.error(
            (*path, 0),
            f"may not be 'None' for a {kind} Service: a headless Service has no "
            "cluster IP to expose",
            "remove `clusterIP: None`, or use type ClusterIP for a headless Service",
            at=(*written, 0) if given else written,
        )
    if cluster_ip and given and given[0] != cluster_ip:
        r.error(
            path,
            "first value must match `clusterIP`",
            "set both to the same address, or write only clusterIP",
        )
    if not cluster_ip and given:
        r.error(
            path,
            "must be empty when `clusterIP` is not set",
            "write clusterIP too (the first entry), or leave both out and an address is assigned",
        )
    parsed: list[IPAddress] = []
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                r.error(path, "'None' must be the first and only value")
            continue
        try:
            parsed.append(parse_ip(ip))
        except ValueError as exc:
            hint = (
                "write None (capital N) for a headless Service"
                if ip.lower() == "none"
                else ("or leave clusterIP out and the cluster assigns one")
            )
            r.error((*path, i), f"{ip!r} {exc}", hint, at=(*written, i) if given else written)
    if len(ips) > 2:
        r.error(path, "may hold at most two addresses, one IPv4 and one IPv6")
    elif len(parsed) == 2 and parsed[0].version == parsed[1].version:
        r.error(path, "may hold only one address per IP family (one IPv4, one IPv6)")
    families = _list(spec.get("ipFamilies"))
    seen: set[str] = set()
    for i, family in enumerate(families):
        if family not in ("IPv4", "IPv6"):
            _not_supported(r, ("spec", "ipFamilies", i), family, ("IPv4", "IPv6"), "an IP family")
        if isinstance(family, str) and family in seen:
            r.error(
                ("spec", "ipFamilies", i),
                f"Duplicate value: {family!r}",
                "list each family once: [IPv4], [IPv6], or both for dual-stack",
            )
        if isinstance(family, str):
            seen.add(family)
    if len(parsed) == len(ips) and ips != ["None"]:  # every address is valid, none is 'None'
        for i, (ip, family) in enumerate(zip(parsed, families, strict=False)):
            if family in ("IPv4", "IPv6") and f"IPv{ip.version}" != family:
                r.error(
                    (*path, i),
                    f"expected an {family} value as indicated by `ipFamilies[{i}]`",
                    "put the addresses in the order of ipFamilies, or leave ipFamilies out",
                    at=(*written, i) if given else written,
                )
    policy = spec.get("ipFamilyPolicy")
    policies = ("SingleStack", "PreferDualStack", "RequireDualStack")
    if policy is not None and policy not in policies:
        _not_supported(r, ("spec", "ipFamilyPolicy"), policy, policies, "an IP family policy")
        return ips
    if policy is None:  # the allocator's default on create
        selectorless = not spec.get("selector")
        policy = "RequireDualStack" if ips == ["None"] and selectorless else "SingleStack"
    if policy != "SingleStack":
        return ips
    # The allocator (initIPFamilyFields) refuses two of either on a single-stack Service,
    # whatever families the cluster has.
    if len(parsed) == 2 and parsed[0].version != parsed[1].version:
        r.error(
            ("spec", "ipFamilyPolicy"),
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
            "set ipFamilyPolicy: PreferDualStack, or give one address",
            at=path,
        )
    if len(families) == 2:
        r.error(
            ("spec", "ipFamilyPolicy"),
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
            "set ipFamilyPolicy: PreferDualStack (or RequireDualStack), or list one family",
            at=None if spec.get("ipFamilyPolicy") is not None else ("spec", "ipFamilies"),
        )
    return ips


def _service_external_name(r: _Report, spec: dict[str, Any], kind: Any) -> None:
    name = _str(spec.get("externalName"))
    path: Path = ("spec", "externalName")
    if kind != "ExternalName":
        if name:  # an API warning, not an error
            r.warn(path, "is ignored unless type is ExternalName")
        return
    cname = name[:-1] if name.endswith(".") else name  # a trailing dot marks a fully-qualified name
    if not cname:
        r.error(
            path,
            "is required for an ExternalName Service: the DNS name it aliases",
            "for example `externalName: db.example.com`",
        )
    elif not is_dns1123_subdomain(cname):
        if "://" in cname or "/" in cname or ":" in cname:
            hint = "write just the host name, without scheme, port or path"
        elif cname.lower() != cname and is_dns1123_subdomain(cname.lower()):
            hint = f"use lowercase: `{cname.lower()}`"
        else:
            hint = ""
        r.error(path, f"{name!r} must be a lowercase DNS name such as db.example.com", hint)


def _service_ports(r: _Report, spec: dict[str, Any], kind: Any, headless: bool) -> None:
    ports = _list(spec.get("ports"))
    if not ports and not headless and kind != "ExternalName":
        r.error(
            ("spec", "ports"),
            "at least one port is required (only headless and ExternalName Services may have none)",
            "for example `ports: [{port: 80}]`",
        )
    names: set[str] = set()
    seen: set[tuple[Any, Any]] = set()
    for i, raw in enumerate(ports):
        port = _dict(raw)
        path: Path = ("spec", "ports", i)
        _service_port(r, port, path, len(ports) > 1, names)
        key = (port.get("protocol"), port.get("port"))
        if key in seen:
            r.error(
                path,
                f"duplicate port {key[1]}/{key[0]}: each port and protocol pair may "
                "appear only once",
            )
        seen.add(key)


def _service_port(
    r: _Report, port: dict[str, Any], path: Path, need_name: bool, names: set[str]
) -> None:
    """One entry of spec.ports. Its name is a DNS label (not a port name like targetPort)."""
    name = _str(port.get("name"))
    if need_name and not name:
        r.error(
            (*path, "name"),
            "is required when a Service has more than one port",
            "name each port, for example http and metrics",
        )
    elif name:
        if not is_dns1123_label(name):
            _check_name(r, (*path, "name"), name, name, "label")
        if name in names:
            r.error((*path, "name"), f"duplicate port name {name!r}: port names must be unique")
        names.add(name)
    _check_port_number(r, (*path, "port"), port.get("port"))
    _check_protocol(r, (*path, "protocol"), port.get("protocol"))
    target = port.get("targetPort")
    if target == port.get("port") and not _is_port(target):
        pass  # copied from a bad `port` by defaulting: already reported above
    elif isinstance(target, str):
        _check_named_port(r, (*path, "targetPort"), target)
    elif target is not None and not _is_port(target):
        r.error(
            (*path, "targetPort"),
            f"{target!r} must be a port number between 1 and 65535 or the name of a container port",
        )
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        errors = qualified_name_errors(app_protocol)
        if errors:
            r.error((*path, "appProtocol"), f"{app_protocol!r}: " + "; ".join(errors))


def _service_node_ports(r: _Report, spec: dict[str, Any], kind: Any) -> None:
    """nodePort: only where the Service opens one, inside the range, once per protocol."""
    low, high = NODE_PORT_RANGE
    seen: set[tuple[Any, int]] = set()
    for i, raw in enumerate(_list(spec.get("ports"))):
        port = _dict(raw)
        node_port = port.get("nodePort")
        path: Path = ("spec", "ports", i, "nodePort")
        if not _is_int(node_port) or node_port == 0:
            continue  # unset: the cluster picks one when the type needs it
        if kind == "ClusterIP":
            r.error(
                path,
                "may not be used when type is ClusterIP",
                "use type NodePort or LoadBalancer, or remove nodePort",
            )
            continue
        if kind in ("NodePort", "LoadBalancer") and not low <= node_port <= high:
            # The validator only checks 0-65535; the node-port allocator then refuses this.
            r.error(
                path,
                f"{node_port} must be between {low} and {high}, the cluster's NodePort "
                "range (or leave it out and one is chosen)",
            )
        key = (port.get("protocol"), node_port)
        if key in seen:
            r.error(
                path,
                f"duplicate nodePort {node_port}/{key[0]}: each Service port needs its "
                "own node port",
            )
        seen.add(key)


def _service_affinity(r: _Report, spec: dict[str, Any]) -> None:
    affinity = spec.get("sessionAffinity")
    if affinity not in ("None", "ClientIP"):
        _not_supported(
            r, ("spec", "sessionAffinity"), affinity, ("None", "ClientIP"), "a session affinity"
        )
    elif affinity == "ClientIP":
        client_ip = _dict(_dict(spec.get("sessionAffinityConfig")).get("clientIP"))
        timeout = client_ip.get("timeoutSeconds")
        if _is_int(timeout) and not 1 <= timeout <= MAX_CLIENT_IP_TIMEOUT:
            path = ("spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds")
            r.error(path, f"{timeout} must be between 1 and {MAX_CLIENT_IP_TIMEOUT} seconds")


def _special_ip(address: IPAddress) -> str:
    """What kind of address can never be a Service's external IP ("" when it can)."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address in ipaddress.ip_network("224.0.0.0/24") or (
        address.version == 6 and address.packed[0] == 0xFF and address.packed[1] & 0x0F == 2
    ):
        return "link-local multicast"
    return ""


def _service_external_ips(r: _Report, spec: dict[str, Any], kind: Any) -> None:
    external_ips = _list(spec.get("externalIPs"))
    if external_ips and kind == "ExternalName":  # an API warning, not an error
        r.warn(("spec", "externalIPs"), "is ignored when type is ExternalName")
    for i, ip in enumerate(external_ips):
        path: Path = ("spec", "externalIPs", i)
        try:
            address = parse_ip(_str(ip))
        except ValueError as exc:
            r.error(path, f"{ip!r} {exc}")
            continue
        special = _special_ip(address)
        if special:
            r.error(
                path,
                f"{ip!r} is a {special} address, which cannot reach a Service",
                "use an address of one of the nodes or of a router in front of them",
            )


def _service_load_balancer_fields(r: _Report, spec: dict[str, Any], kind: Any) -> None:
    is_lb = kind == "LoadBalancer"
    ranges = _list(spec.get("loadBalancerSourceRanges"))
    shown: Path = ("spec", "LoadBalancerSourceRanges")  # sic: the API prints a capital L
    written: Path = ("spec", "loadBalancerSourceRanges")
    if ranges and not is_lb:
        r.error(shown, "may only be used when type is LoadBalancer", at=written)
    for i, raw in enumerate(ranges):
        value = _str(raw).strip()
        try:
            parse_cidr(value, canonical=True)
        except ValueError as exc:
            r.error((*shown, i), f"{value!r} {exc}", at=(*written, i))
    if spec.get("allocateLoadBalancerNodePorts") is not None and not is_lb:
        r.error(
            ("spec", "allocateLoadBalancerNodePorts"), "may only be used when type is LoadBalancer"
        )
    lb_class = spec.get("loadBalancerClass")
    if isinstance(lb_class, str):
        errors = qualified_name_errors(lb_class)
        if not is_lb:
            r.error(("spec", "loadBalancerClass"), "may only be used when type is LoadBalancer")
        elif errors:
            r.error(("spec", "loadBalancerClass"), f"{lb_class!r}: " + "; ".join(errors))


def _service_traffic_policies(r: _Report, spec: dict[str, Any], kind: Any) -> None:
    policies = ("Cluster", "Local")
    external = spec.get("externalTrafficPolicy")
    path: Path = ("spec", "externalTrafficPolicy")
    if not externally_accessible(spec):
        if external not in (None, ""):
            r.error(
                path,
                "may only be set on a Service reachable from outside the cluster: type "
                "NodePort or LoadBalancer, or one with externalIPs",
                "remove it",
            )
    elif external not in policies:
        _not_supported(r, path, external, policies, "a traffic policy")
    internal = spec.get("internalTrafficPolicy")
    if internal is not None and internal not in policies:
        _not_supported(r, ("spec", "internalTrafficPolicy"), internal, policies, "a traffic policy")
    distribution = spec.get("trafficDistribution")
    choices = ("PreferClose", "PreferSameZone", "PreferSameNode")
    if distribution not in (None, "") and distribution not in choices:
        _not_supported(
            r, ("spec", "trafficDistribution"), distribution, choices, "a traffic distribution"
        )
    health = spec.get("healthCheckNodePort")
    if _is_int(health) and health != 0:
        low, high = NODE_PORT_RANGE
        hc_path: Path = ("spec", "healthCheckNodePort")
        if not (kind == "LoadBalancer" and external == "Local"):
            r.error(
                hc_path,
                "may only be set when type is LoadBalancer and externalTrafficPolicy is Local",
            )
        elif not low <= health <= high:
            r.error(
                hc_path,
                f"{health} must be between {low} and {high}, the cluster's NodePort "
                "range (or leave it out and one is chosen)",
            )


# --- NetworkPolicy -------------------------------------------------------------------------


def _check_network_policy(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "subdomain")
    spec = _dict(obj.get("spec"))
    # podSelector is optional in networking/v1 (missing means {}: every Pod in the namespace).
    _check_selector(r, spec.get("podSelector"), ("spec", "podSelector"))
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, raw_rule in enumerate(_list(spec.get(direction))):
            rule = _dict(raw_rule)
            path: Path = ("spec", direction, i)
            for j, port in enumerate(_list(rule.get("ports"))):
                _policy_port(r, _dict(port), (*path, "ports", j))
            for j, peer in enumerate(_list(rule.get(peers))):
                _policy_peer(r, _dict(peer), (*path, peers, j), peers)
    _policy_types(r, spec)


def _policy_port(r: _Report, port: dict[str, Any], path: Path) -> None:
    """A port, a named port, or a numeric range port..endPort."""
    _check_protocol(r, (*path, "protocol"), port.get("protocol"))
    number, end = port.get("port"), port.get("endPort")
    end_path: Path = (*path, "endPort")
    if _is_int(number):
        _check_port_number(r, (*path, "port"), number)
        if _is_int(end):
            if end < number:
                r.error(end_path, f"{end} must be greater than or equal to port ({number})")
            if not _is_port(end):
                r.error(end_path, f"{end} must be a port number between 1 and 65535")
    elif isinstance(number, str):
        if end is not None:
            r.error(
                end_path,
                "may not be used with a named port: a range needs a numeric port",
                "use the port number instead of the name",
            )
        _check_named_port(r, (*path, "port"), number)
    elif end is not None:
        r.error(end_path, "may not be set without port: endPort ends a range that port starts")


def _policy_peer(r: _Report, peer: dict[str, Any], path: Path, peers: str) -> None:
    """One from/to entry: an ipBlock, or podSelector and/or namespaceSelector."""
    selectors = [key for key in ("podSelector", "namespaceSelector") if peer.get(key) is not None]
    for key in selectors:
        _check_selector(r, peer[key], (*path, key))
    block = peer.get("ipBlock")
    if block is not None:
        _ip_block(r, _dict(block), (*path, "ipBlock"))
    if not selectors and block is None:
        r.error(
            path,
            "must specify a peer: podSelector, namespaceSelector or ipBlock",
            f"to allow all traffic, leave `{peers}` out; `namespaceSelector: {{}}` selects "
            "every Pod in every namespace",
        )
    elif selectors and block is not None:
        r.error(
            path,
            f"may not combine ipBlock with {' and '.join(selectors)}",
            f"make them separate `{peers}` entries (each starting with '-'); entries are ORed",
        )


def _loose_network(value: str) -> IPNetwork | None:
    """The range a CIDR covers even if written sloppily (host bits set), for containment checks."""
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _ip_block(r: _Report, block: dict[str, Any], path: Path) -> None:
    cidr = _str(block.get("cidr"))
    if not cidr:
        r.error((*path, "cidr"), "is required: the IP range, such as 10.0.0.0/16")
        return
    try:
        network = parse_cidr(cidr)
    except ValueError as exc:
        r.error((*path, "cidr"), f"{cidr!r} {exc}")
        network = _loose_network(cidr)
        if network is None:
            return
    for i, raw in enumerate(_list(block.get("except"))):
        value = _str(raw)
        except_path: Path = (*path, "except", i)
        try:
            excluded: IPNetwork | None = parse_cidr(value)
        except ValueError as exc:
            r.error(except_path, f"{value!r} {exc}")
            excluded = _loose_network(value)
        if excluded is None:
            continue
        # Upstream: cidr must contain the except's first address and have a shorter prefix,
        # so an except of another IP family, or equal to cidr, is refused too.
        inside = excluded.version == network.version and excluded.subnet_of(network)
        if not inside or excluded.prefixlen <= network.prefixlen:
            r.error(
                except_path,
                f"{value!r} must be a strict subset of cidr {cidr}: a smaller range inside it",
            )


def _policy_types(r: _Report, spec: dict[str, Any]) -> None:
    types = _list(spec.get("policyTypes"))
    path: Path = ("spec", "policyTypes")
    if len(types) > 2:
        r.error(path, "may list at most two policyTypes: Ingress and Egress")
        return
    for i, policy_type in enumerate(types):
        if policy_type not in POLICY_TYPES:
            _not_supported(r, (*path, i), policy_type, POLICY_TYPES, "a policy type")
        elif types.index(policy_type) != i:
            # The API server accepts the repeat; it is still a mistake worth pointing out.
            r.warn((*path, i), f"{policy_type} is listed twice", "list each type once")


# --- Pod, Deployment, Namespace ------------------------------------------------------------


def _check_pod(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "subdomain")
    _check_pod_spec(r, _dict(obj.get("spec")), ("spec",))


def _check_pod_spec(r: _Report, spec: dict[str, Any], path: Path) -> None:
    """Container ports of every container. Names are unique per container (an error), and
    should be across the Pod (an API warning: Services would pick the first)."""
    first_use: dict[str, str] = {}  # port name -> path of its first use in the Pod
    for key in ("initContainers", "containers"):
        for i, container in enumerate(_list(spec.get(key))):
            ports_path: Path = (*path, key, i, "ports")
            names: set[str] = set()
            for j, port in enumerate(_list(_dict(container).get("ports"))):
                _container_port(r, _dict(port), (*ports_path, j), names, first_use)


def _container_port(
    r: _Report, port: dict[str, Any], path: Path, names: set[str], first_use: dict[str, str]
) -> None:
    name = _str(port.get("name"))
    if name:
        if iana_svc_name_errors(name):
            _check_named_port(r, (*path, "name"), name)
        elif name in names:
            r.error((*path, "name"), f"duplicate port name {name!r}: names must be unique")
        elif name in first_use:
            r.warn(
                (*path, "name"),
                f"port name {name!r} is also used by {first_use[name]}: "
                "Services and probes that use the name will pick that one",
            )
        names.add(name)
        first_use.setdefault(name, format_path(path))
    container_port = port.get("containerPort")
    if container_port in (None, 0):
        r.error((*path, "containerPort"), "is required: the port the container listens on")
    else:
        _check_port_number(r, (*path, "containerPort"), container_port)
    host_port = port.get("hostPort")
    if _is_int(host_port) and host_port != 0 and not _is_port(host_port):
        r.error((*path, "hostPort"), f"{host_port} must be a port number between 1 and 65535")
    _check_protocol(r, (*path, "protocol"), port.get("protocol"))


def _check_deployment(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "subdomain")
    spec = _dict(obj.get("spec"))
    replicas = spec.get("replicas")
    if _is_int(replicas) and replicas < 0:
        r.error(("spec", "replicas"), f"{replicas} must be 0 or more")
    pod_spec = _workload_template(r, spec, "Deployment")
    restart = pod_spec.get("restartPolicy")
    if restart != "Always":
        r.error(
            ("spec", "template", "spec", "restartPolicy"),
            f"{restart!r} is not allowed: a Deployment's Pods must use Always",
            "remove restartPolicy (a Job runs Pods to completion)",
        )


def _workload_template(r: _Report, spec: dict[str, Any], kind: str) -> dict[str, Any]:
    """A Deployment's or StatefulSet's pod template: its labels, the selector that must
    match them, and the pod spec, which is returned for the kind's own rules."""
    template = _dict(spec.get("template"))
    labels = _dict(_dict(template.get("metadata")).get("labels"))
    # The API reports template label errors at spec.template.labels (no `metadata`).
    _check_labels(
        r, labels, ("spec", "template", "metadata", "labels"), ("spec", "template", "labels")
    )
    _workload_selector(r, spec.get("selector"), labels, kind)
    pod_spec = _dict(template.get("spec"))
    _check_pod_spec(r, pod_spec, ("spec", "template", "spec"))
    return pod_spec


def _workload_selector(r: _Report, selector: Any, labels: dict[str, Any], kind: str) -> None:
    """A Deployment's or StatefulSet's selector: required, not empty, matching the template."""
    path: Path = ("spec", "selector")
    if selector is None:
        r.error(
            path,
            f"is required: it tells the {kind} which Pods are its own",
            "add selector.matchLabels with the labels of spec.template.metadata.labels",
        )
        return
    sel = _dict(selector)
    before = len(r.problems)
    _check_selector(r, sel, path)
    if not _dict(sel.get("matchLabels")) and not _list(sel.get("matchExpressions")):
        r.error(
            path,
            f"must not be empty: a {kind} selects its Pods by label",
            "add selector.matchLabels with the labels of spec.template.metadata.labels",
        )
        return
    if len(r.problems) > before or _selector_matches(sel, labels):
        return
    missing = [
        f"{key}: {value}"
        for key, value in _dict(sel.get("matchLabels")).items()
        if key not in labels or labels[key] != value
    ]
    hint = (
        f"add {', '.join(missing)} to spec.template.metadata.labels"
        if missing
        else "make the template labels satisfy selector.matchExpressions"
    )
    r.error(
        ("spec", "template", "metadata", "labels"),
        "`selector` does not match template "
        "`labels`: the Pods must carry every label the selector asks for",
        hint,
    )


def _check_namespace(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "label", namespaced=False)


# --- StatefulSet (pkg/apis/apps/validation: ValidateStatefulSetSpec) -------------------------


def _check_stateful_set(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "label")  # a StatefulSet's name is a DNS label (its pods' hostnames)
    spec = _dict(obj.get("spec"))
    service_name = spec.get("serviceName")
    if isinstance(service_name, str) and service_name:
        _check_name(r, ("spec", "serviceName"), service_name, service_name, "label")
    for key in ("replicas", "minReadySeconds"):
        value = spec.get(key)
        if _is_int(value) and value < 0:
            r.error(("spec", key), f"{value}: must be greater than or equal to 0")
    start = _dict(spec.get("ordinals")).get("start")
    if _is_int(start) and start < 0:
        r.error(("spec", "ordinals", "start"), f"{start}: must be greater than or equal to 0")
    policy = spec.get("podManagementPolicy")
    if policy not in ("OrderedReady", "Parallel"):
        r.error(
            ("spec", "podManagementPolicy"),
            f"Invalid value: {policy!r}: must be 'OrderedReady' or 'Parallel'",
            _did_you_mean(policy, ("OrderedReady", "Parallel")),
        )
    _stateful_set_update_strategy(r, _dict(spec.get("updateStrategy")))
    retention = _dict(spec.get("persistentVolumeClaimRetentionPolicy"))
    for key in ("whenDeleted", "whenScaled"):
        value = retention.get(key)
        if value not in ("Retain", "Delete"):
            _not_supported(
                r,
                ("spec", "persistentVolumeClaimRetentionPolicy", key),
                value,
                ("Retain", "Delete"),
                "a retention policy",
            )
    pod_spec = _workload_template(r, spec, "StatefulSet")
    restart = pod_spec.get("restartPolicy")
    if restart != "Always":
        _not_supported(
            r, ("spec", "template", "spec", "restartPolicy"), restart, ("Always",), "a policy"
        )
    if pod_spec.get("activeDeadlineSeconds") is not None:
        r.error(
            ("spec", "template", "spec", "activeDeadlineSeconds"),
            "Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
        )


def _stateful_set_update_strategy(r: _Report, strategy: dict[str, Any]) -> None:
    path: Path = ("spec", "updateStrategy")
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind not in ("RollingUpdate", "OnDelete"):
        r.error(path, f"Invalid value: {kind!r}: must be 'RollingUpdate' or 'OnDelete'")
        return
    if kind == "OnDelete" and rolling is not None:
        r.error((*path, "rollingUpdate"), "only allowed for updateStrategy 'RollingUpdate'")
        return
    rolling = _dict(rolling)
    partition = rolling.get("partition")
    if _is_int(partition) and partition < 0:
        r.error(
            (*path, "rollingUpdate", "partition"),
            f"{partition}: must be greater than or equal to 0",
        )
    unavailable = rolling.get("maxUnavailable")
    where: Path = (*path, "rollingUpdate", "maxUnavailable")
    if _is_int(unavailable):
        if unavailable < 0:
            r.error(where, f"{unavailable}: must be greater than or equal to 0")
        elif unavailable == 0:
            r.error(where, "Invalid value: 0: cannot be 0")
    elif isinstance(unavailable, str):
        match = re.fullmatch(r"([0-9]+)%", unavailable)
        if match is None:
            r.error(
                where,
                f"Invalid value: {unavailable!r}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')",
            )
        elif int(match.group(1)) == 0:
            r.error(where, f"Invalid value: {unavailable!r}: cannot be 0")
        elif int(match.group(1)) > 100:
            r.error(where, f"Invalid value: {unavailable!r}: must not be greater than 100%")


# --- EndpointSlice (pkg/apis/discovery/validation) and Endpoints (ValidateEndpoints) ----------

MAX_SLICE_ENDPOINTS = 1000
MAX_ENDPOINT_ADDRESSES = 100
MAX_SLICE_PORTS = 20000
ADDRESS_TYPES = ("IPv4", "IPv6", "FQDN")


def _check_endpoint_slice(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "subdomain")
    address_type = obj.get("addressType")
    if not address_type:
        r.error(("addressType",), "Required value: IPv4, IPv6 or FQDN")
    elif address_type not in ADDRESS_TYPES:
        _not_supported(r, ("addressType",), address_type, ADDRESS_TYPES, "an address type")
    endpoints = _list(obj.get("endpoints"))
    if len(endpoints) > MAX_SLICE_ENDPOINTS:
        r.error(
            ("endpoints",),
            f"Too many: {len(endpoints)}: must have at most {MAX_SLICE_ENDPOINTS} items",
        )
        endpoints = []
    for i, raw in enumerate(endpoints):
        endpoint = _dict(raw)
        path: Path = ("endpoints", i)
        addresses = _list(endpoint.get("addresses"))
        if not addresses:
            r.error((*path, "addresses"), "Required value: must contain at least 1 address")
        elif len(addresses) > MAX_ENDPOINT_ADDRESSES:
            r.error(
                (*path, "addresses"),
                f"Too many: {len(addresses)}: must have at most {MAX_ENDPOINT_ADDRESSES} items",
            )
        for j, address in enumerate(addresses[:MAX_ENDPOINT_ADDRESSES]):
            _slice_address(r, (*path, "addresses", j), _str(address), address_type)
        hostname = endpoint.get("hostname")
        if isinstance(hostname, str) and hostname:
            _check_name(r, (*path, "hostname"), hostname, hostname, "label")
        node = endpoint.get("nodeName")
        if isinstance(node, str) and node:
            _check_name(r, (*path, "nodeName"), node, node, "subdomain")
    ports = _list(obj.get("ports"))
    if len(ports) > MAX_SLICE_PORTS:
        r.error(("ports",), f"Too many: {len(ports)}: must have at most {MAX_SLICE_PORTS} items")
        ports = []
    names: set[str] = set()
    for i, raw in enumerate(ports):
        port = _dict(raw)
        name = _str(port.get("name"))
        if name:
            _check_name(r, ("ports", i, "name"), name, name, "label")
        if name in names:
            r.error(("ports", i, "name"), f"Duplicate value: {name!r}")
        names.add(name)
        _check_protocol(r, ("ports", i, "protocol"), port.get("protocol"))


def _slice_address(r: _Report, path: Path, address: str, address_type: Any) -> None:
    if address_type in ("IPv4", "IPv6"):
        version = 4 if address_type == "IPv4" else 6
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            r.error(path, f"Invalid value: {address!r}: must be a valid {address_type} address")
            return
        if ip.version != version:
            r.error(path, f"Invalid value: {address!r}: must be a valid {address_type} address")
            return
        _endpoint_ip(r, path, ip)
    elif address_type == "FQDN":
        name = address.rstrip(".")
        if "." not in name or not is_dns1123_subdomain(name):
            r.error(
                path,
                f"Invalid value: {address!r}: should be a domain with at least two segments "
                "separated by dots",
            )


def _endpoint_ip(r: _Report, path: Path, ip: IPAddress) -> None:
    """ValidateEndpointIP: the addresses an endpoint may never have."""
    special = _special_ip(ip)
    ranges = {
        "unspecified": f"may not be unspecified ({ip})",
        "loopback": "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        "link-local": "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        "link-local multicast": (
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
        ),
    }
    if special:
        r.error(path, f"Invalid value: {str(ip)!r}: {ranges[special]}")


def _check_endpoints(r: _Report, obj: dict[str, Any]) -> None:
    _check_metadata(r, obj, "subdomain")
    r.warn(
        ("kind",),
        "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
        "the API server still accepts it, and mirrors it into an EndpointSlice",
    )
    for i, raw in enumerate(_list(obj.get("subsets"))):
        subset = _dict(raw)
        path: Path = ("subsets", i)
        ready = _list(subset.get("addresses"))
        not_ready = _list(subset.get("notReadyAddresses"))
        if not ready and not not_ready:
            r.error(path, "Required value: must specify `addresses` or `notReadyAddresses`")
        for key, addresses in (("addresses", ready), ("notReadyAddresses", not_ready)):
            for j, raw_address in enumerate(addresses):
                address = _dict(raw_address)
                where: Path = (*path, key, j)
                text = _str(address.get("ip"))
                try:
                    ip = ipaddress.ip_address(text)
                except ValueError:
                    r.error(
                        (*where, "ip"),
                        f"Invalid value: {text!r}: must be a valid IP address, "
                        "(e.g. 10.9.8.7 or 2001:db8::ffff)",
                    )
                else:
                    _endpoint_ip(r, (*where, "ip"), ip)
                hostname = address.get("hostname")
                if isinstance(hostname, str) and hostname:
                    _check_name(r, (*where, "hostname"), hostname, hostname, "label")
                node = address.get("nodeName")
                if isinstance(node, str) and node:
                    _check_name(r, (*where, "nodeName"), node, node, "subdomain")
        ports = _list(subset.get("ports"))
        for k, raw_port in enumerate(ports):
            port = _dict(raw_port)
            where = (*path, "ports", k)
            name = _str(port.get("name"))
            if not name and len(ports) > 1:
                r.error(
                    (*where, "name"),
                    "Required value: each port needs a name when there are several",
                )
            elif name:
                _check_name(r, (*where, "name"), name, name, "label")
            _check_port_number(r, (*where, "port"), port.get("port"))
            _check_protocol(r, (*where, "protocol"), port.get("protocol"))


_CHECKERS = {
    "Service": _check_service,
    "NetworkPolicy": _check_network_policy,
    "Namespace": _check_namespace,
    "Pod": _check_pod,
    "Deployment": _check_deployment,
    "StatefulSet": _check_stateful_set,
    "EndpointSlice": _check_endpoint_slice,
    "Endpoints": _check_endpoints,
}
