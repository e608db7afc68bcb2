"""The practice cluster's API server, driven by the real kubectl (v1.37) as a learner drives it.

Every expectation is an upstream fact: what kubectl prints against a real
cluster, the Service `kubectl expose` makes (kubernetes/kubectl
pkg/cmd/expose), the error text a v1.37 API server returns
(kubernetes/kubernetes pkg/apis/core/validation and friends, worded by
apimachinery's field errors). One server serves the module; tests that change
the world use names of their own.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from k8slearn.drills.kubectl import find_kubectl
from k8slearn.model.scenario import load_scenario
from k8slearn.practice.kubeconfig import write_kubeconfig
from k8slearn.practice.resources import resource_of_kind
from k8slearn.practice.server import PracticeServer
from k8slearn.practice.state import PracticeState

KUBECTL = find_kubectl()
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (pip install 'k8slearn[kubectl]')"
)
needs_patch = pytest.mark.skipif(
    importlib.util.find_spec("k8slearn.practice.patch") is None,
    reason="practice.patch (strategic merge / merge / JSON patches) is not there yet",
)

SCENARIO = """
namespaces:
  - {name: shop, labels: {team: payments}}
  - {name: other}
nodes:
  - {name: node-1, ip: 172.18.0.2}
  - {name: node-2, ip: 172.18.0.3}
pods:
  - {name: web-1, namespace: shop, labels: {app: web, tier: front},
     ports: [{containerPort: 8080, name: http}]}
  - {name: web-2, namespace: shop, labels: {app: web}, ready: false,
     ports: [{containerPort: 8080, name: http}]}
  - {name: db, namespace: shop, labels: {app: db, tier: back},
     ports: [{containerPort: 5432}]}
  - {name: client, namespace: other, labels: {app: client}}
objects:
  - apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec:
      selector: {app: web}
      ports: [{port: 80, targetPort: http}]
"""


def fresh_state() -> PracticeState:
    scenario, problems = load_scenario(SCENARIO)
    assert scenario is not None, problems
    return PracticeState.from_exercise(scenario, namespace="shop")


class Cluster:
    """A running practice server and a kubectl pointed at it."""

    def __init__(self, folder: Path) -> None:
        self.state = fresh_state()
        self.server = PracticeServer(self.state).start()
        self.kubeconfig = write_kubeconfig(
            folder / "kubeconfig", self.server.url, self.server.token, "shop"
        )
        home = folder / "home"
        home.mkdir()
        self.env = dict(os.environ, KUBECONFIG=str(self.kubeconfig), HOME=str(home))
        self.env.pop("KUBECACHEDIR", None)

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        assert KUBECTL is not None
        return subprocess.run(
            [KUBECTL, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        done = self.kubectl(*args, stdin=stdin)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def fails(self, *args: str, stdin: str | None = None) -> str:
        done = self.kubectl(*args, stdin=stdin)
        assert done.returncode != 0, done.stdout
        return done.stderr.strip()

    def json(self, *args: str) -> dict:
        return json.loads(self.ok(*args, "-o", "json"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if KUBECTL is None:
        pytest.skip("kubectl is not installed (pip install 'k8slearn[kubectl]')")
    made = Cluster(tmp_path_factory.mktemp("practice"))
    yield made
    made.server.stop()


def rows(table: str) -> list[list[str]]:
    """A kubectl table as rows of cells (split at runs of two or more spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]


# --- the server itself ---------------------------------------------------------------------------


def _get(server: PracticeServer, path: str, token: str | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(
            request, timeout=5, context=server.client_ssl_context()
        ) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_listens_on_loopback_over_tls_and_wants_the_token():
    with PracticeServer(fresh_state()) as server:
        assert server.url == f"https://127.0.0.1:{server.port}"
        assert server._httpd.server_address[0] == "127.0.0.1"  # type: ignore[union-attr]
        try:
            other = socket.gethostbyname(socket.gethostname())
        except OSError:
            other = "127.0.0.1"
        if not other.startswith("127."):  # not reachable on the machine's other addresses
            with pytest.raises(OSError):
                socket.create_connection((other, server.port), timeout=1).close()
        code, body = _get(server, "/api/v1/namespaces/shop/pods")
        assert code == 401
        assert (body["kind"], body["status"], body["reason"], body["code"]) == (
            "Status",
            "Failure",
            "Unauthorized",
            401,
        )
        assert _get(server, "/api", token="not-the-token")[0] == 401
        code, body = _get(server, "/api/v1/namespaces/shop/pods", token=server.token)
        assert code == 200 and body["kind"] == "PodList"
        assert [p["metadata"]["name"] for p in body["items"]] == ["db", "web-1", "web-2"]
        # Plain http gets no answer at all: the port speaks only TLS.
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api", timeout=5)
        # A client that trusts only the system's authorities refuses the certificate.
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(server.url + "/api", timeout=5)


def test_each_server_makes_its_own_token_and_certificate():
    first, second = PracticeServer(fresh_state()), PracticeServer(fresh_state())
    assert first.token != second.token and len(first.token) >= 32
    assert first.certificate_authority != second.certificate_authority
    assert first.certificate_authority.startswith("-----BEGIN CERTIFICATE-----")


def test_kubeconfig_is_private_and_names_the_cluster(tmp_path):
    with PracticeServer(fresh_state()) as server:
        path = write_kubeconfig(tmp_path / "kc", server.url, server.token, "shop")
        url = server.url
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = yaml.safe_load(path.read_text())
    cluster = config["clusters"][0]
    assert cluster["name"] == "k8slearn-practice"
    assert cluster["cluster"]["server"] == url
    authority = base64.b64decode(cluster["cluster"]["certificate-authority-data"]).decode()
    assert authority == server.certificate_authority
    assert config["users"][0]["user"]["token"] == server.token
    context = config["contexts"][0]
    assert context["context"]["namespace"] == "shop"
    assert config["current-context"] == context["name"]


@needs_kubectl
def test_kubectl_refuses_a_server_it_cannot_verify(tmp_path):
    with PracticeServer(fresh_state()) as server:
        path = write_kubeconfig(
            tmp_path / "kc", server.url, server.token, "shop", certificate_authority=""
        )
        env = dict(os.environ, KUBECONFIG=str(path), HOME=str(tmp_path))
        done = subprocess.run(
            [KUBECTL, "get", "pods"], capture_output=True, text=True, env=env, timeout=60
        )
    assert done.returncode != 0
    assert "x509: certificate signed by unknown authority" in done.stderr
    assert not server.requests  # nothing reached the API


@needs_kubectl
def test_api_resources_match_upstream_discovery(cluster):
    table = {row[0]: row for row in rows(cluster.ok("api-resources", "-o", "wide"))[1:]}
    # kubectl api-resources on a v1.37 cluster: name, short names, apiVersion, namespaced,
    # kind, verbs and categories of the kinds an exam's networking questions touch.
    every = "create,delete,deletecollection,get,list,patch,update,watch"
    assert table["services"] == ["services", "svc", "v1", "true", "Service", every, "all"]
    assert table["pods"] == ["pods", "po", "v1", "true", "Pod", every, "all"]
    assert table["endpoints"] == ["endpoints", "ep", "v1", "true", "Endpoints", every]
    assert table["namespaces"] == [
        "namespaces",
        "ns",
        "v1",
        "false",
        "Namespace",
        "create,delete,get,list,patch,update,watch",
    ]
    assert table["deployments"] == [
        "deployments",
        "deploy",
        "apps/v1",
        "true",
        "Deployment",
        every,
        "all",
    ]
    assert table["networkpolicies"] == [
        "networkpolicies",
        "netpol",
        "networking.k8s.io/v1",
        "true",
        "NetworkPolicy",
        every,
    ]
    assert table["endpointslices"] == [
        "endpointslices",
        "discovery.k8s.io/v1",
        "true",
        "EndpointSlice",
        every,
    ]
    assert "Server Version: v1.37.0" in cluster.ok("version")


@needs_kubectl
def test_kubectl_asks_for_aggregated_discovery_and_gets_it(tmp_path):
    """A cold cache: kubectl asks /api and /apis for APIGroupDiscoveryList first, and stops
    there (no /api/v1 or /apis/<group>/<version> round trips) when it gets it."""
    cold = Cluster(tmp_path)
    try:
        cold.ok("get", "pods")
        asked = [(m, p) for m, p, _ in cold.server.requests]
        accepts = [a for _, p, a in cold.server.requests if p == "/api?timeout=32s"]
        assert accepts and accepts[0].startswith(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        )
        assert not [p for _, p in asked if re.search(r"/apis?/[^?]*v1\?timeout", p)]
        assert asked[-1][1] == "/api/v1/namespaces/shop/pods?limit=500"
    finally:
        cold.server.stop()


# --- reading the world ---------------------------------------------------------------------------


@needs_kubectl
def test_get_pods_with_labels_as_a_cluster_prints_them(cluster):
    table = rows(cluster.ok("get", "pods", "-n", "shop", "--show-labels"))
    assert table[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    body = {row[0]: row for row in table[1:]}
    assert sorted(body) == ["db", "web-1", "web-2"]
    assert body["web-1"][1:4] == ["1/1", "Running", "0"]
    assert body["web-2"][1] == "0/1"  # not ready: the scenario says so
    assert body["web-1"][5] == "app=web,tier=front"
    assert body["db"][5] == "app=db,tier=back"


@needs_kubectl
def test_services_and_endpoints_come_from_the_model(cluster):
    done = cluster.kubectl("get", "svc,ep", "-n", "shop")
    assert done.returncode == 0, done.stderr
    lines = rows(done.stdout)
    service = next(r for r in lines if r[0] == "service/web")
    assert service[1] == "ClusterIP" and service[2].startswith("10.96.")
    assert service[4] == "80/TCP"
    endpoints = next(r for r in lines if r[0] == "endpoints/web")
    # The named targetPort `http` resolves to 8080 on the ready pod; web-2 is not ready.
    ip = cluster.json("get", "pod", "web-1")["status"]["podIP"]
    assert endpoints[1] == f"{ip}:8080"
    # v1.33+ API servers warn on every use of v1 Endpoints.
    assert (
        "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
        in done.stderr
    )
    described = dict(
        line.split(":", 1)
        for line in cluster.ok("describe", "svc", "web").splitlines()
        if ":" in line
    )
    assert described["Endpoints"].strip() == f"{ip}:8080"
    assert described["TargetPort"].strip() == "http/TCP"
    ep = cluster.json("get", "endpoints", "web")
    assert [a["targetRef"]["name"] for a in ep["subsets"][0]["notReadyAddresses"]] == ["web-2"]
    slices = cluster.json("get", "endpointslices", "-l", "kubernetes.io/service-name=web")
    (one,) = slices["items"]
    assert one["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == (
        "endpointslice-controller.k8s.io"
    )
    assert {e["targetRef"]["name"]: e["conditions"]["ready"] for e in one["endpoints"]} == {
        "web-1": True,
        "web-2": False,
    }


@needs_kubectl
def test_namespaces_all_namespaces_and_context_namespace(cluster):
    everywhere = rows(cluster.ok("get", "pods", "-A"))
    assert everywhere[0][:2] == ["NAMESPACE", "NAME"]
    assert ["other", "client"] in [r[:2] for r in everywhere]
    assert rows(cluster.ok("get", "pods", "--all-namespaces")) == everywhere
    assert [r[0] for r in rows(cluster.ok("get", "pods", "-n", "other"))[1:]] == ["client"]
    # Without -n, the kubeconfig's context namespace (the exercise's) is used.
    assert [r[0] for r in rows(cluster.ok("get", "pods"))[1:]] == ["db", "web-1", "web-2"]
    assert cluster.ok("get", "pods", "-n", "nowhere").strip() == ""
    assert (
        "No resources found in nowhere namespace."
        in cluster.kubectl("get", "pods", "-n", "nowhere").stderr
    )
    labels = {r[0]: r[-1] for r in rows(cluster.ok("get", "ns", "--show-labels"))[1:]}
    assert labels["shop"] == "kubernetes.io/metadata.name=shop,team=payments"
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= set(labels)


@needs_kubectl
@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("app=web", ["web-1", "web-2"]),
        ("app==web,tier=front", ["web-1"]),
        ("app=web,tier!=front", ["web-2"]),  # != also matches pods without the key
        ("app in (web,db)", ["db", "web-1", "web-2"]),
        ("app notin (web)", ["db"]),
        ("tier", ["db", "web-1"]),
        ("!tier", ["web-2"]),
    ],
)
def test_label_selectors(cluster, selector, names):
    assert cluster.ok("get", "pods", "-l", selector, "-o", "name").split() == [
        f"pod/{n}" for n in names
    ]


@needs_kubectl
def test_field_selectors(cluster):
    assert cluster.ok(
        "get", "pods", "--field-selector", "metadata.name!=db,status.phase=Running", "-o", "name"
    ).split() == ["pod/web-1", "pod/web-2"]
    refused = cluster.fails("get", "pods", "--field-selector", "spec.color=red")
    assert refused.endswith("field label not supported: spec.color")


@needs_kubectl
def test_output_formats(cluster):
    as_yaml = yaml.safe_load(cluster.ok("get", "svc", "web", "-o", "yaml"))
    assert (as_yaml["apiVersion"], as_yaml["kind"]) == ("v1", "Service")
    spec = as_yaml["spec"]
    assert spec["type"] == "ClusterIP" and spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": "http"}]
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    as_json = cluster.json("get", "svc", "web")
    assert as_json["metadata"]["uid"] == as_yaml["metadata"]["uid"]
    assert cluster.ok("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}") == spec["clusterIP"]
    assert cluster.ok("get", "svc/web", "pod/db", "-o", "name").split() == ["service/web", "pod/db"]
    listed = yaml.safe_load(cluster.ok("get", "pods", "-o", "yaml"))
    assert listed["kind"] == "List"
    assert [i["kind"] for i in listed["items"]] == ["Pod", "Pod", "Pod"]
    custom = rows(
        cluster.ok(
            "get", "svc", "-o", "custom-columns=NAME:.metadata.name,PORTS:.spec.ports[*].port"
        )
    )
    assert custom == [["NAME", "PORTS"], ["web", "80"]]


@needs_kubectl
def test_missing_objects_say_not_found(cluster):
    assert cluster.fails("get", "svc", "nothing") == (
        'Error from server (NotFound): services "nothing" not found'
    )
    assert cluster.fails("get", "deploy", "nothing", "-n", "other") == (
        'Error from server (NotFound): deployments.apps "nothing" not found'
    )
    assert (
        cluster.fails("get", "widgets")
        == 'error: the server doesn\'t have a resource type "widgets"'
    )


# --- writing -------------------------------------------------------------------------------------


@needs_kubectl
def test_create_service_clusterip_then_get_it(cluster):
    # kubectl's typed client sends this one as protobuf.
    assert cluster.ok("create", "service", "clusterip", "api", "--tcp=80:8080").strip() == (
        "service/api created"
    )
    svc = cluster.json("get", "svc", "api")
    # What `kubectl create service clusterip` makes (kubectl pkg/cmd/create/create_service.go):
    # selector app=<name>, label app=<name>, a port named "<port>-<targetPort>".
    assert svc["metadata"]["labels"] == {"app": "api"}
    assert svc["spec"]["selector"] == {"app": "api"}
    assert svc["spec"]["ports"] == [
        {"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}
    ]
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["sessionAffinity"] == "None"
    assert svc["spec"]["internalTrafficPolicy"] == "Cluster"
    assert svc["spec"]["clusterIP"].startswith("10.96.")
    again = cluster.fails("create", "service", "clusterip", "api", "--tcp=80:8080")
    assert again == 'error: failed to create ClusterIP service: services "api" already exists'


@needs_kubectl
def test_create_nodeport_service_gets_a_node_port(cluster):
    cluster.ok("create", "service", "nodeport", "np", "--tcp=80:8080")
    svc = cluster.json("get", "svc", "np")
    (port,) = svc["spec"]["ports"]
    assert 30000 <= port["nodePort"] <= 32767
    assert svc["spec"]["externalTrafficPolicy"] == "Cluster"
    row = rows(cluster.ok("get", "svc", "np"))[1]
    assert row[4] == f"80:{port['nodePort']}/TCP"


INVALID = [
    # (manifest, what a v1.37 API server answers, through kubectl)
    (
        {"metadata": {"name": "bad-port"}, "spec": {"ports": [{"port": 0}]}},
        'The Service "bad-port" is invalid: spec.ports[0].port: Invalid value: 0: must be '
        "between 1 and 65535, inclusive",
    ),
    (
        {"metadata": {"name": "bad-type"}, "spec": {"type": "Nodeport", "ports": [{"port": 80}]}},
        'The Service "bad-type" is invalid: spec.type: Unsupported value: "Nodeport": supported '
        'values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ),
    (
        {"metadata": {"name": "no-ports"}, "spec": {"selector": {"app": "web"}}},
        'The Service "no-ports" is invalid: spec.ports: Required value',
    ),
    (
        {
            "metadata": {"name": "np-on-clusterip"},
            "spec": {"ports": [{"port": 80, "nodePort": 30080}]},
        },
        'The Service "np-on-clusterip" is invalid: spec.ports[0].nodePort: Forbidden: may not '
        "be used when `type` is 'ClusterIP'",
    ),
    (
        {
            "metadata": {"name": "low-node-port"},
            "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]},
        },
        'The Service "low-node-port" is invalid: spec.ports[0].nodePort: Invalid value: 80: '
        "provided port is not in the valid range. The range of valid ports is 30000-32767",
    ),
    (
        {"metadata": {"name": "Web"}, "spec": {"ports": [{"port": 80}]}},
        'The Service "Web" is invalid: metadata.name: Invalid value: "Web": a lowercase RFC 1123 '
        "label must consist of lower case alphanumeric characters or '-', and must start and end "
        "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ),
    (
        {
            "metadata": {"name": "bad-target"},
            "spec": {"ports": [{"port": 80, "targetPort": "Http"}]},
        },
        'The Service "bad-target" is invalid: spec.ports[0].targetPort: Invalid value: "Http": '
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
    ),
    (
        {
            "metadata": {"name": "bad-protocol"},
            "spec": {"ports": [{"port": 80, "protocol": "tcp"}]},
        },
        'The Service "bad-protocol" is invalid: spec.ports[0].protocol: Unsupported value: "tcp": '
        'supported values: "SCTP", "TCP", "UDP"',
    ),
    (
        {"metadata": {"name": "no-name-for-ext"}, "spec": {"type": "ExternalName"}},
        'The Service "no-name-for-ext" is invalid: spec.externalName: Required value',
    ),
    (
        {
            "metadata": {"name": "bad-selector"},
            "spec": {"selector": {"app": "web site"}, "ports": [{"port": 80}]},
        },
        'The Service "bad-selector" is invalid: spec.selector: Invalid value: "web site": a '
        "valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ),
    (
        {"metadata": {"name": "bad-ip"}, "spec": {"clusterIP": "none", "ports": [{"port": 80}]}},
        'The Service "bad-ip" is invalid: spec.clusterIPs[0]: Invalid value: "none": must be a '
        "valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
    ),
]


@needs_kubectl
@pytest.mark.parametrize(
    ("manifest", "expected"), INVALID, ids=[m["metadata"]["name"] for m, _ in INVALID]
)
def test_invalid_services_are_refused_in_the_api_servers_words(cluster, manifest, expected):
    body = json.dumps({"apiVersion": "v1", "kind": "Service", **manifest})
    assert cluster.fails("create", "-f", "-", stdin=body) == expected
    with pytest.raises(Exception, match="not found"):
        cluster.state.get(resource_of_kind("Service"), "shop", manifest["metadata"]["name"])


@needs_kubectl
def test_several_problems_are_listed_as_kubectl_lists_them(cluster):
    body = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "two-ports"},
            "spec": {"ports": [{"port": 80}, {"port": 80}]},
        }
    )
    assert cluster.fails("create", "-f", "-", stdin=body) == (
        'The Service "two-ports" is invalid: \n'
        "* spec.ports[0].name: Required value\n"
        "* spec.ports[1].name: Required value\n"
        '* spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,'
        '"Port":80,"TargetPort":0,"NodePort":0}'
    )


@needs_kubectl
def test_other_kinds_are_refused_in_the_api_servers_words(cluster):
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "mixed-peer"},
        "spec": {
            "podSelector": {},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}],
        },
    }
    assert cluster.fails("create", "-f", "-", stdin=json.dumps(policy)) == (
        'The NetworkPolicy "mixed-peer" is invalid: spec.ingress[0].from[0]: Forbidden: may not '
        "specify both ipBlock and another peer"
    )
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "mismatch"},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    assert cluster.fails("create", "-f", "-", stdin=json.dumps(deployment)) == (
        'The Deployment "mismatch" is invalid: spec.template.metadata.labels: Invalid value: '
        '{"app":"web"}: `selector` does not match template `labels`'
    )


@needs_kubectl
def test_unknown_fields_are_refused_by_strict_field_validation(cluster):
    body = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "strict"},
            "spec": {"ports": [{"port": 80, "containerPort": 8080}]},
        }
    )
    assert cluster.fails("create", "-f", "-", stdin=body) == (
        'Error from server (BadRequest): error when creating "STDIN": Service in version "v1" '
        "cannot be handled as a Service: strict decoding error: unknown field "
        '"spec.ports[0].containerPort"'
    )


@needs_kubectl
def test_a_quoted_number_is_a_decoding_error(cluster):
    body = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: quoted}\nspec:\n  ports:\n  - port: '80'\n"
    )
    assert cluster.fails("create", "-f", "-", stdin=body) == (
        'Error from server (BadRequest): error when creating "STDIN": Service in version "v1" '
        "cannot be handled as a Service: json: cannot unmarshal string into Go struct field "
        "ServicePort.spec.ports.port of type int32"
    )


@needs_kubectl
def test_dry_run_server_changes_nothing(cluster):
    out = yaml.safe_load(
        cluster.ok(
            "create", "service", "clusterip", "dry", "--tcp=80", "--dry-run=server", "-o", "yaml"
        )
    )
    assert out["spec"]["clusterIP"].startswith("10.96.")  # allocated, as a real dry run shows
    assert (
        cluster.fails("get", "svc", "dry")
        == 'Error from server (NotFound): services "dry" not found'
    )


@needs_kubectl
def test_create_deployment_starts_its_pods(cluster):
    cluster.ok("create", "deployment", "shopfront", "--image=nginx", "--port=80", "--replicas=2")
    deploy = cluster.json("get", "deploy", "shopfront")
    assert deploy["status"]["readyReplicas"] == 2
    (rs,) = cluster.json("get", "rs", "-l", "app=shopfront")["items"]
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"shopfront-{pod_hash}"
    pods = cluster.json("get", "pods", "-l", "app=shopfront")["items"]
    assert len(pods) == 2
    for pod in pods:
        assert re.fullmatch(
            rf"shopfront-{pod_hash}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", pod["metadata"]["name"]
        )
        assert pod["status"]["podIP"].startswith("10.244.")
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert len({p["spec"]["nodeName"] for p in pods}) == 2  # spread over both nodes


@needs_kubectl
def test_expose_deployment_makes_the_service_upstream_makes(cluster):
    cluster.ok("create", "deployment", "catalog", "--image=nginx", "--port=8080", "--replicas=2")
    assert cluster.ok(
        "expose", "deployment", "catalog", "--port", "80", "--target-port", "8080"
    ).strip() == ("service/catalog exposed")
    svc = cluster.json("get", "svc", "catalog")
    # kubectl pkg/cmd/expose: selector from spec.selector.matchLabels, labels copied from the
    # Deployment, one unnamed TCP port with the given targetPort.
    assert svc["spec"]["selector"] == {"app": "catalog"}
    assert svc["metadata"]["labels"] == {"app": "catalog"}
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]
    endpoints = cluster.json("get", "endpoints", "catalog")
    assert len(endpoints["subsets"][0]["addresses"]) == 2
    assert endpoints["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
    # Without --port, the container port is used for both ends.
    cluster.ok("expose", "deployment", "catalog", "--name", "catalog-direct", "--type", "NodePort")
    direct = cluster.json("get", "svc", "catalog-direct")
    (port,) = direct["spec"]["ports"]
    assert (port["port"], port["targetPort"], port["protocol"]) == (8080, 8080, "TCP")
    assert direct["spec"]["type"] == "NodePort" and 30000 <= port["nodePort"] <= 32767


@needs_kubectl
def test_expose_pod_service_and_replicaset(cluster):
    cluster.ok("expose", "pod", "web-1", "--port", "80", "--name", "web-one")
    web_one = cluster.json("get", "svc", "web-one")
    assert web_one["spec"]["selector"] == {"app": "web", "tier": "front"}  # the pod's labels
    assert web_one["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    cluster.ok("expose", "service", "web", "--port", "8080", "--name", "web-alias")
    alias = cluster.json("get", "svc", "web-alias")
    assert alias["spec"]["selector"] == {"app": "web"}  # the Service's selector
    assert alias["spec"]["ports"] == [{"port": 8080, "protocol": "TCP", "targetPort": 8080}]
    cluster.ok("create", "deployment", "cart", "--image=nginx")
    rs_name = cluster.ok("get", "rs", "-l", "app=cart", "-o", "jsonpath={.items[0].metadata.name}")
    cluster.ok(
        "expose", "rs", rs_name, "--port", "80", "--target-port", "http", "--name", "cart-rs"
    )
    by_rs = cluster.json("get", "svc", "cart-rs")
    pod_hash = rs_name.rsplit("-", 1)[1]
    assert by_rs["spec"]["selector"] == {"app": "cart", "pod-template-hash": pod_hash}
    assert by_rs["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": "http"}]


@needs_kubectl
@needs_patch
def test_label_overwrite_and_remove(cluster):
    assert cluster.ok("label", "pod", "db", "access=true").strip() == "pod/db labeled"
    assert cluster.fails("label", "pod", "db", "access=false") == (
        "error: 'access' already has a value (true), and --overwrite is false"
    )
    cluster.ok("label", "pod", "db", "access=false", "--overwrite")
    assert rows(cluster.ok("get", "pod", "db", "--show-labels"))[1][-1] == (
        "access=false,app=db,tier=back"
    )
    assert cluster.ok("label", "pod", "db", "access-").strip() == "pod/db unlabeled"
    assert rows(cluster.ok("get", "pod", "db", "--show-labels"))[1][-1] == "app=db,tier=back"
    # The model sees the change: a Service selecting the label finds the pod.
    cluster.ok("label", "pod", "db", "role=primary")
    cluster.ok("create", "service", "clusterip", "primary", "--tcp=5432")
    cluster.ok("set", "selector", "svc", "primary", "role=primary")
    ip = cluster.json("get", "pod", "db")["status"]["podIP"]
    assert rows(cluster.ok("get", "ep", "primary"))[1][1] == f"{ip}:5432"
    assert cluster.state.scenario().pod("shop/db").labels["role"] == "primary"


@needs_kubectl
@needs_patch
def test_cluster_ip_cannot_change(cluster):
    cluster.ok("create", "service", "clusterip", "fixed", "--tcp=80")
    patch = '[{"op":"replace","path":"/spec/clusterIP","value":"10.96.0.99"}]'
    assert cluster.fails("patch", "svc", "fixed", "--type", "json", "-p", patch) == (
        'The Service "fixed" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.99"]: '
        "may not change once set"
    )


@needs_kubectl
@needs_patch
def test_type_change_allocates_and_releases_node_ports(cluster):
    cluster.ok("create", "service", "clusterip", "flip", "--tcp=80")
    cluster.ok("patch", "svc", "flip", "-p", '{"spec":{"type":"NodePort"}}')
    (port,) = cluster.json("get", "svc", "flip")["spec"]["ports"]
    assert 30000 <= port["nodePort"] <= 32767
    cluster.ok("patch", "svc", "flip", "-p", '{"spec":{"type":"ClusterIP"}}')
    spec = cluster.json("get", "svc", "flip")["spec"]
    assert "nodePort" not in spec["ports"][0] and "externalTrafficPolicy" not in spec


@needs_kubectl
def test_replace_with_a_stale_resource_version_conflicts(cluster, tmp_path):
    cluster.ok("create", "service", "clusterip", "stale", "--tcp=80")
    svc = cluster.json("get", "svc", "stale")
    svc["metadata"]["resourceVersion"] = "1"
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(svc))
    assert cluster.fails("replace", "-f", str(path)) == (
        f'Error from server (Conflict): error when replacing "{path}": Operation cannot be '
        'fulfilled on services "stale": the object has been modified; please apply your changes '
        "to the latest version and try again"
    )
    svc = cluster.json("get", "svc", "stale")
    svc["spec"]["ports"][0]["port"] = 81
    path.write_text(json.dumps(svc))
    assert cluster.ok("replace", "-f", str(path)).strip() == "service/stale replaced"
    assert cluster.json("get", "svc", "stale")["spec"]["ports"][0]["port"] == 81


@needs_kubectl
def test_delete_service(cluster):
    cluster.ok("create", "service", "clusterip", "gone", "--tcp=80")
    assert (
        cluster.ok("delete", "svc", "gone").strip() == 'service "gone" deleted from shop namespace'
    )
    assert (
        cluster.fails("get", "svc", "gone")
        == 'Error from server (NotFound): services "gone" not found'
    )
    assert cluster.fails("delete", "svc", "gone") == (
        'Error from server (NotFound): services "gone" not found'
    )


@needs_kubectl
def test_deleting_a_deployments_pod_brings_a_new_one_and_deleting_it_cleans_up(cluster):
    cluster.ok("create", "deployment", "phoenix", "--image=nginx", "--replicas=2")
    before = cluster.ok("get", "pods", "-l", "app=phoenix", "-o", "name").split()
    cluster.ok("delete", before[0])
    after = cluster.ok("get", "pods", "-l", "app=phoenix", "-o", "name").split()
    assert len(after) == 2 and before[0] not in after and before[1] in after
    cluster.ok("delete", "deployment", "phoenix")
    assert cluster.ok("get", "rs,pods", "-l", "app=phoenix", "-o", "name").strip() == ""


@needs_kubectl
def test_what_is_not_served_says_so(cluster):
    assert cluster.fails("logs", "db") == (
        "Error from server (NotImplemented): reading the logs of this pod is not available in "
        "the practice cluster"
    )
    assert cluster.fails("port-forward", "pod/db", "15432:5432").endswith(
        "port forwarding is not available in the practice cluster"
    )


@needs_kubectl
def test_a_one_shot_pod_runs_its_command_from_the_model(cluster):
    """`kubectl run … -- wget …`: the pod runs its command at once (answered by the model),
    ends Completed or Error with its exit code, and keeps what it printed as its logs."""
    ip = cluster.json("get", "pod", "web-1")["status"]["podIP"]
    done = cluster.kubectl(
        "run",
        "probe",
        "--rm",
        "-i",
        "--image=busybox",
        "--restart=Never",
        "--",
        "wget",
        "-qO-",
        "--timeout=2",
        "web",
    )
    assert done.returncode == 0, done.stderr
    # agnhost serve-hostname answers with its pod's name (no newline), then kubectl says it
    # deleted the pod.
    assert done.stdout == 'web-1pod "probe" deleted from shop namespace\n'
    assert ip
    cluster.ok(
        "run",
        "miss",
        "--image=busybox",
        "--restart=Never",
        "--",
        "wget",
        "-qO-",
        "--timeout=2",
        "web:81",
    )
    assert rows(cluster.ok("get", "pod", "miss"))[1][1:3] == ["0/1", "Error"]
    assert cluster.ok("logs", "miss") == "wget: download timed out\n"
    cluster.ok("run", "sleeper", "--image=busybox", "--", "sleep", "3600")
    assert rows(cluster.ok("get", "pod", "sleeper"))[1][1:3] == ["1/1", "Running"]


@needs_kubectl
def test_watch_streams_changes(cluster):
    assert KUBECTL is not None
    watcher = subprocess.Popen(
        [KUBECTL, "get", "pods", "-l", "watch=me", "--watch", "--output-watch-events"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cluster.env,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            "watch=true" in path and "watch%3Dme" in path for _, path, _ in cluster.server.requests
        ):
            time.sleep(0.05)  # until kubectl has listed and started its watch
        cluster.ok("run", "watched", "--image=busybox", "--labels=watch=me", "--", "sleep", "1h")
        cluster.ok("delete", "pod", "watched", "--wait=false")
        time.sleep(0.5)
    finally:
        watcher.terminate()
        out, err = watcher.communicate(timeout=10)
    events = [r[:2] for r in rows(out)[1:]]
    assert ["ADDED", "watched"] in events
    assert events[-1] == ["DELETED", "watched"], out + err
    assert "not available" not in err


@needs_kubectl
def test_typed_clients_protobuf_bodies_are_understood(cluster):
    """kubectl's typed clients send protobuf; the objects arrive whole."""
    assert cluster.ok("create", "namespace", "staging").strip() == "namespace/staging created"
    labels = cluster.json("get", "ns", "staging")["metadata"]["labels"]
    assert labels == {"kubernetes.io/metadata.name": "staging"}
    cluster.ok("create", "configmap", "settings", "--from-literal=mode=fast", "-n", "staging")
    assert cluster.json("get", "cm", "settings", "-n", "staging")["data"] == {"mode": "fast"}
    cluster.ok("create", "deployment", "api", "--image=nginx:1.27", "--port=8080", "-n", "staging")
    template = cluster.json("get", "deploy", "api", "-n", "staging")["spec"]["template"]
    (container,) = template["spec"]["containers"]
    assert (container["name"], container["image"]) == ("nginx", "nginx:1.27")
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert container["imagePullPolicy"] == "IfNotPresent"  # a tagged image (defaulting)
    assert cluster.ok("delete", "ns", "staging").strip() == 'namespace "staging" deleted'
    assert cluster.ok("get", "deploy", "-n", "staging", "-o", "name").strip() == ""


@needs_kubectl
@needs_patch
def test_apply_change_apply_merges_ports_by_port(cluster, tmp_path):
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "applied"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "metrics", "port": 9090},
            ],
        },
    }
    path = tmp_path / "svc.yaml"
    path.write_text(yaml.safe_dump(manifest))
    assert cluster.ok("apply", "-f", str(path)).strip() == "service/applied created"
    first = cluster.json("get", "svc", "applied")
    manifest["spec"]["ports"][1]["port"] = 9100
    path.write_text(yaml.safe_dump(manifest))
    assert cluster.ok("apply", "-f", str(path)).strip() == "service/applied configured"
    assert cluster.ok("apply", "-f", str(path)).strip() == "service/applied unchanged"
    second = cluster.json("get", "svc", "applied")
    assert second["spec"]["ports"] == [
        {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
        {"name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": 9100},
    ]
    assert second["spec"]["clusterIP"] == first["spec"]["clusterIP"]
    applied = json.loads(
        second["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert applied["spec"]["ports"][1] == {"name": "metrics", "port": 9100}


def test_apply_change_apply_merges_containers_by_name_and_keeps_what_others_changed(
    cluster, tmp_path
):
    """A three-way apply, as on a cluster: containers merge by name (the one not in the
    change keeps its fields), and a label set by `kubectl label` (never applied) survives."""
    container = {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}
    sidecar = {"name": "log", "image": "busybox:1.36", "args": ["tail", "-f", "/dev/null"]}
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "applied-web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "applied-web"}},
            "template": {
                "metadata": {"labels": {"app": "applied-web"}},
                "spec": {"containers": [container, sidecar]},
            },
        },
    }
    path = tmp_path / "deploy.yaml"
    path.write_text(yaml.safe_dump(manifest))
    assert cluster.ok("apply", "-f", str(path)).strip() == "deployment.apps/applied-web created"
    cluster.ok("label", "deployment", "applied-web", "owner=ops")
    container["image"] = "nginx:1.27"
    path.write_text(yaml.safe_dump(manifest))
    assert cluster.ok("apply", "-f", str(path)).strip() == "deployment.apps/applied-web configured"
    live = cluster.json("get", "deployment", "applied-web")
    containers = {c["name"]: c for c in live["spec"]["template"]["spec"]["containers"]}
    assert list(containers) == ["app", "log"]
    assert containers["app"]["image"] == "nginx:1.27"
    assert containers["app"]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert containers["log"]["args"] == ["tail", "-f", "/dev/null"]
    assert live["metadata"]["labels"]["owner"] == "ops"
    applied = json.loads(
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert applied["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert "labels" not in applied["metadata"]
    # Dropping the sidecar from the file and applying removes it, and only it.
    manifest["spec"]["template"]["spec"]["containers"] = [container]
    path.write_text(yaml.safe_dump(manifest))
    cluster.ok("apply", "-f", str(path))
    live = cluster.json("get", "deployment", "applied-web")
    assert [c["name"] for c in live["spec"]["template"]["spec"]["containers"]] == ["app"]
    cluster.ok("delete", "deployment", "applied-web")


@needs_kubectl
def test_explain_is_served(cluster):
    if importlib.util.find_spec("k8slearn.practice.openapi") is None:
        pytest.skip("practice.openapi is not there yet")
    out = cluster.ok("explain", "service.spec.ports.targetPort")
    assert "KIND:       Service" in out and "FIELD: targetPort <IntOrString>" in out


# --- the state behind it -------------------------------------------------------------------------


def test_state_round_trips_through_json_and_tells_learner_work_apart():
    state = fresh_state()
    service = resource_of_kind("Service")
    pod = resource_of_kind("Pod")
    created, _ = state.create(
        service,
        "shop",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "db"},
            "spec": {"selector": {"app": "db"}, "ports": [{"port": 5432}]},
        },
    )
    labelled = state.get(pod, "shop", "web-2")
    labelled["metadata"]["labels"]["canary"] = "yes"
    state.update(pod, "shop", "web-2", labelled)
    again = PracticeState.from_json(state.to_json())
    assert again.get(service, "shop", "db") == state.get(service, "shop", "db")
    assert [o["metadata"]["name"] for o in again.learner_objects()] == ["db"]
    assert again.resource_version == state.resource_version
    # The grader's view: the learner's YAML, apply-ready, and the scenario with the new label.
    (doc,) = list(yaml.safe_load_all(again.learner_yaml()))
    assert "status" not in doc and "uid" not in doc["metadata"]
    # What the server allocated is not the learner's writing (the round trip keeps that).
    assert again.get(service, "shop", "db")["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    assert "clusterIP" not in doc["spec"] and "clusterIPs" not in doc["spec"]
    scenario = again.scenario()
    assert scenario.pod("shop/web-2").labels["canary"] == "yes"
    assert [m.name for m in scenario.objects] == ["web"]
    with pytest.raises(ValueError):
        PracticeState.from_json('{"format": 99}')


def test_every_write_bumps_the_resource_version_and_a_no_op_does_not():
    state = fresh_state()
    pod = resource_of_kind("Pod")
    start = int(state.resource_version)
    current = state.get(pod, "shop", "db")
    same, _ = state.update(pod, "shop", "db", current)
    assert int(state.resource_version) == start
    assert same["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
    current["metadata"]["labels"]["x"] = "1"
    changed, _ = state.update(pod, "shop", "db", current)
    assert int(state.resource_version) == start + 1
    assert changed["metadata"]["resourceVersion"] == str(start + 1)


def test_objects_given_at_the_start_are_part_of_the_exercise():
    scenario, problems = load_scenario(SCENARIO)
    assert scenario is not None, problems
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "shop"},
        "spec": {"podSelector": {}},
    }
    state = PracticeState.from_exercise(scenario, [policy], namespace="shop")
    stored = state.get(resource_of_kind("NetworkPolicy"), "shop", "deny")
    assert stored["spec"]["policyTypes"] == ["Ingress"]  # defaulted as the API server does
    assert state.learner_objects() == []
    assert sorted(m.name for m in state.scenario().objects) == ["deny", "web"]
    # The kubernetes Service every cluster has is served, but is nobody's answer.
    assert state.get(resource_of_kind("Service"), "default", "kubernetes")["spec"]["clusterIP"] == (
        "10.96.0.1"
    )
    assert "kubernetes" not in [m.name for m in state.scenario().objects]


@needs_kubectl
def test_kube_dns_is_there_to_look_at_and_to_allow(tmp_path):
    """As on kind: kube-dns at 10.96.0.10 with CoreDNS pods labelled k8s-app=kube-dns in
    kube-system, so a learner can read the labels an egress rule for DNS must select,
    and that rule decides whether lookups from an egress-isolated pod work."""
    made = Cluster(tmp_path)
    try:
        listed = rows(made.ok("get", "pods", "-n", "kube-system", "--show-labels"))
        assert [r[0].startswith("coredns-") for r in listed[1:]] == [True, True]
        assert all("k8s-app=kube-dns" in r[-1] for r in listed[1:])
        nodes = made.ok("get", "pods", "-n", "kube-system", "-o", "jsonpath={..nodeName}")
        assert sorted(nodes.split()) == ["node-1", "node-2"]  # one per node, as kubeadm's
        ip = made.ok(
            "get", "svc", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}"
        )
        assert ip == "10.96.0.10"
        lookup = ["exec", "-n", "other", "client", "--", "nslookup", "web.shop.svc.cluster.local"]
        assert "Address: " in made.ok(*lookup)
        deny = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "no-egress", "namespace": "other"},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"]},
        }
        made.ok("apply", "-f", "-", stdin=json.dumps(deny))
        assert "connection timed out" in made.kubectl(*lookup).stdout
        dns = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "dns", "namespace": "other"},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"port": 53, "protocol": "UDP"}],
                    }
                ],
            },
        }
        made.ok("apply", "-f", "-", stdin=json.dumps(dns))
        assert "Address: " in made.ok(*lookup)
    finally:
        made.server.stop()
