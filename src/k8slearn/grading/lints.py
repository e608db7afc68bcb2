"""Lints that teach: the traps experts know, reported as warnings, never as failures.

Some need only the manifests (`world=None`, as in `k8slearn validate`); the
rest look at the scenario the manifests are applied to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from k8slearn.manifests.validate import Manifest
from k8slearn.model.netpol import NetworkPolicy, Rule
from k8slearn.model.selectors import LabelSelector
from k8slearn.model.services import Service
from k8slearn.model.world import World
from k8slearn.problems import Problem

DNS_LABELS = {"k8s-app": "kube-dns"}


# What each lint is called, for an exercise to declare the ones its task expects.
LINT_CODES = (
    "split-peers",
    "select-all",
    "dns-blocked",
    "wrong-namespace",
    "selects-nothing",
    "peer-selects-nothing",
    "service-selects-nothing",
)


@dataclass(frozen=True)
class Lint:
    manifest: Manifest  # the object the warning is about
    problem: Problem
    code: str  # one of LINT_CODES


def lint(manifests: Iterable[Manifest], world: World | None = None) -> list[Lint]:
    """Every warning for these (valid) manifests, with the scenario's view when given."""
    manifests = [m for m in manifests if m.valid and m.obj is not None]
    out: list[Lint] = []
    policies = [
        (m, NetworkPolicy.from_manifest(m.obj, m.doc))
        for m in manifests
        if m.kind == "NetworkPolicy"
    ]
    for m, policy in policies:
        out.extend(_split_peers(m, policy))
        out.extend(_select_all(m, policy))
    out.extend(_dns_blocked(policies, world))
    if world is not None:
        for m, policy in policies:
            out.extend(_policy_selects_nothing(m, policy, world))
            out.extend(_peers_select_nothing(m, policy, world))
        for m in manifests:
            if m.kind == "Service":
                out.extend(_service_selects_nothing(m, Service.from_manifest(m.obj), world))
    return out


def _warn(m: Manifest, code: str, path: tuple, message: str, hint: str = "") -> Lint:
    return Lint(m, m.doc.problem(path, message, severity="warning", hint=hint), code)


def _rules(policy: NetworkPolicy):
    for direction, peers_key, rules in (
        ("ingress", "from", policy.ingress),
        ("egress", "to", policy.egress),
    ):
        for i, rule in enumerate(rules):
            yield direction, peers_key, i, rule


def _split_peers(m: Manifest, policy: NetworkPolicy) -> list[Lint]:
    out = []
    for direction, key, i, rule in _rules(policy):
        for j in range(1, len(rule.peers)):
            a, b = rule.peers[j - 1], rule.peers[j]
            ns_then_pod = a.namespace_only and b.pod_only
            pod_then_ns = a.pod_only and b.namespace_only
            if ns_then_pod or pod_then_ns:
                out.append(
                    _warn(
                        m,
                        "split-peers",
                        ("spec", direction, i, key, j),
                        f"namespaceSelector and podSelector are two separate `{key}` peers here, so they "
                        "are ORed: any pod of the selected namespaces, or the selected pods of "
                        f"{policy.namespace}",
                        hint="to require both, make them one peer: remove the `-` in front of the second",
                    )
                )
    return out


def _select_all(m: Manifest, policy: NetworkPolicy) -> list[Lint]:
    # A default deny, "every pod may resolve DNS" or "only my own namespace may come in" is
    # meant for all pods; an ingress rule admitting *chosen pods* ("frontend may reach db")
    # usually protects one app, and {} then locks up every other pod of the namespace.
    chosen = any(
        peer.pod_selector is not None and not peer.pod_selector.is_empty
        for rule in policy.ingress
        for peer in rule.peers
    )
    if not policy.pod_selector.is_empty or not chosen:
        return []
    return [
        _warn(
            m,
            "select-all",
            ("spec", "podSelector"),
            f"`podSelector: {{}}` makes this policy apply to every pod of namespace {policy.namespace}",
            hint="if it is meant for some pods only, select them by label",
        )
    ]


def _allows_dns(rule: Rule, protocol: str) -> bool:
    if not rule.ports:
        return True
    return any(
        p.protocol == protocol
        and (
            p.port is None
            or p.port == 53
            or (isinstance(p.port, int) and p.end_port is not None and p.port <= 53 <= p.end_port)
        )
        for p in rule.ports
    )


def _dns_blocked(policies: list[tuple[Manifest, NetworkPolicy]], world: World | None) -> list[Lint]:
    """Egress isolation that cuts pods off DNS: 53/UDP always, 53/TCP for large answers."""
    out = []
    dns_pods = []
    if world is not None:
        dns = LabelSelector.from_labels(DNS_LABELS)
        dns_pods = [
            p for p in world.scenario.pods if p.namespace == "kube-system" and dns.matches(p.labels)
        ]
    for m, policy in policies:
        if not policy.isolates_egress:
            continue
        if world is not None and dns_pods:
            isolated = [p for p in world.scenario.pods if policy.selects(p)]
            blocked = []
            for protocol in ("UDP", "TCP"):
                table = world.table([(53, protocol)])
                stuck = [
                    p
                    for p in isolated
                    if not any(table.allowed(p.key, d.key, 53, protocol) for d in dns_pods)
                ]
                if stuck:
                    blocked.append((protocol, stuck))
            if not blocked:
                continue
            protocol, stuck = blocked[0]
            who = ", ".join(p.key for p in stuck[:3]) + (" …" if len(stuck) > 3 else "")
            missing = " and ".join(f"53/{proto}" for proto, _ in blocked)
            message = (
                f"this policy isolates egress and {who} can no longer reach DNS on {missing} "
                "(kube-dns in kube-system)"
                + (
                    ": name lookups such as `kubernetes.default` will fail"
                    if protocol == "UDP"
                    else ": large DNS answers, which fall back to TCP, will fail"
                )
            )
        else:
            same_ns = [
                p for mm, p in policies if p.namespace == policy.namespace and p.isolates_egress
            ]
            missing = [
                proto
                for proto in ("UDP", "TCP")
                if not any(_allows_dns(r, proto) for p in same_ns for r in p.egress)
            ]
            if not missing:
                continue
            message = (
                "this policy isolates egress and no egress rule allows DNS on "
                + " and ".join(f"53/{proto}" for proto in missing)
                + (
                    ": the selected pods can no longer resolve names such as `kubernetes.default`"
                    if "UDP" in missing
                    else ": large DNS answers, which fall back to TCP, will fail"
                )
            )
        out.append(
            _warn(
                m,
                "dns-blocked",
                ("spec", "policyTypes"),
                message,
                hint="add an egress rule to kube-system pods labelled k8s-app: kube-dns on port 53, "
                "UDP and TCP",
            )
        )
    return out


def _policy_selects_nothing(m: Manifest, policy: NetworkPolicy, world: World) -> list[Lint]:
    if any(policy.selects(p) for p in world.scenario.pods):
        return []
    elsewhere = sorted(
        {p.namespace for p in world.scenario.pods if policy.pod_selector.matches(p.labels)}
    )
    if elsewhere:
        return [
            _warn(
                m,
                "wrong-namespace",
                ("metadata", "namespace")
                if "namespace" in (m.doc.data.get("metadata") or {})
                else ("metadata",),
                f"the policy lives in namespace {policy.namespace}, but the pods its podSelector "
                f"({policy.pod_selector.describe()}) matches are in {', '.join(elsewhere)}: a policy only "
                "applies to pods of its own namespace",
                hint=f"set `metadata.namespace: {elsewhere[0]}`",
            )
        ]
    return [
        _warn(
            m,
            "selects-nothing",
            ("spec", "podSelector"),
            f"the podSelector ({policy.pod_selector.describe()}) selects no pod of namespace "
            f"{policy.namespace}, so this policy changes nothing",
            hint="compare it with the pods' labels",
        )
    ]


def _peers_select_nothing(m: Manifest, policy: NetworkPolicy, world: World) -> list[Lint]:
    out = []
    model = world.model
    for direction, key, i, rule in _rules(policy):
        for j, peer in enumerate(rule.peers):
            if peer.ip_block is not None:
                continue
            path = ("spec", direction, i, key, j)
            namespaces = world.scenario.namespaces.values()
            selector = peer.namespace_selector
            if selector is not None and not any(selector.matches(ns.labels) for ns in namespaces):
                out.append(
                    _warn(
                        m,
                        "peer-selects-nothing",
                        (*path, "namespaceSelector"),
                        f"no namespace has labels {selector.describe()}",
                        hint="every namespace carries `kubernetes.io/metadata.name: <its name>`; "
                        "select by that or by a label it really has",
                    )
                )
            elif model.peer_mask(peer, policy.namespace) == 0:
                out.append(
                    _warn(
                        m,
                        "peer-selects-nothing",
                        path,
                        f"this peer ({peer.describe(policy.namespace)}) matches no pod",
                        hint="compare its selectors with the pods' labels and namespaces",
                    )
                )
    return out


def _service_selects_nothing(m: Manifest, svc: Service, world: World) -> list[Lint]:
    if svc.type == "ExternalName":
        return []
    raw_selector = ((m.obj or {}).get("spec") or {}).get("selector")
    if raw_selector is not None and not raw_selector:
        if world.services.slices(svc):
            return []  # stored as no selector: the EndpointSlices written for it are its endpoints
        return [
            _warn(
                m,
                "service-selects-nothing",
                ("spec", "selector"),
                "`selector: {}` selects nothing: an empty selector is stored as no selector, so the "
                'Service gets no endpoints (it does not mean "every pod")',
                hint="select the pods by their labels",
            )
        ]
    if svc.selector is None:
        return []
    if world.services.selected_pods(svc):
        return []
    wanted = LabelSelector.from_labels(svc.selector)
    elsewhere = sorted({p.namespace for p in world.scenario.pods if wanted.matches(p.labels)})
    if elsewhere:
        return [
            _warn(
                m,
                "wrong-namespace",
                ("metadata",),
                f"the Service is in namespace {svc.namespace}, but the pods its selector matches are in "
                f"{', '.join(elsewhere)}: a Service only selects pods of its own namespace",
                hint=f"set `metadata.namespace: {elsewhere[0]}`",
            )
        ]
    return [
        _warn(
            m,
            "service-selects-nothing",
            ("spec", "selector"),
            f"the selector {wanted.describe()} matches no pod, so the Service has no endpoints",
            hint="compare it with the pods' labels",
        )
    ]
