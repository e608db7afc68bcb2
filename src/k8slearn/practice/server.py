"""The stand-in API server: the HTTP face of a `PracticeState`, for the real kubectl.

It listens on 127.0.0.1 only, on a free port, and answers JSON as a v1.37 API
server would: discovery (the aggregated form kubectl asks for first), lists with
label and field selectors, server-side Tables, create/replace/patch/delete with
the API server's defaulting, validation and allocation, `dryRun=All`, and
`Status` refusals worded as upstream words them.

A token made for each run guards it: every request without `Authorization:
Bearer <token>` gets a 401 `Status`. kubectl sends a bearer token only over TLS
(client-go drops credentials for a plain-http server), so the server speaks
HTTPS with a key and certificate made for the run (`tls.make_identity`), which
the kubeconfig names as its certificate authority.

What it does not do (port-forward, server-side apply, logs of a server pod…)
is refused with a `Status` saying it is not available in the practice cluster.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import ssl
import threading
import time
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from k8slearn.practice import admission, resources
from k8slearn.practice.admission import ApiError
from k8slearn.practice.resources import Resource, resource_for

if TYPE_CHECKING:
    from k8slearn.practice.state import PracticeState

HANDSHAKE_TIMEOUT = 10.0  # seconds a client has to complete the TLS handshake
MAX_BODY = 3 * 1024 * 1024  # the API server's own request limit
JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"  # what kubectl's typed clients send
TABLE_GROUP = "meta.k8s.io"
WATCH_LIMIT = 1800.0  # seconds a watch lasts at most (kubectl asks for 5-10 minutes)
ENDPOINTS_WARNING = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
# Deleting these returns the deleted object; other kinds answer a Success Status.
RETURNS_DELETED_OBJECT = {"pods", "services", "namespaces"}
# Fields each kind can be selected by (besides metadata.name and metadata.namespace).
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "pods": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "events": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "namespaces": ("status.phase",),
    "nodes": ("spec.unschedulable",),
    "replicasets": ("status.replicas",),
    "services": ("spec.clusterIP", "spec.type"),
}


class PracticeServer:
    """Serve one PracticeState on loopback over TLS; a context manager (start on enter,
    stop on exit)."""

    def __init__(self, state: PracticeState, token: str | None = None) -> None:
        from k8slearn.practice.tls import make_identity

        self.state = state
        self.token = token or secrets.token_urlsafe(32)
        self.identity = make_identity()
        self.requests: deque[tuple[str, str, str]] = deque(maxlen=500)  # method, path, Accept
        self.stopping = threading.Event()  # tells open watches to end
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PracticeServer:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.socket = self.identity.server_context().wrap_socket(
            httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        httpd.practice = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop to notice
            name="k8slearn-practice-server",
            daemon=True,
        )
        self._thread.start()
        _AUTHORITIES[self.url] = self.certificate_authority
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        _AUTHORITIES.pop(self.url, None)
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> PracticeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the practice server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """`https://127.0.0.1:PORT`: the kubeconfig's server."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def certificate_authority(self) -> str:
        """The server's certificate (PEM): the only authority a client should trust for it."""
        return self.identity.certificate_pem

    def client_ssl_context(self):
        """An `ssl.SSLContext` trusting this server (for Python clients and tests)."""
        return self.identity.client_context()


# The authority of each running server, by URL, for `kubeconfig.write_kubeconfig`.
_AUTHORITIES: dict[str, str] = {}


def certificate_authority_for(url: str) -> str | None:
    """The certificate (PEM) of the running practice server at `url`, if there is one."""
    return _AUTHORITIES.get(url)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    practice: PracticeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that fails the handshake or hangs up: nothing to print (the learner's
        terminal is the server's too)."""


# --- request parsing ------------------------------------------------------------------------------


def _media_types(accept: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        if not pieces:
            continue
        params = {}
        for p in pieces[1:]:
            key, _, value = p.partition("=")
            params[key.strip().lower()] = value.strip()
        out.append((pieces[0].lower(), params))
    return out


def _wants(accept: str) -> str | None:
    """What to answer: "table-v1", "table-v1beta1" or "json"; None when nothing fits."""
    if not accept.strip():
        return "json"
    for media, params in _media_types(accept):
        if media not in (JSON, "application/*", "*/*"):
            continue
        if params.get("as") == "Table" and params.get("g") == TABLE_GROUP:
            if params.get("v") in ("v1", "v1beta1"):
                return f"table-{params['v']}"
            continue
        if "as" in params:
            continue
        return "json"
    return None


class SelectorError(ValueError):
    """A label or field selector the API server could not parse; the message is its reply."""


def parse_label_selector(text: str) -> list[tuple[str, str, frozenset[str]]]:
    """`app=web,tier!=db,env in (a,b),!legacy,team` → (key, operator, values) requirements.

    Operators are those of labels.Parse: = == != in notin, a bare key (exists) and !key.
    """
    requirements = []
    for term in _split_terms(text):
        term = term.strip()
        if not term:
            continue
        match = re.fullmatch(r"!\s*([^\s!=(),]+)", term)
        if match:
            requirements.append((match.group(1), "DoesNotExist", frozenset()))
            continue
        match = re.fullmatch(r"([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)", term)
        if match:
            values = frozenset(v.strip() for v in match.group(3).split(",") if v.strip())
            operator = "In" if match.group(2) == "in" else "NotIn"
            requirements.append((match.group(1), operator, values))
            continue
        match = re.fullmatch(r"([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)", term)
        if match:
            operator = "NotIn" if match.group(2) == "!=" else "In"
            requirements.append((match.group(1), operator, frozenset({match.group(3)})))
            continue
        match = re.fullmatch(r"([^\s!=(),]+)", term)
        if match:
            requirements.append((match.group(1), "Exists", frozenset()))
            continue
        raise SelectorError(
            f"unable to parse requirement: found '{term}', expected: in, notin, =, ==, !="
        )
    return requirements


def _split_terms(text: str) -> list[str]:
    """Split at commas outside parentheses."""
    terms, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    return terms


def labels_match(
    requirements: list[tuple[str, str, frozenset[str]]], labels: dict[str, Any]
) -> bool:
    from k8slearn.model.selectors import Requirement

    have = {k: "" if v is None else str(v) for k, v in (labels or {}).items()}
    return all(Requirement(k, op, values).matches(have) for k, op, values in requirements)  # type: ignore[arg-type]


def parse_field_selector(text: str, plural: str) -> list[tuple[str, bool, str]]:
    """`metadata.name=web,status.phase!=Running` → (field, equal?, value) terms."""
    allowed = ("metadata.name", "metadata.namespace", *FIELD_LABELS.get(plural, ()))
    out = []
    for term in _split_terms(text):
        term = term.strip()
        if not term:
            continue
        match = re.fullmatch(r"([^\s!=]+)\s*(==|=|!=)\s*(.*)", term)
        if match is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        key, operator, value = match.groups()
        if key not in allowed:
            raise SelectorError(f"field label not supported: {key}")
        out.append((key, operator != "!=", value))
    return out


def fields_match(terms: list[tuple[str, bool, str]], obj: dict[str, Any]) -> bool:
    for key, equal, value in terms:
        node: Any = obj
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        text = "" if node is None else str(node).lower() if isinstance(node, bool) else str(node)
        if (text == value) != equal:
            return False
    return True


# --- the handler ----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave as separate TLS writes; with Nagle's algorithm the second
    # waits for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True
    server: _Server
    server_version = "k8slearn-practice"
    sys_version = ""

    def setup(self) -> None:
        """Finish the TLS handshake here, in the request's thread, with a deadline."""
        self.request.settimeout(HANDSHAKE_TIMEOUT)
        self.request.do_handshake()
        self.request.settimeout(None)
        super().setup()

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ssl.SSLError):
            self.close_connection = True  # the client went away or spoke no TLS: nothing to say

    def log_message(self, format: str, *args: Any) -> None:
        """Nothing goes to the terminal: the learner's shell is running there."""

    # --- plumbing ----------------------------------------------------------------------------

    @property
    def practice(self) -> PracticeServer:
        return self.server.practice

    def _dispatch(self) -> None:
        self._warnings: list[str] = []
        self._body_read = False
        try:
            path, query = self._authorized_path()
            self.practice.requests.append((self.command, self.path, self.headers.get("Accept", "")))
            self._route(path, query)
        except ApiError as exc:
            self._warnings += list(exc.warnings)
            self._send_json(exc.code, exc.status)
        except Exception as exc:  # a bug must not kill the learner's kubectl with a hang
            self._send_json(
                500,
                admission.status(500, "InternalError", f"Internal error occurred: {exc}"),
            )

    # Every verb goes through the one dispatcher (http.server looks up `do_<VERB>`).
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _authorized_path(self) -> tuple[str, dict[str, list[str]]]:
        """The request's path and query; a 401 unless it carries the run's bearer token."""
        parts = urlsplit(self.path)
        header = self.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        token = self.practice.token.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
            self._drain_body()
            raise admission.unauthorized()
        path = unquote(parts.path)
        return path.rstrip("/") or "/", parse_qs(parts.query, keep_blank_values=True)

    def _drain_body(self) -> bytes:
        if self._body_read:
            return b""
        self._body_read = True
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise ApiError(
                admission.status(413, "RequestEntityTooLarge", "the request is too large")
            )
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self._drain_body()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache, private")
        for warning in self._warnings:
            self.send_header("Warning", f'299 - "{_header_text(warning)}"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, code: int, obj: Any, content_type: str = JSON) -> None:
        self._send(code, json.dumps(obj, separators=(",", ":")).encode(), content_type)

    def _read_object(self) -> dict[str, Any]:
        raw = self._drain_body()
        kind = (self.headers.get("Content-Type") or JSON).split(";")[0].strip().lower()
        if kind == PROTOBUF:
            from k8slearn.practice.protobuf import ProtobufError, decode_object

            try:
                return decode_object(raw)
            except (ProtobufError, UnicodeDecodeError, ValueError) as exc:
                raise admission.bad_request(
                    f"the body of the request could not be decoded: {exc}"
                ) from None
        if kind not in (JSON, "application/yaml", "application/x-yaml", "text/yaml"):
            raise _unsupported_media_type()
        try:
            if kind in ("application/yaml", "application/x-yaml", "text/yaml"):
                import yaml

                data = yaml.safe_load(raw.decode("utf-8"))
            else:
                data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise admission.bad_request(
                f"the body of the request could not be decoded: {exc}"
            ) from None
        if not isinstance(data, dict):
            raise admission.bad_request("the body of the request must be an object")
        return data

    # --- routing -------------------------------------------------------------------------------

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        parts = [p for p in path.split("/") if p]
        if self.command in ("OPTIONS",):
            raise admission.method_not_allowed()
        if path == "/version":
            return self._read_only(lambda: self._send_json(200, resources.version_info()))
        if parts[:1] == ["openapi"]:
            return self._read_only(lambda: self._openapi(parts))
        if parts == ["api"] or parts == ["apis"]:
            return self._read_only(lambda: self._discovery_root(parts[0] == "api"))
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 2:
            if len(parts) == 2:
                return self._read_only(lambda: self._group(parts[1]))
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise admission.no_such_path()
        if not rest:
            return self._read_only(lambda: self._resource_list(group, version))
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3 and group == "":
            # /api/v1/namespaces/NS/<plural>... unless it is the namespace itself (+status).
            if rest[2] in ("status", "finalize") and len(rest) == 3:
                pass
            else:
                namespace, rest = rest[1], rest[2:]
        elif rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        r = resource_for(group, version, rest[0])
        if r is None:
            raise admission.no_such_path()
        if namespace is not None and not r.namespaced:
            raise admission.no_such_path()
        name = rest[1] if len(rest) >= 2 else None
        sub = rest[2] if len(rest) >= 3 else ""
        if len(rest) > 3:
            raise admission.no_such_path()
        self._resource(r, namespace, name, sub, query)

    def _read_only(self, answer) -> None:
        if self.command not in ("GET", "HEAD"):
            raise admission.method_not_allowed()
        answer()

    def _discovery_root(self, legacy: bool) -> None:
        accept = self.headers.get("Accept", "")
        for media, params in _media_types(accept):
            if (
                media == JSON
                and params.get("g") == "apidiscovery.k8s.io"
                and params.get("v") == "v2"
                and params.get("as") == "APIGroupDiscoveryList"
            ):
                return self._send_json(
                    200, resources.aggregated_discovery(legacy), resources.DISCOVERY_V2
                )
            if media in (JSON, "*/*", "application/*") and "as" not in params:
                break
        body = resources.api_versions() if legacy else resources.api_group_list()
        self._send_json(200, body)

    def _group(self, group: str) -> None:
        found = resources.api_group(group)
        if found is None:
            raise admission.no_such_path()
        self._send_json(200, found)

    def _resource_list(self, group: str, version: str) -> None:
        found = resources.api_resource_list(group, version)
        if found is None:
            raise admission.no_such_path()
        self._send_json(200, found)

    def _openapi(self, parts: list[str]) -> None:
        try:
            from k8slearn.practice import openapi
        except ImportError:
            raise admission.no_such_path() from None
        if parts == ["openapi", "v3"]:
            return self._send_json(200, openapi.openapi_v3_index())
        if parts[:2] == ["openapi", "v3"] and len(parts) > 2:
            body = openapi.openapi_v3_document("/".join(parts[2:]))
            if body is None:
                raise admission.no_such_path()
            return self._send(200, body, JSON)
        raise admission.no_such_path()

    # --- resources -----------------------------------------------------------------------------

    def _resource(
        self,
        r: Resource,
        namespace: str | None,
        name: str | None,
        sub: str,
        query: dict[str, list[str]],
    ) -> None:
        state = self.practice.state
        if r.plural == "endpoints":
            self._warnings.append(ENDPOINTS_WARNING)
        one = _query_value(query, "dryRun")
        if one not in (None, "All"):
            raise admission.bad_request(f'unsupported dry run value: "{one}"')
        dry_run = one == "All"
        validation = _query_value(query, "fieldValidation") or "Strict"
        if validation not in ("Strict", "Warn", "Ignore"):
            raise admission.bad_request(
                f"fieldValidation must be one of Ignore, Warn or Strict, not {validation}"
            )
        if _query_value(query, "watch") in ("true", "1"):
            if self.command not in ("GET", "HEAD") or sub:
                raise admission.method_not_allowed()
            return self._watch(r, namespace, name, query)
        if sub and sub not in r.subresources:
            if r.plural == "pods" and sub in ("exec", "attach"):
                return self._exec(namespace, name or "", query, attach=sub == "attach")
            if r.plural == "pods" and sub == "log" and name and self.command == "GET":
                return self._log(namespace or "", name)
            what = {
                "log": "reading a pod's logs",
                "portforward": "port forwarding",
                "attach": "attaching to a pod",
                "proxy": "proxying",
                "eviction": "evicting a pod",
            }
            raise admission.not_available(what.get(sub, f"the {sub} subresource of {r.plural}"))
        method = self.command
        if name is None:
            if method in ("GET", "HEAD"):
                return self._list(r, namespace, query)
            if method == "POST":
                if r.namespaced and namespace is None:
                    raise admission.no_such_path()
                body = self._read_object()
                obj, warnings = state.create(
                    r, namespace, body, dry_run=dry_run, field_validation=validation
                )
                self._warnings += warnings
                return self._answer_object(201, r, obj, query)
            if method == "DELETE":
                return self._delete_collection(r, namespace, query, dry_run)
            raise admission.method_not_allowed()
        if r.namespaced and namespace is None:
            raise admission.no_such_path()
        if method in ("GET", "HEAD"):
            obj = (
                state.get_subresource(r, namespace, name, sub)
                if sub
                else state.get(r, namespace, name)
            )
            return self._answer_object(200, r, obj, query)
        if method == "PUT":
            body = self._read_object()
            obj, warnings = state.update(
                r,
                namespace,
                name,
                body,
                dry_run=dry_run,
                field_validation=validation,
                subresource=sub,
            )
            self._warnings += warnings
            return self._answer_object(200, r, obj, query)
        if method == "PATCH":
            return self._patch(r, namespace, name, sub, query, dry_run, validation)
        if method == "DELETE":
            if sub:
                raise admission.method_not_allowed()
            return self._delete(r, namespace, name, dry_run)
        raise admission.method_not_allowed()

    def _list(self, r: Resource, namespace: str | None, query: dict[str, list[str]]) -> None:
        state = self.practice.state
        try:
            labels = parse_label_selector(_query_value(query, "labelSelector") or "")
            fields = parse_field_selector(_query_value(query, "fieldSelector") or "", r.plural)
        except SelectorError as exc:
            raise admission.bad_request(str(exc)) from None
        items = [
            o
            for o in state.list(r, namespace)
            if labels_match(labels, (o.get("metadata") or {}).get("labels") or {})
            and fields_match(fields, o)
        ]
        rv = state.resource_version
        wanted = _wants(self.headers.get("Accept", ""))
        if wanted and wanted.startswith("table-") and self._can_table(r):
            return self._send_table(r, items, query, wanted, resource_version=rv)
        if wanted is None:
            raise _not_acceptable()
        for item in items:
            item.pop("apiVersion", None)
            item.pop("kind", None)
        self._send_json(
            200,
            {
                "kind": f"{r.kind}List",
                "apiVersion": r.group_version,
                "metadata": {"resourceVersion": rv},
                "items": items,
            },
        )

    def _answer_object(
        self, code: int, r: Resource, obj: dict[str, Any], query: dict[str, list[str]]
    ) -> None:
        wanted = _wants(self.headers.get("Accept", ""))
        if (
            wanted
            and wanted.startswith("table-")
            and self._can_table(r)
            and obj.get("kind") == r.kind
        ):
            return self._send_table(r, [obj], query, wanted, single=True, code=code)
        if wanted is None:
            raise _not_acceptable()
        self._send_json(code, obj)

    def _can_table(self, r: Resource) -> bool:
        try:
            from k8slearn.practice import tables
        except ImportError:
            return False
        return r.plural in tables.supported_resources()

    def _send_table(
        self,
        r: Resource,
        items: list[dict[str, Any]],
        query: dict[str, list[str]],
        wanted: str,
        *,
        resource_version: str = "",
        single: bool = False,
        code: int = 200,
    ) -> None:
        from k8slearn.practice import tables

        version = wanted.removeprefix("table-")
        api_version = f"{TABLE_GROUP}/{version}"
        context = tables.TableContext(
            resource_version=resource_version,
            single_object=single,
            api_version=api_version,
        )
        try:
            table = tables.table_for(
                r.plural,
                items,
                now=datetime.now(UTC),
                context=context,
                include_object=_query_value(query, "includeObject") or "Metadata",
            )
        except tables.TableError as exc:
            raise admission.bad_request(str(exc)) from None
        self._send_json(code, table, f"{JSON};as=Table;v={version};g={TABLE_GROUP}")

    def _patch(
        self,
        r: Resource,
        namespace: str | None,
        name: str,
        sub: str,
        query: dict[str, list[str]],
        dry_run: bool,
        validation: str,
    ) -> None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body = self._drain_body()
        if content_type.startswith("application/apply-patch"):
            raise admission.not_available("server-side apply (kubectl apply --server-side)")
        try:
            from k8slearn.practice import patch
        except ImportError:
            raise admission.not_available("patching") from None
        kind = "Scale" if sub == "scale" else r.kind

        def apply(original: dict[str, Any]) -> dict[str, Any]:
            try:
                return patch.apply_patch(original, body, content_type, kind)
            except patch.PatchError as exc:
                raise ApiError(exc.status()) from None

        obj, warnings = self.practice.state.patch(
            r,
            namespace,
            name,
            apply,
            dry_run=dry_run,
            field_validation=validation,
            subresource=sub,
        )
        self._warnings += warnings
        self._answer_object(200, r, obj, query)

    def _delete(self, r: Resource, namespace: str | None, name: str, dry_run: bool) -> None:
        self._read_delete_options()
        obj = self.practice.state.delete(r, namespace, name, dry_run=dry_run)
        if r.plural in RETURNS_DELETED_OBJECT:
            return self._send_json(200, obj)
        details: dict[str, Any] = {"name": name}
        if r.group:
            details["group"] = r.group
        details["kind"] = r.plural
        details["uid"] = obj["metadata"].get("uid", "")
        self._send_json(200, admission.success_status(details))

    def _read_delete_options(self) -> dict[str, Any]:
        raw = self._drain_body()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise admission.bad_request("the DeleteOptions could not be decoded") from None
        if not isinstance(data, dict):
            raise admission.bad_request("the DeleteOptions must be an object")
        if data.get("dryRun") not in (None, [], ["All"]):
            raise admission.bad_request("unsupported dry run value")
        return data

    def _delete_collection(
        self, r: Resource, namespace: str | None, query: dict[str, list[str]], dry_run: bool
    ) -> None:
        if "deletecollection" not in r.verbs:
            raise admission.method_not_allowed()
        options = self._read_delete_options()
        dry_run = dry_run or options.get("dryRun") == ["All"]
        state = self.practice.state
        try:
            labels = parse_label_selector(_query_value(query, "labelSelector") or "")
            fields = parse_field_selector(_query_value(query, "fieldSelector") or "", r.plural)
        except SelectorError as exc:
            raise admission.bad_request(str(exc)) from None
        deleted = []
        for obj in state.list(r, namespace):
            meta = obj.get("metadata") or {}
            if labels_match(labels, meta.get("labels") or {}) and fields_match(fields, obj):
                try:
                    deleted.append(
                        state.delete(r, meta.get("namespace"), meta["name"], dry_run=dry_run)
                    )
                except ApiError:
                    continue  # gone meanwhile (owned by something deleted before it)
        self._send_json(
            200,
            {
                "kind": f"{r.kind}List",
                "apiVersion": r.group_version,
                "metadata": {"resourceVersion": state.resource_version},
                "items": deleted,
            },
        )

    # --- watch ---------------------------------------------------------------------------------

    def _watch(
        self, r: Resource, namespace: str | None, name: str | None, query: dict[str, list[str]]
    ) -> None:
        """A watch: the current objects (when asked), then every change as it happens, as
        newline-separated JSON events, until `timeoutSeconds` or the client leaves."""
        state = self.practice.state
        try:
            labels = parse_label_selector(_query_value(query, "labelSelector") or "")
            fields = parse_field_selector(_query_value(query, "fieldSelector") or "", r.plural)
        except SelectorError as exc:
            raise admission.bad_request(str(exc)) from None
        if name is not None:
            fields.append(("metadata.name", True, name))
        wanted = _wants(self.headers.get("Accept", ""))
        if wanted is None:
            raise _not_acceptable()
        table = wanted.startswith("table-") and self._can_table(r)
        try:
            timeout = float(_query_value(query, "timeoutSeconds") or WATCH_LIMIT)
        except ValueError:
            raise admission.bad_request("timeoutSeconds must be a number") from None
        since = _query_value(query, "resourceVersion")
        initial = _query_value(query, "sendInitialEvents") == "true" or since in (None, "", "0")

        def matching() -> dict[str, dict[str, Any]]:
            return {
                o["metadata"].get("uid") or o["metadata"]["name"]: o
                for o in state.list(r, namespace)
                if labels_match(labels, (o.get("metadata") or {}).get("labels") or {})
                and fields_match(fields, o)
            }

        content_type = (
            f"{JSON};as=Table;v={wanted.removeprefix('table-')};g={TABLE_GROUP}" if table else JSON
        )
        self._drain_body()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        seen = state.resource_version
        current = matching()
        try:
            if initial:
                for obj in current.values():
                    self._event("ADDED", r, obj, table, wanted, query)
            if _query_value(query, "sendInitialEvents") == "true":
                marker = {
                    "kind": r.kind,
                    "apiVersion": r.group_version,
                    "metadata": {
                        "resourceVersion": seen,
                        "annotations": {"k8s.io/initial-events-end": "true"},
                    },
                }
                self._chunk({"type": "BOOKMARK", "object": marker})
            deadline = time.monotonic() + min(max(timeout, 0.0), WATCH_LIMIT)
            while not self.practice.stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                now = state.wait_for_change(seen, min(1.0, left))
                if now == seen:
                    continue
                seen = now
                fresh = matching()
                for key, obj in fresh.items():
                    before = current.get(key)
                    if before is None:
                        self._event("ADDED", r, obj, table, wanted, query)
                    elif _without_version(before) != _without_version(obj):
                        self._event("MODIFIED", r, obj, table, wanted, query)
                for key, obj in current.items():
                    if key not in fresh:
                        self._event("DELETED", r, obj, table, wanted, query)
                current = fresh
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return

    def _event(
        self,
        kind: str,
        r: Resource,
        obj: dict[str, Any],
        table: bool,
        wanted: str,
        query: dict[str, list[str]],
    ) -> None:
        if table:
            from k8slearn.practice import tables

            version = wanted.removeprefix("table-")
            body = tables.table_for(
                r.plural,
                [obj],
                now=datetime.now(UTC),
                context=tables.TableContext(
                    single_object=True, api_version=f"{TABLE_GROUP}/{version}"
                ),
                include_object=_query_value(query, "includeObject") or "Metadata",
            )
        else:
            body = obj
        self._chunk({"type": kind, "object": body})

    def _chunk(self, event: dict[str, Any]) -> None:
        data = json.dumps(event, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # --- a pod's output: logs, exec, attach ----------------------------------------------------

    def _log(self, namespace: str, name: str) -> None:
        """What the pod's one-shot command printed (pods the practice cluster ran)."""
        state = self.practice.state
        state.get(_PODS, namespace, name)
        run = state.run_output(namespace, name)
        if run is None:
            raise admission.not_available("reading the logs of this pod")
        self._send(200, (run["stdout"] + run["stderr"]).encode(), "text/plain")

    def _exec(
        self, namespace: str | None, name: str, query: dict[str, list[str]], attach: bool = False
    ) -> None:
        """`kubectl exec` (a WebSocket whose answer the model computes, via connectivity), and
        `kubectl attach` / `run -i` (the output of the pod's own command, replayed)."""
        try:
            from k8slearn.practice import connectivity, streams
        except ImportError:
            raise admission.not_available(
                "attaching to a pod" if attach else "kubectl exec"
            ) from None
        state = self.practice.state
        pod = state.get(_PODS, namespace, name)
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            what = "attach to" if attach else "exec into"
            raise admission.bad_request(
                f"cannot {what} a container in a completed pod; current phase is {phase}"
            )
        names = [c.get("name") for c in pod["spec"].get("containers") or []]
        asked = _query_value(query, "container")
        if asked is not None and asked not in names:
            raise admission.bad_request(f"container {asked} is not valid for pod {name}")
        argv = query.get("command") or []
        run = state.run_output(namespace or "", name) if attach else None
        if attach and run is None:
            raise admission.not_available("attaching to this pod")
        if not attach and not argv:
            raise admission.bad_request("you must specify at least 1 command")
        upgrade = (self.headers.get("Upgrade") or "").lower()
        key = self.headers.get("Sec-WebSocket-Key")
        protocol = streams.choose_subprotocol(self.headers.get("Sec-WebSocket-Protocol") or "")
        if upgrade != "websocket" or not key or protocol is None:
            raise admission.bad_request(
                "kubectl exec and attach need a WebSocket upgrade (kubectl 1.31 or newer)"
            )
        tty = _query_value(query, "tty") in ("true", "1")
        if run is not None:
            # kubectl prints the logs before it attaches (run.go handleAttachPod), and the
            # command has already run: nothing new to stream, only how it ended.
            container = (pod["spec"].get("containers") or [{}])[0]
            argv = [*(container.get("command") or []), *(container.get("args") or [])]
            result = connectivity.ExecResult("", "", int(run["exitCode"]))
        else:
            result = connectivity.run_in_pod(state.world(), namespace or "", name, argv, tty=tty)
        self._drain_body()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", streams.accept_key(key))
        self.send_header("Sec-WebSocket-Protocol", protocol)
        self.end_headers()
        self.wfile.flush()
        streams.send_exec_result(
            self.wfile,
            result.stdout,
            result.stderr,
            streams.exit_status(result.exit_code, list(argv)),
            tty=tty,
        )
        streams.drain_until_close(self.connection, self.rfile)
        self.close_connection = True


_PODS: Resource = resources.RESOURCES[[r.kind for r in resources.RESOURCES].index("Pod")]


def _without_version(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


def _query_value(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[-1] if values else None


def _unsupported_media_type() -> ApiError:
    return ApiError(
        admission.status(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml",
        )
    )


def _not_acceptable() -> ApiError:
    return ApiError(
        admission.status(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, "
            "application/json;as=Table;v=v1;g=meta.k8s.io",
        )
    )


def _header_text(text: str) -> str:
    """A warning as one header line (no quotes or newlines inside the quoted text)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")
