"""What `k8slearn verify` would create and probe, decided without any cluster.

Pure functions over the exercise and the answer: no kubernetes client here.

**Objects.** The scenario's namespaces (with their labels), its pods (outside
`kube-system`) as agnhost servers — one container per declared port and
protocol running `agnhost serve-hostname`, the upstream e2e probe model — then
verify's own helpers (a client pod and the canary), then the learner's
manifests. Everything carries `app.kubernetes.io/managed-by: k8slearn`.

**Probes.** Every connection the exercise's `connectivity` checks name and, for
`reachability: solution`, the whole truth table on the grader's probe ports;
Services are reached by DNS name and by ClusterIP, and NodePorts from the node;
a headless Service's backends are also reached one by one at their pod IPs
(its name resolves to all of them, so one connection proves nothing). Each
probe expects what the offline model predicts for *this answer*.

**DNS lookups** (see `lookups`). The names an exercise's `lookup` checks ask,
and for the ExternalName and headless Services its checks name: the alias's
CNAME, the headless Service's A records (its ready members, every member with
`publishNotReadyAddresses`, the addresses of EndpointSlices written for it),
each member's own name (`<hostname>.<service>…`), and "no such name" wherever
the model says a name does not resolve. Each expects what the model's cluster
DNS answers for this answer.

**Not verifiable.** A cell goes to `unverifiable` with its reason when a real
probe could not tell the policies apart from something else: a host outside
the cluster, a pod connecting to itself, a port nothing listens on (the model
judges policies, a real connection also needs a server), a pod of the
cluster's own `kube-system` that kind does not run (only CoreDNS, `k8s-app:
kube-dns`, stands in for a scenario's pod), a pod the answer creates (its image
is unknown), a Service whose backends disagree (kube-proxy picks one), or a
cell the model answers differently once the scenario meets the cluster (pod
IPs, built-in namespaces' labels) — `Plan.recheck` asks again with what the
cluster really has.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from k8slearn.cluster import (
    BUILTIN_NAMESPACES,
    HELPER_NAMESPACE,
    MANAGED_BY_KEY,
)
from k8slearn.cluster.lookups import (
    Lookup,
    cluster_differs,
    is_absolute,
    name_parts,
    not_ours,
    queries_for,
    service_of,
    shown,
    symbolic,
    wanted_values,
)
from k8slearn.cluster.safety import with_label
from k8slearn.grading.grader import ExerciseError, Grader
from k8slearn.manifests.validate import Manifest, validate_text
from k8slearn.model import dns as model_dns
from k8slearn.model.reachability import PortKey
from k8slearn.model.scenario import NAME_LABEL, ContainerPort, External, Pod, Scenario, namespace
from k8slearn.model.world import World
from k8slearn.packs.model import Exercise
from k8slearn.problems import Problem

# The e2e test image, from the Kubernetes project's registry (the version the
# upstream e2e tests of Kubernetes 1.31 use). It serves, probes, and has `dig`.
AGNHOST_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.52"
CLUSTER_DOMAIN = "cluster.local"
# What kind (kubeadm) runs as cluster DNS: the labels and ports of the CoreDNS pods.
DNS_LABELS: Mapping[str, str] = MappingProxyType({"k8s-app": "kube-dns"})
DNS_PORTS = (
    ContainerPort(53, "UDP", "dns"),
    ContainerPort(53, "TCP", "dns-tcp"),
    ContainerPort(9153, "TCP", "metrics"),
)
CLIENT_POD = "client"  # verify's own client, in HELPER_NAMESPACE
CLIENT_KEY = f"{HELPER_NAMESPACE}/{CLIENT_POD}"
CANARY_SERVER = "canary-server"
CANARY_PORT = 8080
CANARY_POLICY = "canary-deny-ingress"
NODE_PROBER = "node-prober"
NODE_SOURCE = "node"
EXERCISE_ANNOTATION = "k8slearn.dev/exercise"
_VIRTUAL_DNS = "kube-system/k8slearn-cluster-dns"  # stands for CoreDNS where the scenario has none
_SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")

ProbeKey = tuple[str, str, int, str]  # (from, to, port, protocol)


# What routes traffic (the rest of an answer adds pods, which the plan creates itself).
ROUTING_KINDS = ("Service", "NetworkPolicy", "EndpointSlice", "Endpoints")


class PlanError(Exception):
    """The answer (or the exercise) cannot be verified; `problems` say why, line by line."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Probe:
    """One connection to try, and what the offline model says it does.

    `source` is a pod (`ns/name`) or `node`; `target` is what the table shows:
    a pod, a Service's DNS name, `clusterip:ns/name` or `nodeport:ns/name`.
    `via` says how it is reached (`pod`, `dns`, `clusterip`, `nodeport`), `ref`
    names the pod or Service aimed at. `wanted` is what the exercise's
    connectivity check asks, when one names this cell. `reason` is set on
    cells that cannot be verified. `backend_of` names the headless Service
    whose backend this pod probe reaches directly.
    """

    source: str
    target: str
    port: int
    protocol: str
    expect: bool
    via: str = "pod"
    ref: str = ""
    wanted: bool | None = None
    reason: str = ""
    backend_of: str = ""

    @property
    def key(self) -> ProbeKey:
        return (self.source, self.target, self.port, self.protocol)

    def label(self) -> str:
        proto = "" if self.protocol == "TCP" else f"/{self.protocol}"
        return f"{self.source} → {self.target}:{self.port}{proto}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.source,
            "to": self.target,
            "port": self.port,
            "protocol": self.protocol,
            "expect": self.expect,
        }
        if self.backend_of:
            out["backend_of"] = self.backend_of
        return out


@dataclass
class ClusterFacts:
    """What the cluster really has, where it differs from a scenario.

    At plan time these are kind's defaults; after the pods are up, verify fills
    in the real pod IPs, the CoreDNS pod it found and the built-in namespaces'
    labels, and `Plan.recheck` moves the cells that change to not verifiable.
    """

    pod_ips: dict[str, str] = field(default_factory=dict)
    dns_found: bool = True
    dns_labels: Mapping[str, str] = field(default_factory=lambda: dict(DNS_LABELS))
    dns_ports: tuple[ContainerPort, ...] = DNS_PORTS
    dns_ip: str | None = None
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Plan:
    exercise_id: str
    namespaces: list[dict[str, Any]]  # Namespace objects verify creates
    helpers: list[dict[str, Any]]  # verify's own pods (client, canary server, node prober)
    pods: list[dict[str, Any]]  # the scenario's pods
    canary_policy: dict[str, Any]
    answer: list[dict[str, Any]]  # the learner's objects, labelled
    probes: list[Probe]
    unverifiable: list[Probe]
    notes: list[str] = field(default_factory=list)  # what verify does differently, and why
    containers: dict[str, str] = field(default_factory=dict)  # pod key -> container to exec in
    stand_ins: list[str] = field(
        default_factory=list
    )  # scenario kube-system pods CoreDNS stands for
    lookups: list[Lookup] = field(default_factory=list)  # DNS names to ask, with dig
    unverifiable_lookups: list[Lookup] = field(default_factory=list)
    _planner: _Planner | None = field(default=None, repr=False)

    @property
    def objects(self) -> list[dict[str, Any]]:
        """Every object verify creates, in the order it creates them."""
        return [*self.namespaces, *self.helpers, *self.pods, self.canary_policy, *self.answer]

    @property
    def created_namespaces(self) -> list[str]:
        return [ns["metadata"]["name"] for ns in self.namespaces]

    def all_cells(self) -> list[Probe]:
        return [*self.probes, *self.unverifiable]

    def predicted(self) -> dict[ProbeKey, bool]:
        return {p.key: p.expect for p in self.all_cells()}

    def wanted(self) -> dict[ProbeKey, bool]:
        return {p.key: p.wanted for p in self.all_cells() if p.wanted is not None}

    def reasons(self) -> dict[ProbeKey, str]:
        return {p.key: p.reason for p in self.unverifiable}

    def needs_node_prober(self) -> bool:
        return any(p.via == "nodeport" for p in self.probes)

    def to_json(self) -> dict[str, Any]:
        return {
            "objects": copy.deepcopy(self.objects),
            "probes": [p.to_json() for p in self.probes],
            "not_verifiable": [{**p.to_json(), "reason": p.reason} for p in self.unverifiable],
            "lookups": [lk.to_json() for lk in self.lookups],
            "lookups_not_verifiable": [
                {**lk.to_json(), "reason": lk.reason} for lk in self.unverifiable_lookups
            ],
        }

    def recheck_lookups(self, facts: ClusterFacts) -> tuple[list[Lookup], list[Lookup]]:
        """Split the lookups into (still verifiable, now not) given what the cluster has."""
        if self._planner is None:
            return list(self.lookups), []
        cluster = self._planner.predictor(facts)
        keep, moved = [], []
        for lk in self.lookups:
            reason = self._planner.lookup_cluster_reason(lk, cluster, facts)
            if reason:
                moved.append(replace(lk, reason=reason))
            else:
                keep.append(lk)
        return keep, moved

    def recheck(self, facts: ClusterFacts) -> tuple[list[Probe], list[Probe]]:
        """Split the probes into (still verifiable, now not) given what the cluster has."""
        if self._planner is None:
            return list(self.probes), []
        cluster = self._planner.predictor(facts)
        keep, moved = [], []
        for probe in self.probes:
            reason = self._planner.cluster_reason(probe, cluster, facts)
            if reason:
                moved.append(replace(probe, reason=reason))
            else:
                keep.append(probe)
        return keep, moved

    def describe(self) -> list[str]:
        """The plan as lines of text: objects by kind and name, then the probes."""
        lines = [
            f"verify {self.exercise_id}: {len(self.objects)} objects, {len(self.probes)} probes, "
            f"{len(self.lookups)} DNS lookups"
        ]
        lines.append("")
        lines.append("objects (all labelled app.kubernetes.io/managed-by=k8slearn):")
        for obj in self.objects:
            meta = obj["metadata"]
            where = f"{meta['namespace']}/" if meta.get("namespace") else ""
            lines.append(f"  {obj['kind']} {where}{meta['name']}")
        lines.append("")
        lines.append("probes (expect: what the offline model predicts):")
        width = max((len(p.label()) for p in self.probes), default=0)
        for p in self.probes:
            verdict = "allowed" if p.expect else "denied"
            extra = f"  (a backend of headless svc:{p.backend_of})" if p.backend_of else ""
            lines.append(f"  {p.label():<{width}}  expect {verdict}{extra}".rstrip())
        if not self.probes:
            lines.append("  none")
        if self.lookups:
            lines.append("")
            lines.append(
                f"DNS lookups with dig in {CLIENT_KEY} (expect: what the offline model's cluster "
                "DNS answers):"
            )
            width = max(len(lk.label()) for lk in self.lookups)
            for lk in self.lookups:
                lines.append(f"  {lk.label():<{width}}  expect {shown(lk.expect)}")
                if lk.asking:
                    lines.append(f"    asks {', '.join(lk.queries)}")
        not_verifiable = [*self.unverifiable, *self.unverifiable_lookups]
        if not_verifiable:
            lines.append("")
            lines.append(f"not verifiable on a cluster ({len(not_verifiable)}):")
            for reason, cells in group_by_reason(not_verifiable):
                lines.append(f"  {reason}")
                for p in cells[:3]:
                    lines.append(f"    {p.label()}")
                if len(cells) > 3:
                    lines.append(f"    … and {len(cells) - 3} more")
        for note in self.notes:
            lines.append(f"note: {note}")
        return lines


def group_by_reason(cells: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    """Cells (probes or lookups) grouped by their reason, in first-seen order; the reasons
    name a cell's pods, so grouping is by the reason's general part (after the first colon)."""
    groups: dict[str, list[Any]] = {}
    for p in cells:
        groups.setdefault(general_reason(p.reason), []).append(p)
    return list(groups.items())


def general_reason(reason: str) -> str:
    return reason.split(": ", 1)[1] if ": " in reason else reason


# -- entry point -------------------------------------------------------------------------------


def plan_verification(exercise: Exercise, answer_text: str | bytes) -> Plan:
    """Every object verify would create and every probe it would run, for this answer.

    Raises PlanError when the answer would be refused by the API server (then
    there is nothing to verify) or the exercise itself is broken.
    """
    if getattr(exercise, "kind", "build") != "build":
        raise PlanError(
            f"{exercise.qualified_id} is a {getattr(exercise, 'kind', '')} exercise: its answer is "
            "not a set of manifests, so there is nothing to apply to a cluster"
        )
    try:
        grader = Grader(exercise)
        grade = grader.grade(answer_text)
    except ExerciseError as exc:
        raise PlanError(f"the exercise is broken: {exc}") from None
    if grade.problems or grade.world is None:
        raise PlanError(
            "the API server would refuse this answer, so there is nothing to verify on a "
            "cluster; fix it first (`k8slearn check` shows the same problems)",
            grade.problems,
        )
    report = validate_text(answer_text, grader.namespace, grader.scenario.objects)
    manifests = [m for m in report.manifests if m.valid and m.obj is not None]
    # The Services and policies the scenario already has go to the cluster too, unless the
    # answer replaces them.
    manifests = [*grader.scenario.kept_objects(manifests), *manifests]
    return _Planner(exercise, grader, grade.world, manifests, answer_text).build()


# -- the model's verdict, in the scenario or on the cluster ---------------------------------------


def _fmt_labels(labels: Mapping[str, str]) -> str:
    shown = [f"{k}={v}" for k, v in sorted(labels.items()) if k != NAME_LABEL]
    return ", ".join(shown) or "no labels"


def _fmt_ports(ports: Iterable[ContainerPort]) -> str:
    return ", ".join(f"{cp.port}/{cp.protocol}" for cp in ports) or "no port"


def dns_matches(labels: Mapping[str, str], real: Mapping[str, str]) -> bool:
    """Whether a scenario's kube-system pod may stand for the cluster's CoreDNS.

    It must say it is cluster DNS (`k8s-app: kube-dns`) and carry no label the
    real pods lack, so every selector sees the same pod.
    """
    if labels.get("k8s-app") != "kube-dns":
        return False
    return all(real.get(k) == v for k, v in labels.items())


Verdict = tuple[bool, str]  # (what the model predicts, why it cannot be verified or "")


class _Predictor:
    """The offline model over one world: the exercise's scenario, or the cluster's view of it."""

    def __init__(
        self,
        world: World,
        answer_pods: set[str],
        stand_ins: set[str],
        dns_key: str | None,
        on_cluster: bool,
    ):
        self.world = world
        self.answer_pods = answer_pods
        self.stand_ins = stand_ins
        self.dns_key = dns_key
        self.on_cluster = on_cluster
        self._tables: dict[PortKey, Any] = {}
        self._index = {e.key: i for i, e in enumerate(world.model.endpoints)}

    def allowed(self, src: str, dst: str, port: int, protocol: str) -> bool:
        table = self._tables.get((port, protocol))
        if table is None:
            table = self._tables[(port, protocol)] = self.world.table([(port, protocol)])
        return table.allowed(src, dst, port, protocol)

    @staticmethod
    def serves(pod: Pod, port: int, protocol: str) -> bool:
        return any(cp.port == port and cp.protocol == protocol for cp in pod.ports)

    def dns_ok(self, src: str) -> bool:
        return self.dns_key is not None and self.allowed(src, self.dns_key, 53, "UDP")

    def source_problem(self, src: str) -> str:
        s = self.world.endpoint(src)
        if s is None:
            return f"{src}: not a pod of the scenario"
        if isinstance(s, External):
            return f"{src}: a host outside the cluster; verify cannot start a connection from it"
        if s.namespace == "kube-system":
            return f"{src}: one of the cluster's own pods; verify runs no probe inside kube-system"
        if s.key in self.answer_pods:
            return f"{src}: created by your answer; verify probes only from the pods it creates"
        return ""

    def backend_problem(self, pod: Pod) -> str:
        if pod.key in self.answer_pods:
            return (
                f"{pod.key}: created by your answer, and verify does not know what its image serves"
            )
        if pod.namespace == "kube-system" and pod.key not in self.stand_ins:
            return (
                f"{pod.key} ({_fmt_labels(pod.labels)}): kind runs no such pod; only CoreDNS "
                "(k8s-app: kube-dns) stands in for a scenario's kube-system pod"
            )
        return ""

    def pod(self, src: str, dst: str, port: int, protocol: str) -> Verdict:
        s, d = self.world.endpoint(src), self.world.endpoint(dst)
        if s is None or d is None:
            return False, f"{src if s is None else dst}: not in the scenario"
        allowed = self.allowed(src, dst, port, protocol)
        if isinstance(d, External) and not isinstance(s, External):
            problem = self.source_problem(src)
            if problem:
                return allowed, problem
            return allowed, (
                f"{dst} ({d.ip}): a host outside the cluster; whether it answers says nothing "
                "about the policies"
            )
        problem = self.source_problem(src)
        if problem:
            return allowed, problem
        assert isinstance(d, Pod)
        if src == dst:
            return allowed, (
                f"{src}: a pod connecting to itself is always allowed (a pod cannot block access "
                "to itself), so a probe would say nothing about the policies"
            )
        problem = self.backend_problem(d)
        if problem:
            return allowed, problem
        if not self.serves(d, port, protocol):
            return allowed, (
                f"{dst} serves {_fmt_ports(d.ports)}, not {port}/{protocol}: nothing listens "
                "there; the model judges only the policies, a real connection also needs a server"
            )
        return allowed, ""

    def service(self, via: str, src: str, key: str, port: int, protocol: str) -> Verdict | None:
        svc = self.world.services.get(key)
        problem = self.source_problem(src)
        if svc is None:
            if via != "dns":
                return None
            return False, problem  # no such Service: its name does not resolve
        if via == "clusterip" and (svc.headless or svc.type == "ExternalName"):
            return None
        if svc.type == "ExternalName":
            return False, (
                f"svc:{key} (an alias for {svc.external_name}): an ExternalName Service is only "
                "a DNS alias for a name outside the cluster (a DNS lookup checks its CNAME)"
            )
        reach = self.world.reach_service(src, key, port, protocol)
        dns = via != "dns" or self.dns_ok(src)
        raw = reach.allowed and dns
        if problem:
            return raw, problem
        if svc.internal_traffic_policy == "Local":
            return raw, (
                f"svc:{key} keeps traffic on the client's node (internalTrafficPolicy: Local), and "
                "the cluster places pods on nodes itself: the model's placement is not the cluster's"
            )
        answers = []
        for pod, backend_port, ok in reach.backends:
            if not isinstance(pod, Pod):
                return raw, f"svc:{key}: reaches outside the cluster"
            if pod.key == src:
                # kube-proxy masquerades a backend's connection to its own Service (hairpin),
                # so the policies see the node's address: the model cannot say what a cluster does.
                return raw, (
                    f"{src} is itself a backend of svc:{key}: its connection may come back to it "
                    "with the node's address (hairpin), which policies judge differently"
                )
            problem = self.backend_problem(pod)
            if problem:
                return raw, problem
            answers.append(ok and self.serves(pod, backend_port, protocol))
        if any(answers) and not all(answers):
            yes = [b.key for (b, _, _), a in zip(reach.backends, answers, strict=True) if a]
            no = [b.key for (b, _, _), a in zip(reach.backends, answers, strict=True) if not a]
            if svc.headless:
                return raw, (
                    f"svc:{key} ({', '.join(yes)} would answer, {', '.join(no)} would not): a "
                    "headless Service's name resolves to every backend and the client connects "
                    "to one of them, so one probe proves nothing (each backend is probed directly)"
                )
            return raw, (
                f"svc:{key} ({', '.join(yes)} would answer, {', '.join(no)} would not): "
                "kube-proxy sends each connection to one backend, so one probe proves nothing"
            )
        return bool(answers) and all(answers) and dns, ""

    def node(self, key: str, port: int, protocol: str) -> Verdict | None:
        svc = self.world.services.get(key)
        if svc is None or svc.type not in ("NodePort", "LoadBalancer"):
            return None
        sp = next((p for p in svc.ports if p.port == port and p.protocol == protocol), None)
        if sp is None or self.world.services.node_port(svc, sp) is None:
            return None
        backends = self.world.services.endpoints(svc, sp)
        if not backends:
            return False, ""
        if svc.external_traffic_policy == "Local":
            return True, (
                f"svc:{key} answers only on nodes that run a backend (externalTrafficPolicy: "
                "Local), and the cluster places pods on nodes itself"
            )
        isolated, _ = self.world.model.isolated()
        answers = []
        for b in backends:
            if not isinstance(b.target, Pod):
                return True, f"svc:{key} sends traffic outside the cluster ({b.target.ip})"
            problem = self.backend_problem(b.target)
            if problem:
                return True, problem
            if isolated >> self._index[b.target.key] & 1:
                return True, (
                    f"{b.target.key} is isolated for ingress by a policy: whether a policy admits "
                    "connections from the node itself is left to the network plugin"
                )
            answers.append(self.serves(b.target, b.port, protocol))
        if any(answers) and not all(answers):
            return True, (
                f"svc:{key} (only some backends listen on the target port): kube-proxy sends "
                "each connection to one backend, so one probe proves nothing"
            )
        return all(answers), ""

    def lookup(
        self, name: str, asking: str, verify_pods: set[str]
    ) -> tuple[str, tuple[str, ...], str]:
        """What the model's cluster DNS answers for `name` asked by verify's client along the
        search path of namespace `asking`: (record type, symbolic values, why not verifiable)."""
        index = self.world.services
        answer = model_dns.resolve(index, name, asking or "default")
        record = "CNAME" if answer is not None and answer.record == "CNAME" else "A"
        expect, problem = symbolic(index, answer, verify_pods)
        if self.dns_key is None:
            return record, expect, f"{name}: no CoreDNS pod was found to answer the lookup"
        if not self.dns_ok(CLIENT_KEY):
            blocked = (
                f"{CLIENT_KEY}: the policies stop it from reaching cluster DNS, so a lookup "
                "would only time out"
            )
            return record, expect, blocked
        if problem:
            return record, expect, problem
        for query in queries_for(name, asking):
            why = cluster_differs(index, query)
            if why:
                return record, expect, why
            svc = service_of(index, query)
            parts = name_parts(query)
            if svc is not None and parts is not None and (svc.headless or len(parts) == 3):
                stranger = next(
                    (p for p in index.selected_pods(svc) if p.key not in verify_pods), None
                )
                if stranger is not None:
                    return record, expect, not_ours(query.rstrip("."), svc, stranger)
            if model_dns.resolve(index, query, asking or "default") is not None:
                break  # the candidates after the one that answers are never asked
        return record, expect, ""

    def verdict(self, probe: Probe) -> Verdict | None:
        if probe.via == "pod":
            return self.pod(probe.source, probe.ref, probe.port, probe.protocol)
        if probe.via == "nodeport":
            return self.node(probe.ref, probe.port, probe.protocol)
        return self.service(probe.via, probe.source, probe.ref, probe.port, probe.protocol)


# -- the planner -----------------------------------------------------------------------------------


class _Planner:
    def __init__(
        self,
        exercise: Exercise,
        grader: Grader,
        world: World,
        manifests: list[Manifest],
        answer_text: str | bytes,
    ):
        self.exercise = exercise
        self.grader = grader
        self.world = world
        self.manifests = manifests
        self.answer_text = (
            answer_text.decode("utf-8", "replace")
            if isinstance(answer_text, bytes)
            else answer_text
        )
        self.scenario_pods = {p.key for p in grader.scenario.pods}
        answer_keys = set()
        for m in manifests:
            if m.kind == "Pod":
                answer_keys.add(f"{m.namespace}/{m.name}")
        self.answer_pods = {
            p.key
            for p in world.scenario.pods
            if p.key not in self.scenario_pods or p.key in answer_keys
        }
        self.stand_ins = [
            p.key
            for p in world.scenario.pods
            if p.namespace == "kube-system"
            and p.key not in self.answer_pods
            and dns_matches(p.labels, DNS_LABELS)
        ]
        self.routing = [m for m in manifests if m.kind in ROUTING_KINDS]
        # The scenario's pods verify creates itself (and so knows the addresses of).
        self.verify_pods = {
            p.key
            for p in world.scenario.pods
            if p.namespace != "kube-system" and p.key not in self.answer_pods
        }
        self.notes: list[str] = []
        self.model = self._model_predictor()
        self.default_cluster = self.predictor(ClusterFacts())

    # -- worlds --------------------------------------------------------------------------------

    def _helper_pod(self, ip: str) -> Pod:
        labels = with_label({"app": "k8slearn-client"})
        return Pod(HELPER_NAMESPACE, CLIENT_POD, MappingProxyType(labels), ip, True, ())

    def _model_predictor(self) -> _Predictor:
        base = self.world.scenario
        namespaces = dict(base.namespaces)
        namespaces[HELPER_NAMESPACE] = namespace(HELPER_NAMESPACE, with_label({}))
        pods = [*base.pods, self._helper_pod("10.244.255.251")]
        dns_key = self.stand_ins[0] if self.stand_ins else _VIRTUAL_DNS
        if not self.stand_ins:
            pods.append(self._virtual_dns(DNS_LABELS, DNS_PORTS, "10.244.255.250"))
        scenario = Scenario(namespaces, pods, list(base.nodes), list(base.externals))
        return _Predictor(
            World(scenario, self.routing),
            self.answer_pods,
            set(self.stand_ins),
            dns_key,
            on_cluster=False,
        )

    @staticmethod
    def _virtual_dns(labels: Mapping[str, str], ports: tuple[ContainerPort, ...], ip: str) -> Pod:
        ns, name = _VIRTUAL_DNS.split("/")
        return Pod(ns, name, MappingProxyType(dict(labels)), ip, True, tuple(ports))

    def cluster_notes(self, facts: ClusterFacts) -> list[str]:
        notes = []
        base = self.world.scenario
        for name, ns in base.namespaces.items():
            if name in BUILTIN_NAMESPACES:
                real = namespace(name, facts.namespace_labels.get(name) or {})
                if dict(real.labels) != dict(ns.labels):
                    notes.append(
                        f"namespace {name} keeps the labels it has on the cluster "
                        f"({_fmt_labels(real.labels)}), not the scenario's "
                        f"({_fmt_labels(ns.labels)}): verify never relabels a namespace it did "
                        "not create"
                    )
        for key in self.stand_ins:
            pod = base.pod(key)
            assert pod is not None
            if not facts.dns_found:
                notes.append(f"no CoreDNS pod was found in kube-system to stand for {key}")
            elif dict(pod.labels) != dict(facts.dns_labels) or set(pod.ports) != set(
                facts.dns_ports
            ):
                notes.append(
                    f"{key} stands for the cluster's CoreDNS, labelled "
                    f"{_fmt_labels(facts.dns_labels)} and serving {_fmt_ports(facts.dns_ports)}"
                )
        scenario_ips = {p.key: p.ip for p in base.pods}
        moved = [(k, ip) for k, ip in facts.pod_ips.items() if scenario_ips.get(k, ip) != ip]
        if moved and self._uses_ip_blocks():
            k, ip = moved[0]
            notes.append(
                "pods get their IPs from the cluster, not from the scenario (for example "
                f"{k} has {ip}, not {scenario_ips[k]}), and your policies' ipBlock rules "
                "see the real ones"
            )
        if MANAGED_BY_KEY in self.answer_text:
            notes.append(
                f"verify labels the namespaces and pods it creates {MANAGED_BY_KEY}=k8slearn, "
                "and your answer's selectors use that label"
            )
        return notes

    def _uses_ip_blocks(self) -> bool:
        for policy in self.world.policies:
            for rule in [*policy.ingress, *policy.egress]:
                if any(peer.ip_block is not None for peer in rule.peers):
                    return True
        return False

    def predictor(self, facts: ClusterFacts) -> _Predictor:
        """The model over the scenario as the cluster will have it."""
        base = self.world.scenario
        namespaces = {}
        for name, ns in base.namespaces.items():
            if name in BUILTIN_NAMESPACES:
                namespaces[name] = namespace(name, facts.namespace_labels.get(name) or {})
            else:
                namespaces[name] = namespace(name, with_label(ns.labels))
        namespaces[HELPER_NAMESPACE] = namespace(HELPER_NAMESPACE, with_label({}))
        stand_ins: set[str] = set()
        pods = []
        for p in base.pods:
            if p.key in self.answer_pods:
                pods.append(p)
            elif p.namespace == "kube-system":
                if facts.dns_found and dns_matches(p.labels, facts.dns_labels):
                    stand_ins.add(p.key)
                    pods.append(
                        replace(
                            p,
                            labels=MappingProxyType(dict(facts.dns_labels)),
                            ports=tuple(facts.dns_ports),
                            ip=facts.dns_ip or p.ip,
                        )
                    )
                else:
                    pods.append(p)
            else:
                ip = facts.pod_ips.get(p.key, p.ip)
                pods.append(replace(p, labels=MappingProxyType(with_label(p.labels)), ip=ip))
        pods.append(self._helper_pod(facts.pod_ips.get(CLIENT_KEY, "10.244.255.251")))
        dns_key: str | None = None
        if stand_ins:
            dns_key = sorted(stand_ins)[0]
        elif facts.dns_found:
            dns_key = _VIRTUAL_DNS
            pods.append(
                self._virtual_dns(
                    facts.dns_labels, facts.dns_ports, facts.dns_ip or "10.244.255.250"
                )
            )
        scenario = Scenario(namespaces, pods, list(base.nodes), list(base.externals))
        return _Predictor(World(scenario, self.routing), self.answer_pods, stand_ins, dns_key, True)

    def cluster_reason(
        self, probe: Probe, cluster: _Predictor, facts: ClusterFacts | None = None
    ) -> str:
        """Why the cluster cannot verify `probe` (its own reason, or a changed prediction)."""
        found = cluster.verdict(probe)
        if found is None:
            return f"{probe.target}: does not exist on the cluster"
        expect, reason = found
        if reason:
            return reason
        if probe.via == "dns" and cluster.dns_key is None:
            return f"{probe.target}: no CoreDNS pod was found to resolve the name"
        if expect != probe.expect:
            notes = self.cluster_notes(facts or ClusterFacts())
            why = "; ".join(notes) if notes else "the cluster cannot reproduce the scenario exactly"
            now = "allowed" if expect else "denied"
            was = "allowed" if probe.expect else "denied"
            return f"{probe.label()}: on the cluster the model says {now}, not {was}, because {why}"
        return ""

    def lookup_cluster_reason(
        self, lookup: Lookup, cluster: _Predictor, facts: ClusterFacts | None = None
    ) -> str:
        """Why the cluster cannot verify `lookup` (its own reason, or a changed answer)."""
        record, expect, reason = cluster.lookup(lookup.name, lookup.asking, self.verify_pods)
        if reason:
            return reason
        if (record, expect) != (lookup.record, lookup.expect):
            notes = self.cluster_notes(facts or ClusterFacts())
            why = "; ".join(notes) if notes else "the cluster cannot reproduce the scenario exactly"
            return (
                f"{lookup.label()}: on the cluster the model expects {shown(expect)}, not "
                f"{shown(lookup.expect)}, because {why}"
            )
        return ""

    # -- DNS lookups -----------------------------------------------------------------------------

    def _services_named(self) -> list[str]:
        """The Services the exercise's checks name, in order: `service` checks, then the
        `svc:` targets of `connectivity` checks."""
        keys: list[str] = []
        for check in self.exercise.expect:
            if "service" in check:
                keys.append(check["service"])
            for entry in check.get("connectivity") or []:
                if entry["to"].startswith("svc:"):
                    keys.append(entry["to"][4:])
        return list(dict.fromkeys(keys))

    def _names_of(self, key: str) -> list[str]:
        """The names worth asking for one Service: its own for an ExternalName alias, a
        headless Service or a missing one (no such name), then every name `<hostname>.<svc>`
        a pod of its namespace or one of its EndpointSlices claims."""
        ns, _, name = key.partition("/")
        svc = self.world.services.get(key)
        fqdn = f"{name}.{ns}{model_dns.SUFFIX}"
        out = []
        if svc is None or svc.type == "ExternalName" or svc.headless:
            out.append(fqdn)
        hosts = [
            p.hostname
            for p in self.world.scenario.pods
            if p.namespace == ns and p.hostname and p.subdomain == name
        ]
        if svc is not None:
            hosts += [
                e.hostname
                for s in self.world.services.slices(svc)
                for e in s.endpoints
                if e.hostname
            ]
        out += [f"{h}.{fqdn}" for h in dict.fromkeys(hosts)]
        return out

    def lookups(self) -> list[Lookup]:
        items: list[tuple[str, str, tuple[str, ...] | None, str]] = []
        scenario_pods = {p.key for p in self.world.scenario.pods}
        for check in self.exercise.expect:
            if "lookup" not in check:
                continue
            name = str(check["lookup"])
            asking = "" if is_absolute(name) else str(check.get("from", "default"))
            wanted = wanted_values(check.get("resolves_to") or [], scenario_pods)
            items.append(
                (name.strip().rstrip(".") if not asking else name.strip(), asking, wanted, "lookup")
            )
        for key in self._services_named():
            items += [(name, "", None, f"svc:{key}") for name in self._names_of(key)]
        merged: dict[tuple[str, str], Lookup] = {}
        for name, asking, wanted, subject in items:
            record, expect, reason = self.model.lookup(name, asking, self.verify_pods)
            lookup = Lookup(CLIENT_KEY, name, asking, record, expect, wanted, reason, subject)
            if not reason:
                reason = self.lookup_cluster_reason(lookup, self.default_cluster)
                lookup = replace(lookup, reason=reason)
            first = merged.get((tuple(lookup.queries), record))
            if first is None:
                merged[(tuple(lookup.queries), record)] = lookup
            elif first.wanted is None and wanted is not None:
                merged[(tuple(lookup.queries), record)] = replace(first, wanted=wanted)
        return list(merged.values())

    # -- cells ---------------------------------------------------------------------------------

    def _target(self, via: str, ref: str) -> str:
        if via == "pod":
            return ref
        ns, _, name = ref.partition("/")
        if via == "dns":
            return f"{name}.{ns}.svc.{CLUSTER_DOMAIN}"
        return f"{via}:{ref}"

    def _cell(
        self, via: str, source: str, ref: str, port: int, protocol: str, wanted: bool | None
    ) -> Probe | None:
        probe = Probe(source, self._target(via, ref), port, protocol, False, via, ref, wanted)
        found = self.model.verdict(probe)
        if found is None:
            return None
        expect, reason = found
        probe = replace(probe, expect=expect, reason=reason)
        if not reason:
            cluster_reason = self.cluster_reason(probe, self.default_cluster)
            if cluster_reason:
                probe = replace(probe, reason=cluster_reason)
        return probe

    def _service_cells(
        self, source: str, key: str, port: int, protocol: str, wanted: bool | None
    ) -> list[Probe]:
        out = []
        for via in ("dns", "clusterip"):
            cell = self._cell(via, source, key, port, protocol, wanted)
            if cell is not None:
                out.append(cell)
        node = self._cell("nodeport", NODE_SOURCE, key, port, protocol, None)
        if node is not None:
            out.append(node)
        return out

    def _backend_cells(self, source: str, key: str, port: int, protocol: str) -> list[Probe]:
        """A headless Service's backends, each probed at its pod IP on its target port: the
        name resolves to all of them and a client picks one, so only this settles each."""
        svc = self.world.services.get(key)
        if svc is None or not svc.headless:
            return []
        out = []
        for sp in svc.ports:
            if (sp.port, sp.protocol) != (port, protocol):
                continue
            for backend in self.world.services.endpoints(svc, sp):
                if not isinstance(backend.target, Pod):
                    continue  # an address outside the cluster: nothing a probe could settle
                cell = self._cell("pod", source, backend.target.key, backend.port, protocol, None)
                if cell is not None:
                    out.append(replace(cell, backend_of=key))
        return out

    def _client_for(self, key: str, ports: list[PortKey]) -> str:
        """A pod to try a Service from: not one of its backends, its own namespace first,
        one the model lets through when there is one."""
        svc = self.world.services.get(key)
        ns = key.partition("/")[0]
        candidates = [
            p
            for p in self.world.scenario.pods
            if p.namespace != "kube-system"
            and p.key not in self.answer_pods
            and (svc is None or not svc.selects(p))
        ]
        candidates.sort(key=lambda p: p.namespace != ns)
        for p in candidates:
            verdicts = [self.model.service("dns", p.key, key, n, proto) for n, proto in ports]
            if all(v is not None and v[0] and not v[1] for v in verdicts):
                return p.key
        return candidates[0].key if candidates else CLIENT_KEY

    def cells(self) -> list[Probe]:
        cells: list[Probe] = []
        for check in self.exercise.expect:
            for entry in check.get("connectivity") or []:
                src, dst = entry["from"], entry["to"]
                port, protocol = entry["port"], entry.get("protocol", "TCP")
                wanted = entry.get("allowed")
                if dst.startswith("svc:"):
                    cells.extend(self._service_cells(src, dst[4:], port, protocol, wanted))
                    cells.extend(self._backend_cells(src, dst[4:], port, protocol))
                else:
                    cell = self._cell("pod", src, dst, port, protocol, wanted)
                    if cell is not None:
                        cells.append(cell)
        for check in self.exercise.expect:
            if "service" not in check:
                continue
            key = check["service"]
            svc = self.world.services.get(key)
            if svc is None:
                continue  # the grader says so; there is nothing to reach
            if "port" in check:
                ports = [(check["port"], check.get("protocol", "TCP"))]
            else:
                ports = [(sp.port, sp.protocol) for sp in svc.ports]
            if svc.type == "ExternalName":
                ports = ports or [(80, "TCP")]
            client = self._client_for(key, ports)
            for port, protocol in ports:
                cells.extend(self._service_cells(client, key, port, protocol, None))
                cells.extend(self._backend_cells(client, key, port, protocol))
        if any("reachability" in check for check in self.exercise.expect):
            ports = self.grader.probe_ports()
            table = self.world.table(ports)
            for port, protocol in ports:
                for i, j in table.pairs():
                    src, dst = table.endpoints[i].key, table.endpoints[j].key
                    cell = self._cell("pod", src, dst, port, protocol, None)
                    if cell is not None:
                        cells.append(cell)
        merged: dict[ProbeKey, Probe] = {}
        for cell in cells:
            first = merged.get(cell.key)
            if first is None:
                merged[cell.key] = cell
            elif first.wanted is None and cell.wanted is not None:
                merged[cell.key] = replace(first, wanted=cell.wanted)
        return list(merged.values())

    # -- objects -------------------------------------------------------------------------------

    def _meta(self, name: str, ns: str | None, labels: Mapping[str, str]) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name}
        if ns is not None:
            meta["namespace"] = ns
        meta["labels"] = with_label({k: v for k, v in labels.items() if k != NAME_LABEL})
        meta["annotations"] = {EXERCISE_ANNOTATION: self.exercise.qualified_id}
        return meta

    def namespace_objects(self) -> list[dict[str, Any]]:
        out = []
        for name, ns in self.world.scenario.namespaces.items():
            if name in BUILTIN_NAMESPACES:
                continue
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": self._meta(name, None, ns.labels),
                }
            )
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": self._meta(HELPER_NAMESPACE, None, {}),
            }
        )
        return out

    def pod_object(
        self,
        pod: Pod,
        containers: list[dict[str, Any]],
        extra_spec: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "containers": containers,
        }
        spec.update(extra_spec or {})
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": self._meta(pod.name, pod.namespace, pod.labels),
            "spec": spec,
        }

    @staticmethod
    def server_containers(ports: Iterable[ContainerPort]) -> list[dict[str, Any]]:
        """One agnhost container per port and protocol (the upstream e2e probe model)."""
        containers = []
        for cp in ports:
            proto = cp.protocol.lower()
            port = {"containerPort": cp.port, "protocol": cp.protocol}
            if cp.name:
                port["name"] = cp.name
            container: dict[str, Any] = {
                "name": f"serve-{cp.port}-{proto}",
                "image": AGNHOST_IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "ports": [port],
            }
            if cp.protocol == "SCTP":
                container["command"] = ["/agnhost", "porter"]
                container["env"] = [{"name": f"SERVE_SCTP_PORT_{cp.port}", "value": "foo"}]
            else:
                container["command"] = [
                    "/agnhost",
                    "serve-hostname",
                    f"--{proto}",
                    "--http=false",
                    "--port",
                    str(cp.port),
                ]
            containers.append(container)
        if not containers:
            containers.append(
                {
                    "name": "probe",
                    "image": AGNHOST_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["/agnhost", "pause"],
                }
            )
        return containers

    def scenario_pod_objects(self) -> list[dict[str, Any]]:
        out = []
        for pod in self.world.scenario.pods:
            if pod.namespace == "kube-system" or pod.key in self.answer_pods:
                continue
            containers = self.server_containers(pod.ports)
            if not pod.ready:
                # The scenario has this pod not ready: so must the cluster (Services skip it).
                containers[0]["readinessProbe"] = {
                    "exec": {"command": ["/bin/false"]},
                    "periodSeconds": 5,
                }
            # A pod's own DNS name (`<hostname>.<subdomain>…`, a StatefulSet's pods have one)
            # comes from these two fields.
            naming = {
                field_name: value
                for field_name, value in (("hostname", pod.hostname), ("subdomain", pod.subdomain))
                if value
            }
            out.append(self.pod_object(pod, containers, naming))
        return out

    def helper_objects(self, node_prober: bool) -> list[dict[str, Any]]:
        client = self._helper_pod("")
        canary = Pod(
            HELPER_NAMESPACE,
            CANARY_SERVER,
            MappingProxyType({"app": "k8slearn-canary-server"}),
            "",
            True,
            (ContainerPort(CANARY_PORT, "TCP", "http"),),
        )
        out = [
            self.pod_object(client, self.server_containers(())),
            self.pod_object(canary, self.server_containers(canary.ports)),
        ]
        if node_prober:
            prober = Pod(
                HELPER_NAMESPACE, NODE_PROBER, MappingProxyType({"app": "k8slearn-node-prober"}), ""
            )
            out.append(
                self.pod_object(
                    prober,
                    self.server_containers(()),
                    {"hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet"},
                )
            )
        return out

    def canary_policy(self) -> dict[str, Any]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": self._meta(CANARY_POLICY, HELPER_NAMESPACE, {}),
            "spec": {
                "podSelector": {"matchLabels": {"app": "k8slearn-canary-server"}},
                "policyTypes": ["Ingress"],
            },
        }

    def answer_objects(self) -> list[dict[str, Any]]:
        out = []
        for m in self.manifests:
            if m.kind == "Namespace":
                if m.name in BUILTIN_NAMESPACES:
                    self.notes.append(
                        f"your Namespace {m.name} is not applied: verify never changes a namespace "
                        "it did not create"
                    )
                continue  # created with the answer's labels among the namespaces
            if m.kind in ("Pod", "Deployment") and m.namespace == "kube-system":
                self.notes.append(
                    f"your {m.kind} kube-system/{m.name} is not applied: verify never adds pods to "
                    "kube-system"
                )
                continue
            obj = copy.deepcopy(m.doc.data)
            obj.pop("status", None)
            meta = obj.setdefault("metadata", {})
            for key in _SERVER_FIELDS:
                meta.pop(key, None)
            meta["namespace"] = m.namespace or "default"
            if not meta.get("name"):  # generateName: apply it under the name the model gave it
                meta["name"] = m.name
                meta.pop("generateName", None)
            meta["labels"] = with_label(meta.get("labels"))
            annotations = dict(meta.get("annotations") or {})
            annotations[EXERCISE_ANNOTATION] = self.exercise.qualified_id
            meta["annotations"] = annotations
            out.append(obj)
        return out

    def build(self) -> Plan:
        cells = self.cells()
        probes = [c for c in cells if not c.reason]
        unverifiable = [c for c in cells if c.reason]
        lookups = self.lookups()
        answer = self.answer_objects()
        node_prober = any(p.via == "nodeport" for p in probes)
        helpers = self.helper_objects(node_prober)
        pods = self.scenario_pod_objects()
        containers = {
            f"{o['metadata']['namespace']}/{o['metadata']['name']}": o["spec"]["containers"][0][
                "name"
            ]
            for o in [*helpers, *pods]
        }
        if any(
            p.namespace == "kube-system" and p.key not in self.stand_ins
            for p in self.world.scenario.pods
        ):
            self.notes.append(
                "verify never adds pods to kube-system: only the cluster's CoreDNS stands in for "
                "the scenario's kube-system pods labelled k8s-app: kube-dns"
            )
        return Plan(
            exercise_id=self.exercise.qualified_id,
            namespaces=self.namespace_objects(),
            helpers=helpers,
            pods=pods,
            canary_policy=self.canary_policy(),
            answer=answer,
            probes=probes,
            unverifiable=unverifiable,
            notes=list(self.notes),
            containers=containers,
            stand_ins=list(self.stand_ins),
            lookups=[lk for lk in lookups if not lk.reason],
            unverifiable_lookups=[lk for lk in lookups if lk.reason],
            _planner=self,
        )
