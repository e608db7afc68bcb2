"""Read the Kubernetes protobuf encoding kubectl's typed clients send, as the JSON it stands for.

`kubectl create service|deployment|namespace|configmap` go through client-go's
typed clientset, which encodes the new object as
`application/vnd.kubernetes.protobuf`: the four bytes `k8s\\0`, then a
`runtime.Unknown` message holding the apiVersion, the kind and the object's own
message (apimachinery `pkg/runtime/serializer/protobuf`). The API server must
read it; so must the stand-in. Only decoding is needed (answers go out as JSON,
which the same clients accept), and only for the served kinds, whose field
numbers are in `proto_schema`.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from typing import Any

from k8slearn.practice.proto_schema import MESSAGES

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
# The message of each served kind (autoscaling's Scale for the scale subresource).
_KIND_MESSAGES = {
    "Service": "Service",
    "Namespace": "Namespace",
    "ConfigMap": "ConfigMap",
    "Pod": "Pod",
    "Endpoints": "Endpoints",
    "Deployment": "Deployment",
    "ReplicaSet": "ReplicaSet",
    "StatefulSet": "StatefulSet",
    "NetworkPolicy": "NetworkPolicy",
    "EndpointSlice": "EndpointSlice",
    "Scale": "Scale",
}
_SCALARS = {"string", "int32", "int64", "bool", "bytes", "double", "float", "uint32", "uint64"}
_MAX_DEPTH = 64


class ProtobufError(ValueError):
    """The body is not Kubernetes protobuf for a kind the practice cluster serves."""


def decode_object(data: bytes) -> dict[str, Any]:
    """The JSON object a Kubernetes protobuf body encodes (apiVersion and kind included)."""
    if not data.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf prefix")
    unknown = _Reader(data[len(MAGIC) :]).message("Unknown", 0)
    type_meta = unknown.get("typeMeta") or {}
    kind = type_meta.get("kind") or ""
    message = _KIND_MESSAGES.get(kind)
    if message is None:
        raise ProtobufError(f"cannot decode a protobuf {kind or 'object'}")
    raw = base64.b64decode(unknown.get("raw") or "")
    obj = _Reader(raw).message(message, 0)
    return {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **obj}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varint(self) -> int:
        shift = result = 0
        while True:
            if self.pos >= len(self.data) or shift > 63:
                raise ProtobufError("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ProtobufError("truncated field")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def fields(self):
        """(number, wire type, value) for each field: ints for varints, bytes otherwise."""
        while self.pos < len(self.data):
            key = self.varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                yield number, wire, self.varint()
            elif wire == 1:
                yield number, wire, self.take(8)
            elif wire == 2:
                yield number, wire, self.take(self.varint())
            elif wire == 5:
                yield number, wire, self.take(4)
            else:
                raise ProtobufError(f"unsupported wire type {wire}")

    def message(self, name: str, depth: int) -> dict[str, Any]:
        if depth > _MAX_DEPTH:
            raise ProtobufError("the object is nested too deeply")
        schema = MESSAGES.get(name)
        if schema is None:
            raise ProtobufError(f"no schema for {name}")
        out: dict[str, Any] = {}
        for number, wire, raw in self.fields():
            spec = schema.get(number)
            if spec is None:
                continue  # a field newer than this schema: the API server would drop it too
            field, kind = spec[0], spec[1]
            mode = spec[2] if len(spec) > 2 else ""
            if mode == "map":
                entry = _Reader(raw).map_entry(kind, depth)
                out.setdefault(field, {})[entry[0]] = entry[1]
                continue
            if (
                mode == "list"
                and kind in _SCALARS
                and wire == 2
                and kind != "string"
                and kind != "bytes"
            ):
                out.setdefault(field, []).extend(_Reader(raw).packed(kind))
                continue
            value = _value(kind, wire, raw, depth)
            if mode == "list":
                out.setdefault(field, []).append(value)
            elif value is _DROP:
                continue
            elif mode != "zero" and kind in _SCALARS and value in ("", 0, False):
                continue  # Go writes unset non-pointer scalars; JSON leaves them out
            else:
                out[field] = value
        return out

    def map_entry(self, kind: str, depth: int) -> tuple[str, Any]:
        key, value = "", _zero(kind)
        for number, wire, raw in self.fields():
            if number == 1:
                key = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            elif number == 2:
                value = _value(kind, wire, raw, depth)
        return key, None if value is _DROP else value

    def packed(self, kind: str) -> list[Any]:
        out = []
        while self.pos < len(self.data):
            out.append(_scalar(kind, 0, self.varint()))
        return out


_DROP = object()


def _zero(kind: str) -> Any:
    return {"string": "", "bool": False, "bytes": ""}.get(kind, 0 if kind in _SCALARS else {})


def _signed(value: int, bits: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value if bits == 64 else _int32(value)


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _scalar(kind: str, wire: int, raw: Any) -> Any:
    if kind == "string":
        return raw.decode("utf-8")
    if kind == "bytes":
        return base64.b64encode(raw).decode("ascii")
    if kind == "bool":
        return bool(raw)
    if kind == "int32":
        return _int32(raw)
    if kind == "int64":
        return _signed(raw, 64)
    if kind in ("uint32", "uint64"):
        return int(raw)
    if kind == "double":
        return struct.unpack("<d", raw)[0]
    if kind == "float":
        return struct.unpack("<f", raw)[0]
    raise ProtobufError(f"unknown scalar {kind}")


def _value(kind: str, wire: int, raw: Any, depth: int) -> Any:
    if kind in _SCALARS:
        if (wire == 2) != (kind in ("string", "bytes")) and kind not in ("double", "float"):
            raise ProtobufError(f"a {kind} field has the wrong wire type")
        return _scalar(kind, wire, raw)
    if wire != 2:
        raise ProtobufError(f"a {kind} field has the wrong wire type")
    inner = _Reader(raw).message(_SPECIAL_SHAPES.get(kind, kind), depth + 1)
    if kind == "time":
        seconds = inner.get("seconds", 0)
        if not seconds and not inner.get("nanos"):
            return _DROP
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "duration":
        return _go_duration(inner.get("duration", 0))
    if kind == "quantity":
        return inner.get("string", "")
    if kind == "intorstring":
        return inner.get("strVal", "") if inner.get("type") == 1 else inner.get("intVal", 0)
    if kind == "raw":
        text = base64.b64decode(inner.get("raw", "")).decode("utf-8")
        return json.loads(text) if text else None
    return inner


# Messages of the special types, decoded first and then turned into their JSON forms.
_SPECIAL_SHAPES = {
    "time": "_Time",
    "duration": "_Duration",
    "quantity": "_Quantity",
    "intorstring": "_IntOrString",
    "raw": "_Raw",
}
MESSAGES.update(
    {
        "_Time": {1: ("seconds", "int64", "zero"), 2: ("nanos", "int32", "zero")},
        "_Duration": {1: ("duration", "int64", "zero")},
        "_Quantity": {1: ("string", "string", "zero")},
        "_IntOrString": {
            1: ("type", "int64", "zero"),
            2: ("intVal", "int32", "zero"),
            3: ("strVal", "string", "zero"),
        },
        "_Raw": {1: ("raw", "bytes", "zero")},
        "Unknown": {
            1: ("typeMeta", "TypeMeta"),
            2: ("raw", "bytes", "zero"),
            3: ("contentEncoding", "string"),
            4: ("contentType", "string"),
        },
        "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    }
)


def _go_duration(nanoseconds: int) -> str:
    """time.Duration.String() for whole seconds and above (what API fields hold)."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    total = abs(nanoseconds)
    seconds, fraction = divmod(total, 1_000_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{secs}.{fraction:09d}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{tail}"
    if minutes:
        return f"{sign}{minutes}m{tail}"
    return f"{sign}{tail}"
