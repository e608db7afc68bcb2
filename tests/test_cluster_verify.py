"""The verify runner against an in-memory cluster: steps, canary, probes, clean-up, safety.

The fake stores what verify creates and answers each `agnhost connect` (or
`dig`) by asking k8slearn's model about the objects *it holds* — its own pod
IPs, ClusterIPs and node ports — so these tests check the plumbing (which pod
dials which address, how results come back, what is deleted) without Docker.
A DNS lookup gets dig's own text output (the format tests/test_cluster_lookups.py
reads from real samples), answered the way CoreDNS answers.
"""

from __future__ import annotations

import copy
import threading

import pytest
import yaml

from k8slearn.cluster import MANAGED_BY_KEY, MANAGED_BY_VALUE
from k8slearn.cluster.plan import plan_verification
from k8slearn.cluster.safety import NamespaceState, ObjectRef, ref_of
from k8slearn.cluster.verify import (
    ApiError,
    CanaryFailed,
    Cancelled,
    ExecResult,
    PodInfo,
    Settings,
    VerifyError,
    run_verification,
)
from k8slearn.manifests.validate import validate_text
from k8slearn.model import dns as model_dns
from k8slearn.model.scenario import NAME_LABEL, ContainerPort, load_scenario
from k8slearn.model.world import World
from k8slearn.packs.library import load_library

OURS = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
NODE_IP = "172.18.0.2"
DNS_IP = "10.244.0.3"
FAST = Settings(
    pod_timeout=5,
    namespace_timeout=5,
    service_account_timeout=5,
    canary_timeout=2,
    settle=0,
    exec_timeout=5,
    workers=4,
    retry_delay=0,
    dns_retry_delay=0,
    cleanup_wait=2,
    poll=0.01,
)


class FakeCluster:
    def __init__(
        self,
        contexts=("kind-k8slearn",),
        current="kind-k8slearn",
        enforce=True,
        override=None,
        dns=None,
    ):
        self._contexts = list(contexts)
        self._current = current
        self.enforce = enforce
        self.override = override  # (source, dest, port, proto, verdict) -> bool | None
        self.dns = dns  # (name, type, records) -> records | None: what CoreDNS answers instead
        self.asked: list[str] = []  # every name asked by a DNS lookup
        self.dns_visible = True  # whether verify finds the CoreDNS pods
        self.lock = threading.Lock()
        self.objects: dict[ObjectRef, dict] = {}
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.objects[ObjectRef("Namespace", None, name)] = {
                "kind": "Namespace",
                "metadata": {"name": name, "labels": {NAME_LABEL: name}},
            }
        self.next_ip = 10
        self.next_cluster_ip = 100
        self.next_node_port = 30100
        self.created: list[ObjectRef] = []
        self.deleted: list[ObjectRef] = []
        self.execs: list[tuple[str, str, list[str]]] = []
        self.connected = None

    # -- the adapter interface ------------------------------------------------------------------

    def contexts(self):
        return self._contexts, self._current

    def connect(self, context):
        self.connected = context

    def server_version(self):
        return "v1.31.0"

    def namespace(self, name):
        obj = self.objects.get(ObjectRef("Namespace", None, name))
        if obj is None:
            return None
        return NamespaceState(dict(obj["metadata"].get("labels") or {}), False)

    def get_labels(self, ref):
        obj = self.objects.get(ref)
        return None if obj is None else dict(obj["metadata"].get("labels") or {})

    def list_managed(self):
        return [
            (ref, dict(o["metadata"].get("labels") or {}))
            for ref, o in self.objects.items()
            if (o["metadata"].get("labels") or {}).get(MANAGED_BY_KEY) == MANAGED_BY_VALUE
        ]

    def create(self, obj):
        with self.lock:
            obj = copy.deepcopy(obj)
            ref = ref_of(obj)
            if ref in self.objects:
                raise ApiError(409, f"{ref} already exists")
            if ref.namespace and ObjectRef("Namespace", None, ref.namespace) not in self.objects:
                raise ApiError(404, f'namespaces "{ref.namespace}" not found')
            if ref.kind == "Namespace":
                obj["metadata"].setdefault("labels", {})[NAME_LABEL] = ref.name
            if ref.kind == "Pod":
                host = obj["spec"].get("hostNetwork")
                obj["status"] = {
                    "podIP": NODE_IP if host else f"10.244.0.{self.next_ip}",
                    "hostIP": NODE_IP,
                }
                self.next_ip += 1
            if ref.kind == "Service":
                spec = obj["spec"]
                if spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
                    spec.setdefault("clusterIP", f"10.96.0.{self.next_cluster_ip}")
                    self.next_cluster_ip += 1
                for port in spec.get("ports") or []:
                    port.setdefault("protocol", "TCP")
                    if spec.get("type") in ("NodePort", "LoadBalancer") and not port.get(
                        "nodePort"
                    ):
                        port["nodePort"] = self.next_node_port
                        self.next_node_port += 1
            self.objects[ref] = obj
            self.created.append(ref)
            return copy.deepcopy(obj)

    def delete(self, ref):
        with self.lock:
            if self.objects.pop(ref, None) is None:
                return
            self.deleted.append(ref)
            if ref.kind == "Namespace":
                for other in [r for r in self.objects if r.namespace == ref.name]:
                    self.objects.pop(other)

    def service_account_ready(self, namespace):
        return True

    def _info(self, obj) -> PodInfo:
        containers = obj["spec"]["containers"]
        ports = tuple(
            ContainerPort(p["containerPort"], p.get("protocol", "TCP"), p.get("name"))
            for c in containers
            for p in c.get("ports") or []
        )
        meta = obj["metadata"]
        return PodInfo(
            namespace=meta["namespace"],
            name=meta["name"],
            phase="Running",
            ready="readinessProbe" not in containers[0],
            started=True,
            ip=obj["status"]["podIP"],
            host_ip=obj["status"]["hostIP"],
            labels=dict(meta.get("labels") or {}),
            ports=ports,
        )

    def pods(self, namespace):
        return [
            self._info(o)
            for r, o in self.objects.items()
            if r.kind == "Pod"
            and r.namespace == namespace
            and (o["metadata"].get("labels") or {}).get(MANAGED_BY_KEY) == MANAGED_BY_VALUE
        ]

    def find_pods(self, namespace, selector):
        if namespace == "kube-system" and selector == "k8s-app=kube-dns" and self.dns_visible:
            return [self.coredns_pod()]
        return []

    @staticmethod
    def coredns_pod() -> PodInfo:
        return PodInfo(
            "kube-system",
            "coredns-7db6d8ff4d-abcde",
            "Running",
            True,
            True,
            DNS_IP,
            NODE_IP,
            {"k8s-app": "kube-dns", "pod-template-hash": "7db6d8ff4d"},
            (
                ContainerPort(53, "UDP", "dns"),
                ContainerPort(53, "TCP", "dns-tcp"),
                ContainerPort(9153, "TCP", "metrics"),
            ),
        )

    def exec(self, namespace, pod, container, argv, timeout):
        with self.lock:
            self.execs.append((f"{namespace}/{pod}", container, list(argv)))
            obj = self.objects.get(ObjectRef("Pod", namespace, pod))
            if obj is None or container not in [c["name"] for c in obj["spec"]["containers"]]:
                return ExecResult(None, f"container {container} not found in {namespace}/{pod}")
            world = self.world()
        source = f"{namespace}/{pod}"
        if argv[0] == "dig" and not any(a.startswith("@") for a in argv):
            return self.lookup(world, source, argv)
        if argv[0] == "dig":
            server = argv[4][1:]
            port = int(argv[6])
            ok = self.verdict(world, source, self.pod_at(world, server), port, "UDP")
            return ExecResult(0 if ok else 9, "" if ok else ";; connection timed out")
        assert argv[:2] == ["/agnhost", "connect"]
        host, _, port_text = argv[2].rpartition(":")
        port = int(port_text)
        protocol = argv[4].split("=")[1].upper()
        assert argv[3] == "--timeout=1s"
        ok = self.reach(world, source, host, port, protocol)
        if ok is None:
            return ExecResult(1, "DNS: lookup failed")
        return ExecResult(0 if ok else 1, "" if ok else "TIMEOUT")

    # -- the simulated cluster DNS ---------------------------------------------------------------

    def lookup(self, world: World, source: str, argv: list[str]) -> ExecResult:
        """dig NAME. TYPE …, answered as CoreDNS answers, printed as dig prints."""
        dns = self.coredns_pod()
        questions = [a for a in argv[1:] if not a.startswith("+")]
        assert len(questions) % 2 == 0, argv
        if not self.verdict(world, source, dns.key, 53, "UDP"):
            return ExecResult(
                9,
                ";; communications error to 10.96.0.10#53: timed out\n"
                ";; no servers could be reached\n",
            )
        out = []
        for name, qtype in zip(questions[::2], questions[1::2], strict=True):
            assert name.endswith("."), name  # verify asks absolute names only
            with self.lock:
                self.asked.append(name)
            records = self.coredns(world, name, qtype)
            if self.dns is not None:
                forced = self.dns(name, qtype, records)
                records = records if forced is None else forced
            status = "NOERROR" if records is not None else "NXDOMAIN"
            out.append(dig_block(name, qtype, status, records or []))
        return ExecResult(0, "".join(out))

    @staticmethod
    def coredns(world: World, name: str, qtype: str) -> list[tuple[str, str]] | None:
        """The answer records (type, data) for an absolute name; None for NXDOMAIN."""
        answer = model_dns.resolve(world.services, name, "default")
        if answer is None or not answer.values:
            return None  # a headless Service without ready endpoints is NXDOMAIN too
        if answer.record == "CNAME":  # the target is not chased: it resolves nowhere here
            return [("CNAME", v.rstrip(".") + ".") for v in answer.values]
        if qtype != "A":
            return []  # NODATA
        return [("A", v) for v in answer.values]

    # -- the simulated network -------------------------------------------------------------------

    def world(self) -> World:
        namespaces, pods, routing = [], [], []
        for ref, o in self.objects.items():
            labels = {
                k: v for k, v in (o["metadata"].get("labels") or {}).items() if k != NAME_LABEL
            }
            if ref.kind == "Namespace":
                namespaces.append({"name": ref.name, "labels": labels})
            elif ref.kind == "Pod" and not o["spec"].get("hostNetwork"):
                info = self._info(o)
                naming = {k: o["spec"][k] for k in ("hostname", "subdomain") if k in o["spec"]}
                pods.append(
                    {
                        **naming,
                        "name": ref.name,
                        "namespace": ref.namespace,
                        "labels": labels,
                        "ip": info.ip,
                        "ready": info.ready,
                        "ports": [
                            {
                                "containerPort": p.port,
                                "protocol": p.protocol,
                                **({"name": p.name} if p.name else {}),
                            }
                            for p in info.ports
                        ],
                    }
                )
            elif ref.kind in ("Service", "NetworkPolicy", "EndpointSlice", "Endpoints"):
                clean = {k: v for k, v in o.items() if k != "status"}
                routing.append(clean)
        dns = self.coredns_pod()
        pods.append(
            {
                "name": dns.name,
                "namespace": "kube-system",
                "labels": dns.labels,
                "ip": dns.ip,
                "ports": [
                    {"containerPort": p.port, "protocol": p.protocol, "name": p.name}
                    for p in dns.ports
                ],
            }
        )
        scenario, problems = load_scenario({"namespaces": namespaces, "pods": pods})
        assert scenario is not None, problems
        if not self.enforce:
            routing = [r for r in routing if r["kind"] != "NetworkPolicy"]
        report = validate_text(yaml.safe_dump_all(routing)) if routing else None
        if report is not None:
            assert report.valid, [p.text() for p in report.all_problems()]
        return World(scenario, report.manifests if report else [])

    @staticmethod
    def pod_at(world: World, ip: str) -> str | None:
        return next((p.key for p in world.scenario.pods if p.ip == ip), None)

    def verdict(
        self, world: World, source: str, dest: str | None, port: int, protocol: str
    ) -> bool:
        if dest is None:
            return False
        pod = world.scenario.pod(dest)
        serves = any(cp.port == port and cp.protocol == protocol for cp in pod.ports)
        ok = serves and world.table([(port, protocol)]).allowed(source, dest, port, protocol)
        if self.override is not None:
            forced = self.override(source, dest, port, protocol, ok)
            if forced is not None:
                return forced
        return ok

    def reach(self, world: World, source: str, host: str, port: int, protocol: str) -> bool | None:
        if source.endswith("/node-prober"):
            return self.node_reach(world, host, port, protocol)
        if host.endswith(".svc.cluster.local."):
            name, ns = host.split(".")[:2]
            dns = self.coredns_pod()
            if not self.verdict(world, source, dns.key, 53, "UDP"):
                return None
            svc = world.services.get(f"{ns}/{name}")
            if svc is None:
                return None
            return self.service_reach(world, source, svc.key, port, protocol)
        for svc in world.services.services.values():
            if world.services.cluster_ip(svc) == host:
                return self.service_reach(world, source, svc.key, port, protocol)
        return self.verdict(world, source, self.pod_at(world, host), port, protocol)

    def service_reach(self, world, source, key, port, protocol) -> bool:
        svc = world.services.get(key)
        sp = next((p for p in svc.ports if p.port == port and p.protocol == protocol), None)
        if sp is None:
            return False
        backends = world.services.endpoints(svc, sp)
        return bool(backends) and all(
            self.verdict(world, source, b.target.key, b.port, protocol) for b in backends
        )

    def node_reach(self, world, host, port, protocol) -> bool:
        assert host == NODE_IP
        for svc in world.services.services.values():
            for sp in svc.ports:
                if world.services.node_port(svc, sp) == port and sp.protocol == protocol:
                    backends = world.services.endpoints(svc, sp)
                    return bool(backends) and all(
                        any(cp.port == b.port and cp.protocol == protocol for cp in b.target.ports)
                        for b in backends
                    )
        return False

    def labelled(self) -> list[ObjectRef]:
        return [r for r, _ in self.list_managed()]


def dig_block(name: str, qtype: str, status: str, records: list[tuple[str, str]]) -> str:
    """One reply as `dig +nocmd +noall +comments +question +answer` prints it."""
    lines = [
        ";; Got answer:",
        ";; WARNING: .local is reserved for Multicast DNS",
        ";; You are currently testing what happens when an mDNS query is leaked to DNS",
        f";; ->>HEADER<<- opcode: QUERY, status: {status}, id: 4242",
        f";; flags: qr aa rd; QUERY: 1, ANSWER: {len(records)}, AUTHORITY: "
        f"{0 if records else 1}, ADDITIONAL: 1",
        ";; WARNING: recursion requested but not available",
        "",
        ";; OPT PSEUDOSECTION:",
        "; EDNS: version: 0, flags:; udp: 1232",
        ";; QUESTION SECTION:",
        f";{name}\t\tIN\t{qtype}",
        "",
    ]
    if records:
        lines.append(";; ANSWER SECTION:")
        lines += [f"{name}\t30\tIN\t{rtype}\t{data}" for rtype, data in records]
        lines.append("")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def library():
    return load_library()


def plan_for(library, ref: str, answer: str | None = None):
    ex, why = library.find(ref)
    assert ex is not None, why
    return ex, plan_verification(ex, ex.solution if answer is None else answer)


def verify(plan, cluster, **kw):
    kw.setdefault("settings", FAST)
    return run_verification(plan, cluster=cluster, **kw)


# -- the whole run -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "services-networking/netpol-and-vs-or",
        "services-networking/egress-default-deny-with-dns",
        "services-networking/egress-to-service-backends",
        "services-networking/clusterip-expose-web",
        "services-networking/clusterip-headless",
        "services-networking/nodeport-fixed-port",
        "services-networking/three-tier-fix-this",
        "services-networking/externalname-basic",
        "services-networking/externalname-cross-namespace",
        "services-networking/clusterip-statefulset-headless",
        "services-networking/clusterip-statefulset-peer-discovery",
    ],
)
def test_a_solution_verifies_and_everything_is_cleaned_up(library, ref):
    _, plan = plan_for(library, ref)
    cluster = FakeCluster()
    steps, logs = [], []
    result = verify(
        plan, cluster, on_step=lambda s, d, t: steps.append((s, d, t)), on_log=logs.append
    )
    comparison = result.comparison
    assert comparison is not None
    assert comparison.ok, [c.message() for c in comparison.differing]
    assert result.passed
    assert len(comparison.agreeing) == len(plan.probes) + len(plan.lookups)
    assert len(comparison.lookups) == len(plan.lookups) + len(plan.unverifiable_lookups)
    assert result.context == "kind-k8slearn" and result.server_version == "v1.31.0"
    assert "enforces NetworkPolicy" in result.canary
    # clean-up: nothing labelled is left, the built-in namespaces are untouched
    assert cluster.labelled() == []
    assert result.cleaned
    for name in ("default", "kube-system"):
        assert cluster.namespace(name) is not None
    assert all(
        ref.kind != "Namespace" or ref.name not in ("default", "kube-system")
        for ref in cluster.deleted
    )
    # progress: done never goes back and ends at total
    dones = [d for _, d, _ in steps]
    assert dones == sorted(dones)
    assert steps[-1][1] == steps[-1][2]
    assert any(s.startswith(("probe", "lookup")) for s, _, _ in steps)
    assert any("— canary" in line for line in logs)


def test_probes_run_inside_the_source_pods_with_agnhost(library):
    _, plan = plan_for(library, "services-networking/egress-default-deny-with-dns")
    cluster = FakeCluster()
    verify(plan, cluster)
    sources = {s for s, _, _ in cluster.execs}
    assert "shop/web" in sources
    assert not any(s.startswith("kube-system/") for s in sources)
    commands = [argv for _, _, argv in cluster.execs]
    assert any(a[0] == "dig" and a[4] == f"@{DNS_IP}" for a in commands)  # UDP to CoreDNS
    assert any(
        a[:2] == ["/agnhost", "connect"] and a[2] == f"{DNS_IP}:53" and a[4] == "--protocol=tcp"
        for a in commands
    )
    # nothing was created in kube-system
    assert not [r for r in cluster.created if r.namespace == "kube-system"]


def test_services_are_dialled_by_name_and_cluster_ip(library):
    _, plan = plan_for(library, "services-networking/egress-to-service-backends")
    cluster = FakeCluster()
    verify(plan, cluster)
    targets = [argv[2] for _, _, argv in cluster.execs if argv[0] == "/agnhost"]
    assert "gateway.payments.svc.cluster.local.:443" in targets
    assert any(t.startswith("10.96.0.") and t.endswith(":443") for t in targets)


def test_nodeports_are_dialled_from_the_node(library):
    _, plan = plan_for(library, "services-networking/nodeport-fixed-port")
    cluster = FakeCluster()
    verify(plan, cluster)
    node = [(s, argv) for s, _, argv in cluster.execs if s.endswith("/node-prober")]
    assert node and node[0][1][2] == f"{NODE_IP}:30080"


def test_a_wrong_answer_agrees_with_the_model_but_fails_the_exercise(library):
    ex, _ = plan_for(library, "services-networking/netpol-and-vs-or")
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or", ex.wrong_answers[0].answer)
    result = verify(plan, FakeCluster())
    assert result.comparison.ok
    assert result.comparison.wanted_failures()
    assert not result.passed


def test_a_cell_where_the_cluster_differs_is_reported_after_one_re_probe(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    calls = []

    def override(source, dest, port, protocol, ok):
        if (source, dest, port) == ("monitoring/grafana", "shop/api", 9100):
            calls.append(1)
            return True  # the "cluster" lets it through: the model would be wrong
        return None

    cluster = FakeCluster(override=override)
    logs = []
    result = verify(plan, cluster, on_log=logs.append)
    differing = result.comparison.differing
    assert [c.key for c in differing] == [("monitoring/grafana", "shop/api", 9100, "TCP")]
    assert len(calls) == 2  # probed, then re-probed once
    assert not result.passed
    assert any("re-checking 1 cell(s) that looked wrong" in line for line in logs)
    assert "bug worth reporting" in result.comparison.render()
    assert cluster.labelled() == []


def test_a_cell_that_is_only_late_is_not_reported(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    calls = []

    def override(source, dest, port, protocol, ok):
        if (source, dest, port) == ("dev/prometheus", "shop/api", 9100):
            calls.append(1)
            return len(calls) == 1  # allowed once (enforcement lagging), denied on the re-probe
        return None

    result = verify(plan, FakeCluster(override=override))
    assert result.comparison.ok and result.passed


def test_no_enforcement_means_no_grade(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster(enforce=False)
    with pytest.raises(CanaryFailed) as caught:
        verify(plan, cluster)
    message = str(caught.value)
    assert "does not enforce NetworkPolicy" in message
    assert "v0.24.0" in message and "nfqueue" in message
    assert cluster.labelled() == []  # cleaned up all the same
    assert caught.value.result is not None and caught.value.result.cleaned
    assert not any(
        r.namespace == "shop" and r.kind == "NetworkPolicy" for r in cluster.created
    )  # answer never applied


def test_an_unlabelled_scenario_namespace_stops_the_run_before_anything_is_created(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster()
    cluster.objects[ObjectRef("Namespace", None, "monitoring")] = {
        "kind": "Namespace",
        "metadata": {"name": "monitoring", "labels": {"team": "real-ops"}},
    }
    with pytest.raises(
        VerifyError, match="namespace monitoring already exists and was not created by k8slearn"
    ):
        verify(plan, cluster)
    assert cluster.created == []
    assert cluster.deleted == []
    assert ObjectRef("Namespace", None, "monitoring") in cluster.objects


def test_someone_elses_pod_in_default_stops_the_run(library):
    _, plan = plan_for(library, "services-networking/clusterip-expose-web")
    cluster = FakeCluster()
    theirs = {
        "kind": "Pod",
        "metadata": {"name": "client", "namespace": "default", "labels": {"run": "client"}},
    }
    cluster.objects[ObjectRef("Pod", "default", "client")] = theirs
    with pytest.raises(VerifyError, match="Pod default/client already exists"):
        verify(plan, cluster)
    assert (
        cluster.created == [] and cluster.objects[ObjectRef("Pod", "default", "client")] is theirs
    )


def test_leftovers_of_an_interrupted_run_are_removed_first(library):
    _, plan = plan_for(library, "services-networking/clusterip-expose-web")
    cluster = FakeCluster()
    stale_ns = {"kind": "Namespace", "metadata": {"name": "shop", "labels": dict(OURS)}}
    stale_pod = {
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web", **OURS}},
        "spec": {"containers": [{"name": "serve-8080-tcp"}]},
        "status": {"podIP": "10.244.0.251", "hostIP": NODE_IP},
    }
    theirs = {
        "kind": "Pod",
        "metadata": {"name": "mine", "namespace": "default", "labels": {"app": "mine"}},
        "spec": {"containers": [{"name": "main", "image": "nginx"}]},
        "status": {"podIP": "10.244.0.250", "hostIP": NODE_IP},
    }
    cluster.objects[ObjectRef("Namespace", None, "shop")] = stale_ns
    cluster.objects[ObjectRef("Pod", "default", "web-1")] = stale_pod
    cluster.objects[ObjectRef("Pod", "default", "mine")] = theirs
    logs = []
    result = verify(plan, cluster, on_log=logs.append)
    assert result.passed
    assert ObjectRef("Pod", "default", "web-1") in cluster.deleted[:2]
    assert any("interrupted run left behind" in line for line in logs)
    assert cluster.objects[ObjectRef("Pod", "default", "mine")] is theirs  # never touched
    assert cluster.labelled() == []


def test_an_unsafe_context_is_refused_before_anything_is_touched(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster(contexts=("prod",), current="prod")
    with pytest.raises(VerifyError, match="not a kind cluster"):
        verify(plan, cluster)
    assert cluster.connected is None and cluster.created == []
    result = verify(plan, cluster, context="prod", yes=True)
    assert result.context == "prod" and result.passed


def test_cancelling_stops_the_run_and_cleans_up(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster()
    cancel = threading.Event()

    def on_step(step, done, total):
        if step.startswith("probe"):
            cancel.set()

    with pytest.raises(Cancelled) as caught:
        verify(plan, cluster, on_step=on_step, cancel=cancel)
    assert caught.value.result.cleaned
    assert cluster.labelled() == []


def test_ctrl_c_cleans_up_too(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster()

    def on_step(step, done, total):
        if step == "apply your answer":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        verify(plan, cluster, on_step=on_step)
    assert cluster.created  # it had started
    assert cluster.labelled() == []


def test_the_api_server_refusing_the_answer_is_explained(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster()
    real_create = cluster.create

    def create(obj):
        if obj["kind"] == "NetworkPolicy" and obj["metadata"]["namespace"] == "shop":
            raise ApiError(
                422, "NetworkPolicy.networking.k8s.io is invalid: spec.ingress: Invalid value"
            )
        return real_create(obj)

    cluster.create = create
    with pytest.raises(VerifyError) as caught:
        verify(plan, cluster)
    assert "refused your NetworkPolicy shop/api-allow-prometheus" in str(caught.value)
    assert "worth reporting" in str(caught.value)
    assert cluster.labelled() == []


def test_pods_that_cannot_pull_their_image_say_how_to_fix_it(library):
    _, plan = plan_for(library, "services-networking/clusterip-expose-web")
    cluster = FakeCluster()
    real_info = cluster._info

    def info(obj):
        found = real_info(obj)
        found.ready = False
        found.waiting = [("ImagePullBackOff", "Back-off pulling image")]
        return found

    cluster._info = info
    with pytest.raises(VerifyError, match="cannot pull its image") as caught:
        verify(plan, cluster)
    assert "kind load docker-image" in str(caught.value)
    assert cluster.labelled() == []


def test_pods_that_never_get_ready_time_out_with_their_names(library):
    _, plan = plan_for(library, "services-networking/clusterip-expose-web")
    cluster = FakeCluster()
    real_info = cluster._info

    def info(obj):
        found = real_info(obj)
        found.ready = False
        found.started = False
        found.phase = "Pending"
        return found

    cluster._info = info
    settings = Settings(**{**FAST.__dict__, "pod_timeout": 0.2})
    with pytest.raises(VerifyError, match=r"not ready after 0.2s: .*\(Pending\)"):
        run_verification(plan, cluster=cluster, settings=settings)
    assert cluster.labelled() == []


def test_probes_that_cannot_run_are_not_verifiable(library):
    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster()
    real_exec = cluster.exec

    def exec_(namespace, pod, container, argv, timeout):
        if pod == "grafana":
            return ExecResult(None, "websocket closed")
        return real_exec(namespace, pod, container, argv, timeout)

    cluster.exec = exec_
    result = verify(plan, cluster)
    probed = {p.key for p in plan.probes}
    broken = [
        c
        for c in result.comparison.unverifiable
        if c.source == "monitoring/grafana" and c.key in probed
    ]
    assert broken and all("could not run" in c.reason for c in broken)
    assert result.comparison.ok


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture
def answer_file(tmp_path, library):
    def write(ref: str, wrong: int | None = None) -> str:
        ex, _ = library.find(ref)
        text = ex.solution if wrong is None else ex.wrong_answers[wrong].answer
        path = tmp_path / "answer.yaml"
        path.write_text(text)
        return str(path)

    return write


def cli(*args):
    from click.testing import CliRunner

    from k8slearn.cluster.commands import cluster, verify

    if args and args[0] == "cluster":
        return CliRunner().invoke(cluster, list(args[1:]))
    return CliRunner().invoke(verify, list(args))


def use_cluster(monkeypatch, fake):
    import k8slearn.cluster.verify as module

    monkeypatch.setattr(module, "KubeCluster", lambda: fake)
    monkeypatch.setattr(module, "Settings", lambda: FAST)


def test_cli_verify_shows_the_table_and_exits_0(monkeypatch, answer_file):
    fake = FakeCluster()
    use_cluster(monkeypatch, fake)
    result = cli(
        "services-networking/netpol-and-vs-or", answer_file("services-networking/netpol-and-vs-or")
    )
    assert result.exit_code == 0, result.output
    assert "predicted" in result.output and "observed" in result.output
    assert "monitoring/prometheus" in result.output
    assert "VERIFIED" in result.output
    assert "canary: a default-deny policy cut the canary off" in result.output
    assert fake.labelled() == []


def test_cli_verify_json_and_a_failing_answer(monkeypatch, answer_file):
    import json

    use_cluster(monkeypatch, FakeCluster())
    result = cli(
        "services-networking/netpol-and-vs-or",
        answer_file("services-networking/netpol-and-vs-or", wrong=0),
        "-o",
        "json",
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)  # the log goes to stderr
    assert data["passed"] is False
    assert data["canary"]["enforced"] is True
    assert data["comparison"]["differ"] == 0
    assert data["cleanup"]["done"] is True
    wanted_wrong = [
        c
        for c in data["comparison"]["cells"]
        if "wanted" in c and c["observed"] is not None and c["wanted"] != c["observed"]
    ]
    assert wanted_wrong


def test_cli_refuses_to_grade_without_enforcement(monkeypatch, answer_file):
    use_cluster(monkeypatch, FakeCluster(enforce=False))
    result = cli(
        "services-networking/netpol-and-vs-or", answer_file("services-networking/netpol-and-vs-or")
    )
    assert result.exit_code == 2
    assert "refusing to grade: this cluster does not enforce NetworkPolicy" in result.output
    assert "Traceback" not in result.output


def test_cli_refuses_an_unsafe_context(monkeypatch, answer_file):
    fake = FakeCluster(contexts=("prod",), current="prod")
    use_cluster(monkeypatch, fake)
    result = cli(
        "services-networking/netpol-and-vs-or", answer_file("services-networking/netpol-and-vs-or")
    )
    assert result.exit_code == 2
    assert "--context" in result.output and "--yes" in result.output
    assert fake.created == []


def test_cli_plan_touches_no_cluster(monkeypatch, answer_file):
    import json

    import k8slearn.cluster.verify as module

    def no_cluster():
        raise AssertionError("--plan must not touch a cluster")

    monkeypatch.setattr(module, "KubeCluster", no_cluster)
    path = answer_file("services-networking/egress-to-service-backends")
    result = cli("services-networking/egress-to-service-backends", path, "--plan", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"objects", "probes"}
    result = cli("services-networking/egress-to-service-backends", path, "--plan")
    assert result.exit_code == 0
    docs = list(yaml.safe_load_all(result.output))  # comments, then the objects: valid YAML
    assert next(d["kind"] for d in docs if d) == "Namespace"
    assert "# probes (expect: what the offline model predicts):" in result.output


def test_cli_errors(tmp_path, answer_file):
    result = cli("no-such-exercise", answer_file("services-networking/netpol-and-vs-or"))
    assert result.exit_code == 2 and "no exercise" in result.output
    result = cli("services-networking/netpol-and-vs-or", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2 and "no such file" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: nowhere}\nspec: {ports: [{port: 80}]}\n"
    )
    result = cli("services-networking/netpol-and-vs-or", str(bad), "--plan")
    assert result.exit_code == 1
    assert "nowhere" in result.output and "nothing to verify" in result.output
    assert "Traceback" not in result.output


def test_cli_verify_is_also_under_the_cluster_group(monkeypatch, answer_file):
    use_cluster(monkeypatch, FakeCluster())
    result = cli(
        "cluster",
        "verify",
        "services-networking/clusterip-expose-web",
        answer_file("services-networking/clusterip-expose-web"),
    )
    assert result.exit_code == 0, result.output


def test_cli_with_nothing_to_verify_touches_no_cluster(monkeypatch, answer_file):
    import k8slearn.cluster.verify as module

    def no_cluster():
        raise AssertionError("nothing to verify: no cluster")

    monkeypatch.setattr(module, "KubeCluster", no_cluster)
    ref = "services-networking/selectorless-legacy-db"
    result = cli(ref, answer_file(ref))
    assert result.exit_code == 0, result.output
    assert "nothing in this exercise can be verified" in result.output
    assert "outside the cluster" in result.output


def test_a_labelled_built_in_namespace_is_never_deleted_as_a_leftover(library):
    _, plan = plan_for(library, "services-networking/clusterip-expose-web")
    cluster = FakeCluster()
    lease = ObjectRef("Namespace", None, "kube-node-lease")
    cluster.objects[lease]["metadata"]["labels"].update(OURS)  # someone labelled it
    logs = []
    result = verify(plan, cluster, on_log=logs.append)
    assert result.passed
    assert lease in cluster.objects and lease not in cluster.deleted
    assert any("left Namespace" in line and "kube-node-lease" in line for line in logs)


def test_a_failing_progress_callback_does_not_stop_the_run(library):
    _, plan = plan_for(library, "services-networking/clusterip-expose-web")
    cluster = FakeCluster()

    def broken(*_args):
        raise RuntimeError("the app is closing")

    result = verify(plan, cluster, on_step=broken, on_log=broken)
    assert result.passed and cluster.labelled() == []


def test_a_hung_probe_cannot_hold_the_run_past_its_deadline(library):
    import time as _time

    _, plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cluster = FakeCluster()
    real_exec = cluster.exec

    def exec_(namespace, pod, container, argv, timeout):
        if pod == "grafana" and argv[0] != "dig":
            _time.sleep(1.5)  # an exec whose own timeout did not fire
        return real_exec(namespace, pod, container, argv, timeout)

    cluster.exec = exec_
    settings = Settings(**{**FAST.__dict__, "exec_timeout": 0.05, "workers": 16})
    began = _time.monotonic()
    result = run_verification(plan, cluster=cluster, settings=settings)
    assert _time.monotonic() - began < 6
    late = [c for c in result.comparison.unverifiable if c.source == "monitoring/grafana"]
    assert late and any("deadline" in c.reason for c in late)
    assert cluster.labelled() == []


# -- DNS lookups and backends one by one -------------------------------------------------------


def lookup_execs(cluster):
    return [(s, argv) for s, _, argv in cluster.execs if argv[0] == "dig" and "+noall" in argv]


def test_an_externalname_is_verified_by_asking_for_its_cname(library):
    _, plan = plan_for(library, "services-networking/externalname-basic")
    cluster = FakeCluster()
    result = verify(plan, cluster)
    assert result.passed
    ((source, argv),) = lookup_execs(cluster)
    assert source == "k8slearn-verify/client"  # verify's own client, whom no policy selects
    assert argv[-2:] == ["billing-db.shop.svc.cluster.local.", "CNAME"]
    (cell,) = result.comparison.lookups
    assert cell.status == "agree"
    assert cell.observed == ("CNAME db.billing.example.com",)
    assert not [argv for _, _, argv in cluster.execs if argv[0] == "/agnhost" and "shop" in argv[2]]


def test_a_headless_service_answers_with_the_clusters_pod_ips_and_each_backend_is_dialled(
    library,
):
    _, plan = plan_for(library, "services-networking/clusterip-headless")
    cluster = FakeCluster()
    result = verify(plan, cluster)
    assert result.passed
    (cell,) = result.comparison.lookups
    assert cell.status == "agree"
    names = {cell.names[ip]: ip for ip in cell.observed}
    assert set(names) == {"data/postgres-0", "data/postgres-1"}
    assert all(ip.startswith("10.244.0.") for ip in cell.observed)  # the cluster's addresses
    dialled = [argv[2] for _, _, argv in cluster.execs if argv[0] == "/agnhost"]
    for member in ("data/postgres-0", "data/postgres-1"):
        assert f"{names[member]}:5432" in dialled  # each backend at its own pod IP
    assert "postgres.data.svc.cluster.local.:5432" in dialled


def test_short_names_are_asked_along_the_asking_namespaces_search_path(library):
    _, plan = plan_for(library, "services-networking/clusterip-statefulset-headless")
    cluster = FakeCluster()
    result = verify(plan, cluster)
    assert result.passed, result.comparison.render()
    calls = [argv for _, argv in lookup_execs(cluster)]
    short = next(a for a in calls if "db-0.db.data.svc.cluster.local." in a and len(a) > 12)
    assert short[-6:] == [
        "db-0.db.data.svc.cluster.local.",
        "A",
        "db-0.db.svc.cluster.local.",
        "A",
        "db-0.db.cluster.local.",
        "A",
    ]
    cells = {c.name: c for c in result.comparison.lookups}
    assert cells["db-2.db.data.svc.cluster.local"].observed == ()  # not ready: no such name
    assert cells["db-1.db.data"].observed == cells["db-1.db.data.svc.cluster.local"].observed
    assert len(result.comparison.wanted_cells()) >= 6
    assert "6 of the 6 DNS names" in result.comparison.render()


def test_a_wrong_answer_agrees_with_the_model_on_its_names_but_fails_the_exercise(library):
    ex, _ = plan_for(library, "services-networking/clusterip-statefulset-headless")
    staging = next(w.answer for w in ex.wrong_answers if "namespace: data" not in w.answer)
    _, plan = plan_for(library, ex.qualified_id, staging)
    result = verify(plan, FakeCluster())
    assert result.comparison.ok
    failures = {c.name for c in result.comparison.wanted_failures()}
    assert "db-0.db.data.svc.cluster.local" in failures  # no such name, where a pod is wanted
    assert not result.passed


def test_a_name_the_cluster_answers_otherwise_is_asked_again_and_reported(library):
    _, plan = plan_for(library, "services-networking/clusterip-headless")

    def extra(name, qtype, records):
        if name == "postgres.data.svc.cluster.local.":
            return [*(records or []), ("A", "10.244.0.99")]
        return None

    cluster = FakeCluster(dns=extra)
    logs = []
    result = verify(plan, cluster, on_log=logs.append)
    assert [c.name for c in result.comparison.differing] == ["postgres.data.svc.cluster.local"]
    assert cluster.asked.count("postgres.data.svc.cluster.local.") == 2  # asked, then again
    assert any(
        "1 DNS name(s) that looked wrong" in line and "CoreDNS caches" in line for line in logs
    )
    assert not result.passed
    text = result.comparison.render()
    assert "10.244.0.99" in text and "the model may be wrong" in text
    assert "disagree on 1 DNS name" in text
    assert cluster.labelled() == []


def test_a_stale_answer_that_corrects_itself_is_not_reported(library):
    _, plan = plan_for(library, "services-networking/externalname-basic")
    seen = []

    def stale(name, qtype, records):
        seen.append(name)
        return None if len(seen) > 1 else None if records is None else []  # NODATA, then right

    result = verify(plan, FakeCluster(dns=stale))
    assert len(seen) == 2
    assert result.passed and result.comparison.ok


def test_a_lookup_that_gets_no_reply_is_not_verifiable(library):
    _, plan = plan_for(library, "services-networking/externalname-basic")
    cluster = FakeCluster()
    real_exec = cluster.exec

    def exec_(namespace, pod, container, argv, timeout):
        if argv[0] == "dig" and "+noall" in argv:
            return ExecResult(
                9,
                ";; communications error to 10.96.0.10#53: timed out\n;; no servers could be reached\n",
            )
        return real_exec(namespace, pod, container, argv, timeout)

    cluster.exec = exec_
    result = verify(plan, cluster)
    (cell,) = result.comparison.lookups
    assert cell.status == "not verifiable"
    assert "could not run" in cell.reason and "timed out" in cell.reason
    assert result.comparison.ok and not result.passed  # nothing was settled
    assert cluster.labelled() == []


def test_without_coredns_lookups_are_set_aside(library):
    _, plan = plan_for(library, "services-networking/clusterip-statefulset-headless")
    cluster = FakeCluster()
    cluster.dns_visible = False  # no ready pod labelled k8s-app=kube-dns in kube-system
    result = verify(plan, cluster)
    assert not lookup_execs(cluster)
    assert result.comparison.lookups
    assert all(c.status == "not verifiable" for c in result.comparison.lookups)
    assert all("no CoreDNS pod was found" in c.reason for c in result.comparison.lookups)


def test_an_answer_with_an_endpointslice_is_applied_and_its_addresses_looked_up():
    from pathlib import Path

    from k8slearn.packs.model import Exercise

    scenario = {
        "namespaces": [{"name": "x"}],
        "pods": [{"name": "client", "namespace": "x", "labels": {"app": "client"}}],
    }
    ex = Exercise(
        id="t",
        title="t",
        prompt="t",
        scenario=scenario,
        expect=[{"service": "x/ext", "headless": True}],
        solution="",
        file=Path("t.yaml"),
        pack_id="test",
    )
    answer = """apiVersion: v1
kind: Service
metadata: {name: ext, namespace: x}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-1
  namespace: x
  labels: {kubernetes.io/service-name: ext}
addressType: IPv4
ports: [{name: pg, port: 5432}]
endpoints:
  - addresses: ["10.20.0.15"]
    hostname: primary
"""
    plan = plan_verification(ex, answer)
    cluster = FakeCluster()
    result = verify(plan, cluster)
    assert ObjectRef("EndpointSlice", "x", "ext-1") in cluster.created
    cells = {c.name: c for c in result.comparison.lookups}
    assert cells["ext.x.svc.cluster.local"].observed == ("10.20.0.15",)
    assert cells["primary.ext.x.svc.cluster.local"].status == "agree"
    assert result.comparison.ok and result.passed
    assert cluster.labelled() == []


def test_cli_plan_shows_lookups_as_text_and_json(monkeypatch, answer_file):
    import json

    import k8slearn.cluster.verify as module

    def no_cluster():
        raise AssertionError("--plan must not touch a cluster")

    monkeypatch.setattr(module, "KubeCluster", no_cluster)
    ref = "services-networking/externalname-basic"
    result = cli(ref, answer_file(ref), "--plan", "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["probes"] == []
    assert data["lookups"][0]["expect"] == ["CNAME db.billing.example.com"]
    assert data["lookups"][0]["type"] == "CNAME"
    result = cli(ref, answer_file(ref), "--plan")
    assert result.exit_code == 0
    assert "# DNS lookups with dig in k8slearn-verify/client" in result.output
    assert "expect CNAME db.billing.example.com" in result.output
    list(yaml.safe_load_all(result.output))  # still a valid YAML stream


def test_cli_verify_json_has_the_lookups(monkeypatch, answer_file):
    import json

    use_cluster(monkeypatch, FakeCluster())
    ref = "services-networking/clusterip-headless"
    result = cli(ref, answer_file(ref), "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (lookup,) = data["comparison"]["lookups"]
    assert lookup["name"] == "postgres.data.svc.cluster.local" and lookup["status"] == "agree"
    assert set(lookup["addresses"].values()) == {"data/postgres-0", "data/postgres-1"}
    text = cli(ref, answer_file(ref))
    assert "A postgres.data.svc.cluster.local" in text.output and "VERIFIED" in text.output
