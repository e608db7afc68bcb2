"""verify's cluster path over real HTTPS: the official kubernetes client against the stand-in.

tests/test_cluster_verify.py runs the verify runner against an in-memory fake
of `KubeCluster`, and tests/test_cluster_kube.py fakes the client's API objects.
Here nothing of that is faked: `KubeCluster` — the official `kubernetes` client,
loaded from a kubeconfig file like the one kind writes — talks HTTPS (token,
certificate) to the practice cluster's stand-in API server
(`k8slearn.practice.server`), which creates, defaults, allocates, lists by label
and deletes as an API server does. The world it starts from is an empty kind
cluster: one node and the two CoreDNS pods in kube-system.

Exec goes over the client's own WebSocket stream (`kubernetes.stream`, channel
protocol v5/v4) to the stand-in, which answers busybox-style connectivity
commands from the model. Two things in between are stood in for, each pinned
by a strict xfail test below so that the stand-in growing them is noticed:

* the stand-in serves no ServiceAccounts, so "the namespace's `default`
  ServiceAccount exists" is read as "the namespace exists" (still over HTTP);
* it does not answer `agnhost connect`, so a TCP probe is sent as busybox
  `nc -z -w SECONDS HOST PORT` — same pod, same address, same exit-code meaning
  (0 connected, 1 not) — through the same real exec. UDP probes, `dig`
  lookups and node ports dialled from the node go through unchanged; the
  stand-in answers them "not available", and verify counts them as not run.

What is left untested of a real kind run is the network itself (kindnet's
enforcement, kube-proxy, CoreDNS) and the kubelet.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from k8slearn.cluster import HELPER_NAMESPACE, MANAGED_BY_KEY, MANAGED_BY_VALUE
from k8slearn.cluster.lookups import dig_argv, read_answer
from k8slearn.cluster.plan import (
    AGNHOST_IMAGE,
    CANARY_POLICY,
    EXERCISE_ANNOTATION,
    NODE_SOURCE,
    Plan,
    plan_verification,
)
from k8slearn.cluster.safety import ObjectRef, ref_of
from k8slearn.cluster.verify import (
    ApiError,
    Cancelled,
    ExecResult,
    KubeCluster,
    Settings,
    VerifyError,
    VerifyResult,
    agnhost_connect,
    run_verification,
)
from k8slearn.model.scenario import load_scenario
from k8slearn.packs.library import load_library
from k8slearn.practice import resources
from k8slearn.practice.kubeconfig import CONTEXT, write_kubeconfig
from k8slearn.practice.server import PracticeServer
from k8slearn.practice.state import PracticeState

OURS = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
NODE_IP = "172.18.0.2"
# An empty kind cluster as `k8slearn cluster up` makes it (kind-config.yaml: one
# control-plane node): the node, and CoreDNS's two replicas as kubeadm labels them.
KIND_WORLD = f"""
nodes:
  - {{name: k8slearn-control-plane, ip: {NODE_IP}}}
pods:
  - name: coredns-668d6bf9bc-4bxjq
    namespace: kube-system
    labels: {{k8s-app: kube-dns, pod-template-hash: 668d6bf9bc}}
    ports: &dns
      - {{containerPort: 53, protocol: UDP, name: dns}}
      - {{containerPort: 53, protocol: TCP, name: dns-tcp}}
      - {{containerPort: 9153, protocol: TCP, name: metrics}}
  - name: coredns-668d6bf9bc-x8nq2
    namespace: kube-system
    labels: {{k8s-app: kube-dns, pod-template-hash: 668d6bf9bc}}
    ports: *dns
"""
FAST = Settings(
    pod_timeout=10,
    namespace_timeout=10,
    service_account_timeout=5,
    canary_timeout=5,
    settle=0,
    exec_timeout=10,
    workers=4,
    retry_delay=0,
    dns_retry_delay=0,
    cleanup_wait=5,
    poll=0.02,
)
POD_RANGE = ipaddress.ip_network("10.244.0.0/16")
SERVICE_RANGE = ipaddress.ip_network("10.96.0.0/12")


@dataclass
class StandIn:
    """A running stand-in API server and a kubeconfig naming it."""

    state: PracticeState
    server: PracticeServer
    kubeconfig: Path

    def managed(self) -> set[ObjectRef]:
        """Every object the stand-in serves that carries verify's label (computed ones too)."""
        found = set()
        for r in resources.RESOURCES:
            for obj in self.state.list(r, None):
                meta = obj["metadata"]
                if (meta.get("labels") or {}).get(MANAGED_BY_KEY) == MANAGED_BY_VALUE:
                    found.add(ObjectRef(r.kind, meta.get("namespace"), meta["name"]))
        return found

    def cluster(self) -> KubeCluster:
        """verify's adapter, connected as verify connects it."""
        kube = KubeCluster(str(self.kubeconfig))
        kube.connect(CONTEXT)
        return kube


def start(folder: Path, world: str = KIND_WORLD) -> StandIn:
    scenario, problems = load_scenario(world)
    assert scenario is not None, problems
    state = PracticeState.from_exercise(scenario)
    server = PracticeServer(state).start()
    kubeconfig = write_kubeconfig(folder / "kubeconfig", server.url, server.token)
    return StandIn(state, server, kubeconfig)


@pytest.fixture
def standin(tmp_path):
    made = start(tmp_path)
    yield made
    made.server.stop()


@pytest.fixture(scope="module")
def library():
    return load_library()


def plan_for(library, ref: str, answer: str | None = None) -> Plan:
    ex, why = library.find(ref)
    assert ex is not None, why
    return plan_verification(ex, ex.solution if answer is None else answer)


class OverStandIn(KubeCluster):
    """verify's KubeCluster, changed only where the stand-in lacks something (module docstring).

    `translated` records each agnhost probe sent as `nc`, with what came back.
    """

    def __init__(self, config_file: str) -> None:
        super().__init__(config_file)
        self.translated: list[tuple[str, list[str], ExecResult]] = []
        self.lock = threading.Lock()

    def service_account_ready(self, namespace: str) -> bool:
        return self.namespace(namespace) is not None

    def exec(
        self, namespace: str, pod: str, container: str, argv: list[str], timeout: float
    ) -> ExecResult:
        if argv[:2] != ["/agnhost", "connect"] or argv[4] != "--protocol=tcp":
            return super().exec(namespace, pod, container, argv, timeout)
        host, _, port = argv[2].rpartition(":")
        seconds = argv[3].removeprefix("--timeout=").removesuffix("s")
        nc = ["nc", "-z", "-w", seconds, host.strip("[]"), port]
        result = super().exec(namespace, pod, container, nc, timeout)
        with self.lock:
            self.translated.append((f"{namespace}/{pod}", nc, result))
        return result


def verify(standin: StandIn, plan: Plan, **kw) -> tuple[VerifyResult, OverStandIn]:
    kw.setdefault("settings", FAST)
    kw.setdefault("context", CONTEXT)
    kw.setdefault("yes", True)
    cluster = kw.pop("cluster", None) or OverStandIn(str(standin.kubeconfig))
    return run_verification(plan, cluster=cluster, **kw), cluster


def a_pod(name: str, namespace: str, labels: dict[str, str], port: int | None = 8080) -> dict:
    """A pod as the plan makes them: one agnhost container serving `port` (or pausing)."""
    container: dict = {"name": "serve", "image": AGNHOST_IMAGE, "command": ["/agnhost", "pause"]}
    if port is not None:
        container["ports"] = [{"containerPort": port, "protocol": "TCP"}]
        container["command"] = [
            *("/agnhost", "serve-hostname", "--tcp", "--http=false"),
            *("--port", str(port)),
        ]
    meta = {"name": name, "namespace": namespace, "labels": labels}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [container]},
    }


# -- KubeCluster against the stand-in, call by call --------------------------------------------------


def test_the_kubeconfig_names_the_context_and_the_server_answers_its_version(standin):
    kube = KubeCluster(str(standin.kubeconfig))
    assert kube.contexts() == ([CONTEXT], CONTEXT)
    kube.connect(CONTEXT)
    assert kube.server_version() == resources.version_info()["gitVersion"]
    # The client asks GET /version/ (VersionApi.get_code), as client-go asks GET /version.
    assert ("GET", "/version/") in {(m, p) for m, p, _ in standin.server.requests}


def test_namespaces_pods_and_services_round_trip_through_the_client(standin):
    kube = standin.cluster()
    kube.create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": OURS}}
    )
    # The API server adds kubernetes.io/metadata.name to every namespace (namespace strategy).
    assert kube.namespace("shop").labels == {**OURS, "kubernetes.io/metadata.name": "shop"}
    assert kube.namespace("nowhere") is None
    kube.create(a_pod("web-1", "shop", {"app": "web", **OURS}))
    kube.create(a_pod("client", "shop", {"app": "client", **OURS}, port=None))
    pods = {p.name: p for p in kube.pods("shop")}
    assert set(pods) == {"web-1", "client"}
    web = pods["web-1"]
    assert web.phase == "Running" and web.ready and web.started
    assert ipaddress.ip_address(web.ip) in POD_RANGE and web.host_ip == NODE_IP
    assert [(p.port, p.protocol) for p in web.ports] == [(8080, "TCP")]
    assert pods["client"].ip != web.ip

    svc = kube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop", "labels": OURS},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
    )
    # Defaulted and allocated by the server, returned to verify as a plain dict.
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and spec["ports"][0]["protocol"] == "TCP"
    assert ipaddress.ip_address(spec["clusterIP"]) in SERVICE_RANGE
    assert kube.get_labels(ObjectRef("Service", "shop", "web")) == OURS

    # Listing by label, in every namespace: the Endpoints and EndpointSlice the controllers
    # make for the Service carry its labels, as upstream's controllers copy them.
    listed = {ref for ref, labels in kube.list_managed() if labels.get(MANAGED_BY_KEY)}
    assert {
        ObjectRef("Namespace", None, "shop"),
        ObjectRef("Pod", "shop", "web-1"),
        ObjectRef("Pod", "shop", "client"),
        ObjectRef("Service", "shop", "web"),
        ObjectRef("Endpoints", "shop", "web"),
    } <= listed
    assert any(r.kind == "EndpointSlice" and r.namespace == "shop" for r in listed)
    assert listed == standin.managed()

    kube.delete(ObjectRef("Pod", "shop", "web-1"))
    assert kube.get_labels(ObjectRef("Pod", "shop", "web-1")) is None
    kube.delete(ObjectRef("Pod", "shop", "web-1"))  # already gone: a 404, ignored
    kube.delete(ObjectRef("Namespace", None, "shop"))
    assert kube.namespace("shop") is None
    assert kube.find_pods("shop", "") == [] and standin.managed() == set()


def test_refusals_come_back_with_the_api_servers_own_words(standin):
    kube = standin.cluster()
    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "bad", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 0}]},
    }
    with pytest.raises(ApiError) as caught:
        kube.create(bad)
    assert caught.value.status == 422
    assert str(caught.value) == (
        'Service "bad" is invalid: spec.ports[0].port: Invalid value: 0: '
        "must be between 1 and 65535, inclusive"
    )
    with pytest.raises(ApiError) as caught:
        kube.create(a_pod("p", "nowhere", {}))
    assert (caught.value.status, str(caught.value)) == (404, 'namespaces "nowhere" not found')
    kube.create(a_pod("p", "default", {}))
    with pytest.raises(ApiError) as caught:
        kube.create(a_pod("p", "default", {}))
    assert (caught.value.status, str(caught.value)) == (409, 'pods "p" already exists')


def test_a_wrong_token_and_a_stopped_server_are_api_errors(standin, library, tmp_path):
    wrong = write_kubeconfig(
        tmp_path / "wrong",
        standin.server.url,
        "not-the-token",
        certificate_authority=(standin.server.certificate_authority),
    )
    kube = KubeCluster(str(wrong))
    kube.connect(CONTEXT)
    with pytest.raises(ApiError) as caught:
        kube.server_version()
    assert (caught.value.status, str(caught.value)) == (401, "Unauthorized")

    standin.server.stop()
    kube = standin.cluster()
    with pytest.raises(ApiError) as caught:
        kube.server_version()
    assert caught.value.status == 0 and "cannot reach the API server" in str(caught.value)
    plan = plan_for(library, "services-networking/clusterip-expose-web")
    with pytest.raises(VerifyError, match=r"does not answer .*`k8slearn cluster status`"):
        verify(standin, plan)


def test_exec_runs_over_the_clients_websocket_stream(standin):
    """The bonus: `kubernetes.stream` execs against the stand-in, exit codes included."""
    kube = standin.cluster()
    kube.create(a_pod("web-1", "default", {"app": "web"}))
    kube.create(a_pod("client", "default", {"app": "client"}, port=None))
    web = next(p for p in kube.find_pods("default", "app=web"))

    # agnhost serve-hostname answers with the pod's name; busybox wget prints the body.
    got = kube.exec(
        "default", "client", "serve", ["wget", "-qO-", "-T", "1", f"http://{web.ip}:8080"], 10
    )
    assert got == ExecResult(0, "web-1")
    assert (
        kube.exec("default", "client", "serve", ["nc", "-z", "-w", "1", web.ip, "8080"], 10).code
        == 0
    )
    # The exit status rides on the error channel's Status (NonZeroExitCode, ExitCode cause).
    assert kube.exec("default", "client", "serve", ["sh", "-c", "exit 3"], 10).code == 3

    kube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "default"},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]},
        }
    )
    denied = kube.exec("default", "client", "serve", ["nc", "-z", "-w", "1", web.ip, "8080"], 10)
    assert denied.code == 1

    # A pod that is not there: the upgrade is refused with a NotFound Status.
    gone = kube.exec("default", "nope", "serve", ["nc", "-z", "-w", "1", web.ip, "8080"], 10)
    assert gone.code is None and '"reason":"NotFound"' in gone.output
    assert any("/pods/client/exec?" in p for m, p, _ in standin.server.requests if m == "GET")


# -- what the stand-in does not serve yet: verify needs these on the real path -----------------------


@pytest.mark.xfail(
    strict=True,
    reason="the stand-in serves no ServiceAccounts: GET /api/v1/namespaces/NS/serviceaccounts/"
    "default answers 404 NotFound 'the server could not find the requested resource'",
)
def test_every_namespace_has_its_default_service_account(standin):
    assert standin.cluster().service_account_ready("default")


@pytest.mark.xfail(
    strict=True,
    reason="the stand-in does not answer `/agnhost connect` (exit 126, '`agnhost` is not "
    "available here')",
)
def test_agnhost_connect_is_answered(standin):
    kube = standin.cluster()
    kube.create(a_pod("web-1", "default", {"app": "web"}))
    kube.create(a_pod("client", "default", {"app": "client"}, port=None))
    web = next(p for p in kube.find_pods("default", "app=web"))
    ok = kube.exec("default", "client", "serve", agnhost_connect(web.ip, 8080, "TCP", 1), 10)
    closed = kube.exec("default", "client", "serve", agnhost_connect(web.ip, 9999, "TCP", 1), 10)
    assert ok.code == 0
    # agnhost connect: exit 1 and "REFUSED" on stderr for a closed port.
    assert closed.code == 1 and closed.output.strip() == "REFUSED"


@pytest.mark.xfail(
    strict=True,
    reason="the stand-in does not answer `dig` (exit 126, '`dig` is not available here')",
)
def test_dig_is_answered_as_coredns_answers(standin):
    kube = standin.cluster()
    kube.create(a_pod("client", "default", {"app": "client"}, port=None))
    queries = ("kubernetes.default.svc.cluster.local.",)
    got = kube.exec("default", "client", "serve", dig_argv(queries, "A"), 10)
    assert read_answer(got.output, queries, "A", got.code) == ("10.96.0.1",)


def test_exec_into_a_container_the_pod_lacks_is_refused(standin):
    kube = standin.cluster()
    kube.create(a_pod("client", "default", {}, port=None))
    got = kube.exec("default", "client", "no-such", ["sh", "-c", "exit 0"], 10)
    assert got.code is None and "container no-such is not valid for pod client" in got.output


def test_a_pod_whose_readiness_probe_always_fails_never_gets_ready(standin):
    kube = standin.cluster()
    pod = a_pod("web-old", "default", {"app": "web"})
    pod["spec"]["containers"][0]["readinessProbe"] = {
        "exec": {"command": ["/bin/false"]},
        "periodSeconds": 5,
    }
    kube.create(pod)
    (info,) = kube.find_pods("default", "app=web")
    assert info.started and not info.ready


@pytest.mark.xfail(
    strict=True,
    reason="the stand-in does not model node ports dialled from a pod on the node's network: "
    "`nc -z -w 1 NODE_IP NODEPORT` from a hostNetwork pod exits 126 ('node ports from a pod "
    "are not modelled')",
)
def test_a_node_port_answers_on_the_node_address(standin):
    kube = standin.cluster()
    kube.create(a_pod("web-1", "default", {"app": "web"}))
    prober = a_pod("node-prober", "default", {}, port=None)
    prober["spec"].update(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet")
    kube.create(prober)
    kube.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "type": "NodePort",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}],
            },
        }
    )
    got = kube.exec(
        "default", "node-prober", "serve", ["nc", "-z", "-w", "1", NODE_IP, "30080"], 10
    )
    assert got.code == 0, got


# -- whole runs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "services-networking/clusterip-expose-web",  # a Service, dialled by name and ClusterIP
        "services-networking/netpol-and-vs-or",  # ingress policies across namespaces
        "services-networking/egress-default-deny-with-dns",  # egress, DNS to CoreDNS, UDP
        "services-networking/nodeport-fixed-port",  # the node prober (hostNetwork)
        "services-networking/netpol-label-pods-to-match",  # a Deployment in the answer
        "services-networking/clusterip-statefulset-peer-discovery",  # headless, DNS lookups
    ],
)
def test_a_solution_verifies_on_the_stand_in_and_everything_is_cleaned_up(standin, library, ref):
    plan = plan_for(library, ref)
    before = standin.state.list(resources.resource_of_kind("Pod"), None)
    seen: dict[str, set[ObjectRef]] = {}
    annotations: dict[ObjectRef, dict[str, str]] = {}

    def on_step(step: str, done: int, total: int) -> None:
        if step == "let the policies settle":  # the answer is applied, no probe has run
            seen["applied"] = standin.managed()
            for obj in plan.answer:
                ref = ref_of(obj)
                r = resources.resource_of_kind(ref.kind)
                held = standin.state.get(r, ref.namespace, ref.name)
                annotations[ref] = held["metadata"].get("annotations") or {}

    result, cluster = verify(standin, plan, on_step=on_step)

    # The run went through: the canary proved the stand-in enforces policies (created over
    # HTTP), and every probe the stand-in could answer agreed with the model.
    assert result.context == CONTEXT and result.server_version == "v1.37.0"
    assert "enforces NetworkPolicy" in result.canary
    comparison = result.comparison
    assert comparison is not None and comparison.ok and result.passed
    assert not comparison.differing
    not_run = [c for c in comparison.cells if "could not run" in c.reason]
    assert all(c.protocol != "TCP" or c.source == NODE_SOURCE for c in not_run), not_run
    tcp = {p.key for p in plan.probes if p.protocol == "TCP" and p.source != NODE_SOURCE}
    settled = {c.key for c in comparison.cells if c.status == "agree"}
    moved = {c.key for c in comparison.cells if c.reason and "could not run" not in c.reason}
    assert tcp <= settled | moved and tcp & settled
    from_pods = [r for src, _, r in cluster.translated if not src.endswith("/node-prober")]
    assert from_pods and all(r.code in (0, 1) for r in from_pods)

    # Mid-run, the stand-in held everything the plan creates, labelled (the answer annotated
    # with the exercise too), but the canary's policy, already deleted; every address dialled
    # is one the server gave out (or a Service's name).
    wanted = {ref_of(o) for o in plan.objects} - {
        ObjectRef("NetworkPolicy", HELPER_NAMESPACE, CANARY_POLICY)
    }
    assert wanted <= seen["applied"]
    assert ObjectRef("NetworkPolicy", HELPER_NAMESPACE, CANARY_POLICY) not in seen["applied"]
    assert len(annotations) == len(plan.answer) > 0
    assert all(a.get(EXERCISE_ANNOTATION) == plan.exercise_id for a in annotations.values())
    dialled = [nc[4] for _, nc, _ in cluster.translated]
    assert all(
        h.endswith(".svc.cluster.local.")
        or h == NODE_IP
        or ipaddress.ip_address(h) in POD_RANGE
        or ipaddress.ip_address(h) in SERVICE_RANGE
        for h in dialled
    ), dialled

    # Clean-up: nothing labelled is left, nothing else was touched.
    assert result.cleaned and standin.managed() == set()
    assert standin.state.learner_objects() == []
    assert standin.state.list(resources.resource_of_kind("Pod"), None) == before


def test_a_wrong_answer_agrees_with_the_model_but_fails_the_exercise(standin, library):
    ex, _ = library.find("services-networking/netpol-and-vs-or")
    plan = plan_for(library, "services-networking/netpol-and-vs-or", ex.wrong_answers[0].answer)
    result, _ = verify(standin, plan)
    assert result.comparison.ok and result.comparison.wanted_failures()
    assert not result.passed
    assert standin.managed() == set()


def test_an_answer_the_server_refuses_is_explained_and_cleaned_up(standin, library):
    # 10.96.0.1 is the `kubernetes` Service's: the offline check cannot know that, the server does.
    ex, _ = library.find("services-networking/clusterip-expose-web")
    answer = ex.solution.replace("spec:\n", "spec:\n  clusterIP: 10.96.0.1\n", 1)
    plan = plan_for(library, "services-networking/clusterip-expose-web", answer)
    with pytest.raises(VerifyError) as caught:
        verify(standin, plan)
    message = str(caught.value)
    # The message, as pkg/registry/core/service/storage/alloc.go words it (a []string bad
    # value is printed as JSON by apimachinery's field errors).
    assert (
        'the API server refused your Service default/web: Service "web" is invalid: '
        'spec.clusterIPs: Invalid value: ["10.96.0.1"]: failed to allocate IP 10.96.0.1: '
        "provided IP is already allocated. k8slearn's offline check accepted it"
    ) in message
    assert caught.value.result.cleaned and standin.managed() == set()


def test_an_unlabelled_scenario_namespace_stops_the_run_before_anything_is_created(
    tmp_path, library
):
    world = KIND_WORLD + "namespaces:\n  - {name: monitoring, labels: {team: real-ops}}\n"
    standin = start(tmp_path, world)
    try:
        plan = plan_for(library, "services-networking/netpol-and-vs-or")
        with pytest.raises(
            VerifyError, match="namespace monitoring already exists and was not created by k8slearn"
        ):
            verify(standin, plan)
        writes = [(m, p) for m, p, _ in standin.server.requests if m not in ("GET", "HEAD")]
        assert writes == []
        assert standin.state.namespace_exists("monitoring")
    finally:
        standin.server.stop()


def test_leftovers_of_an_interrupted_run_are_removed_first(standin, library):
    kube = standin.cluster()
    kube.create(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": OURS}}
    )
    kube.create(a_pod("web-1", "default", {"app": "web", **OURS}))
    kube.create(a_pod("mine", "default", {"app": "mine"}))
    plan = plan_for(library, "services-networking/clusterip-expose-web")
    logs: list[str] = []
    result, _ = verify(standin, plan, on_log=logs.append)
    assert result.passed
    assert any("found 2 object(s) an interrupted run left behind" in line for line in logs)
    assert standin.managed() == set()
    assert kube.get_labels(ObjectRef("Pod", "default", "mine")) == {"app": "mine"}  # not ours


def test_a_context_that_is_not_kinds_is_refused_without_yes(standin, library):
    plan = plan_for(library, "services-networking/clusterip-expose-web")
    with pytest.raises(VerifyError, match="not a kind cluster"):
        verify(standin, plan, context=None, yes=False)
    assert list(standin.server.requests) == []  # the kubeconfig was read, the server not asked


def test_cancelling_mid_probe_cleans_up_the_stand_in(standin, library):
    plan = plan_for(library, "services-networking/netpol-and-vs-or")
    cancel = threading.Event()

    def on_step(step: str, done: int, total: int) -> None:
        if step.startswith("probe"):
            cancel.set()

    with pytest.raises(Cancelled) as caught:
        verify(standin, plan, on_step=on_step, cancel=cancel)
    assert caught.value.result.cleaned
    assert standin.managed() == set() and standin.state.learner_objects() == []
