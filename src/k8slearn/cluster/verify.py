"""Run a plan on a real cluster: create, prove enforcement, apply, probe, compare, clean up.

The steps, each reported through `on_step(step, done, total)` (for a progress
bar) and `on_log(message)` (for a log), and each cancellable through a
`threading.Event`:

1. **context** — only a safe context (see `safety`), and the API must answer;
2. **leftovers** — labelled objects of an interrupted run are deleted first;
3. **namespaces** — refuse a scenario namespace that exists without the label;
4. **create** the namespaces, then the pods (agnhost servers), and **wait** until
   they are ready (with a timeout and a message naming the pods and why);
5. **canary** — a client reaches a server, then a default-deny policy must cut
   it off: otherwise the cluster does not enforce policies and verify refuses
   to grade, saying why;
6. **apply** the learner's objects, wait a few seconds (enforcement starts
   asynchronously), then **probe** from inside the source pods with `agnhost
   connect` (several in parallel, each with a short timeout) and **ask** the
   plan's DNS names with `dig` from verify's client, re-probing once every cell
   that looks wrong (a name only after CoreDNS's cache has expired);
7. **clean up** — always (success, failure, Ctrl-C, cancel), deleting only
   objects that carry `app.kubernetes.io/managed-by=k8slearn`.

The cluster is reached through `KubeCluster`, a thin adapter over the official
kubernetes client (imported only here, only when a run starts); tests pass a
fake with the same methods, or point it with a kubeconfig file
(`KubeCluster(config_file)`) at the practice cluster's stand-in API server.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from k8slearn.cluster import BUILTIN_NAMESPACES, HELPER_NAMESPACE, MANAGED_BY_SELECTOR
from k8slearn.cluster.compare import Comparison, compare, compare_lookups
from k8slearn.cluster.lookups import DigUnclear, Lookup, LookupKey, dig_argv, read_answer
from k8slearn.cluster.plan import (
    AGNHOST_IMAGE,
    CANARY_PORT,
    CANARY_SERVER,
    CLIENT_KEY,
    DNS_LABELS,
    NODE_PROBER,
    NODE_SOURCE,
    ClusterFacts,
    Plan,
    Probe,
)
from k8slearn.cluster.safety import (
    NamespaceState,
    ObjectRef,
    SafetyError,
    check_conflicts,
    check_namespaces,
    choose_context,
    is_builtin,
    leftovers,
    may_delete,
    ref_of,
)
from k8slearn.model.scenario import ContainerPort

OnStep = Callable[[str, int, int], None]
OnLog = Callable[[str], None]

STEPS = (
    "check the context",
    "clean up leftovers",
    "check namespaces",
    "create namespaces",
    "create pods",
    "wait for pods",
    "canary",
    "apply your answer",
    "let the policies settle",
    # "probe" counts one unit per probe
    "clean up",
)
_PULL_ERRORS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
_CRASH_ERRORS = (
    "CrashLoopBackOff",
    "CreateContainerError",
    "CreateContainerConfigError",
    "RunContainerError",
)
_running = threading.Lock()


class VerifyError(Exception):
    """The run could not go on; the message says why and what to do. `result` holds the log."""

    def __init__(self, message: str, result: VerifyResult | None = None):
        super().__init__(message)
        self.result = result


class CanaryFailed(VerifyError):
    """The cluster does not enforce NetworkPolicy: verify refuses to grade there."""


class Cancelled(VerifyError):
    """The learner cancelled (or pressed Ctrl-C); clean-up has run."""


class ApiError(Exception):
    """The API server said no (`status` is its HTTP code, 0 when it could not be reached)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Settings:
    pod_timeout: float = 240.0  # the first run pulls the agnhost image
    namespace_timeout: float = 120.0
    service_account_timeout: float = 30.0
    canary_timeout: float = 30.0
    settle: float = 5.0  # after every apply, before probing
    probe_timeout: int = 1  # agnhost connect --timeout, in seconds
    exec_timeout: float = 25.0  # a blocked DNS lookup alone takes ~10s
    workers: int = 8
    retry_delay: float = 3.0
    # CoreDNS in kind caches answers, "no such name" included, for up to 30 seconds (`cache 30`):
    # a name that looks wrong is asked again only once that has run out.
    dns_retry_delay: float = 31.0
    cleanup_wait: float = 60.0
    api_timeout: float = 15.0
    poll: float = 1.0


@dataclass
class PodInfo:
    namespace: str
    name: str
    phase: str = "Pending"
    ready: bool = False
    started: bool = False  # every container running
    ip: str | None = None
    host_ip: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    ports: tuple[ContainerPort, ...] = ()
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (reason, message)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class ExecResult:
    code: int | None  # None: the command did not run or did not finish
    output: str = ""


@dataclass
class VerifyResult:
    exercise_id: str
    context: str = ""
    server_version: str = ""
    canary: str = ""
    comparison: Comparison | None = None
    cleanup_problems: list[str] = field(default_factory=list)
    cleaned: bool = False
    log: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Some cell was settled, the cluster agrees with the model on every one, and the
        exercise's connections behave as asked."""
        c = self.comparison
        return c is not None and bool(c.agreeing) and c.ok and not c.wanted_failures()

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise_id,
            "context": self.context,
            "server_version": self.server_version,
            "canary": {"enforced": bool(self.canary), "detail": self.canary},
            "passed": self.passed,
            "comparison": self.comparison.to_json() if self.comparison else None,
            "cleanup": {"done": self.cleaned, "problems": self.cleanup_problems},
        }


# -- the run ---------------------------------------------------------------------------------------


def run_verification(
    plan: Plan,
    *,
    context: str | None = None,
    yes: bool = False,
    on_step: OnStep | None = None,
    on_log: OnLog | None = None,
    cancel: threading.Event | None = None,
    cluster: Any = None,
    settings: Settings | None = None,
) -> VerifyResult:
    """Verify `plan` on a cluster; raises VerifyError (CanaryFailed, Cancelled) when it cannot.

    `cluster` defaults to the official client over your kubeconfig. Clean-up
    has always run when this returns or raises (KeyboardInterrupt included).
    """
    if not _running.acquire(blocking=False):
        raise VerifyError("another verify is already running; wait for it to finish")
    try:
        runner = Runner(
            plan,
            cluster if cluster is not None else KubeCluster(),
            settings or Settings(),
            on_step,
            on_log,
            cancel or threading.Event(),
        )
        return runner.run(context, yes)
    finally:
        _running.release()


class Runner:
    def __init__(
        self,
        plan: Plan,
        cluster: Any,
        settings: Settings,
        on_step: OnStep | None,
        on_log: OnLog | None,
        cancel: threading.Event,
    ):
        self.plan = plan
        self.cluster = cluster
        self.settings = settings
        self._on_step = on_step
        self._on_log = on_log
        self.cancel = cancel
        self.result = VerifyResult(plan.exercise_id)
        self.total = len(STEPS) + len(plan.probes) + len(plan.lookups)
        self.done = 0
        self.touched = False  # set before the first object is created
        self.pods: dict[str, PodInfo] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.facts = ClusterFacts()
        self.stand_ins: set[str] = set()

    # -- reporting -------------------------------------------------------------------------------

    def step(self, name: str, advance: bool = True) -> None:
        if self._on_step:
            # A caller's callback (the app's, which may be closing) must never stop clean-up.
            with contextlib.suppress(Exception):
                self._on_step(name, self.done, self.total)
        if advance:
            self.log(f"— {name}")
            self.done += 1

    def progress(self, label: str) -> None:
        if self._on_step:
            with contextlib.suppress(Exception):
                self._on_step(label, self.done, self.total)

    def log(self, message: str) -> None:
        self.result.log.append(message)
        if self._on_log:
            with contextlib.suppress(Exception):
                self._on_log(message)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("cancelled")

    def sleep(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise Cancelled("cancelled")

    def fail(self, message: str, kind: type[VerifyError] = VerifyError) -> VerifyError:
        return kind(message, self.result)

    # -- the steps -------------------------------------------------------------------------------

    def run(self, requested: str | None, yes: bool) -> VerifyResult:
        try:
            self.connect(requested, yes)
            self.clean_leftovers()
            self.preflight()
            self.create_namespaces()
            self.create_pods()
            self.wait_for_pods()
            self.canary()
            self.apply_answer()
            self.step("let the policies settle")
            self.sleep(self.settings.settle)
            self.probe_all()
            return self.result
        except Cancelled as exc:
            exc.result = self.result
            self.log("cancelled: cleaning up")
            raise
        except KeyboardInterrupt:
            self.log("interrupted: cleaning up")
            raise
        except ApiError as exc:
            raise self.fail(f"the API server answered: {exc}") from None
        except VerifyError as exc:
            exc.result = self.result
            raise
        finally:
            if self.touched:
                self.cleanup()
            self.progress("done")

    def connect(self, requested: str | None, yes: bool) -> None:
        self.step("check the context")
        names, current = self.cluster.contexts()
        try:
            context = choose_context(names, current, requested, yes)
        except SafetyError as exc:
            raise self.fail(str(exc)) from None
        self.result.context = context
        self.log(f"context {context}")
        try:
            self.cluster.connect(context)
            self.result.server_version = self.cluster.server_version()
        except ApiError as exc:
            raise self.fail(
                f"the API server of {context} does not answer ({exc}); is the cluster running? "
                "`k8slearn cluster status` checks, `k8slearn cluster up` starts one"
            ) from None
        self.log(f"Kubernetes {self.result.server_version}")

    def _wait_gone(self, refs: list[ObjectRef], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        pending = list(refs)
        while pending:
            pending = [r for r in pending if self._exists(r)]
            if not pending:
                return
            if time.monotonic() > deadline:
                names = ", ".join(map(str, pending[:5]))
                raise self.fail(
                    f"{what}: {names} still there after {timeout:g}s; try again in a minute, "
                    "or check with `kubectl get ns`"
                )
            self.sleep(self.settings.poll)

    def _exists(self, ref: ObjectRef) -> bool:
        if ref.kind == "Namespace":
            return self.cluster.namespace(ref.name) is not None
        return self.cluster.get_labels(ref) is not None

    def clean_leftovers(self) -> None:
        self.step("clean up leftovers")
        found = leftovers(self.cluster.list_managed())
        kept = [ref for ref in found if ref.kind == "Namespace" and is_builtin(ref.name)]
        for ref in kept:
            self.log(
                f"left {ref} alone: a built-in namespace is never deleted (only its label is ours)"
            )
        found = [ref for ref in found if ref not in kept]
        if not found:
            return
        self.log(f"found {len(found)} object(s) an interrupted run left behind; deleting them")
        for ref in found:
            self.check_cancel()
            self.log(f"delete leftover {ref}")
            self.cluster.delete(ref)
        self._wait_gone(found, self.settings.namespace_timeout, "leftovers are still being deleted")

    def preflight(self) -> None:
        self.step("check namespaces")
        existing: dict[str, NamespaceState | None] = {
            name: self.cluster.namespace(name) for name in self.plan.created_namespaces
        }
        problems = check_namespaces(self.plan.created_namespaces, existing)
        terminating = [
            ObjectRef("Namespace", None, n) for n, s in existing.items() if s and s.terminating
        ]
        if not problems and terminating:
            self.log(
                "waiting for namespaces still being deleted: "
                + ", ".join(r.name for r in terminating)
            )
            self._wait_gone(
                terminating, self.settings.namespace_timeout, "namespaces are still being deleted"
            )
        planned = [o for o in self.plan.objects if o["kind"] != "Namespace"]
        in_builtin = [o for o in planned if is_builtin(o["metadata"].get("namespace", ""))]
        labels = {ref_of(o): self.cluster.get_labels(ref_of(o)) for o in in_builtin}
        problems += check_conflicts(in_builtin, labels)
        if problems:
            raise self.fail("verify will not run here: " + "; ".join(problems))

    def _create(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.check_cancel()
        self.touched = True
        ref = ref_of(obj)
        try:
            created = self.cluster.create(obj)
        except ApiError as exc:
            if obj in self.plan.answer:
                raise self.fail(
                    f"the API server refused your {ref}: {exc}. k8slearn's offline check accepted "
                    "it, so this may be a gap in k8slearn worth reporting"
                ) from None
            raise self.fail(f"cannot create {ref}: {exc}") from None
        self.log(f"created {ref}")
        return created or {}

    def create_namespaces(self) -> None:
        self.step("create namespaces")
        for obj in self.plan.namespaces:
            self._create(obj)
        deadline = time.monotonic() + self.settings.service_account_timeout
        pending = list(self.plan.created_namespaces)
        while pending:
            pending = [n for n in pending if not self.cluster.service_account_ready(n)]
            if not pending:
                break
            if time.monotonic() > deadline:
                raise self.fail(
                    f"the namespaces {', '.join(pending)} got no default ServiceAccount within "
                    f"{self.settings.service_account_timeout:g}s: is the controller manager running? "
                    "(`kubectl get pods -n kube-system`)"
                )
            self.sleep(self.settings.poll)

    def _pod_objects(self) -> list[dict[str, Any]]:
        helpers = [
            h
            for h in self.plan.helpers
            if h["metadata"]["name"] != NODE_PROBER or self.plan.needs_node_prober()
        ]
        return [*helpers, *self.plan.pods]

    def create_pods(self) -> None:
        self.step("create pods")
        for obj in self._pod_objects():
            self._create(obj)

    def _expect_ready(self, obj: dict[str, Any]) -> bool:
        return "readinessProbe" not in obj["spec"]["containers"][0]

    def wait_for_pods(self) -> None:
        self.step("wait for pods")
        wanted = {
            f"{o['metadata']['namespace']}/{o['metadata']['name']}": self._expect_ready(o)
            for o in self._pod_objects()
        }
        namespaces = sorted({k.split("/")[0] for k in wanted})
        deadline = time.monotonic() + self.settings.pod_timeout
        while True:
            seen: dict[str, PodInfo] = {}
            for ns in namespaces:
                for info in self.cluster.pods(ns):
                    if info.key in wanted:
                        seen[info.key] = info
            ok = 0
            for key, expect_ready in wanted.items():
                info = seen.get(key)
                if info is None:
                    continue
                for reason, message in info.waiting:
                    if reason in _PULL_ERRORS:
                        raise self.fail(
                            f"{key} cannot pull its image ({reason}: {message}). Is this computer "
                            f"online? You can also load the image by hand: `docker pull "
                            f"{AGNHOST_IMAGE} && kind load docker-image {AGNHOST_IMAGE} --name k8slearn`"
                        )
                    if reason in _CRASH_ERRORS:
                        raise self.fail(f"{key} cannot start: {reason}: {message}")
                if info.phase == "Failed":
                    raise self.fail(f"{key} failed to start (phase Failed)")
                if (info.ready if expect_ready else info.started) and info.ip:
                    ok += 1
            self.pods = seen
            self.progress(f"wait for pods ({ok}/{len(wanted)} ready)")
            if ok == len(wanted):
                self.log(f"all {len(wanted)} pods are up")
                return
            if time.monotonic() > deadline:
                late = [
                    k for k in wanted if k not in seen or not (seen[k].ready or seen[k].started)
                ]
                states = []
                for k in late[:6]:
                    info = seen.get(k)
                    why = ", ".join(r for r, _ in info.waiting) if info and info.waiting else None
                    states.append(f"{k} ({why or (info.phase if info else 'not created')})")
                raise self.fail(
                    f"{len(late)} pod(s) were not ready after {self.settings.pod_timeout:g}s: "
                    f"{', '.join(states)}. `kubectl get pods -A -l {MANAGED_BY_SELECTOR}` shows "
                    "why; a slow first image pull may just need another try"
                )
            self.sleep(self.settings.poll * 2)

    # -- probing ---------------------------------------------------------------------------------

    def connect_once(
        self, source: str, host: str, port: int, protocol: str, container: str
    ) -> ExecResult:
        ns, _, name = source.partition("/")
        argv = agnhost_connect(host, port, protocol, self.settings.probe_timeout)
        return self.cluster.exec(ns, name, container, argv, self.settings.exec_timeout)

    def canary(self) -> None:
        self.step("canary")
        server = self.pods.get(f"{HELPER_NAMESPACE}/{CANARY_SERVER}")
        if server is None or not server.ip:
            raise self.fail("the canary server has no IP; cannot check policy enforcement")
        container = self.plan.containers[CLIENT_KEY]

        def reaches() -> bool | None:
            res = self.connect_once(CLIENT_KEY, server.ip or "", CANARY_PORT, "TCP", container)
            return None if res.code is None else res.code == 0

        deadline = time.monotonic() + self.settings.canary_timeout
        while reaches() is not True:
            if time.monotonic() > deadline:
                raise self.fail(
                    "the canary client cannot reach the canary server even without any policy: "
                    "pod networking on this cluster is broken, so nothing could be verified "
                    "(`kubectl get pods -n kube-system` should show kindnet running)",
                    CanaryFailed,
                )
            self.sleep(self.settings.poll)
        self.log("canary: the client reaches the server with no policy")
        self._create(self.plan.canary_policy)
        started = time.monotonic()
        while reaches() is not False:
            if time.monotonic() - started > self.settings.canary_timeout:
                raise self.fail(
                    "this cluster does not enforce NetworkPolicy: a default-deny policy left the "
                    f"canary server reachable for {self.settings.canary_timeout:g}s, so verify "
                    'refuses to grade here (every "denied" would be a lie). Usual causes: kind '
                    "older than v0.24.0, whose network plugin ignores policies (`kind version`; "
                    "upgrade and `k8slearn cluster down && k8slearn cluster up`); a host kernel "
                    "without nfqueue, which kindnet's policy engine needs (`sudo modprobe "
                    "nfnetlink_queue`; WSL2 kernels often lack it); or a network plugin without "
                    "policy support on a non-kind cluster",
                    CanaryFailed,
                )
            self.sleep(self.settings.poll)
        took = time.monotonic() - started
        when = "at once" if took < 1 else f"within {took:.0f}s"
        self.result.canary = (
            f"a default-deny policy cut the canary off {when}: this cluster enforces NetworkPolicy"
        )
        self.log(f"canary: {self.result.canary}")
        self.cluster.delete(ref_of(self.plan.canary_policy))

    def apply_answer(self) -> None:
        self.step("apply your answer")
        for obj in self.plan.answer:
            created = self._create(obj)
            if obj["kind"] == "Service":
                ref = ref_of(obj)
                self.services[f"{ref.namespace}/{ref.name}"] = created.get("spec") or {}
        for note in self.plan.notes:
            self.log(f"note: {note}")

    def gather_facts(self) -> ClusterFacts:
        facts = ClusterFacts()
        for key, info in self.pods.items():
            if info.ip:
                facts.pod_ips[key] = info.ip
        dns = [
            p for p in self.cluster.find_pods("kube-system", "k8s-app=kube-dns") if p.ready and p.ip
        ]
        if dns:
            first = sorted(dns, key=lambda p: p.name)[0]
            facts.dns_labels = dict(first.labels)
            facts.dns_ports = tuple(first.ports) or facts.dns_ports
            facts.dns_ip = first.ip
        else:
            facts.dns_found = False
            facts.dns_labels = dict(DNS_LABELS)
            self.log("no ready CoreDNS pod (k8s-app=kube-dns) in kube-system")
        for name in BUILTIN_NAMESPACES:
            state = self.cluster.namespace(name)
            if state is not None:
                facts.namespace_labels[name] = dict(state.labels)
        return facts

    def address(self, probe: Probe) -> tuple[str, int]:
        """Where a probe dials: host and port, from what the cluster gave out."""
        if probe.via == "pod":
            if probe.ref in self.plan.stand_ins:
                if not self.facts.dns_ip:
                    raise LookupError("no CoreDNS pod found")
                return self.facts.dns_ip, probe.port
            ip = self.facts.pod_ips.get(probe.ref)
            if not ip:
                raise LookupError(f"{probe.ref} has no IP")
            return ip, probe.port
        if probe.via == "dns":
            return probe.target + ".", probe.port
        spec = self.services.get(probe.ref)
        if spec is None:
            raise LookupError(f"no Service {probe.ref} was created")
        if probe.via == "clusterip":
            ip = spec.get("clusterIP")
            if not ip or ip == "None":
                raise LookupError(f"{probe.ref} has no ClusterIP")
            return ip, probe.port
        for sp in spec.get("ports") or []:
            if sp.get("port") == probe.port and (sp.get("protocol") or "TCP") == probe.protocol:
                node_port = sp.get("nodePort")
                prober = self.pods.get(f"{HELPER_NAMESPACE}/{NODE_PROBER}")
                if node_port and prober and prober.host_ip:
                    return prober.host_ip, int(node_port)
        raise LookupError(f"{probe.ref} has no node port for {probe.port}/{probe.protocol}")

    def observe(self, probe: Probe) -> tuple[bool | None, str]:
        try:
            host, port = self.address(probe)
        except LookupError as exc:
            return None, str(exc)
        if probe.source == NODE_SOURCE:
            source = f"{HELPER_NAMESPACE}/{NODE_PROBER}"
        else:
            source = probe.source
        container = self.plan.containers.get(source, "probe")
        ns, _, name = source.partition("/")
        if probe.via == "pod" and probe.ref in self.plan.stand_ins and probe.protocol == "UDP":
            argv = dig(host, port)
            res = self.cluster.exec(ns, name, container, argv, self.settings.exec_timeout)
            if res.code is None:
                return None, res.output
            return (
                (True, "")
                if res.code == 0
                else ((False, res.output) if res.code == 9 else (None, res.output))
            )
        argv = agnhost_connect(host, port, probe.protocol, self.settings.probe_timeout)
        res = self.cluster.exec(ns, name, container, argv, self.settings.exec_timeout)
        if res.code is None:
            return None, res.output
        if res.code == 0:
            return True, ""
        if res.code == 1 and not res.output.strip().startswith("UNKNOWN"):
            return False, res.output.strip()
        return None, f"the probe failed to run (exit {res.code}): {res.output.strip()[:200]}"

    def concrete(self, values: tuple[str, ...]) -> tuple[str, ...]:
        """A lookup's symbolic values with the addresses the cluster gave out."""
        out = []
        for v in values:
            if v.startswith("pod:"):
                ip = self.facts.pod_ips.get(v[4:])
                if not ip:
                    raise LookupError(f"{v[4:]} has no IP")
                out.append(ip)
            elif v.startswith("clusterip:"):
                spec = self.services.get(v[10:]) or {}
                ip = spec.get("clusterIP")
                if not ip or ip == "None":
                    raise LookupError(f"svc:{v[10:]} got no ClusterIP on the cluster")
                out.append(ip)
            else:
                out.append(v)
        return tuple(sorted(out))

    def address_names(self) -> dict[str, str]:
        """Whose each address is, to show next to it."""
        names = {ip: key for key, ip in self.facts.pod_ips.items()}
        for key, spec in self.services.items():
            ip = spec.get("clusterIP")
            if ip and ip != "None":
                names[ip] = f"ClusterIP of svc:{key}"
        return names

    def ask(self, lookup: Lookup) -> tuple[tuple[str, ...] | None, str]:
        """Ask cluster DNS with dig from the lookup's pod; None when the answer is unclear."""
        container = self.plan.containers.get(lookup.source, "probe")
        ns, _, name = lookup.source.partition("/")
        argv = dig_argv(lookup.queries, lookup.record)
        res = self.cluster.exec(ns, name, container, argv, self.settings.exec_timeout)
        if res.code is None:
            return None, res.output
        try:
            return read_answer(res.output, lookup.queries, lookup.record, res.code), ""
        except DigUnclear as exc:
            return None, str(exc)

    def _run_probes(
        self,
        probes: list[Any],
        label: str,
        count: bool,
        observe: Callable[[Any], tuple[Any, str]] | None = None,
    ) -> dict[Any, tuple[Any, str]]:
        """Run `observe` (a connection probe by default) on each item, several at a time."""
        observe = observe or self.observe
        out: dict[Any, tuple[Any, str]] = {}
        if not probes:
            return out
        pool = cf.ThreadPoolExecutor(
            max_workers=max(1, self.settings.workers), thread_name_prefix="k8slearn-probe"
        )
        # Each exec has its own timeout; the whole phase gets one too, so a stuck connection
        # can never hold the run (and its clean-up) forever.
        rounds = -(-len(probes) // max(1, self.settings.workers))
        deadline = (
            time.monotonic()
            + 2 * self.settings.exec_timeout * rounds
            + min(30.0, 4 * self.settings.exec_timeout)
        )
        try:
            futures = {pool.submit(observe, p): p for p in probes}
            pending = set(futures)
            finished = 0
            while pending:
                if time.monotonic() > deadline:
                    for f in pending:
                        out[futures[f].key] = (None, "no answer before the probing deadline")
                    self.log(f"{len(pending)} probe(s) did not finish in time; counted as not run")
                    break
                done, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for f in done:
                    p = futures[f]
                    try:
                        out[p.key] = f.result()
                    except Exception as exc:  # a probe must never take the run down
                        out[p.key] = (None, f"the probe failed to run: {exc}")
                    finished += 1
                    if count:
                        self.done += 1
                    self.progress(f"{label} ({finished}/{len(probes)})")
                self.check_cancel()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return out

    def probe_all(self) -> None:
        self.facts = self.gather_facts()
        probes, moved = self.plan.recheck(self.facts)
        reasons = dict(self.plan.reasons())
        for p in moved:
            reasons[p.key] = p.reason
            self.log(f"not verifiable: {p.reason}")
            self.done += 1
        lookups, expected, lookup_reasons = self._lookups_to_ask()
        asking = f" and asking {len(lookups)} DNS name(s)" if lookups else ""
        self.log(f"probing {len(probes)} connection(s){asking}, {self.settings.workers} at a time")
        observed = self._run_probes(probes, "probe", count=True)
        answers = self._run_probes(lookups, "lookup", count=True, observe=self.ask)
        wrong = [p for p in probes if observed[p.key][0] != p.expect]
        odd = [lk for lk in lookups if not _same(answers[lk.key][0], expected[lk.key])]
        if wrong or odd:
            delay = max(
                self.settings.retry_delay if wrong else 0.0,
                self.settings.dns_retry_delay if odd else 0.0,
            )
            what = [f"{len(wrong)} cell(s)"] if wrong else []
            why = ["enforcement can lag"] if wrong else []
            if odd:
                what.append(f"{len(odd)} DNS name(s)")
                why.append("CoreDNS caches answers for up to 30s")
            self.log(
                f"re-checking {' and '.join(what)} that looked wrong in {delay:g}s "
                f"({'; '.join(why)})"
            )
            self.sleep(delay)
            observed.update(self._run_probes(wrong, "re-probe", count=False))
            answers.update(self._run_probes(odd, "re-ask", count=False, observe=self.ask))
        for lk in lookups:
            seen, detail = answers[lk.key]
            if seen is None:
                lookup_reasons[lk.key] = f"{lk.label()}: the lookup could not run ({detail})"
            elif not _same(seen, expected[lk.key]):
                predicted = ", ".join(expected[lk.key]) or "no such name"
                answered = ", ".join(seen) or "no such name"
                self.log(
                    f"differs: lookup {lk.label()}: predicted {predicted}, answered {answered}"
                )
        for p in probes:
            seen, detail = observed[p.key]
            if seen is None:
                reasons[p.key] = f"{p.label()}: the probe could not run ({detail})"
            elif seen != p.expect:
                self.log(
                    f"differs: {p.label()}: predicted {'allowed' if p.expect else 'denied'}, observed {'allowed' if seen else 'denied'} {detail}".rstrip()
                )
        self.result.comparison = compare(
            self.plan.predicted(),
            {k: v[0] for k, v in observed.items()},
            reasons,
            self.plan.wanted(),
        )
        self.result.comparison.lookups = compare_lookups(
            expected,
            {k: v[0] for k, v in answers.items()},
            lookup_reasons,
            self._lookup_wanted(),
            self.address_names(),
        )

    def _lookups_to_ask(
        self,
    ) -> tuple[list[Lookup], dict[LookupKey, tuple[str, ...]], dict[LookupKey, str]]:
        """The plan's lookups the cluster can still settle, each name's expected answer with
        the cluster's addresses (or the plan's symbols, for the rest), and the reasons."""
        keep, moved = self.plan.recheck_lookups(self.facts)
        expected: dict[LookupKey, tuple[str, ...]] = {}
        reasons: dict[LookupKey, str] = {}
        for lk in [*self.plan.unverifiable_lookups, *moved]:
            expected[lk.key] = tuple(_symbol_shown(v) for v in lk.expect)
            reasons[lk.key] = lk.reason
        for lk in moved:
            self.log(f"not verifiable: {lk.reason}")
            self.done += 1
        asked = []
        for lk in keep:
            try:
                expected[lk.key] = self.concrete(lk.expect)
            except LookupError as exc:
                expected[lk.key] = tuple(_symbol_shown(v) for v in lk.expect)
                reasons[lk.key] = f"{lk.label()}: {exc}"
                self.done += 1
                continue
            asked.append(lk)
        return asked, expected, reasons

    def _lookup_wanted(self) -> dict[LookupKey, tuple[str, ...]]:
        out = {}
        for lk in [*self.plan.lookups, *self.plan.unverifiable_lookups]:
            if lk.wanted is None:
                continue
            try:
                out[lk.key] = self.concrete(lk.wanted)
            except LookupError:
                continue  # a pod the cluster does not have: nothing to hold the answer to
        return out

    # -- clean-up ----------------------------------------------------------------------------------

    def cleanup(self) -> None:
        """Delete what this run created (only labelled objects), whatever happened before."""
        self.progress("clean up")
        self.log("— clean up")
        created = set(self.plan.created_namespaces)
        problems = self.result.cleanup_problems
        # Objects in built-in namespaces one by one (checking the label), then our namespaces,
        # which take their contents with them.
        for obj in reversed(self.plan.objects):
            ref = ref_of(obj)
            if ref.kind == "Namespace" or ref.namespace in created:
                continue
            self._delete_if_ours(ref, problems)
        namespaces = [ObjectRef("Namespace", None, n) for n in self.plan.created_namespaces]
        for ref in namespaces:
            self._delete_if_ours(ref, problems)
        deadline = time.monotonic() + self.settings.cleanup_wait
        pending = namespaces
        while pending and time.monotonic() < deadline:
            try:
                pending = [r for r in pending if self.cluster.namespace(r.name) is not None]
            except (ApiError, VerifyError) as exc:
                problems.append(f"cannot check the clean-up: {exc}")
                break
            if pending:
                self.progress(f"clean up ({len(pending)} namespace(s) still terminating)")
                time.sleep(self.settings.poll)
        if pending:
            self.log(
                "still terminating: "
                + ", ".join(r.name for r in pending)
                + " (the next run waits for them)"
            )
        self.result.cleaned = not problems
        self.done = self.total
        self.log("clean-up done" if not problems else "clean-up incomplete: " + "; ".join(problems))

    def _delete_if_ours(self, ref: ObjectRef, problems: list[str]) -> None:
        try:
            if ref.kind == "Namespace":
                state = self.cluster.namespace(ref.name)
                labels = state.labels if state else None
            else:
                labels = self.cluster.get_labels(ref)
            if labels is None:
                return
            if not may_delete(ref, labels):
                self.log(f"left alone: {ref} (not created by k8slearn)")
                return
            self.cluster.delete(ref)
            self.log(f"deleted {ref}")
        except (ApiError, VerifyError) as exc:
            problems.append(f"{ref}: {exc}")


def _same(seen: tuple[str, ...] | None, expected: tuple[str, ...]) -> bool:
    return seen is not None and set(seen) == set(expected)


def _symbol_shown(value: str) -> str:
    """A symbolic value of the plan as people read it, where no address replaces it."""
    if value.startswith("pod:"):
        return value[4:]
    if value.startswith("clusterip:"):
        return f"ClusterIP of svc:{value[10:]}"
    return value


def agnhost_connect(host: str, port: int, protocol: str, timeout: int) -> list[str]:
    """The upstream e2e probe: `agnhost connect host:port --timeout=Ns --protocol=...`."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return ["/agnhost", "connect", where, f"--timeout={timeout}s", f"--protocol={protocol.lower()}"]


def dig(server: str, port: int) -> list[str]:
    """A real DNS question over UDP: CoreDNS ignores agnhost's `hostname` payload."""
    return [
        "dig",
        "+time=1",
        "+tries=1",
        "+notcp",
        f"@{server}",
        "-p",
        str(port),
        "kubernetes.default.svc.cluster.local",
    ]


# -- the official client ---------------------------------------------------------------------------


class KubeCluster:
    """The few things verify asks of a cluster, through the official kubernetes client.

    One ApiClient per thread: the client's exec (`stream`) swaps a method on the
    ApiClient while it connects, which is not safe to share between threads.
    """

    def __init__(self, config_file: str | None = None, request_timeout: float = 15.0):
        self.config_file = config_file
        self.context: str | None = None
        self.request_timeout = request_timeout
        self._local = threading.local()

    # -- plumbing ----------------------------------------------------------------------------

    def contexts(self) -> tuple[list[str], str | None]:
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException

        try:
            found, active = config.list_kube_config_contexts(config_file=self.config_file)
        except (ConfigException, OSError) as exc:
            # The client refuses a kubeconfig without a current context (as `kind delete`
            # leaves it); the contexts themselves can still be read.
            names = _raw_contexts(self.config_file)
            if names:
                return names, None
            raise VerifyError(
                f"cannot read your kubeconfig ({exc}); `k8slearn cluster up` creates the cluster "
                "and its context kind-k8slearn"
            ) from None
        return [c["name"] for c in found or []], (active or {}).get("name")

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from kubernetes import config

            client = config.new_client_from_config(
                config_file=self.config_file, context=self.context, persist_config=False
            )
            self._local.client = client
        return client

    def _api(self, name: str):
        from kubernetes import client

        return getattr(client, name)(self._client())

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException

        kwargs.setdefault("_request_timeout", self.request_timeout)
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            raise ApiError(exc.status or 0, _api_message(exc)) from None
        except Exception as exc:  # urllib3 connection errors, timeouts, TLS problems
            raise ApiError(0, f"cannot reach the API server: {type(exc).__name__}: {exc}") from None

    def _dict(self, obj: Any) -> dict[str, Any]:
        return self._client().sanitize_for_serialization(obj) or {}

    def connect(self, context: str) -> None:
        self.context = context
        self._local = threading.local()
        try:
            self._client()
        except Exception as exc:
            raise ApiError(0, f"cannot load context {context}: {exc}") from None

    def server_version(self) -> str:
        info = self._call(self._api("VersionApi").get_code)
        return info.git_version

    # -- objects -----------------------------------------------------------------------------

    _READ = {
        "Namespace": ("CoreV1Api", "read_namespace"),
        "Pod": ("CoreV1Api", "read_namespaced_pod"),
        "Service": ("CoreV1Api", "read_namespaced_service"),
        "NetworkPolicy": ("NetworkingV1Api", "read_namespaced_network_policy"),
        "Deployment": ("AppsV1Api", "read_namespaced_deployment"),
        "StatefulSet": ("AppsV1Api", "read_namespaced_stateful_set"),
        "EndpointSlice": ("DiscoveryV1Api", "read_namespaced_endpoint_slice"),
        "Endpoints": ("CoreV1Api", "read_namespaced_endpoints"),
    }

    def _method(self, kind: str, verb: str):
        api, read = self._READ[kind]
        name = read.replace("read_", f"{verb}_", 1)
        return getattr(self._api(api), name)

    def _args(self, ref: ObjectRef) -> list[str]:
        return [ref.name] if ref.kind == "Namespace" else [ref.name, ref.namespace or "default"]

    def namespace(self, name: str) -> NamespaceState | None:
        try:
            ns = self._call(self._api("CoreV1Api").read_namespace, name)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        phase = ns.status.phase if ns.status else None
        return NamespaceState(dict(ns.metadata.labels or {}), phase == "Terminating")

    def get_labels(self, ref: ObjectRef) -> dict[str, str] | None:
        if ref.kind not in self._READ:
            return None
        try:
            obj = self._call(self._method(ref.kind, "read"), *self._args(ref))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return dict(obj.metadata.labels or {})

    def list_managed(self) -> list[tuple[ObjectRef, dict[str, str]]]:
        core, net, apps, discovery = (
            self._api("CoreV1Api"),
            self._api("NetworkingV1Api"),
            self._api("AppsV1Api"),
            self._api("DiscoveryV1Api"),
        )
        out: list[tuple[ObjectRef, dict[str, str]]] = []
        listings = [
            ("Namespace", core.list_namespace),
            ("Pod", core.list_pod_for_all_namespaces),
            ("Service", core.list_service_for_all_namespaces),
            ("NetworkPolicy", net.list_network_policy_for_all_namespaces),
            ("Deployment", apps.list_deployment_for_all_namespaces),
            ("StatefulSet", apps.list_stateful_set_for_all_namespaces),
            ("EndpointSlice", discovery.list_endpoint_slice_for_all_namespaces),
            ("Endpoints", core.list_endpoints_for_all_namespaces),
        ]
        for kind, fn in listings:
            for item in self._call(fn, label_selector=MANAGED_BY_SELECTOR).items:
                meta = item.metadata
                ns = None if kind == "Namespace" else meta.namespace
                out.append((ObjectRef(kind, ns, meta.name), dict(meta.labels or {})))
        return out

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        kind = obj["kind"]
        if kind not in self._READ:
            raise ApiError(0, f"verify cannot create a {kind}")
        fn = self._method(kind, "create")
        body = self._body(kind, obj)
        if kind == "Namespace":
            created = self._call(fn, body=body)
        else:
            created = self._call(fn, obj["metadata"]["namespace"], body=body)
        return self._dict(created)

    _MODELS = {
        "Namespace": "V1Namespace",
        "Pod": "V1Pod",
        "Service": "V1Service",
        "NetworkPolicy": "V1NetworkPolicy",
        "Deployment": "V1Deployment",
        "StatefulSet": "V1StatefulSet",
        "EndpointSlice": "V1EndpointSlice",
        "Endpoints": "V1Endpoints",
    }

    def _body(self, kind: str, obj: dict[str, Any]) -> Any:
        """The manifest as the client wants it: its model where the client is built on
        pydantic (it validates arguments), else the plain dict, which older clients send as is."""
        from kubernetes import client

        model = getattr(client, self._MODELS[kind])
        if hasattr(model, "model_validate"):
            try:
                return model.model_validate(obj)
            except Exception as exc:
                raise ApiError(0, f"the kubernetes client cannot represent it: {exc}") from None
        return obj

    def delete(self, ref: ObjectRef) -> None:
        if ref.kind not in self._READ:
            return
        from kubernetes import client

        options = client.V1DeleteOptions(propagation_policy="Background")
        if ref.kind == "Pod":
            options.grace_period_seconds = 0
        try:
            self._call(self._method(ref.kind, "delete"), *self._args(ref), body=options)
        except ApiError as exc:
            if exc.status != 404:
                raise

    def service_account_ready(self, namespace: str) -> bool:
        try:
            self._call(self._api("CoreV1Api").read_namespaced_service_account, "default", namespace)
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _pod_info(self, pod: Any) -> PodInfo:
        status = pod.status
        conditions = (status.conditions or []) if status else []
        statuses = (status.container_statuses or []) if status else []
        waiting = []
        for cs in statuses:
            w = cs.state.waiting if cs.state else None
            if w is not None and w.reason:
                waiting.append((w.reason, w.message or ""))
        containers = pod.spec.containers or []
        ports = tuple(
            ContainerPort(p.container_port, p.protocol or "TCP", p.name)
            for c in containers
            for p in c.ports or []
        )
        return PodInfo(
            namespace=pod.metadata.namespace,
            name=pod.metadata.name,
            phase=(status.phase if status else None) or "Pending",
            ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
            started=bool(statuses)
            and len(statuses) == len(containers)
            and all(cs.state and cs.state.running for cs in statuses),
            ip=status.pod_ip if status else None,
            host_ip=status.host_ip if status else None,
            labels=dict(pod.metadata.labels or {}),
            ports=ports,
            waiting=waiting,
        )

    def pods(self, namespace: str) -> list[PodInfo]:
        return self.find_pods(namespace, MANAGED_BY_SELECTOR)

    def find_pods(self, namespace: str, selector: str) -> list[PodInfo]:
        found = self._call(
            self._api("CoreV1Api").list_namespaced_pod, namespace, label_selector=selector
        )
        return [self._pod_info(p) for p in found.items]

    def exec(
        self, namespace: str, pod: str, container: str, argv: list[str], timeout: float
    ) -> ExecResult:
        from kubernetes.stream import stream

        try:
            resp = stream(
                self._api("CoreV1Api").connect_get_namespaced_pod_exec,
                pod,
                namespace,
                command=argv,
                container=container,
                stderr=True,
                stdin=False,
                stdout=True,
                tty=False,
                _preload_content=False,
                _request_timeout=timeout,
            )
        except Exception as exc:
            return ExecResult(None, f"exec into {namespace}/{pod} failed: {exc}")
        try:
            resp.run_forever(timeout=timeout)
            if resp.is_open():
                return ExecResult(None, f"no answer within {timeout:g}s")
            # The exit status first: read_all() drains every channel, the status one included.
            try:
                code = resp.returncode
            except Exception:
                code = None
            output = ""
            with contextlib.suppress(Exception):
                output = resp.read_all()
            return ExecResult(code, output or "")
        except Exception as exc:
            return ExecResult(None, f"exec into {namespace}/{pod} broke off: {exc}")
        finally:
            with contextlib.suppress(Exception):
                resp.close()


def _raw_contexts(config_file: str | None) -> list[str]:
    """Context names from the kubeconfig file(s) themselves, read as plain YAML."""
    import os
    from pathlib import Path

    import yaml

    paths = (
        [config_file]
        if config_file
        else (
            os.environ.get("KUBECONFIG", "").split(os.pathsep)
            if os.environ.get("KUBECONFIG")
            else [str(Path.home() / ".kube" / "config")]
        )
    )
    names: list[str] = []
    for path in paths:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, ValueError, yaml.YAMLError):
            continue
        for ctx in data.get("contexts") or [] if isinstance(data, dict) else []:
            if isinstance(ctx, dict) and isinstance(ctx.get("name"), str):
                names.append(ctx["name"])
    return names


def _api_message(exc: Any) -> str:
    """The API server's own message from an ApiException (its JSON body), else its reason."""
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body)
            if isinstance(data, dict) and data.get("message"):
                return str(data["message"])
        except (ValueError, TypeError):
            pass
    return f"{exc.status} {exc.reason}" if getattr(exc, "status", None) else str(exc.reason or exc)
