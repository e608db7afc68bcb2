"""KubeCluster, the adapter over the official client, with the API calls faked (no cluster).

These pin down how verify reads the client's objects and errors: labels, pod
readiness, 404s, the API server's messages, exec results and exit codes.
"""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from k8slearn.cluster import MANAGED_BY_SELECTOR
from k8slearn.cluster.safety import ObjectRef
from k8slearn.cluster.verify import ApiError, ExecResult, KubeCluster, VerifyError

OURS = {"app.kubernetes.io/managed-by": "k8slearn"}


def meta(name, namespace=None, labels=None):
    return client.V1ObjectMeta(name=name, namespace=namespace, labels=labels)


def not_found(*args, **kwargs):
    raise ApiException(status=404, reason="Not Found")


class Recorder:
    """An API object whose methods are given as keyword arguments; calls are recorded."""

    def __init__(self, **methods):
        self.calls = []
        for name, fn in methods.items():
            setattr(self, name, self._wrap(name, fn))

    def _wrap(self, name, fn):
        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return fn(*args, **kwargs)

        return call


@pytest.fixture
def kube(monkeypatch):
    cluster = KubeCluster()
    apis: dict[str, Recorder] = {}
    monkeypatch.setattr(cluster, "_api", lambda name: apis[name])
    monkeypatch.setattr(cluster, "_client", lambda: client.ApiClient())
    cluster.apis = apis
    return cluster


def test_namespace_labels_terminating_and_absent(kube):
    def read(name, **kw):
        if name == "shop":
            return client.V1Namespace(
                metadata=meta("shop", labels={"team": "shop", **OURS}),
                status=client.V1NamespaceStatus(phase="Terminating"),
            )
        return not_found()

    kube.apis["CoreV1Api"] = Recorder(read_namespace=read)
    state = kube.namespace("shop")
    assert state.labels == {"team": "shop", **OURS} and state.terminating
    assert kube.namespace("nope") is None
    _, _, kwargs = kube.apis["CoreV1Api"].calls[0]
    assert kwargs["_request_timeout"] == kube.request_timeout  # every call has a timeout


def test_other_errors_carry_the_api_servers_message(kube):
    body = json.dumps({"kind": "Status", "message": 'namespaces "x" is forbidden: nope'})

    def read(name, **kw):
        raise ApiException(status=403, reason="Forbidden")

    def create(body, **kw):
        exc = ApiException(status=422, reason="Unprocessable Entity")
        exc.body = body_text
        raise exc

    body_text = body
    kube.apis["CoreV1Api"] = Recorder(read_namespace=read, create_namespace=create)
    with pytest.raises(ApiError) as caught:
        kube.namespace("x")
    assert caught.value.status == 403 and "Forbidden" in str(caught.value)
    with pytest.raises(ApiError, match='namespaces "x" is forbidden: nope'):
        kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})


def test_an_unreachable_api_server_is_an_api_error(kube):
    def read(name, **kw):
        raise ConnectionRefusedError("connection refused")

    kube.apis["CoreV1Api"] = Recorder(read_namespace=read)
    with pytest.raises(ApiError, match="cannot reach the API server") as caught:
        kube.namespace("x")
    assert caught.value.status == 0


def test_get_labels_and_absent_objects(kube):
    kube.apis["CoreV1Api"] = Recorder(
        read_namespaced_pod=lambda name, ns, **kw: (
            client.V1Pod(metadata=meta(name, ns, {"run": "x"})) if name == "there" else not_found()
        )
    )
    assert kube.get_labels(ObjectRef("Pod", "default", "there")) == {"run": "x"}
    assert kube.get_labels(ObjectRef("Pod", "default", "gone")) is None
    assert kube.get_labels(ObjectRef("ConfigMap", "default", "x")) is None


def test_list_managed_uses_the_label_selector_everywhere(kube):
    def listing(items):
        return lambda **kw: type("List", (), {"items": items})()

    kube.apis["CoreV1Api"] = Recorder(
        list_namespace=listing([client.V1Namespace(metadata=meta("shop", labels=OURS))]),
        list_pod_for_all_namespaces=listing([client.V1Pod(metadata=meta("web", "default", OURS))]),
        list_service_for_all_namespaces=listing([]),
        list_endpoints_for_all_namespaces=listing([]),
    )
    kube.apis["NetworkingV1Api"] = Recorder(list_network_policy_for_all_namespaces=listing([]))
    kube.apis["AppsV1Api"] = Recorder(
        list_deployment_for_all_namespaces=listing([]),
        list_stateful_set_for_all_namespaces=listing([]),
    )
    kube.apis["DiscoveryV1Api"] = Recorder(
        list_endpoint_slice_for_all_namespaces=listing(
            [
                client.V1EndpointSlice(
                    address_type="IPv4", endpoints=[], metadata=meta("ext-1", "x", OURS)
                )
            ]
        )
    )
    found = kube.list_managed()
    assert found == [
        (ObjectRef("Namespace", None, "shop"), OURS),
        (ObjectRef("Pod", "default", "web"), OURS),
        (ObjectRef("EndpointSlice", "x", "ext-1"), OURS),  # an answer's slices are ours too
    ]
    for api in kube.apis.values():
        for _, _, kwargs in api.calls:
            assert kwargs["label_selector"] == MANAGED_BY_SELECTOR


def test_create_sends_the_manifest_and_returns_a_dict(kube):
    sent = []

    def create(namespace, body, **kw):
        sent.append((namespace, body))
        svc = body if isinstance(body, client.V1Service) else client.V1Service.model_validate(body)
        svc.spec.cluster_ip = "10.96.0.42"
        return svc

    kube.apis["CoreV1Api"] = Recorder(create_namespaced_service=create)
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "x", "labels": OURS},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
    }
    created = kube.create(manifest)
    assert sent[0][0] == "x"
    assert created["spec"]["clusterIP"] == "10.96.0.42"
    assert created["metadata"]["labels"] == OURS
    assert created["spec"]["ports"][0]["targetPort"] == "http"


def test_endpointslices_endpoints_and_statefulsets_of_an_answer_can_be_created(kube):
    sent = []

    def create(namespace, body, **kw):
        sent.append((namespace, body))
        return body

    kube.apis["DiscoveryV1Api"] = Recorder(create_namespaced_endpoint_slice=create)
    kube.apis["CoreV1Api"] = Recorder(create_namespaced_endpoints=create)
    kube.apis["AppsV1Api"] = Recorder(create_namespaced_stateful_set=create)
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "ext-1",
            "namespace": "x",
            "labels": {"kubernetes.io/service-name": "ext", **OURS},
        },
        "addressType": "IPv4",
        "ports": [{"name": "pg", "port": 5432}],
        "endpoints": [{"addresses": ["10.20.0.15"], "hostname": "primary"}],
    }
    created = kube.create(slice_)
    assert sent[0][0] == "x" and isinstance(sent[0][1], client.V1EndpointSlice)
    assert created["endpoints"][0]["hostname"] == "primary"
    assert created["metadata"]["labels"]["kubernetes.io/service-name"] == "ext"
    kube.create(
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "ext", "namespace": "x", "labels": OURS},
            "subsets": [{"addresses": [{"ip": "10.20.0.15"}], "ports": [{"port": 5432}]}],
        }
    )
    assert isinstance(sent[1][1], client.V1Endpoints)
    kube.create(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "x", "labels": OURS},
            "spec": {
                "serviceName": "web",
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    assert isinstance(sent[2][1], client.V1StatefulSet) and sent[2][0] == "x"
    with pytest.raises(ApiError, match="cannot create a ConfigMap"):
        kube.create({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}})


def test_delete_ignores_what_is_already_gone_and_does_not_wait_for_pods(kube):
    deleted = []

    def delete_pod(name, namespace, body=None, **kw):
        deleted.append((name, namespace, body))

    kube.apis["CoreV1Api"] = Recorder(delete_namespaced_pod=delete_pod, delete_namespace=not_found)
    kube.delete(ObjectRef("Pod", "default", "web"))
    assert deleted[0][2].grace_period_seconds == 0
    assert deleted[0][2].propagation_policy == "Background"
    kube.delete(ObjectRef("Namespace", None, "gone"))  # 404: nothing to do


def test_pod_info_reads_readiness_ports_and_waiting_reasons(kube):
    pod = client.V1Pod(
        metadata=meta("api", "shop", {"app": "api", **OURS}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="serve-8080-tcp",
                    ports=[
                        client.V1ContainerPort(container_port=8080, protocol="TCP", name="http")
                    ],
                ),
                client.V1Container(
                    name="serve-53-udp",
                    ports=[client.V1ContainerPort(container_port=53, protocol="UDP")],
                ),
            ]
        ),
        status=client.V1PodStatus(
            phase="Pending",
            pod_ip="10.244.0.7",
            host_ip="172.18.0.2",
            conditions=[client.V1PodCondition(type="Ready", status="False")],
            container_statuses=[
                client.V1ContainerStatus(
                    name="serve-8080-tcp",
                    image="agnhost",
                    image_id="",
                    ready=False,
                    restart_count=0,
                    state=client.V1ContainerState(
                        waiting=client.V1ContainerStateWaiting(
                            reason="ImagePullBackOff", message="back-off"
                        )
                    ),
                ),
                client.V1ContainerStatus(
                    name="serve-53-udp",
                    image="agnhost",
                    image_id="",
                    ready=True,
                    restart_count=0,
                    state=client.V1ContainerState(running=client.V1ContainerStateRunning()),
                ),
            ],
        ),
    )
    kube.apis["CoreV1Api"] = Recorder(
        list_namespaced_pod=lambda ns, **kw: type("L", (), {"items": [pod]})()
    )
    [info] = kube.pods("shop")
    assert info.key == "shop/api"
    assert not info.ready and not info.started
    assert info.ip == "10.244.0.7" and info.host_ip == "172.18.0.2"
    assert info.waiting == [("ImagePullBackOff", "back-off")]
    assert [(p.port, p.protocol, p.name) for p in info.ports] == [
        (8080, "TCP", "http"),
        (53, "UDP", None),
    ]
    assert kube.apis["CoreV1Api"].calls[0][2]["label_selector"] == MANAGED_BY_SELECTOR


class FakeWS:
    def __init__(self, code, output="", open_after=False):
        self.code = code
        self.output = output
        self.open_after = open_after
        self.closed = False

    def run_forever(self, timeout=None):
        self.timeout = timeout

    def is_open(self):
        return self.open_after

    def read_all(self):
        # Like the real WSClient: reading everything drains the status channel too.
        self.drained = True
        return self.output

    @property
    def returncode(self):
        if self.code == "broken" or getattr(self, "drained", False):
            raise TypeError("no status")
        return self.code

    def close(self):
        self.closed = True


@pytest.mark.parametrize(
    ("ws", "expected"),
    [
        (FakeWS(0), ExecResult(0, "")),
        (FakeWS(1, "TIMEOUT\n"), ExecResult(1, "TIMEOUT\n")),
        (FakeWS(None, open_after=True), ExecResult(None, "no answer within 5s")),
        (FakeWS("broken"), ExecResult(None, "")),
    ],
)
def test_exec_results(kube, monkeypatch, ws, expected):
    import kubernetes.stream

    seen = {}

    def stream(fn, pod, namespace, **kwargs):
        seen.update(kwargs, pod=pod, namespace=namespace)
        return ws

    monkeypatch.setattr(kubernetes.stream, "stream", stream)
    kube.apis["CoreV1Api"] = Recorder(connect_get_namespaced_pod_exec=lambda *a, **k: None)
    result = kube.exec("shop", "web", "serve-80-tcp", ["/agnhost", "connect", "1.2.3.4:80"], 5)
    assert result == expected
    assert seen["command"] == ["/agnhost", "connect", "1.2.3.4:80"]
    assert seen["container"] == "serve-80-tcp" and seen["tty"] is False
    assert seen["_preload_content"] is False
    assert ws.closed


def test_exec_that_cannot_connect(kube, monkeypatch):
    import kubernetes.stream

    def stream(*args, **kwargs):
        raise ApiException(status=0, reason="Handshake status 404")

    monkeypatch.setattr(kubernetes.stream, "stream", stream)
    kube.apis["CoreV1Api"] = Recorder(connect_get_namespaced_pod_exec=lambda *a, **k: None)
    result = kube.exec("shop", "web", "c", ["true"], 5)
    assert result.code is None and "exec into shop/web failed" in result.output


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: kind-k8slearn
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
- name: prod
  cluster: {server: "https://prod.example.com"}
users:
- name: kind-k8slearn
  user: {token: abc}
- name: prod
  user: {token: def}
contexts:
- name: kind-k8slearn
  context: {cluster: kind-k8slearn, user: kind-k8slearn}
- name: prod
  context: {cluster: prod, user: prod}
current-context: prod
"""


def test_contexts_come_from_the_kubeconfig(tmp_path):
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    cluster = KubeCluster(config_file=str(path))
    names, current = cluster.contexts()
    assert names == ["kind-k8slearn", "prod"] and current == "prod"
    cluster.connect("kind-k8slearn")  # builds a client; talks to nobody yet
    assert cluster.context == "kind-k8slearn"


def test_a_missing_kubeconfig_says_how_to_get_one(tmp_path):
    cluster = KubeCluster(config_file=str(tmp_path / "missing"))
    with pytest.raises(VerifyError, match="k8slearn cluster up"):
        cluster.contexts()


def test_a_kubeconfig_without_current_context_still_lists_its_contexts(tmp_path):
    from k8slearn.cluster.verify import KubeCluster

    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: ''\n"
        "clusters: [{name: kind-k8slearn, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
        "users: [{name: kind-k8slearn, user: {}}]\n"
        "contexts: [{name: kind-k8slearn, context: {cluster: kind-k8slearn, user: kind-k8slearn}}]\n"
    )
    names, current = KubeCluster(config_file=str(kubeconfig)).contexts()
    assert names == ["kind-k8slearn"] and current is None
