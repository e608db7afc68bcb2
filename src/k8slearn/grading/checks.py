"""The four kinds of check an exercise can expect, each judged on behaviour.

* `resource`     — an object exists (and its fields, after v1 defaulting, have values);
* `service`      — what a Service does: endpoints, resolved target port, type, node port, DNS;
* `connectivity` — cells of the truth table (a Service as target is judged at its backends);
* `reachability` — the answer's whole truth table equals the model solution's.

Every failure says what differs in a learner's terms and, where it can, which
line of the answer is responsible.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from k8slearn.grading.fieldpath import FieldPathError, resolve, same_value
from k8slearn.manifests.validate import Manifest
from k8slearn.model.dns import resolve as resolve_name
from k8slearn.model.equivalence import Difference, compare_policies, compare_services
from k8slearn.model.explain import SELF_CONNECTION, Explanation, explain_connection
from k8slearn.model.reachability import PortKey
from k8slearn.model.scenario import External, Pod
from k8slearn.model.services import Service, resolve_target_port
from k8slearn.model.world import World


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    message: str = ""
    line: int | None = None  # in the learner's answer

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "message": self.message,
            "line": self.line,
        }


@dataclass
class Answer:
    """A learner's (valid) answer applied to the exercise's scenario."""

    world: World
    manifests: list[Manifest]

    def find(self, kind: str, name: str, namespace: str | None) -> Manifest | None:
        for m in self.manifests:
            if (
                m.kind == kind
                and m.name == name
                and (namespace is None or m.namespace == namespace)
            ):
                return m
        return None


def _namespace_of(kind: str, raw: dict[str, Any]) -> str | None:
    return None if kind == "Namespace" else raw.get("namespace", "default")


# -- resource ------------------------------------------------------------------------------


def check_resource(spec: dict[str, Any], answer: Answer) -> CheckResult:
    ref = spec["resource"]
    kind, name = ref["kind"], ref["name"]
    namespace = _namespace_of(kind, ref)
    where = f" in namespace {namespace}" if namespace else ""
    title = f"{kind} {namespace + '/' if namespace else ''}{name}"
    found = answer.find(kind, name, namespace)
    if found is None:
        elsewhere = answer.find(kind, name, None)
        if elsewhere is not None:
            return CheckResult(
                f"{title} exists",
                False,
                f"{kind} {name} is in namespace {elsewhere.namespace}, but it belongs{where}: "
                f"set `metadata.namespace: {namespace}`",
                elsewhere.doc.line_of(("metadata",)),
            )
        same_kind = [m for m in answer.manifests if m.kind == kind]
        others = ", ".join(m.key for m in same_kind)
        extra = f" (your answer has {others})" if others else ""
        return CheckResult(
            f"{title} exists", False, f"there is no {kind} named {name}{where}{extra}"
        )
    failures = []
    line = None
    for path, expected in (spec.get("fields") or {}).items():
        try:
            actual, walked, ok = resolve(found.obj, path)
        except FieldPathError as exc:
            failures.append(str(exc))
            continue
        if not ok:
            failures.append(f"`{path}` is not set; it should be {_show(expected)}")
            line = line or found.doc.line_of(walked)
        elif not same_value(expected, actual):
            failures.append(f"`{path}` is {_show(actual)}; it should be {_show(expected)}")
            line = line or found.doc.line_of(walked)
    for path in spec.get("absent") or []:
        # As written: the prompt forbids setting it (`nodePort` left to the allocator, say).
        try:
            actual, walked, ok = resolve(found.doc.data, path)
        except FieldPathError as exc:
            failures.append(str(exc))
            continue
        if ok and actual is not None:
            failures.append(f"`{path}` is set to {_show(actual)}; leave it out, as the task says")
            line = line or found.doc.line_of(walked)
    if failures:
        return CheckResult(f"{title} fields", False, "; ".join(failures), line)
    fields = f" with the expected {', '.join(spec['fields'])}" if spec.get("fields") else ""
    if spec.get("absent"):
        fields += f"{' and' if fields else ' with'} no {', '.join(spec['absent'])}"
    return CheckResult(f"{title} exists", True, f"{title} is there{fields}")


def _show(value: Any) -> str:
    """A value as the learner wrote it in YAML: "http", 8080, {app: web}, [Ingress], unset."""
    if value is None:
        return "unset"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return repr(value)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else _show(value)


# -- service -------------------------------------------------------------------------------


def check_service(
    spec: dict[str, Any], answer: Answer, solution: World | None = None
) -> CheckResult:
    key = spec["service"]
    name = f"Service {key}"
    world = answer.world
    svc = world.services.get(key)
    manifest = answer.find("Service", key.split("/")[1], key.split("/")[0])
    line = manifest.doc.line_of(("spec",)) if manifest else None
    if svc is None:
        ns, _, svc_name = key.partition("/")
        elsewhere = [s.key for s in world.services.services.values() if s.name == svc_name]
        hint = f"; there is {', '.join(elsewhere)}: check `metadata.namespace`" if elsewhere else ""
        return CheckResult(name, False, f"there is no Service {svc_name} in namespace {ns}{hint}")
    problems: list[str] = []
    failed: set[str] = set()  # what the explicit keys already found wrong
    for field_name, test in _SERVICE_TESTS.items():
        if field_name in spec:
            message = test(spec, svc, answer)
            if message and message not in problems:  # "has no port 80/TCP" once, not per key
                problems.append(message)
            if message:
                failed.add(field_name)
    if spec.get("compare") == "solution" and solution is not None:
        skip = set(spec.get("ignore") or ()) | failed
        if spec.get("port") is not None and _service_port(spec, svc) is None:
            skip.add("ports")  # "has no port 80/TCP (it has 8080/TCP)" was said already
        differences = [
            d for d in compare_services(world, solution, key) if d.graded and d.aspect not in skip
        ]
        if differences and manifest is not None:
            line = manifest.doc.line_of(differences[0].field) if not problems else line
        problems += [f"{d.message}" for d in differences]
    if problems:
        return CheckResult(name, False, "; ".join(problems), line)
    said = [k for k in spec if k not in ("service", "protocol", "compare", "ignore")]
    if spec.get("compare"):
        said.append("the same as the solution's")
    return CheckResult(name, True, f"{key} behaves as expected ({', '.join(said) or 'exists'})")


def _service_port(spec: dict[str, Any], svc: Service):
    port = spec.get("port")
    protocol = spec.get("protocol", "TCP")
    if port is None:
        return svc.ports[0] if len(svc.ports) == 1 else None
    for sp in svc.ports:
        if sp.port == port and sp.protocol == protocol:
            return sp
    return None


def _no_port(spec: dict[str, Any], svc: Service) -> str:
    have = ", ".join(sp.label() for sp in svc.ports) or "no ports"
    if spec.get("port") is None:
        return f"{svc.key} has {have}"
    return f"{svc.key} has no port {spec['port']}/{spec.get('protocol', 'TCP')} (it has {have})"


def _test_endpoints(spec: dict[str, Any], svc: Service, answer: Answer) -> str:
    sp = _service_port(spec, svc)
    expected = set(spec["endpoints"])
    if sp is None:
        return "" if not expected and not svc.ports else _no_port(spec, svc)
    actual = {b.target.key for b in answer.world.services.endpoints(svc, sp)}
    if actual == expected:
        return ""
    parts = []
    missing = sorted(expected - actual)
    extra = sorted(actual - expected)
    for key in missing:
        parts.append(f"{key} is not an endpoint: {_why_not_endpoint(answer.world, svc, sp, key)}")
    for key in extra:
        parts.append(f"{key} is an endpoint but should not be")
    shown = ", ".join(sorted(actual)) or "none"
    return f"endpoints are {shown}: " + "; ".join(parts)


def _why_not_endpoint(world: World, svc: Service, sp, key: str) -> str:
    pod = world.scenario.pod(key)
    if svc.selector is None or pod is None:
        written = _why_not_written(world, svc, sp, key)
        if written or pod is not None:
            return written or "the Service has no selector: only EndpointSlices list endpoints"
        return "no such pod in the scenario"
    if pod.namespace != svc.namespace:
        return f"a Service only selects pods of its own namespace ({svc.namespace})"
    if not svc.selects(pod):
        labels = ",".join(f"{k}={v}" for k, v in sorted(pod.labels.items())) or "no labels"
        wanted = ",".join(f"{k}={v}" for k, v in sorted(svc.selector.items()))
        return f"the selector {wanted} does not match its labels ({labels})"
    if not pod.ready:
        return "it is not ready"
    return f"it has no container port named {sp.target_port!r} ({sp.protocol})"


def _why_not_written(world: World, svc: Service, sp, key: str) -> str:
    """Why the EndpointSlices written for `svc` do not make `key` (a pod, or a host outside
    the cluster, by name or address) an endpoint of port `sp`; "" when there is nothing to say."""
    target = world.scenario.pod(key) or world.scenario.external(key)
    address = target.ip if target is not None else key
    label = f"kubernetes.io/service-name: {svc.name}"
    slices = world.services.slices(svc)
    if not slices:
        if svc.selector is not None:
            return ""
        return f"the Service has no selector and no EndpointSlice labelled {label}"
    listed = [(s, e) for s in slices for e in s.endpoints if e.address == address]
    if not listed:
        return f"no EndpointSlice labelled {label} lists {address}"
    source, endpoint = listed[0]
    if not endpoint.ready:
        return f"its endpoint in {source.origin} is not ready (conditions.ready: false)"
    if source.port(sp.name, sp.protocol) is None:
        name = f"named {sp.name!r}" if sp.name else "without a name"
        return (
            f"{source.origin} has no {sp.protocol} port {name}: a slice port is matched by the "
            "Service port's name"
        )
    if source.address_type not in ("IPv4", "IPv6"):
        return f"{source.origin} has addressType {source.address_type}, which kube-proxy ignores"
    return ""


def _test_target_port(spec: dict[str, Any], svc: Service, answer: Answer) -> str:
    sp = _service_port(spec, svc)
    if sp is None:
        return _no_port(spec, svc)
    expected = spec["targetPort"]
    if isinstance(expected, str):
        return _test_named_target_port(expected, sp, svc, answer)
    backends = answer.world.services.endpoints(svc, sp)
    if backends:
        wrong = sorted({b.port for b in backends if b.port != expected})
        if not wrong:
            return ""
        if svc.selector is None:
            return (
                f"port {sp.port} sends traffic to port {', '.join(map(str, wrong))}; it should "
                f"reach {expected} (without a selector, the EndpointSlice's port decides, not "
                "targetPort)"
            )
        return (
            f"port {sp.port} sends traffic to container port {', '.join(map(str, wrong))}; "
            f"it should reach {expected} (targetPort is the container's port, port is the Service's)"
        )
    slices = answer.world.services.slices(svc) if svc.selector is None else []
    if slices:  # written endpoints, none of them usable here: the slices are what is wrong
        if all(s.port(sp.name, sp.protocol) is None for s in slices):
            why = f"no slice of it has a {sp.protocol} port named {sp.name or '(unnamed)'!r}"
        else:
            why = "none of its slices' endpoints is ready"
        return f"port {sp.port} has no endpoints ({why}), so nothing receives traffic on {expected}"
    if isinstance(sp.target_port, int):
        return (
            ""
            if sp.target_port == expected
            else f"targetPort is {sp.target_port}; it should be {expected}"
        )
    if not answer.world.services.selected_pods(svc):
        return ""  # no pod to resolve it on: the endpoints are what is wrong, and say so
    return f"targetPort {sp.target_port!r} resolves on no pod, so nothing receives the traffic"


def _test_named_target_port(name: str, sp, svc: Service, answer: Answer) -> str:
    """`targetPort: <name>`: on every endpoint, traffic lands on that pod's container port of
    this name (and the Service port's protocol), whatever number each pod gives it.

    So a number passes where every backend maps the name to it, and only the name passes
    where backends map it to different numbers.
    """
    services = answer.world.services
    landings: list[tuple[Pod | External, int | None]] = [
        (b.target, b.port) for b in services.endpoints(svc, sp)
    ]
    if not landings:
        if svc.selector is None and services.slices(svc):
            return (
                f"port {sp.port} has no endpoints, so nothing receives traffic on the container "
                f"port named {name!r}"
            )
        # No endpoint (pods not ready, or a targetPort that resolves on none of them): judge
        # where the selected pods would receive the traffic. None selected: the endpoints are
        # what is wrong, and the endpoints check says so.
        landings = [(pod, resolve_target_port(pod, sp)) for pod in services.selected_pods(svc)]
    wrong = []
    for target, port in landings:
        if not isinstance(target, Pod):
            wrong.append(f"{target.key} is outside the cluster: it has no named ports")
            continue
        named = target.named_port(name, sp.protocol)
        if named is None:
            wrong.append(f"{target.key} declares no container port named {name!r} ({sp.protocol})")
        elif port is None:
            wrong.append(f"targetPort {sp.target_port!r} resolves on no port of {target.key}")
        elif port != named:
            wrong.append(f"on {target.key} it lands on {port}, but {name!r} is {named}")
    if not wrong:
        return ""
    why = (
        "without a selector, the EndpointSlice's port decides, not targetPort"
        if svc.selector is None
        else "a targetPort name is resolved pod by pod"
    )
    return (
        f"port {sp.port} should reach the container port named {name!r} on every endpoint: "
        + "; ".join(wrong)
        + f" ({why})"
    )


def _test_type(spec: dict[str, Any], svc: Service, answer: Answer) -> str:
    return "" if svc.type == spec["type"] else f"type is {svc.type}; it should be {spec['type']}"


def _test_node_port(spec: dict[str, Any], svc: Service, answer: Answer) -> str:
    sp = _service_port(spec, svc)
    if sp is None:
        return _no_port(spec, svc)
    actual = answer.world.services.node_port(svc, sp)
    if actual == spec["nodePort"]:
        return ""
    if actual is None:
        return (
            f"port {sp.label()} has no nodePort (type {svc.type}); it should be {spec['nodePort']}"
        )
    return f"port {sp.label()} is on nodePort {actual}; it should be {spec['nodePort']}"


def _test_external_name(spec: dict[str, Any], svc: Service, answer: Answer) -> str:
    if svc.type == "ExternalName" and (svc.external_name or "").rstrip(".") == spec[
        "externalName"
    ].rstrip("."):
        return ""
    return f"{svc.key} should be an alias for {spec['externalName']} (type ExternalName)"


def _test_dns(spec: dict[str, Any], svc: Service, answer: Answer) -> str:
    wanted = spec["dns"].rstrip(".")
    forms = {svc.dns_name, f"{svc.name}.{svc.namespace}.svc", f"{svc.name}.{svc.namespace}"}
    if wanted in forms:
        return ""
    return f"{wanted} does not resolve to this Service; its name is {svc.dns_name}"


def _test_headless(spec: dict[str, Any], svc: Service, answer: Answer) -> str:
    if svc.headless == spec["headless"]:
        return ""
    if spec["headless"]:
        return "it has a virtual ClusterIP; a headless Service sets `clusterIP: None`"
    return "it is headless (`clusterIP: None`): DNS returns pod IPs and there is no virtual IP"


_SERVICE_TESTS: dict[str, Callable[[dict[str, Any], Service, Answer], str]] = {
    "type": _test_type,
    "endpoints": _test_endpoints,
    "targetPort": _test_target_port,
    "nodePort": _test_node_port,
    "externalName": _test_external_name,
    "dns": _test_dns,
    "headless": _test_headless,
}


# -- dns -------------------------------------------------------------------------------------


def check_dns(spec: dict[str, Any], answer: Answer) -> CheckResult:
    """A name a pod asks cluster DNS for, and what it must resolve to (`[]`: no such name).

    `resolves_to` lists pods (`ns/name`, standing for their IPs), addresses, or
    the name an ExternalName alias points to; `from` is the namespace of the
    asking pod, which completes short names (default: `default`).
    """
    name = spec["lookup"]
    world = answer.world
    asking = spec.get("from", "default")
    found = resolve_name(world.services, name, asking)
    wanted = {_dns_value(world, v) for v in spec["resolves_to"]}
    got = set(found.values) if found is not None else set()
    if found is not None and found.record == "CNAME":
        got = {v.rstrip(".") for v in got}
        wanted = {v.rstrip(".") for v in wanted}
    title = f"lookup {name}" + (f" (from {asking})" if "from" in spec else "")
    if got == wanted:
        shown = (
            ", ".join(_dns_shown(world, v) for v in sorted(got, key=_by_address))
            or "nothing (no such name)"
        )
        return CheckResult(title, True, f"{name} resolves to {shown}")
    if found is None or not got:
        return CheckResult(
            title, False, f"{name} does not resolve: {_why_no_record(world, name, asking)}"
        )
    shown = ", ".join(_dns_shown(world, v) for v in sorted(got, key=_by_address))
    should = ", ".join(_dns_shown(world, v) for v in sorted(wanted, key=_by_address)) or "nothing"
    return CheckResult(title, False, f"{name} resolves to {shown}; it should be {should}")


def _dns_value(world: World, value: str) -> str:
    pod = world.scenario.pod(value) if "/" in value else None
    return pod.ip if pod is not None else value


def _by_address(value: str) -> tuple:
    """Sort key: addresses in numeric order (10.244.0.8 before 10.244.0.10), names after."""
    try:
        return (0, ipaddress.ip_address(value).version, int(ipaddress.ip_address(value)))
    except ValueError:
        return (1, 0, value)


def _dns_shown(world: World, value: str) -> str:
    pod = next((p for p in world.scenario.pods if p.ip == value), None)
    return f"{pod.key} ({value})" if pod is not None else value


def _why_no_record(world: World, name: str, asking: str) -> str:
    """The usual reasons a name is missing, checked against the answer's objects."""
    from k8slearn.model.dns import SUFFIX, search_path

    fqdns = [
        n for n in [*search_path(name.rstrip("."), asking), name.rstrip(".")] if n.endswith(SUFFIX)
    ]
    for fqdn in fqdns:
        parts = fqdn[: -len(SUFFIX)].split(".")
        if len(parts) == 3:
            hostname, service, namespace = parts
            svc = world.services.get(f"{namespace}/{service}")
            if svc is None:
                continue
            if not svc.headless:
                return (
                    f"pods get names under a Service only when it is headless; {svc.key} has a "
                    "virtual IP (set `clusterIP: None`)"
                )
            pods = [
                p
                for p in world.scenario.pods
                if p.namespace == namespace and p.hostname == hostname
            ]
            if not pods:
                return f"no pod of namespace {namespace} has the hostname {hostname}"
            pod = pods[0]
            if pod.subdomain != service:
                return (
                    f"{pod.key}'s subdomain is {pod.subdomain or 'not set'}, not {service} (a "
                    "StatefulSet sets it from its serviceName)"
                )
            if not svc.selects(pod):
                return f"{svc.key}'s selector does not pick {pod.key}"
            return f"{pod.key} is not ready, and {svc.key} does not publish not-ready addresses"
        if len(parts) == 2 and world.services.get(f"{parts[1]}/{parts[0]}") is not None:
            return "the Service has no ready endpoints, so its headless name has no address"
    return "no Service (or pod under a headless Service) has that name"


# -- connectivity ----------------------------------------------------------------------------


def check_connectivity(spec: dict[str, Any], answer: Answer) -> list[CheckResult]:
    return [_cell(entry, answer) for entry in spec["connectivity"]]


def _cell(entry: dict[str, Any], answer: Answer) -> CheckResult:
    world = answer.world
    src, dst = entry["from"], entry["to"]
    port, protocol = entry["port"], entry.get("protocol", "TCP")
    want = entry["allowed"]
    name = f"{src} → {dst}:{port}" + ("" if protocol == "TCP" else f"/{protocol}")
    if entry.get("node"):
        name += f" via {entry['node']}"
    if world.endpoint(src) is None:
        return CheckResult(
            name, False, f"{src} is not a pod (ns/name) or outside host of the scenario"
        )
    if dst.startswith("svc:"):
        key = dst[4:]
        if world.services.get(key) is None:
            return CheckResult(name, False, f"there is no Service {key}, so nothing answers there")
        node = entry.get("node")
        if node is not None and node not in {n.name for n in world.scenario.nodes}:
            return CheckResult(name, False, f"there is no node {node} in the scenario")
        reach = world.reach_service(src, key, port, protocol, node)
        answered = reach.answered()
        total = len(reach.backends)
        if want and total and len(answered) == total:
            return CheckResult(name, True, f"allowed: answered by {', '.join(answered)}")
        if not want and not answered:
            return CheckResult(name, True, "denied, as expected")
        if want:
            if not total:
                return CheckResult(name, False, f"{src} cannot reach {key}: {reach.note}")
            refused = [(e, p) for e, p, ok in reach.backends if not ok]
            e, p = refused[0]
            if e.key in reach.not_listening:
                listens = ", ".join(f"{cp.port}/{cp.protocol}" for cp in e.ports)
                return CheckResult(
                    name,
                    False,
                    f"{src} should reach {key}:{port} but the connection lands on {e.key}:{p}, "
                    f"where nothing listens (its containers declare {listens})",
                )
            explanation = world.explain(src, e, p, protocol)
            return CheckResult(
                name,
                False,
                f"{src} should reach {key}:{port} but backend {e.key} refuses it on {p}: "
                f"{describe_denial(explanation) or reach.note}",
                _blame_line(explanation, allowed=False),
            )
        e, backend_port = next((b, p) for b, p, ok in reach.backends if ok)
        explanation = world.explain(src, e, backend_port, protocol)
        how = f" ({reach.note.rstrip('.')})" if reach.note else ""
        return CheckResult(
            name,
            False,
            f"{src} can reach {key}:{port} (backend {e.key}:{backend_port}) but should not: "
            f"{describe_admission(explanation)}{how}",
            _blame_line(explanation, allowed=True),
        )
    if world.endpoint(dst) is None:
        return CheckResult(
            name, False, f"{dst} is not a pod, svc:<ns>/<name> or outside host of the scenario"
        )
    explanation = world.explain(src, dst, port, protocol)
    if explanation.allowed == want:
        return CheckResult(name, True, "allowed, as expected" if want else "denied, as expected")
    if want:
        return CheckResult(
            name,
            False,
            f"{src} cannot reach {dst}:{port} but should: {describe_denial(explanation)}",
            _blame_line(explanation, allowed=False),
        )
    return CheckResult(
        name,
        False,
        f"{src} can reach {dst}:{port} but should not: {describe_admission(explanation)}",
        _blame_line(explanation, allowed=True),
    )


def describe_denial(e: Explanation) -> str:
    sides = [s for s in (e.egress, e.ingress) if not s.allowed]
    return " ".join(s.describe() for s in sides)


def describe_admission(e: Explanation) -> str:
    """Why a connection that should be refused gets through, naming the responsible rule."""
    if e.to_itself:
        return SELF_CONNECTION
    parts = []
    for side in (e.egress, e.ingress):
        if side.admitted_by is not None:
            adm = side.admitted_by
            peers = adm.rule.describe_peers(adm.policy.namespace)
            parts.append(f"{adm.describe()} admits {peers} on {adm.rule.describe_ports()}")
            split = split_peer_note(adm.rule)
            if split:
                parts.append(split)
    if not parts:
        open_sides = [
            s.endpoint.key
            for s in (e.egress, e.ingress)
            if not s.isolating and isinstance(s.endpoint, Pod)
        ]
        return (
            f"nothing isolates {' or '.join(open_sides)} for this direction, so all traffic is allowed"
            if open_sides
            else "it is allowed"
        )
    return "; ".join(parts)


def split_peer_note(rule) -> str:
    """Name the AND/OR trap when a rule holds a namespace-only and a pod-only peer."""
    ns_only = [p for p in rule.peers if p.namespace_only]
    pod_only = [p for p in rule.peers if p.pod_only]
    if ns_only and pod_only:
        line = pod_only[0].line
        at = f" (line {line})" if line else ""
        return (
            "because namespaceSelector and podSelector sit in two separate peers, they are ORed; "
            f"to require both, put them in one peer: remove the `-` before podSelector{at}"
        )
    return ""


def _blame_line(e: Explanation, allowed: bool) -> int | None:
    if allowed:
        for side in (e.ingress, e.egress):
            if side.admitted_by is not None and side.admitted_by.rule.line:
                return side.admitted_by.rule.line
        return None
    for side in (e.ingress, e.egress):
        if not side.allowed and side.isolating:
            if side.closest is not None and side.closest.line:
                return side.closest.line  # the rule that nearly admits it
            return side.isolating[0].line
    return None


# -- reachability ------------------------------------------------------------------------------


def reachability_scope(check: dict[str, Any]) -> str:
    """`reachability: solution` or `{compare: solution, over: scenario|plausible}` → the scope."""
    spec = check["reachability"]
    return spec.get("over", "plausible") if isinstance(spec, dict) else "plausible"


def check_reachability(
    answer: Answer, solution: World, ports: list[PortKey], over: str = "plausible"
) -> CheckResult:
    """The answer's policies allow what the solution's allow: on the scenario and beyond it.

    With `over: plausible` (the default) the comparison also covers the pods,
    namespaces, addresses and ports that either side's selectors, CIDRs and
    ports can tell apart (`model/decoys.py`); `over: scenario` keeps to the
    scenario's own endpoints and probe ports.
    """
    found = compare_policies(answer.world, solution, ports, invented=over != "scenario")
    name = "whole truth table"
    diffs = found.scenario_differences
    if diffs:
        lines = []
        for d in diffs[:4]:
            verb = "is allowed" if d.answer_allows else "is denied"
            should = "should be denied" if d.answer_allows else "should be allowed"
            port, protocol = d.port
            lines.append(
                f"{d.source.key} → {d.destination.key}:{port}/{protocol} {verb} but {should}"
            )
        first = diffs[0]
        explanation = answer.world.explain(first.source.key, first.destination.key, *first.port)
        why = (
            describe_admission(explanation) if first.answer_allows else describe_denial(explanation)
        )
        more = f" (and {len(diffs) - 4} more)" if len(diffs) > 4 else ""
        return CheckResult(
            name,
            False,
            f"{len(diffs)} connection(s) differ from the solution's: {'; '.join(lines)}{more}. "
            f"First one: {why}",
            _blame_line(explanation, allowed=first.answer_allows),
        )
    example = found.counterexample
    if example is None:
        beyond = found.universe_cells - found.scenario_cells
        more = (
            f", and so do {beyond:,} more with pods, namespaces, addresses and ports this "
            "scenario does not have"
            if beyond
            else ""
        )
        return CheckResult(
            name, True, f"all {found.scenario_cells:,} connections match the solution's{more}"
        )
    port, protocol = example.port
    explanation = explain_connection(
        found.answer.scenario,
        found.answer.policies,
        example.source,
        example.destination,
        port,
        protocol,
    )
    if example.answer_allows:
        verdict = "would be allowed by your answer but not by the solution"
        why = describe_admission(explanation)
    else:
        verdict = "would be refused by your answer but allowed by the solution"
        why = describe_denial(explanation)
    return CheckResult(
        name,
        False,
        f"all {found.scenario_cells:,} connections of this scenario match the solution's, "
        f"but a cluster with more in it tells them apart: {_connection_words(example)} "
        f"{verdict} ({_invented_words(example)}). {why}",
        _blame_line(explanation, allowed=example.answer_allows),
    )


def _connection_words(d: Difference) -> str:
    port, protocol = d.port
    return f"{d.source.key} → {d.destination.key}:{port}/{protocol}"


def _invented_words(d: Difference) -> str:
    """Name every invented part of a counterexample as invented, in plain words."""
    parts = []
    for found in d.invented:
        if found.words.startswith("port "):
            parts.append(f"{found.words} is not probed in this scenario")
        elif found.words.endswith(found.key):  # "a host outside the cluster at <ip>"
            parts.append(f"{found.words}, not in this scenario")
        else:
            parts.append(f"{found.key} is {found.words}, not in this scenario")
    return "; ".join(parts)
