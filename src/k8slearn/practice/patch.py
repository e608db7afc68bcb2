"""PATCH requests applied as the Kubernetes API server applies them.

kubectl changes live objects with PATCH far more often than with PUT: `apply` of a changed
manifest, `label`, `annotate`, `edit`, `set image`, `set selector` and `patch` all send one.
The practice cluster must turn each patch into exactly the object a real cluster would
store, or the learner practises against a wrong picture (a port that should have been kept
vanishes, a container loses its defaults). Three patch types are served:

- ``application/json-patch+json`` (RFC 6902), with the behaviour of the library the API
  server uses (gopkg.in/evanphx/json-patch.v4): negative array indexes, ``replace`` of a
  missing object key adds it, errors worded as that library words them.
- ``application/merge-patch+json`` (RFC 7386), again as json-patch.v4 applies it.
- ``application/strategic-merge-patch+json``: k8s.io/apimachinery/pkg/util/strategicpatch
  ``StrategicMergeMapPatch`` (``mergeMap`` with MergeParallelList and IgnoreUnmatchedNulls, the
  server-side options), with the list strategies and merge keys of the served kinds taken
  from the ``patchStrategy``/``patchMergeKey`` struct tags of k8s.io/api (the same facts the
  OpenAPI spec publishes as x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key).

Server-side apply (``application/apply-patch+yaml``) is not modelled and is refused.

Errors carry what the API server would put in its ``Status`` (code, reason, message) so that
kubectl prints the line a real cluster makes it print; the underlying cause is kept apart
in ``PatchError.cause`` because upstream hides it for some failures (a JSON patch operation
that does not apply answers 422 "the server rejected our request due to an error in our
request").
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "PATCH_STRATEGIES",
    "STRATEGIC_MERGE_PATCH",
    "SUPPORTED_PATCH_TYPES",
    "FieldMeta",
    "KindPatchMeta",
    "PatchError",
    "PatchMeta",
    "apply_patch",
    "json_merge_patch",
    "json_patch",
    "patch_meta_for_kind",
    "strategic_merge_patch",
]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
_APPLY_CBOR = "application/apply-patch+cbor"
SUPPORTED_PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)

# apiserver handlers/patch.go: maxJSONPatchOperations.
_MAX_JSON_PATCH_OPERATIONS = 10000

# apimachinery api/errors NewGenericServerResponse for 422: the server's own text is dropped.
_GENERIC_422 = "the server rejected our request due to an error in our request"


class PatchError(Exception):
    """A refused patch, carrying the ``Status`` the API server would answer with.

    ``str(error)`` is the Status message. ``code``/``reason`` are the HTTP code and Status
    reason (``""`` is upstream's StatusReasonUnknown, used for plain errors answered with
    500). ``details`` is the Status ``details`` object or None when upstream sends none.
    ``cause`` is the underlying explanation when upstream's message hides it (422 answers).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int = 400,
        reason: str = "BadRequest",
        cause: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.cause = cause or message
        self.details = details

    def status(self) -> dict[str, Any]:
        """The metav1.Status body, shaped as upstream serialises it (empty fields omitted)."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = dict(self.details)
        body["code"] = self.code
        return body


def _bad_request(message: str) -> PatchError:
    return PatchError(message, code=400, reason="BadRequest")


def _unprocessable(cause: str) -> PatchError:
    return PatchError(_GENERIC_422, code=422, reason="Invalid", cause=cause, details={})


def _internal(message: str) -> PatchError:
    # responsewriters.ErrorToAPIStatus: an error that is not a Status becomes a 500 with
    # reason StatusReasonUnknown ("") and the error text as message.
    return PatchError(message, code=500, reason="")


# --------------------------------------------------------------------------------------
# Entry point


def apply_patch(original: dict[str, Any], patch_body: bytes, content_type: str, kind: str) -> dict:
    """Apply one PATCH request body to a stored object and return the patched object.

    ``original`` is not modified. ``kind`` selects the strategic-merge metadata (unknown
    kinds: every list is atomic). Raises ``PatchError`` with the Status upstream answers.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in (APPLY_PATCH, _APPLY_CBOR):
        raise PatchError(
            "server-side apply is not available in the practice cluster: "
            "use kubectl apply without --server-side",
            code=415,
            reason="UnsupportedMediaType",
        )
    if media_type not in SUPPORTED_PATCH_TYPES:
        raise PatchError(
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(SUPPORTED_PATCH_TYPES),
            code=415,
            reason="UnsupportedMediaType",
        )
    try:
        body = _parse_json(patch_body)
    except (ValueError, RecursionError):
        # apiserver validateAndTranscodePatch: json.Valid fails.
        raise _bad_request("invalid JSON patch") from None
    try:
        return _apply_parsed(copy.deepcopy(original), body, media_type, kind)
    except RecursionError:
        raise _bad_request("the patch is nested too deeply to apply") from None


def _apply_parsed(document: dict[str, Any], body: Any, media_type: str, kind: str) -> dict:
    if media_type == JSON_PATCH:
        _check_json_patch_shape(body)
        return _apply_json_patch(document, body)
    if media_type == MERGE_PATCH:
        _check_object_patch(body, prefix="error decoding patch: ")
        if body is None:
            raise _bad_request("Invalid JSON Patch")
        return json_merge_patch(document, body)
    _check_object_patch(body, prefix="")
    return strategic_merge_patch(document, body or {}, patch_meta_for_kind(kind))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _parse_json(raw: bytes | str) -> Any:
    """Parse strictly as Go's encoding/json would (no NaN/Infinity)."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if not text.strip():
        raise ValueError("empty body")
    return json.loads(text, parse_constant=_reject_constant)


def _json_type(value: Any) -> str:
    """The JSON value kind as Go's UnmarshalTypeError names it."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


def _check_object_patch(body: Any, *, prefix: str) -> None:
    """Merge and strategic patches are decoded into a map first (fieldValidation=Warn)."""
    if body is not None and not isinstance(body, dict):
        raise _bad_request(
            f"{prefix}json: cannot unmarshal {_json_type(body)} into Go value of type "
            "map[string]interface {}"
        )


def _check_json_patch_shape(body: Any) -> None:
    """apiserver decodes a JSON patch into []jsonPatchOp before applying it."""
    prefix = "error decoding patch: json: cannot unmarshal "
    if body is None:
        return
    if not isinstance(body, list):
        raise _bad_request(
            f"{prefix}{_json_type(body)} into Go value of type []handlers.jsonPatchOp"
        )
    for operation in body:
        if operation is None:
            continue
        if not isinstance(operation, dict):
            raise _bad_request(
                f"{prefix}{_json_type(operation)} into Go value of type handlers.jsonPatchOp"
            )
        for field in ("op", "path", "from"):
            value = operation.get(field)
            if value is not None and not isinstance(value, str):
                raise _bad_request(
                    f"{prefix}{_json_type(value)} into Go struct field jsonPatchOp.{field} "
                    "of type string"
                )
    if len(body) > _MAX_JSON_PATCH_OPERATIONS:
        raise PatchError(
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{_MAX_JSON_PATCH_OPERATIONS}, got {len(body)}",
            code=413,
            reason="RequestEntityTooLarge",
        )


# --------------------------------------------------------------------------------------
# Go formatting, for error messages worded as upstream's


def _go_float(value: float) -> str:
    """Go's %v for a float64 (strconv 'g', shortest): exponent form below 1e-4 or from 1e6."""
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(value)]
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    assert isinstance(exponent, int)
    point = len(text) + exponent  # position of the decimal point after the first digit
    exp = point - 1
    if exp < -4 or exp >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        formatted = f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    elif point <= 0:
        formatted = "0." + "0" * (-point) + text
    elif point >= len(text):
        formatted = text + "0" * (point - len(text))
    else:
        formatted = text[:point] + "." + text[point:]
    return ("-" if sign else "") + formatted


def _go_v(value: Any) -> str:
    """Go's %v for a decoded JSON value (maps print with sorted keys)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(_go_v(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_v(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _go_s(value: Any) -> str:
    """Go's %s: strings as they are, other scalars as ``%!s(type=value)``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return f"%!s(bool={_go_v(value)})"
    if isinstance(value, int):
        return f"%!s(int64={value})"
    if isinstance(value, float):
        return f"%!s(float64={_go_v(value)})"
    return _go_v(value)


def _go_type(value: Any) -> str:
    """reflect.TypeOf(value).String() for a decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def _same(left: Any, right: Any) -> bool:
    """Go's ``==`` on interface values: equal only with the same dynamic type."""
    return type(left) is type(right) and left == right


# --------------------------------------------------------------------------------------
# JSON merge patch (RFC 7386) as gopkg.in/evanphx/json-patch.v4 MergePatch applies it


def json_merge_patch(document: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into ``document`` (modified in place and returned).

    As json-patch.v4 does: ``null`` deletes a key, objects merge recursively, anything else
    (lists included) replaces. A stored ``null`` counts as absent, and a value that lands
    where there was no object has its ``null`` members pruned, also inside lists (a small
    departure from RFC 7386, which would keep list contents verbatim).
    """
    _merge_docs(document, patch)
    return document


def _merge_value(current: Any, patch: Any) -> Any:
    if not isinstance(current, dict):
        _prune_nulls(patch)
        return patch
    if not isinstance(patch, dict):
        return patch
    _merge_docs(current, patch)
    return current


def _merge_docs(document: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            document.pop(key, None)
            continue
        current = document.get(key)
        if current is None:
            _prune_nulls(value)
            document[key] = value
        else:
            document[key] = _merge_value(current, value)


def _prune_nulls(value: Any) -> None:
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for item in value.values():
            _prune_nulls(item)
    elif isinstance(value, list):
        for item in value:
            if item is not None:
                _prune_nulls(item)


# --------------------------------------------------------------------------------------
# JSON patch (RFC 6902) as gopkg.in/evanphx/json-patch.v4 applies it


class _OpError(Exception):
    """A JSON patch operation that does not apply (answered 422 by the API server)."""


_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MAX = 2**63 - 1


def _atoi(key: str) -> int:
    """strconv.Atoi, with its error text."""
    if not _ATOI.match(key):
        raise _OpError(f'strconv.Atoi: parsing "{key}": invalid syntax')
    value = int(key)
    if value > _INT64_MAX or value < -_INT64_MAX - 1:
        raise _OpError(f'strconv.Atoi: parsing "{key}": value out of range')
    return value


def _invalid_index(index: int) -> _OpError:
    return _OpError(f"Unable to access invalid index: {index}: invalid index referenced")


def _decode_pointer_token(token: str) -> str:
    # RFC 6901: "~1" first, then "~0" (a single left-to-right pass, as strings.NewReplacer).
    return re.sub(r"~[01]", lambda m: "/" if m.group(0) == "~1" else "~", token)


def _container_get(container: dict | list, key: str) -> Any:
    """partialDoc/partialArray.get: a missing object key is not an error (it is null)."""
    if isinstance(container, dict):
        return container.get(key)
    index = _atoi(key)
    if index < 0:
        if index < -len(container):
            raise _invalid_index(index)
        index += len(container)
    if index >= len(container):
        raise _invalid_index(index)
    return container[index]


def _container_set(container: dict | list, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    index = _atoi(key)
    if index < 0:
        if index < -len(container):
            raise _invalid_index(index)
        index += len(container)
    container[index] = value


def _container_add(container: dict | list, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    try:
        index = _atoi(key)
    except _OpError as err:
        raise _OpError(f"value was not a proper array index: '{key}': {err}") from None
    size = len(container) + 1
    if index >= size:
        raise _invalid_index(index)
    if index < 0:
        if index < -size:
            raise _invalid_index(index)
        index += size
    container.insert(index, value)


def _container_remove(container: dict | list, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise _OpError(f"Unable to remove nonexistent key: {key}: missing value")
        del container[key]
        return
    index = _atoi(key)
    if index >= len(container):
        raise _invalid_index(index)
    if index < 0:
        if index < -len(container):
            raise _invalid_index(index)
        index += len(container)
    del container[index]


def _find_object(document: dict | list, path: str) -> tuple[dict | list | None, str]:
    """findObject: the container holding the last token, or None when the path is missing."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None, ""
    current: Any = document
    for token in tokens[1:-1]:
        try:
            child = _container_get(current, _decode_pointer_token(token))
        except _OpError:
            return None, ""
        if not isinstance(child, (dict, list)):
            return None, ""
        current = child
    return current, _decode_pointer_token(tokens[-1])


_ABSENT = object()


def _json_equal(left: Any, right: Any) -> bool:
    """Structural equality with Go's distinction of number kinds kept (80 is not 80.0)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _json_equal(a, b) for a, b in zip(left, right, strict=True)
        )
    return _same(left, right)


def _op_string(operation: dict[str, Any], field: str) -> str | None:
    value = operation.get(field)
    return value if isinstance(value, str) else None


def _missing_field(field: str) -> str:
    if field == "path":
        return "operation missing path field: missing value"
    return "operation, missing from field: missing value"


def _op_add(document: Any, operation: dict[str, Any]) -> None:
    path = _op_string(operation, "path")
    if path is None:
        raise _OpError("add operation failed to decode path: missing value")
    container, key = _find_object(document, path)
    if container is None:
        raise _OpError(
            f'add operation does not apply: doc is missing path: "{path}": missing value'
        )
    try:
        _container_add(container, key, copy.deepcopy(operation.get("value")))
    except _OpError as err:
        raise _OpError(f"error in add for path: '{path}': {err}") from None


def _op_remove(document: Any, operation: dict[str, Any]) -> None:
    path = _op_string(operation, "path")
    if path is None:
        raise _OpError("remove operation failed to decode path: missing value")
    container, key = _find_object(document, path)
    if container is None:
        raise _OpError(
            f'remove operation does not apply: doc is missing path: "{path}": missing value'
        )
    try:
        _container_remove(container, key)
    except _OpError as err:
        raise _OpError(f"error in remove for path: '{path}': {err}") from None


def _op_replace(document: Any, operation: dict[str, Any]) -> Any:
    path = _op_string(operation, "path")
    if path is None:
        raise _OpError(f"replace operation failed to decode path: {_missing_field('path')}")
    value = copy.deepcopy(operation.get("value"))
    if path == "":
        if not isinstance(value, (dict, list)):
            raise _OpError("replace operation value must be object or array: %!w(<nil>)")
        return value
    container, key = _find_object(document, path)
    if container is None:
        raise _OpError(
            f"replace operation does not apply: doc is missing path: {path}: missing value"
        )
    try:
        _container_get(container, key)
    except _OpError:
        raise _OpError(
            f"replace operation does not apply: doc is missing key: {path}: missing value"
        ) from None
    # json-patch.v4: a missing object key does not stop a replace; it is added.
    _container_set(container, key, value)
    return document


def _op_move(document: Any, operation: dict[str, Any]) -> None:
    source = _op_string(operation, "from")
    if source is None:
        raise _OpError(f"move operation failed to decode from: {_missing_field('from')}")
    container, key = _find_object(document, source)
    if container is None:
        raise _OpError(
            f"move operation does not apply: doc is missing from path: {source}: missing value"
        )
    try:
        value = _container_get(container, key)
        _container_remove(container, key)
    except _OpError as err:
        raise _OpError(f"error in move for path: '{key}': {err}") from None
    path = _op_string(operation, "path")
    if path is None:
        raise _OpError(f"move operation failed to decode path: {_missing_field('path')}")
    container, key = _find_object(document, path)
    if container is None:
        raise _OpError(
            f"move operation does not apply: doc is missing destination path: {path}: missing value"
        )
    try:
        _container_add(container, key, value)
    except _OpError as err:
        raise _OpError(f"error in move for path: '{path}': {err}") from None


def _op_copy(document: Any, operation: dict[str, Any]) -> None:
    source = _op_string(operation, "from")
    if source is None:
        raise _OpError(f"copy operation failed to decode from: {_missing_field('from')}")
    container, key = _find_object(document, source)
    if container is None:
        raise _OpError(
            f"copy operation does not apply: doc is missing from path: {source}: missing value"
        )
    try:
        value = _container_get(container, key)
    except _OpError as err:
        raise _OpError(f"error in copy for from: '{source}': {err}") from None
    path = _op_string(operation, "path")
    if path is None:
        raise _OpError("copy operation failed to decode path: missing value")
    container, key = _find_object(document, path)
    if container is None:
        raise _OpError(
            f"copy operation does not apply: doc is missing destination path: {path}: missing value"
        )
    try:
        _container_add(container, key, copy.deepcopy(value))
    except _OpError as err:
        raise _OpError(f"error while adding value during copy: {err}") from None


def _op_test(document: Any, operation: dict[str, Any]) -> None:
    path = _op_string(operation, "path")
    if path is None:
        raise _OpError(f"test operation failed to decode path: {_missing_field('path')}")
    expected = operation.get("value", _ABSENT)
    if path == "":
        if expected is not _ABSENT and _json_equal(document, expected):
            return
        raise _OpError(f"testing value {path} failed: test failed")
    container, key = _find_object(document, path)
    if container is None:
        raise _OpError(f"test operation does not apply: is missing path: {path}: missing value")
    try:
        actual = _container_get(container, key)
    except _OpError as err:
        raise _OpError(f"error in test for path: '{path}': {err}") from None
    if actual is None:
        # A missing key and a stored null both read as null; null (or no value) matches.
        if expected is _ABSENT or expected is None:
            return
    elif expected is not _ABSENT and _json_equal(actual, expected):
        return
    raise _OpError(f"testing value {path} failed: test failed")


def json_patch(document: dict[str, Any], operations: list[Any]) -> Any:
    """Apply RFC 6902 ``operations`` to ``document`` (modified in place and returned).

    Raises ``PatchError`` (422, as the API server answers) when an operation does not apply.
    """
    result: Any = document
    for operation in operations or []:
        op = operation if isinstance(operation, dict) else {}
        kind = op.get("op")
        kind = kind if isinstance(kind, str) else "unknown"
        try:
            if kind == "add":
                _op_add(result, op)
            elif kind == "remove":
                _op_remove(result, op)
            elif kind == "replace":
                result = _op_replace(result, op)
            elif kind == "move":
                _op_move(result, op)
            elif kind == "test":
                _op_test(result, op)
            elif kind == "copy":
                _op_copy(result, op)
            else:
                raise _OpError(f"Unexpected kind: {kind}")
        except _OpError as err:
            raise _unprocessable(str(err)) from None
    return result


def _apply_json_patch(document: dict[str, Any], operations: list[Any] | None) -> dict[str, Any]:
    result = json_patch(document, operations or [])
    if not isinstance(result, dict):
        # The patched JSON no longer decodes into the object's type.
        raise _unprocessable("the patched document is not an object")
    return result


# --------------------------------------------------------------------------------------
# Strategic merge patch metadata


@dataclass(frozen=True)
class FieldMeta:
    """The patch metadata of one field: its ``patchStrategy`` values and ``patchMergeKey``."""

    strategies: tuple[str, ...] = ()
    merge_key: str = ""


_NO_META = FieldMeta()


class PatchMeta(Protocol):
    """What the merge needs to know about a field (upstream's LookupPatchMeta)."""

    def lookup_map(self, key: str) -> tuple[PatchMeta, FieldMeta]:
        """Metadata of ``key`` holding an object, and the schema inside that object."""
        ...

    def lookup_list(self, key: str) -> tuple[PatchMeta, FieldMeta]:
        """Metadata of ``key`` holding a list, and the schema of the list's items."""
        ...

    def name(self) -> str:
        """The type name used in "cannot merge lists without merge key for ..." errors."""
        ...


@dataclass(frozen=True)
class KindPatchMeta:
    """Patch metadata read from a path table (``"spec.template.spec.containers[].ports"``)."""

    table: Mapping[str, FieldMeta]
    path: str = ""
    type_name: str = "struct"

    def _child(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def lookup_map(self, key: str) -> tuple[KindPatchMeta, FieldMeta]:
        path = self._child(key)
        return KindPatchMeta(self.table, path), self.table.get(path, _NO_META)

    def lookup_list(self, key: str) -> tuple[KindPatchMeta, FieldMeta]:
        path = self._child(key)
        meta = self.table.get(path, _NO_META)
        # Merge lists without a merge key hold strings (finalizers, podCIDRs).
        type_name = "struct" if meta.merge_key or "merge" not in meta.strategies else "string"
        return KindPatchMeta(self.table, path + "[]", type_name), meta

    def name(self) -> str:
        return self.type_name


def _meta(strategy: str, merge_key: str = "") -> FieldMeta:
    return FieldMeta(tuple(strategy.split(",")), merge_key)


def _under(prefix: str, table: Mapping[str, FieldMeta]) -> dict[str, FieldMeta]:
    return {f"{prefix}.{path}": meta for path, meta in table.items()}


# Struct by struct, the patchStrategy/patchMergeKey tags of k8s.io/api (core/v1, apps/v1,
# networking/v1, discovery/v1) and k8s.io/apimachinery meta/v1 types.go. A field not listed
# has no tag: its lists are atomic (replaced whole) and its objects merge key by key.
_OBJECT_META = {  # meta/v1 ObjectMeta
    "ownerReferences": _meta("merge", "uid"),
    "finalizers": _meta("merge"),
}
_CONTAINER = {  # core/v1 Container (EphemeralContainerCommon carries the same tags)
    "ports": _meta("merge", "containerPort"),
    "env": _meta("merge", "name"),
    "volumeMounts": _meta("merge", "mountPath"),
    "volumeDevices": _meta("merge", "devicePath"),
}
_POD_SPEC = {  # core/v1 PodSpec
    "volumes": _meta("merge,retainKeys", "name"),
    "initContainers": _meta("merge", "name"),
    "containers": _meta("merge", "name"),
    "ephemeralContainers": _meta("merge", "name"),
    "imagePullSecrets": _meta("merge", "name"),
    "hostAliases": _meta("merge", "ip"),
    "topologySpreadConstraints": _meta("merge", "topologyKey"),
    "schedulingGates": _meta("merge", "name"),
    "resourceClaims": _meta("merge,retainKeys", "name"),
    "evictionResponders": _meta("merge", "name"),
}
_POD_STATUS = {  # core/v1 PodStatus
    "conditions": _meta("merge", "type"),
    "hostIPs": _meta("merge", "ip"),
    "podIPs": _meta("merge", "ip"),
    "resourceClaimStatuses": _meta("merge,retainKeys", "name"),
    "nodeAllocatableResourceClaimStatuses": _meta("merge", "resourceClaimName"),
    # core/v1 NodeAllocatableResourceClaimStatus
    "nodeAllocatableResourceClaimStatuses[].mapping": _meta("merge", "name"),
    "nodeAllocatableResourceClaimStatuses[].overhead": _meta("merge", "name"),
}
_CONDITIONS = {"conditions": _meta("merge", "type")}  # the status of most kinds


def _pod_spec(prefix: str) -> dict[str, FieldMeta]:
    table = _under(prefix, _POD_SPEC)
    # core/v1 EphemeralVolumeSource.volumeClaimTemplate is a PersistentVolumeClaimTemplate,
    # which carries an ObjectMeta.
    table |= _under(f"{prefix}.volumes[].ephemeral.volumeClaimTemplate.metadata", _OBJECT_META)
    for containers in ("initContainers", "containers", "ephemeralContainers"):
        table |= _under(f"{prefix}.{containers}[]", _CONTAINER)
    return table


def _pod_template(prefix: str) -> dict[str, FieldMeta]:  # core/v1 PodTemplateSpec
    return _under(f"{prefix}.metadata", _OBJECT_META) | _pod_spec(f"{prefix}.spec")


def _kind(*parts: Mapping[str, FieldMeta]) -> dict[str, FieldMeta]:
    table = _under("metadata", _OBJECT_META)
    for part in parts:
        table |= part
    return table


PATCH_STRATEGIES: dict[str, dict[str, FieldMeta]] = {
    "Pod": _kind(_pod_spec("spec"), _under("status", _POD_STATUS)),
    "Service": _kind(
        {"spec.ports": _meta("merge", "port")},  # ServiceSpec.ports: merge by port alone
        _under("status", _CONDITIONS),
    ),
    "Deployment": _kind(
        _pod_template("spec.template"),
        {"spec.strategy": _meta("retainKeys")},
        _under("status", _CONDITIONS),
    ),
    "ReplicaSet": _kind(_pod_template("spec.template"), _under("status", _CONDITIONS)),
    "StatefulSet": _kind(_pod_template("spec.template"), _under("status", _CONDITIONS)),
    "Namespace": _kind(_under("status", _CONDITIONS)),
    "Node": _kind(
        {"spec.podCIDRs": _meta("merge")},
        _under("status", _CONDITIONS),
        {"status.addresses": _meta("merge", "type")},
    ),
    # networking/v1 NetworkPolicy, core/v1 Endpoints and ConfigMap, discovery/v1
    # EndpointSlice, core/v1 Event: no tags beyond ObjectMeta, so ingress/egress rules,
    # subsets and endpoints are atomic lists.
    "NetworkPolicy": _kind(),
    "Endpoints": _kind(),
    "EndpointSlice": _kind(),
    "ConfigMap": _kind(),
    "Event": _kind(),
}


def patch_meta_for_kind(kind: str) -> KindPatchMeta:
    """The strategic-merge metadata of ``kind``; an unknown kind gets none (lists atomic)."""
    return KindPatchMeta(PATCH_STRATEGIES.get(kind, {}))


# --------------------------------------------------------------------------------------
# Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), server-side options

_DIRECTIVE = "$patch"
_DELETE = "delete"
_REPLACE = "replace"
_MERGE = "merge"
_RETAIN_KEYS = "$retainKeys"
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
_SET_ELEMENT_ORDER = "$setElementOrder"

# mergepatch/errors.go sentinels, and how the API server answers each
# (handlers/patch.go interpretStrategicMergePatchError).
_ERR_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_ERR_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_ERR_BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
_ERR_NO_LIST_OF_LISTS = "lists of lists are not supported"


class _MergeError(Exception):
    """A strategic merge failure; ``answer`` picks the Status upstream sends for it."""

    def __init__(self, message: str, answer: str = "internal") -> None:
        super().__init__(message)
        self.answer = answer


def _bad_format(message: str) -> _MergeError:
    return _MergeError(message, "bad_request")


def _no_merge_key(item: Any, merge_key: str) -> _MergeError:
    return _MergeError(f"map: {_go_v(item)} does not contain declared merge key: {merge_key}")


def _bad_arg_type(expected: str, actual: Any) -> _MergeError:
    return _MergeError(f"expected a {expected}, but received a {_go_type(actual)}")


_MAP_TYPE = "map[string]interface {}"
_SLICE_TYPE = "[]interface {}"


def strategic_merge_patch(
    original: dict[str, Any], patch: dict[str, Any], meta: PatchMeta
) -> dict[str, Any]:
    """Apply a strategic merge patch as the API server does; ``original`` is modified.

    Lists whose field has ``patchStrategy: merge`` are merged item by item on the merge key
    (primitive lists are unioned); ``$patch``, ``$retainKeys``, ``$deleteFromPrimitiveList/``
    and ``$setElementOrder/`` directives are honoured; ``null`` deletes a key.
    """
    try:
        result = _merge_map(original, copy.deepcopy(patch), meta)
    except _MergeError as err:
        if err.answer == "bad_request":
            raise _bad_request(str(err)) from None
        if err.answer == "unprocessable":
            raise _unprocessable(str(err)) from None
        raise _internal(str(err)) from None
    _drop_parallel_directives(result)
    return result


def _drop_parallel_directives(value: Any) -> None:
    """Parallel-list directives left where no list was merged are no API field: the typed
    decode of the patched object drops them, so they never reach storage."""
    if isinstance(value, dict):
        for key in [
            k
            for k in value
            if k == _RETAIN_KEYS
            or k.startswith(_SET_ELEMENT_ORDER + "/")
            or k.startswith(_DELETE_FROM_PRIMITIVE_LIST + "/")
        ]:
            del value[key]
        for item in value.values():
            _drop_parallel_directives(item)
    elif isinstance(value, list):
        for item in value:
            _drop_parallel_directives(item)


def _merge_map(original: dict[str, Any] | None, patch: dict[str, Any], meta: PatchMeta) -> dict:
    """mergeMap with MergeParallelList and IgnoreUnmatchedNulls (StrategicMergeMapPatch)."""
    if _DIRECTIVE in patch:
        return _directive_in_map(patch[_DIRECTIVE], patch)
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_ordered_lists(original, patch, meta)
    for key, patch_value in list(patch.items()):
        is_delete_list = False
        if key.startswith(_DELETE_FROM_PRIMITIVE_LIST):
            key = _extract_key(key, _DELETE_FROM_PRIMITIVE_LIST)
            is_delete_list = True
        if patch_value is None:
            original.pop(key, None)
            continue
        if key not in original or type(original[key]) is not type(patch_value):
            if not is_delete_list:
                _discard_nulls(patch_value)
                value, keep = _remove_directives(patch_value)
                if keep:
                    original[key] = value
                else:
                    original.pop(key, None)
            continue
        current = original[key]
        if isinstance(current, dict):
            sub, field = meta.lookup_map(key)
            strategy = _patch_strategy(field)
            if strategy == _REPLACE:
                original[key] = patch_value
            else:
                original[key] = _merge_map(current, patch_value, sub)
        elif isinstance(current, list):
            sub, field = meta.lookup_list(key)
            original[key] = _merge_list_field(
                current, patch_value, sub, _patch_strategy(field), field.merge_key, is_delete_list
            )
        else:
            value, keep = _remove_directives(patch_value)
            if keep:
                original[key] = value
            else:
                original.pop(key, None)
    return original


def _patch_strategy(field: FieldMeta) -> str:
    """extractRetainKeysPatchStrategy: the strategy besides retainKeys ("" when none)."""
    strategies = [s for s in field.strategies if s]
    if len(strategies) > 2 or (len(strategies) == 2 and "retainKeys" not in strategies):
        raise _MergeError(f"unexpected patch strategy: [{' '.join(field.strategies)}]")
    others = [s for s in strategies if s != "retainKeys"]
    return others[0] if others else ""


def _directive_in_map(directive: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """``$patch: replace`` keeps only the patch; ``$patch: delete`` empties the object."""
    if _same(directive, _REPLACE):
        del patch[_DIRECTIVE]
        return patch
    if _same(directive, _DELETE):
        return {}
    raise _MergeError(f"unknown patch type: {_go_s(directive)} in map: {_go_v(patch)}")


def _extract_key(key: str, prefix: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        if prefix == _DELETE_FROM_PRIMITIVE_LIST:
            raise _bad_format(_ERR_BAD_PRIMITIVE_LIST)
        raise _bad_format(_ERR_BAD_SET_ELEMENT_ORDER)
    return rest


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    """``$retainKeys``: clear every key of ``original`` the list does not name."""
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise _bad_format(_ERR_BAD_RETAIN_KEYS)
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM_PRIMITIVE_LIST, _SET_ELEMENT_ORDER)):
            continue
        if not any(_same(key, kept) for kept in retain):
            raise _bad_format(_ERR_BAD_RETAIN_KEYS)
    for key in [k for k in original if not any(_same(k, kept) for kept in retain)]:
        del original[key]


def _merge_ordered_lists(original: dict[str, Any], patch: dict[str, Any], meta: PatchMeta) -> None:
    """mergePatchIntoOriginal: merge each list named by ``$setElementOrder/<field>`` and put
    its items in that order (patch order first, then the order of the live list)."""
    for key in [k for k in patch if k.startswith(_SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise _bad_arg_type(_SLICE_TYPE, order)
        field_key = _extract_key(key, _SET_ELEMENT_ORDER)
        found_original = field_key in original
        found_patch = field_key in patch
        original_list: list[Any] = []
        patch_list: list[Any] = []
        if found_original:
            if not isinstance(original[field_key], list):
                raise _bad_arg_type(_SLICE_TYPE, original[field_key])
            original_list = original[field_key]
        if found_patch:
            if not isinstance(patch[field_key], list):
                raise _bad_arg_type(_SLICE_TYPE, patch[field_key])
            patch_list = patch[field_key]
        sub, field = meta.lookup_list(field_key)
        strategy = _patch_strategy(field)
        merge_key = field.merge_key
        _validate_order(patch_list, order, merge_key)
        if found_original and not found_patch:
            merged = original_list
        elif not found_original and found_patch:
            value, _ = _remove_directives(patch_list)
            merged = value
        elif found_original and found_patch:
            merged = _merge_list_field(original_list, patch_list, sub, strategy, merge_key, False)
        else:
            continue
        if merge_key:
            in_order, server_only = _partition_maps(merged, order, merge_key)
        else:
            in_order, server_only = _partition_primitives(merged, order)
        is_map = _element_kind(original_list, patch_list) == "map"
        live_order = original_list
        if found_original and found_patch and is_map and strategy == _MERGE:
            live_order = _aliased_live_list(original_list, patch_list, merge_key)
        original[field_key] = _normalize_order(
            in_order, server_only, order, live_order, merge_key, is_map
        )
        patch.pop(field_key, None)


def _go_capacity(length: int) -> int:
    """Capacity of a Go slice of ``length`` items grown one append at a time (as the JSON and
    protobuf decoders build them): the next power of two."""
    capacity = 1
    while capacity < length:
        capacity *= 2
    return capacity if length else 0


def _aliased_live_list(original: list[Any], patch: list[Any], merge_key: str) -> list[Any]:
    """The live list as mergePatchIntoOriginal still sees it after mergeSlice ran.

    Upstream keeps using the live slice to order the result after merging into it, and Go
    slices share their backing array: deleting an item (``append(s[:i], s[i+1:]...)``)
    shifts the later items left in place, and appending a new item fills the freed slot
    while capacity lasts. The order upstream gives to live-only items follows that view,
    so it is rebuilt here (upstream's tests pin the resulting orders).
    """
    backing = list(original) + [None] * (_go_capacity(len(original)) - len(original))
    length = len(original)
    plain: list[Any] = []
    for item in patch:
        directive = item.get(_DIRECTIVE) if isinstance(item, dict) else None
        if directive is None:
            plain.append(item)
        elif _same(directive, _REPLACE):
            return backing[: len(original)]  # the list was replaced: the live slice is intact
        elif _same(directive, _DELETE):
            while True:
                match = next(
                    (
                        i
                        for i in range(length)
                        if isinstance(backing[i], dict)
                        and merge_key in backing[i]
                        and _same(backing[i][merge_key], item.get(merge_key))
                    ),
                    -1,
                )
                if match < 0:
                    break
                backing[match : length - 1] = backing[match + 1 : length]
                length -= 1
    for item in plain:
        if _find_by_key(backing[:length], merge_key, item.get(merge_key)) >= 0:
            continue
        if length == len(backing):
            break  # the append reallocates: the live slice is no longer written
        backing[length] = item
        length += 1
    return backing[: len(original)]


def _validate_order(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """validatePatchWithSetOrderList: the patch's items must appear in the order given."""
    if not order or not patch_list:
        return
    items = _split_deletions(patch_list)[0] if merge_key else patch_list
    patch_index = order_index = 0
    while patch_index < len(items) and order_index < len(order):
        item = items[patch_index]
        if isinstance(item, dict) and _DIRECTIVE in item:
            patch_index += 1
            continue
        if _merge_key_equal(item, order[order_index], merge_key):
            patch_index += 1
        order_index += 1
    if patch_index < len(items) and order_index >= len(order):
        raise _MergeError(
            f"The order in patch list:\n{_go_v(patch_list)}\n doesn't match "
            f"{_SET_ELEMENT_ORDER} list:\n{_go_v(order)}\n"
        )


def _merge_key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _same(left, right)
    if not isinstance(left, dict):
        raise _bad_arg_type(_MAP_TYPE, left)
    if not isinstance(right, dict):
        raise _bad_arg_type(_MAP_TYPE, right)
    if merge_key not in left:
        raise _no_merge_key(left, merge_key)
    if merge_key not in right:
        raise _no_merge_key(right, merge_key)
    return _same(left[merge_key], right[merge_key])


def _split_deletions(items: list[Any]) -> tuple[list[Any], list[Any]]:
    """extractToDeleteItems: items kept, and items marked ``$patch: delete``."""
    kept: list[Any] = []
    deleted: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            raise _bad_arg_type(_MAP_TYPE, item)
        if _same(item.get(_DIRECTIVE), _DELETE):
            deleted.append(item)
        else:
            kept.append(item)
    return kept, deleted


def _remove_directives(value: Any) -> tuple[Any, bool]:
    """removeDirectives: drop objects carrying ``$patch`` (the bool says keep the value)."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        for key in list(value):
            cleaned, keep = _remove_directives(value[key])
            if keep:
                value[key] = cleaned
            else:
                del value[key]
        return value, True
    if isinstance(value, list):
        kept = []
        for item in value:
            cleaned, keep = _remove_directives(item)
            if keep:
                kept.append(cleaned)
        return kept, True
    return value, True


def _discard_nulls(value: Any) -> None:
    """discardNullValuesFromPatch: a null has nothing to delete where nothing was."""
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for item in value.values():
            _discard_nulls(item)
    elif isinstance(value, list):
        for item in value:
            _discard_nulls(item)


def _merge_list_field(
    original: list[Any],
    patch: list[Any],
    meta: PatchMeta,
    strategy: str,
    merge_key: str,
    is_delete_list: bool,
) -> list[Any]:
    """mergeSliceHandler: merge lists with the merge strategy; others are replaced whole."""
    if strategy == _MERGE or is_delete_list:
        return _merge_list(original, patch, meta, merge_key, is_delete_list)
    return patch


def _element_kind(*lists: list[Any]) -> str:
    """sliceElementType, reduced to what the merge needs: "map" or "scalar"."""
    first: type | None = None
    for items in lists:
        for item in items:
            if first is None:
                first = type(item)
                if first is list:
                    raise _MergeError(_ERR_NO_LIST_OF_LISTS, "unprocessable")
            elif type(item) is not first:
                raise _MergeError(
                    "list element types are not identical: " + _go_v([list(x) for x in lists])
                )
    if first is None:
        raise _MergeError("no elements in any of the given slices")
    return "map" if first is dict else "scalar"


def _merge_list(
    original: list[Any], patch: list[Any], meta: PatchMeta, merge_key: str, is_delete_list: bool
) -> list[Any]:
    """mergeSlice: merge ``patch`` into ``original`` and order the result."""
    if not original and not patch:
        return original
    is_map = _element_kind(original, patch) == "map"
    if not is_map:
        if is_delete_list:
            return [item for item in original if not any(_same(item, d) for d in patch)]
        merged = _deduplicate(original + patch)
    else:
        if not merge_key:
            raise _MergeError(f"cannot merge lists without merge key for {meta.name()}")
        original, patch = _apply_list_directives(original, patch, merge_key)
        merged = _merge_items(original, patch, merge_key, meta)
    if merge_key:
        in_patch, server_only = _partition_maps(merged, patch, merge_key)
    else:
        in_patch, server_only = _partition_primitives(merged, patch)
    return _normalize_order(in_patch, server_only, patch, original, merge_key, is_map)


def _apply_list_directives(
    original: list[Any], patch: list[Any], merge_key: str
) -> tuple[list[Any], list[Any]]:
    """mergeSliceWithSpecialElements: ``$patch: delete`` items remove every match from the
    live list; a ``$patch: replace`` item makes the rest of the patch the whole list."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if _same(directive, _DELETE):
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            original = [
                live
                for live in original
                if not (
                    _require_map(live, merge_key)
                    and merge_key in live
                    and _same(live[merge_key], item[merge_key])
                )
            ]
        elif _same(directive, _REPLACE):
            replace = True
        elif _same(directive, _MERGE):
            raise _MergeError("merging lists cannot yet be specified in the patch")
        else:
            raise _MergeError(f"unknown patch type: {_go_s(directive)} in map: {_go_v(item)}")
    if replace:
        return plain, []
    return original, plain


def _require_map(item: Any, merge_key: str) -> bool:
    if not isinstance(item, dict):
        raise _MergeError(f"value for key {merge_key} is not a map")
    return True


def _find_by_key(items: list[Any], merge_key: str, value: Any) -> int:
    """findMapInSliceBasedOnKeyValue: index of the first item whose merge key matches."""
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _MergeError(f"value for key {index} is not a map")
        if merge_key in item and _same(item[merge_key], value):
            return index
    return -1


def _merge_items(
    original: list[Any], patch: list[Any], merge_key: str, meta: PatchMeta
) -> list[Any]:
    """mergeSliceWithoutSpecialElements: merge into the first live item with the same merge
    key value, or append (to a copy: the live list still gives the order to keep)."""
    original = list(original)
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        index = _find_by_key(original, merge_key, item[merge_key])
        if index >= 0:
            original[index] = _merge_map(original[index], item, meta)
        else:
            original.append(item)
    return original


def _deduplicate(items: list[Any]) -> list[Any]:
    """deduplicateScalars, with its swap-with-last order."""
    items = list(items)
    length = len(items) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _same(items[i], items[j]):
                items[j] = items[length]
                items = items[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return items


def _partition_primitives(items: list[Any], by: list[Any]) -> tuple[list[Any], list[Any]]:
    present = [item for item in items if any(_same(item, b) for b in by)]
    absent = [item for item in items if not any(_same(item, b) for b in by)]
    return present, absent


def _partition_maps(items: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    present: list[Any] = []
    absent: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            raise _bad_arg_type(_MAP_TYPE, item)
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        (present if _find_by_key(by, merge_key, item[merge_key]) >= 0 else absent).append(item)
    return present, absent


def _index(items: list[Any], value: Any, merge_key: str, is_map: bool) -> int:
    """index(): position of ``value`` in ``items`` (by merge key value for maps), or -1."""

    def key_of(item: Any) -> Any:
        if is_map:
            return item.get(merge_key) if isinstance(item, dict) else None
        return item

    wanted = key_of(value)
    for position, item in enumerate(items):
        if _same(key_of(item), wanted):
            return position
    return -1


def _sort_by_order(items: list[Any], order: list[Any], merge_key: str, is_map: bool) -> list[Any]:
    """normalizeSliceOrder: stable sort by position in ``order``; deletions go last."""
    deleted: list[Any] = []
    if is_map:
        for item in items + order:
            if not isinstance(item, dict):
                raise _bad_arg_type(_MAP_TYPE, item)
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        items, deleted = _split_deletions(items)
    return _go_insertion_sort(items, order, merge_key, is_map) + deleted


def _go_insertion_sort(
    items: list[Any], order: list[Any], merge_key: str, is_map: bool
) -> list[Any]:
    """sort.SliceStable as Go runs it on short lists, with upstream's comparator (an item
    missing from ``order`` compares as "less"): identical to a stable sort whenever every
    item is in ``order``, and still upstream's order when one is not."""

    def less(left: Any, right: Any) -> bool:
        left_at = _index(order, left, merge_key, is_map)
        if left_at >= 0:
            right_at = _index(order, right, merge_key, is_map)
            if right_at >= 0:
                return left_at < right_at
        return True

    items = list(items)
    for i in range(1, len(items)):
        j = i
        while j > 0 and less(items[j], items[j - 1]):
            items[j], items[j - 1] = items[j - 1], items[j]
            j -= 1
    return items


def _normalize_order(
    patch_items: list[Any],
    server_only: list[Any],
    patch_order: list[Any],
    server_order: list[Any],
    merge_key: str,
    is_map: bool,
) -> list[Any]:
    """normalizeElementOrder: patch items in patch order, live-only items in live order,
    then interleaved so each keeps its place relative to the live list where it can."""
    patch_items = _sort_by_order(patch_items, patch_order, merge_key, is_map)
    server_only = _sort_by_order(server_only, server_order, merge_key, is_map)
    merged: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(patch_items):
        if i >= len(server_only):
            merged.append(patch_items[j])
            j += 1
        elif j >= len(patch_items):
            merged.append(server_only[i])
            i += 1
        else:
            left = _index(server_order, server_only[i], merge_key, is_map)
            right = _index(server_order, patch_items[j], merge_key, is_map)
            if left >= 0 and right >= 0 and left < right:
                merged.append(server_only[i])
                i += 1
            else:
                merged.append(patch_items[j])
                j += 1
    return merged
