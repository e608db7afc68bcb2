"""The OpenAPI v3 documents of the practice cluster: what `kubectl explain` reads.

kubectl 1.37 explains a resource from OpenAPI v3 (kubectl `pkg/explain/v2`): it
asks `GET /openapi/v3` for an index `{"paths": {"api/v1": {"serverRelativeURL":
"/openapi/v3/api/v1?hash=..."}, ...}}`, fetches the document of the resource's
group/version, finds the kind through an operation of
`paths["/api/v1/namespaces/{namespace}/services"]` (or the cluster-scoped path)
carrying `x-kubernetes-group-version-kind`, then walks `components.schemas` from
the schema whose `x-kubernetes-group-version-kind` list holds that kind. Types come
from `$ref`s (wrapped in a one-element `allOf` beside a field's description, as
upstream does), `items`, `additionalProperties` and `enum`; `-required-` from
`required`.

The same documents drive `kubectl apply`, `create -f`, `replace` and `edit`:
kubectl looks for the PATCH operation of the kind. When it lists a `fieldValidation`
query parameter, kubectl validates on the server (it sends `fieldValidation=Strict`)
instead of downloading `/openapi/v2` to validate locally; when its request body
offers `application/strategic-merge-patch+json`, `kubectl apply` computes its patch
from the `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions
here. So those facts must be upstream's, and they are.

Where the facts come from: the shapes are `manifests/openapi/strict.json` (the
upstream 1.37 schemas k8slearn already validates with) plus `practice/openapi/extra.json`
for what it lacks (ReplicaSet, Node, ConfigMap, Event, patch extensions, enum
values); the descriptions are our own, in `practice/openapi/descriptions.yaml`.
The documents are built on first request and kept in memory.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

from k8slearn.practice.resources import RESOURCES, Resource

_DEFS = "#/definitions/"
_SCHEMAS = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
# The Go package behind each API group, which names its schemas (io.k8s.api.<pkg>.<v>.<Kind>).
_PACKAGE = {
    "": "core",
    "apps": "apps",
    "networking.k8s.io": "networking",
    "discovery.k8s.io": "discovery",
}
# Leaf types whose OpenAPI v3 form differs from the JSON-schema form the shapes are kept in.
_V3_FORMS: dict[str, dict[str, Any]] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
}


def schema_name(resource: Resource) -> str:
    """`io.k8s.api.core.v1.Service`: the components/schemas key of a served kind."""
    return f"io.k8s.api.{_PACKAGE[resource.group]}.{resource.version}.{resource.kind}"


def _gv_path(resource: Resource) -> str:
    """`api/v1` or `apis/apps/v1`: the key of its document in the /openapi/v3 index."""
    if resource.group:
        return f"apis/{resource.group}/{resource.version}"
    return f"api/{resource.version}"


def _read(name: str) -> str:
    return (resources.files("k8slearn") / name).read_text(encoding="utf-8")


def _plain(node: Any) -> Any:
    """JSON-schema shapes (nullable type lists, closed objects) in plain OpenAPI form."""
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "additionalProperties" and value is False:
            continue
        if key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            value = kinds[0] if len(kinds) == 1 else kinds
        elif key == "$ref":
            value = _SCHEMAS + value.removeprefix(_DEFS)
        else:
            value = _plain(value)
        out[key] = value
    return out


@cache
def _descriptions() -> dict[str, dict[str, str]]:
    import yaml  # only when a document is first built

    data = yaml.safe_load(_read("practice/openapi/descriptions.yaml"))
    return {
        name: {field: " ".join(text.split()) for field, text in fields.items()}
        for name, fields in data.items()
    }


def _describe(name: str, schema: dict[str, Any], list_of: str | None = None) -> None:
    """Put our descriptions on a schema and its fields, wrapping field refs in allOf.

    `list_of` names the kind of a <Kind>List schema, described from the "*List" section.
    The shared "*" section describes apiVersion/kind/metadata of object types only
    (those with a metadata field) that have no entry of their own.
    """
    texts = _descriptions()
    if list_of is not None:
        own = {k: v.replace("{kind}", list_of) for k, v in texts["*List"].items()}
    else:
        own = texts.get(name, {})
    properties = schema.get("properties", {})
    common = texts["*"] if "metadata" in properties else {}
    if "." in own:
        schema["description"] = own["."]
    for field, prop in properties.items():
        text = own.get(field) or common.get(field)
        if text is None:
            continue
        if "$ref" in prop:
            prop["allOf"] = [{"$ref": prop.pop("$ref")}]
        prop["description"] = text


@cache
def _shape_sources() -> tuple[dict[str, Any], dict[str, Any]]:
    """(strict.json, extra.json): the upstream shapes, as shipped."""
    strict = json.loads(_read("manifests/openapi/strict.json"))
    extra = json.loads(_read("practice/openapi/extra.json"))
    return strict, extra


def documented() -> tuple[Resource, ...]:
    """The served resources we have a schema for (all of them, as a test checks)."""
    strict, extra = _shape_sources()
    kinds = {**extra["kinds"], **strict["kinds"]}
    return tuple(r for r in RESOURCES if f"{r.group_version} {r.kind}" in kinds)


@cache
def _components() -> dict[str, dict[str, Any]]:
    """Every schema the practice cluster documents, keyed by its upstream name."""
    strict, extra = _shape_sources()
    shapes: dict[str, Any] = {}
    for source in (extra, strict):  # no type is in both; strict.json would win
        shapes.update({name: _plain(shape) for name, shape in source["definitions"].items()})
    shapes.update(_V3_FORMS)
    kinds = {**extra["kinds"], **strict["kinds"]}
    for resource in documented():
        root = _plain(kinds[f"{resource.group_version} {resource.kind}"])
        for field in ("apiVersion", "kind"):
            root["properties"][field].pop("enum", None)  # strict.json pins them; upstream does not
        root["x-kubernetes-group-version-kind"] = [_gvk(resource)]
        shapes[schema_name(resource)] = root
        shapes[schema_name(resource) + "List"] = _list_shape(resource)
    shapes[_META + "Patch"] = {"type": "object"}
    for name, fields in extra["patch"].items():
        for field, (strategy, *merge_key) in fields.items():
            prop = shapes[name]["properties"][field]
            prop["x-kubernetes-patch-strategy"] = strategy
            if merge_key:
                prop["x-kubernetes-patch-merge-key"] = merge_key[0]
    for name, fields in extra["enums"].items():
        for field, values in fields.items():
            prop = shapes[name]["properties"][field]
            if isinstance(values, dict):
                prop["items"]["enum"] = values["items"]
            else:
                prop["enum"] = values
    lists = {schema_name(r) + "List": r.kind for r in documented()}
    for name, shape in shapes.items():
        _describe(name, shape, lists.get(name))
    return shapes


def _gvk(resource: Resource, kind: str | None = None) -> dict[str, str]:
    return {"group": resource.group, "kind": kind or resource.kind, "version": resource.version}


def _list_shape(resource: Resource) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": _SCHEMAS + schema_name(resource)}},
            "kind": {"type": "string"},
            "metadata": {"$ref": _SCHEMAS + _META + "ListMeta"},
        },
        "x-kubernetes-group-version-kind": [_gvk(resource, resource.kind + "List")],
    }


# --- paths -----------------------------------------------------------------------------------


def _query(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": kind}}


def _in_path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


_DRY_RUN = _query("dryRun", "All: check and default the request without storing anything.")
_FIELD_MANAGER = _query("fieldManager", "The name recorded as the manager of the fields written.")
_FIELD_VALIDATION = _query(
    "fieldValidation",
    "What to do with unknown or duplicate fields in the body: Ignore, Warn or Strict (refuse).",
)
_FORCE = _query("force", "For apply patches only: take over conflicting fields.", "boolean")
_WRITE_PARAMS = [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION]
_LIST_PARAMS = [
    _query("labelSelector", "Only objects whose labels match, e.g. app=web,tier!=db."),
    _query("fieldSelector", "Only objects whose fields match, e.g. metadata.name=web."),
    _query("limit", "The most objects to return; the rest come with `continue`.", "integer"),
    _query("continue", "The token of the next page, from a previous list."),
    _query("resourceVersion", "Which version of the collection may be served."),
    _query("watch", "Stream changes instead of returning a list.", "boolean"),
]


def _ok(schema: str) -> dict[str, Any]:
    ref = {"schema": {"$ref": _SCHEMAS + schema}}
    return {
        "200": {"description": "OK", "content": {"application/json": ref, "application/yaml": ref}},
        "401": {"description": "Unauthorized"},
    }


def _operation(
    resource: Resource,
    action: str,
    operation_id: str,
    summary: str,
    returns: str,
    **extra: Any,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "description": summary,
        "operationId": operation_id,
        "responses": _ok(returns),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(resource),
    }
    op.update(extra)
    return op


def _paths(resource: Resource) -> dict[str, Any]:
    """The list/create and read/replace/patch/delete operations of one served kind."""
    plural, kind = resource.plural, resource.kind
    one, many = schema_name(resource), schema_name(resource) + "List"
    body = {"content": {"*/*": {"schema": {"$ref": _SCHEMAS + one}}}}
    patch_body = {
        "content": {t: {"schema": {"$ref": _SCHEMAS + _META + "Patch"}} for t in _PATCH_TYPES}
    }
    # Upstream's operation ids, e.g. patchAppsV1NamespacedDeployment, listCoreV1Node.
    group = _PACKAGE[resource.group].capitalize() + resource.version.capitalize()
    scoped = group + ("Namespaced" if resource.namespaced else "") + kind
    collection = resource.base_path("{namespace}")
    name_param = _in_path("name", f"The name of the {kind}.")
    shared = [_in_path("namespace", "The namespace of the objects.")] if resource.namespaced else []
    paths: dict[str, Any] = {
        collection: {
            "parameters": shared,
            "get": _operation(
                resource,
                "list",
                f"list{scoped}",
                f"List the {plural}.",
                many,
                parameters=_LIST_PARAMS,
            ),
            "post": _operation(
                resource,
                "post",
                f"create{scoped}",
                f"Create a {kind}.",
                one,
                parameters=_WRITE_PARAMS,
                requestBody=body,
            ),
        },
        f"{collection}/{{name}}": {
            "parameters": [name_param, *shared],
            "get": _operation(resource, "get", f"read{scoped}", f"Read one {kind}.", one),
            "put": _operation(
                resource,
                "put",
                f"replace{scoped}",
                f"Replace one {kind}.",
                one,
                parameters=_WRITE_PARAMS,
                requestBody=body,
            ),
            "patch": _operation(
                resource,
                "patch",
                f"patch{scoped}",
                f"Change part of one {kind}.",
                one,
                parameters=[*_WRITE_PARAMS, _FORCE],
                requestBody=patch_body,
            ),
            "delete": _operation(
                resource,
                "delete",
                f"delete{scoped}",
                f"Delete one {kind}.",
                one,
                parameters=[_DRY_RUN],
            ),
        },
    }
    if resource.namespaced:
        paths[resource.base_path()] = {
            "get": _operation(
                resource,
                "list",
                f"list{group}{kind}ForAllNamespaces",
                f"List the {plural} of every namespace.",
                many,
                parameters=_LIST_PARAMS,
            )
        }
    return paths


def _reachable(roots: list[str], schemas: dict[str, Any]) -> dict[str, Any]:
    """The named schemas `roots` refer to, directly or through others."""
    found: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found[name] = schemas[name]
        text = json.dumps(schemas[name])
        for part in text.split('"' + _SCHEMAS)[1:]:
            todo.append(part.split('"', 1)[0])
    return dict(sorted(found.items()))


@cache
def _documents() -> dict[str, bytes]:
    """Every group/version document, serialized once (sorted keys: a stable hash)."""
    schemas = _components()
    by_gv: dict[str, list[Resource]] = {}
    for resource in documented():
        by_gv.setdefault(_gv_path(resource), []).append(resource)
    version = _shape_sources()[1]["kubernetesVersion"]
    out: dict[str, bytes] = {}
    for gv, served in by_gv.items():
        paths: dict[str, Any] = {}
        roots = [_META + "Patch"]
        for resource in served:
            paths.update(_paths(resource))
            roots += [schema_name(resource), schema_name(resource) + "List"]
        doc = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": f"v{version}"},
            "paths": dict(sorted(paths.items())),
            "components": {"schemas": _reachable(roots, schemas)},
        }
        out[gv] = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    return out


def openapi_v3_index(server_relative: bool = True) -> dict[str, Any]:
    """Body of GET /openapi/v3: each served group/version and the URL of its document.

    The URL carries `?hash=` (the document's SHA-512, as upstream's handler sets it),
    so a client cache is refreshed whenever a document changes. With
    `server_relative=False` the URLs are given relative to /openapi/v3/.
    """
    prefix = "/openapi/v3/" if server_relative else ""
    paths = {}
    for gv, body in sorted(_documents().items()):
        digest = hashlib.sha512(body).hexdigest().upper()
        paths[gv] = {"serverRelativeURL": f"{prefix}{gv}?hash={digest}"}
    return {"paths": paths}


def openapi_v3_document(group_version_path: str) -> bytes | None:
    """Body of GET /openapi/v3/<path> (`api/v1`, `apis/apps/v1`...), or None if not served."""
    key = group_version_path.split("?", 1)[0].strip("/").removeprefix("openapi/v3/")
    return _documents().get(key)
