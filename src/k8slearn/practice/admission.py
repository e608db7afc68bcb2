"""What the API server refuses, and the exact `Status` it says it with.

kubectl prints a refusal from the `Status` the server sends: `Error from server
(NotFound): services "web" not found`, or, for an `Invalid` one, a line built
from its causes: `The Service "web" is invalid: spec.ports[0].port: Invalid
value: 0: must be between 1 and 65535, inclusive`. So the shape matters as much
as the words, and both follow apimachinery: `pkg/api/errors` (NewNotFound,
NewAlreadyExists, NewConflict, NewInvalid…) and `pkg/util/validation/field`
(how one field error is written: `<field>: <Type>[: <value>][: <detail>]`,
strings quoted, other values as JSON).

The checks themselves are the project's own (`manifests.validate`), written for
learners. Their words differ from the API server's, so `upstream_errors` turns
each Problem into the field errors a v1.37 API server reports for the same
mistake, and keeps the project's words only where no translation is known.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from k8slearn.manifests import names

if TYPE_CHECKING:
    from k8slearn.practice.resources import Resource
    from k8slearn.problems import Problem

# --- Status -----------------------------------------------------------------------------------


class ApiError(Exception):
    """A refusal: carries the `Status` to send (and its HTTP code)."""

    def __init__(self, status: dict[str, Any], warnings: tuple[str, ...] = ()):
        super().__init__(status.get("message", ""))
        self.status = status
        self.code = int(status.get("code", 500))
        self.warnings = warnings


def status(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A failure `Status` (meta/v1) as the API server writes it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return body


def success_status(details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
    body["status"] = "Success"
    if details:
        body["details"] = details
    return body


def _resource_details(r: Resource, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if r.group:
        details["group"] = r.group
    details["kind"] = r.plural
    return details


def not_found(r: Resource, name: str) -> ApiError:
    """NewNotFound: `services "web" not found`."""
    return ApiError(
        status(
            404, "NotFound", f'{r.group_resource} "{name}" not found', _resource_details(r, name)
        )
    )


def namespace_not_found(name: str) -> ApiError:
    return ApiError(
        status(
            404, "NotFound", f'namespaces "{name}" not found', {"name": name, "kind": "namespaces"}
        )
    )


def no_such_path() -> ApiError:
    """What the API server answers for a path it does not serve."""
    return ApiError(status(404, "NotFound", "the server could not find the requested resource", {}))


def already_exists(r: Resource, name: str) -> ApiError:
    """NewAlreadyExists: `services "web" already exists`."""
    return ApiError(
        status(
            409,
            "AlreadyExists",
            f'{r.group_resource} "{name}" already exists',
            _resource_details(r, name),
        )
    )


OPTIMISTIC_LOCK_MESSAGE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def conflict(r: Resource, name: str, why: str = OPTIMISTIC_LOCK_MESSAGE) -> ApiError:
    """NewConflict, as an update with a stale resourceVersion gets it."""
    return ApiError(
        status(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {r.group_resource} "{name}": {why}',
            _resource_details(r, name),
        )
    )


def bad_request(message: str) -> ApiError:
    return ApiError(status(400, "BadRequest", message))


def unauthorized() -> ApiError:
    return ApiError(status(401, "Unauthorized", "Unauthorized"))


def method_not_allowed() -> ApiError:
    return ApiError(
        status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    )


def not_available(what: str) -> ApiError:
    """Something a real cluster does that the practice cluster does not: said plainly."""
    return ApiError(
        status(
            501,
            "NotImplemented",
            f"{what} is not available in the practice cluster",
        )
    )


# --- field errors -----------------------------------------------------------------------------

_OMIT = object()
_REASONS = {
    "Invalid value": "FieldValueInvalid",
    "Required value": "FieldValueRequired",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
    "Forbidden": "FieldValueForbidden",
    "Too many": "FieldValueTooMany",
    "Too long": "FieldValueTooLong",
    "Not found": "FieldValueNotFound",
    "Internal error": "InternalError",
}
_NO_VALUE = {"Required value", "Forbidden", "Too long", "Internal error"}


class _Ordered(dict):
    """A Go struct as a bad value: rendered in field order (json.Marshal keeps it)."""


def go_value(value: Any) -> str:
    """A bad value as field.Error writes it: strings quoted (%q), numbers and booleans plain,
    anything else as JSON (apimachinery since v1.34; json.Marshal sorts map keys)."""
    if isinstance(value, _Ordered):
        return _go_json(dict(value), sort_keys=False)
    if isinstance(value, str):
        return _go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _go_json(value, sort_keys=True)


def _go_json(value: Any, sort_keys: bool) -> str:
    """encoding/json's compact output: HTML characters escaped, other text kept as UTF-8."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _go_quote(text: str) -> str:
    """Go's strconv.Quote for the strings learners write (printable text stays as is)."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


@dataclass(frozen=True)
class FieldError:
    """One field.Error: type, path, bad value (or none) and detail."""

    type: str
    field: str
    value: Any = field(default=_OMIT, compare=False)
    detail: str = ""

    def body(self) -> str:
        """ErrorBody(): `Invalid value: 0: must be …`."""
        text = self.type
        if self.type not in _NO_VALUE and self.value is not _OMIT:
            text += f": {go_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"

    @property
    def reason(self) -> str:
        return _REASONS.get(self.type, "FieldValueInvalid")


def invalid(r: Resource, name: str, errors: list[FieldError]) -> ApiError:
    """NewInvalid: `<Kind> "<name>" is invalid: <error>` or `…: [<e1>, <e2>]`."""
    unique: list[FieldError] = []
    seen: set[str] = set()
    for e in errors:
        if str(e) not in seen:
            seen.add(str(e))
            unique.append(e)
    causes = [{"reason": e.reason, "message": e.body(), "field": e.field} for e in errors]
    message = f'{r.qualified_kind} "{name}" is invalid'
    if len(unique) == 1:
        message += f": {unique[0]}"
    elif unique:
        message += ": [" + ", ".join(str(e) for e in unique) + "]"
    details: dict[str, Any] = {"name": name}
    if r.group:
        details["group"] = r.group
    details["kind"] = r.kind
    details["causes"] = causes
    return ApiError(status(422, "Invalid", message, details))


# --- apimachinery's string checks, in its words ------------------------------------------------

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = f"({_LABEL_KEY_FMT})?"
_LABEL_KEY_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """content.RegexError: the message, the examples and the regular expression."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def dns1123_label_messages(value: str, unit: str = "characters") -> list[str]:
    """IsDNS1123Label's messages ("must not contain dots" for a valid subdomain)."""
    out = []
    if len(value) > names.DNS_LABEL_MAX:
        out.append(f"must be no more than {names.DNS_LABEL_MAX} {unit}")
    if not re.fullmatch(_DNS1123_LABEL_FMT, value):
        if re.fullmatch(_DNS1123_SUBDOMAIN_FMT, value):
            out.append("must not contain dots")
        else:
            out.append(
                _regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric character",
                    _DNS1123_LABEL_FMT,
                    "my-name",
                    "123-abc",
                )
            )
    return out


def dns1123_subdomain_messages(value: str, unit: str = "characters") -> list[str]:
    out = []
    if len(value) > names.DNS_SUBDOMAIN_MAX:
        out.append(f"must be no more than {names.DNS_SUBDOMAIN_MAX} {unit}")
    if not re.fullmatch(_DNS1123_SUBDOMAIN_FMT, value):
        out.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN_FMT,
                "example.com",
            )
        )
    return out


def label_key_messages(value: str) -> list[str]:
    """content.IsLabelKey (a "qualified name")."""
    parts = value.split("/")
    out: list[str] = []
    if len(parts) > 2:
        return [
            "a valid label key "
            + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            out.append("prefix part must be non-empty")
        else:
            out += [f"prefix part {m}" for m in dns1123_subdomain_messages(prefix, unit="bytes")]
    if not name:
        out.append("name part must be non-empty")
    elif len(name) > names.DNS_LABEL_MAX:
        out.append(f"name part must be no more than {names.DNS_LABEL_MAX} bytes")
    if not re.fullmatch(_LABEL_KEY_FMT, name):
        out.append(
            "name part "
            + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
        )
    return out


def label_value_messages(value: str) -> list[str]:
    out = []
    if len(value) > names.LABEL_VALUE_MAX:
        out.append(f"must be no more than {names.LABEL_VALUE_MAX} bytes")
    if not re.fullmatch(_LABEL_VALUE_FMT, value):
        out.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE_FMT,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return out


def port_name_messages(value: str) -> list[str]:
    """IsValidPortName (IANA_SVC_NAME)."""
    out = []
    if len(value) > names.IANA_SVC_NAME_MAX:
        out.append(f"must be no more than {names.IANA_SVC_NAME_MAX} characters")
    if not re.fullmatch(r"[-a-z0-9]+", value):
        out.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", value):
        out.append("must contain at least one letter (a-z)")
    if "--" in value:
        out.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        out.append("must not begin or end with a hyphen")
    return out


PORT_RANGE_MESSAGE = "must be between 1 and 65535, inclusive"


def label_map_errors(labels: Any, path: str) -> list[FieldError]:
    """ValidateLabels: every bad key, then its bad value, all reported at the map."""
    out: list[FieldError] = []
    if not isinstance(labels, dict):
        return out
    for key, value in labels.items():
        out += [FieldError("Invalid value", path, key, m) for m in label_key_messages(str(key))]
        text = "" if value is None else str(value)
        out += [FieldError("Invalid value", path, text, m) for m in label_value_messages(text)]
    return out


def ip_messages(value: str) -> list[str]:
    """parseIP for a legacy field (clusterIP, externalIPs): the strict v1.36 checks."""
    try:
        names.parse_ip(value)
    except ValueError as exc:
        text = str(exc)
        if "leading zeros" in text:
            return ["must not have leading 0s"]
        if "IPv4-mapped" in text:
            return ["must not be an IPv4-mapped IPv6 address"]
        if "canonical" in text:
            return []  # legacy fields accept any spelling of a valid address
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []


def cidr_messages(value: str) -> list[str]:
    try:
        names.parse_cidr(value)
    except ValueError as exc:
        text = str(exc)
        if "leading zeros" in text:
            return ["must not have leading 0s in IP or prefix length"]
        if "IPv4-mapped" in text:
            return ["must not have an IPv4-mapped IPv6 address"]
        if "bits set" in text:
            return ["must not have bits set beyond the prefix length"]
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    return []


# --- from the project's Problems to the API server's field errors ------------------------------

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> list[str | int]:
    """`spec.ports[0].port` → ["spec", "ports", 0, "port"]."""
    out: list[str | int] = []
    for name, index in _PATH_PART.findall(text):
        out.append(int(index) if index else name)
    return out


def value_at(obj: Any, path: str, default: Any = None) -> Any:
    """The value at a field path of `obj`, or `default` when the path leads nowhere."""
    node = obj
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return default
        elif not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


# Where the API server's path differs from where the value sits (it drops `metadata`).
_VALUE_PATHS = {"spec.template.labels": "spec.template.metadata.labels"}

# Choices as the API server lists them in `supported values:`, per field (a path's last part).
_CHOICES = {
    "type": ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
    "sessionAffinity": ["ClientIP", "None"],
    "externalTrafficPolicy": ["Cluster", "Local"],
    "internalTrafficPolicy": ["Cluster", "Local"],
    "ipFamilyPolicy": ["PreferDualStack", "RequireDualStack", "SingleStack"],
    "addressType": ["FQDN", "IPv4", "IPv6"],
}
_SERVICE_PROTOCOLS = ["SCTP", "TCP", "UDP"]  # sets.List: sorted
_POLICY_PROTOCOLS = ["TCP", "UDP", "SCTP"]  # NetworkPolicy lists them in this order
_TYPE_PREFIXES = tuple(_REASONS)


def _last_name(path: str) -> str:
    parts = [p for p in parse_path(path) if isinstance(p, str)]
    return parts[-1] if parts else ""


def _choices_in(message: str) -> list[str]:
    """The choices a `… use A, B or C` message names."""
    tail = message.rsplit(": use ", 1)[-1]
    return [c.strip() for c in re.split(r", | or ", tail) if c.strip()]


def upstream_errors(problems: list[Problem], obj: dict[str, Any], kind: str) -> list[FieldError]:
    """The API server's field errors for the project's error Problems about `obj`."""
    out: list[FieldError] = []
    done_maps: set[str] = set()
    for problem in problems:
        if problem.is_error:
            out += _translate(problem, obj, kind, done_maps)
    return _upstream_order(out)


def _upstream_order(errors: list[FieldError]) -> list[FieldError]:
    """Metadata before everything else, as ValidateObjectMeta runs first."""
    return sorted(errors, key=lambda e: 0 if e.field.startswith("metadata") else 1)


def _translate(
    problem: Problem, obj: dict[str, Any], kind: str, done_maps: set[str]
) -> list[FieldError]:
    where = problem.field
    message = problem.message
    value = value_at(obj, _VALUE_PATHS.get(where, where))
    last = _last_name(where)
    # Label maps: all of a map's errors at once, in the API server's words.
    if message.startswith(("label key ", "label value ")):
        if where in done_maps:
            return []
        done_maps.add(where)
        return label_map_errors(value, where)
    if message.startswith(_TYPE_PREFIXES):
        return [_already_typed(where, message, value)]
    # Port numbers.
    if last in ("port", "containerPort", "endPort", "targetPort") and (
        "between 1 and 65535" in message or message == "is required"
    ):
        number = value if isinstance(value, int) else 0
        return [FieldError("Invalid value", where, number, PORT_RANGE_MESSAGE)]
    if last == "containerPort" and message.startswith("is required"):
        return [FieldError("Required value", where)]
    if "is not a valid port name" in message and isinstance(value, str):
        return [FieldError("Invalid value", where, value, m) for m in port_name_messages(value)]
    # Names.
    if "is not a valid name" in message or "must not contain dots" in message:
        text = value if isinstance(value, str) else ""
        if "DNS subdomain" in message:
            found = dns1123_subdomain_messages(text)
        else:
            found = dns1123_label_messages(text)
        return [FieldError("Invalid value", where, text, m) for m in found or [message]]
    if where == "metadata.name" and message.startswith("is required"):
        return [FieldError("Required value", where, detail="name or generateName is required")]
    # Choices.
    if (" is not a " in message and ": use " in message) or " is not an " in message:
        if "selector operator" in message:
            return [FieldError("Invalid value", where, value, "not a valid selector operator")]
        choices = _CHOICES.get(last) or _choices_in(message)
        if last == "protocol":
            choices = _POLICY_PROTOCOLS if kind == "NetworkPolicy" else _SERVICE_PROTOCOLS
        if value is None or value == "":
            return [FieldError("Required value", where)]
        detail = "supported values: " + ", ".join(_go_quote(c) for c in choices)
        return [FieldError("Unsupported value", where, value, detail)]
    return _service_or_policy(problem, obj, kind, value) or [_fallback(where, message, value)]


def _service_or_policy(
    problem: Problem, obj: dict[str, Any], kind: str, value: Any
) -> list[FieldError]:
    """Messages of the Service, NetworkPolicy and workload rules with a known upstream form."""
    where, message = problem.field, problem.message
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if message.startswith("at least one port is required"):
        return [FieldError("Required value", where)]
    if message.startswith("is required when a Service has more than one port"):
        return [FieldError("Required value", where)]
    if message.startswith("duplicate port name"):
        return [FieldError("Duplicate value", where, value)]
    if message.startswith("duplicate port ") and kind == "Service":
        port = value if isinstance(value, dict) else {}
        key = {
            "Name": "",
            "Protocol": port.get("protocol", ""),
            "AppProtocol": None,
            "Port": port.get("port", 0),
            "TargetPort": 0,
            "NodePort": 0,
        }
        return [FieldError("Duplicate value", where, _Ordered(key))]
    if message.startswith("duplicate nodePort"):
        return [FieldError("Duplicate value", where, value)]
    if message == "may not be used when type is ClusterIP":
        return [FieldError("Forbidden", where, detail="may not be used when `type` is 'ClusterIP'")]
    if "the cluster's NodePort range" in message and isinstance(value, int):
        return [
            FieldError(
                "Invalid value",
                where,
                value,
                "provided port is not in the valid range. The range of valid ports is 30000-32767",
            )
        ]
    if message.startswith("is required for an ExternalName Service"):
        return [FieldError("Required value", where)]
    if where == "spec.externalName" and isinstance(value, str):
        found = dns1123_subdomain_messages(value.removesuffix("."))
        return [FieldError("Invalid value", where, value.removesuffix("."), m) for m in found]
    if message.startswith("must be empty for an ExternalName Service"):
        return [
            FieldError(
                "Forbidden", "spec.clusterIPs", detail="may not be set for ExternalName services"
            )
        ]
    if "may not be 'None' for a" in message:
        service_type = spec.get("type", "")
        return [
            FieldError(
                "Invalid value",
                where,
                "None",
                f"may not be set to 'None' for {service_type} services",
            )
        ]
    if (where.startswith("spec.clusterIPs[") and isinstance(value, str)) or (
        where == "spec.clusterIPs[0]" and isinstance(spec.get("clusterIP"), str)
    ):
        text = value if isinstance(value, str) else spec.get("clusterIP", "")
        found = ip_messages(text)
        if found:
            return [FieldError("Invalid value", where, text, m) for m in found]
    if where.endswith(("ipBlock.cidr",)) and isinstance(value, str):
        if message.startswith("is required"):
            return [FieldError("Required value", where)]
        return [FieldError("Invalid value", where, value, m) for m in cidr_messages(value)]
    if ".except[" in where and isinstance(value, str):
        found = cidr_messages(value)
        if not found and "strict subset" in message:
            found = ["must be a strict subset of `cidr`"]
        return [FieldError("Invalid value", where, value, m) for m in found]
    if message.startswith("must specify a peer"):
        return [FieldError("Required value", where, detail="must specify a peer")]
    if message.startswith("may not combine ipBlock with"):
        return [
            FieldError("Forbidden", where, detail="may not specify both ipBlock and another peer")
        ]
    if message.startswith("may not be used with a named port"):
        return [
            FieldError(
                "Invalid value", where, value, "may not be specified when `port` is non-numeric"
            )
        ]
    if message.startswith("may not be set without port"):
        return [
            FieldError(
                "Invalid value", where, value, "may not be specified when `port` is not specified"
            )
        ]
    if "must be greater than or equal to port" in message:
        parent = value_at(obj, where.rsplit(".", 1)[0], {})
        return [
            FieldError(
                "Invalid value",
                where,
                parent.get("port"),
                "must be greater than or equal to `port`",
            )
        ]
    if message.startswith("must list at least one value when operator is"):
        return [
            FieldError(
                "Required value",
                where,
                detail="must be specified when `operator` is 'In' or 'NotIn'",
            )
        ]
    if message.startswith("must be empty when operator is"):
        return [
            FieldError(
                "Forbidden",
                where,
                detail="may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )
        ]
    if message.startswith("may list at most two policyTypes"):
        return [
            FieldError("Invalid value", where, value, "may not specify more than two policyTypes")
        ]
    if "`selector` does not match template `labels`" in message:
        labels = value_at(obj, "spec.template.metadata.labels", {})
        return [
            FieldError(
                "Invalid value", where, labels, "`selector` does not match template `labels`"
            )
        ]
    if message.startswith("is required: it tells the"):
        return [FieldError("Required value", where)]
    if message.startswith("must not be empty: a ") and where == "spec.selector":
        return [
            FieldError(
                "Invalid value", where, value, f"empty selector is invalid for {kind.lower()}"
            )
        ]
    if where.endswith("clientIP.timeoutSeconds") and isinstance(value, int):
        return [
            FieldError("Invalid value", where, value, "must be greater than 0 and less than 86400")
        ]
    if message == "may only be used when type is LoadBalancer":
        return [
            FieldError("Forbidden", where, detail="may only be used when `type` is 'LoadBalancer'")
        ]
    if where.endswith("appProtocol") and isinstance(value, str):
        return [FieldError("Invalid value", where, value, m) for m in label_key_messages(value)]
    if where == "spec.externalTrafficPolicy" and message.startswith("may only be set on a Service"):
        return [
            FieldError(
                "Invalid value", where, value, "may only be set for externally-accessible services"
            )
        ]
    if (
        where.startswith("spec.externalIPs[")
        and " address, which cannot reach a Service" in message
    ):
        return [
            FieldError("Invalid value", where, value, m) for m in _special_ip_messages(str(value))
        ]
    if where == "spec.replicas" and isinstance(value, int) and value < 0:
        return [FieldError("Invalid value", where, value, "must be greater than or equal to 0")]
    if where == "spec.template.spec.restartPolicy" and "must use Always" in message:
        return [FieldError("Unsupported value", where, value, 'supported values: "Always"')]
    if message.startswith(("is required", "Required value")):
        return [FieldError("Required value", where)]
    return []


def _special_ip_messages(text: str) -> list[str]:
    """ValidateNonSpecialIP: the address ranges a Service's external IP may not be in."""
    import ipaddress

    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return []
    if address.is_unspecified:
        return [f"may not be unspecified ({address})"]
    if address.is_loopback:
        return ["may not be in the loopback range (127.0.0.0/8, ::1/128)"]
    if address.is_link_local:
        return ["may not be in the link-local range (169.254.0.0/16, fe80::/10)"]
    return ["may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"]


def _already_typed(where: str, message: str, value: Any) -> FieldError:
    """A Problem already worded `<Type>: …` (the project borrowed the API's words); a bad
    value written the Python way (`'IPv4'`) is written the API's way (`"IPv4"`)."""
    for prefix in _TYPE_PREFIXES:
        if message.startswith(prefix):
            rest = message[len(prefix) :].lstrip(":").strip()
            if (
                prefix in ("Invalid value", "Duplicate value", "Unsupported value")
                and value is not None
            ):
                for shown in (repr(value), str(value)):
                    if rest == shown or rest.startswith(shown + ": "):
                        detail = rest[len(shown) :].lstrip(":").strip()
                        return FieldError(prefix, where, value, detail)
            return _Raw(prefix, where, detail=rest)
    return _Raw("Invalid value", where, detail=message)


@dataclass(frozen=True)
class _Raw(FieldError):
    """A field error whose value and detail are already written out."""

    def body(self) -> str:
        return f"{self.type}: {self.detail}" if self.detail else self.type


def _fallback(where: str, message: str, value: Any) -> FieldError:
    """No known upstream wording: keep the project's words, in the API's shape."""
    if value is None:
        return _Raw("Invalid value", where, detail=message)
    return FieldError("Invalid value", where, value, message)


# --- decoding ----------------------------------------------------------------------------------


def strict_decoding_error(r: Resource, unknown: list[str]) -> ApiError:
    """What fieldValidation=Strict answers for unknown fields (HTTP 400)."""
    fields = ", ".join(f'unknown field "{f}"' for f in unknown)
    return bad_request(
        f'{r.kind} in version "{r.version}" cannot be handled as a {r.kind}: '
        f"strict decoding error: {fields}"
    )


def decoding_error(r: Resource, detail: str) -> ApiError:
    return bad_request(
        f'{r.kind} in version "{r.version}" cannot be handled as a {r.kind}: {detail}'
    )


_GO_SCALARS = {"int32": "int32", "int64": "int64", "bool": "bool", "string": "string"}


def go_decode_error(kind: str, path: str, value: Any) -> str | None:
    """encoding/json's words for a value of the wrong JSON type, as the API server's decoder
    reports it: `json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port
    of type int32`. None when the field is not a plain scalar of a known message."""
    from k8slearn.practice.proto_schema import MESSAGES

    message = kind
    names = [p for p in parse_path(path) if isinstance(p, str)]
    for i, name in enumerate(names):
        fields = {spec[0]: spec for spec in MESSAGES.get(message, {}).values()}
        spec = fields.get(name)
        if spec is None:
            return None
        mode = spec[2] if len(spec) > 2 else ""
        go_type = _go_type(spec[1], MESSAGES)
        if mode == "map" and i == len(names) - 2 and spec[1] in _GO_SCALARS:
            names = names[: i + 1]  # a map's value: Go names the map field
        elif i < len(names) - 1:
            if spec[1] not in MESSAGES or mode == "map":
                return None
            message = spec[1]
            continue
        elif mode == "list":
            go_type = f"[]{go_type}"
        elif mode == "map" or spec[1] not in _GO_SCALARS:
            return None
        json_type = (
            "string"
            if isinstance(value, str)
            else "bool"
            if isinstance(value, bool)
            else "number"
            if isinstance(value, int | float)
            else "object"
            if isinstance(value, dict)
            else "array"
            if isinstance(value, list)
            else None
        )
        if json_type is None:
            return None
        return (
            f"json: cannot unmarshal {json_type} into Go struct field "
            f"{message}.{'.'.join(names)} of type {go_type}"
        )
    return None


def _go_type(name: str, messages: dict[str, Any]) -> str:
    if name in _GO_SCALARS:
        return _GO_SCALARS[name]
    special = {"intorstring": "intstr.IntOrString", "quantity": "resource.Quantity"}
    if name in special:
        return special[name]
    return f"v1.{name.rsplit('.', 1)[-1]}" if name in messages else name


def without_fields(obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of `obj` with the fields at `paths` removed (what Warn/Ignore validation does)."""
    result = copy.deepcopy(obj)
    for path in paths:
        parts = parse_path(path)
        node: Any = result
        for part in parts[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return result


# --- admission ----------------------------------------------------------------------------------

_EMPTY_SELECTOR_WORD = {"Deployment": "deployment", "ReplicaSet": "deployment"}


@dataclass
class Admitted:
    """An object the API server accepted: defaulted, plus the warnings it sends back."""

    obj: dict[str, Any]
    warnings: list[str]


def admit(r: Resource, obj: dict[str, Any], field_validation: str = "Strict") -> Admitted:
    """Decode, default and validate one object for a create or an update; ApiError if refused.

    `obj` already has its final name and (for namespaced kinds) namespace.
    `field_validation` is the request's `fieldValidation` (kubectl sends Strict):
    Strict refuses unknown fields, Warn drops them with a warning, Ignore drops them.
    """
    from k8slearn.manifests.schema import KNOWN_KINDS

    if r.kind in KNOWN_KINDS:
        return _admit_checked(r, obj, r.kind, field_validation)
    if r.kind == "ReplicaSet":
        return _admit_replica_set(r, obj, field_validation)
    if r.kind == "ConfigMap":
        return _admit_config_map(r, obj)
    raise not_available(f"writing {r.plural}")


def _admit_checked(r: Resource, obj: dict[str, Any], kind: str, field_validation: str) -> Admitted:
    """The project's pipeline (shape, defaults, rules), answered in the API server's words."""
    from k8slearn.manifests.defaults import apply_defaults
    from k8slearn.manifests.loader import Document
    from k8slearn.manifests.rules import check_rules
    from k8slearn.manifests.schema import check_shape

    warnings: list[str] = []
    api_version = "apps/v1" if kind == "Deployment" else r.group_version
    shape = [p for p in check_shape(Document(obj, 0, 1), api_version, kind) if p.is_error]
    unknown = [p.field for p in shape if p.message.startswith("unknown field")]
    if unknown:
        if field_validation not in ("Warn", "Ignore"):
            raise strict_decoding_error(r, unknown)
        if field_validation == "Warn":
            warnings += [f'unknown field "{f}"' for f in unknown]
        obj = without_fields(obj, unknown)
        shape = [p for p in shape if not p.message.startswith("unknown field")]
    wrong_types = [p for p in shape if p.message.startswith("must be ")]
    if wrong_types:
        first = wrong_types[0]
        said = go_decode_error(r.kind, first.field, value_at(obj, first.field))
        raise decoding_error(r, said or f"{first.field}: {first.message}")
    defaulted = apply_defaults(kind, obj)
    doc = Document(defaulted, 0, 1)
    problems = [*shape, *(p for p in check_rules(doc, kind, defaulted) if p.is_error)]
    errors = upstream_errors(problems, defaulted, kind)
    if errors:
        name = str((defaulted.get("metadata") or {}).get("name") or "")
        word = _EMPTY_SELECTOR_WORD.get(r.kind)
        if word:
            errors = [
                FieldError(e.type, e.field, e.value, f"empty selector is invalid for {word}")
                if e.detail.startswith("empty selector is invalid")
                else e
                for e in errors
            ]
        raise invalid(r, name, errors)
    return Admitted(defaulted, warnings)


def _admit_replica_set(r: Resource, obj: dict[str, Any], field_validation: str) -> Admitted:
    """A ReplicaSet's spec is a Deployment's without the rollout fields: checked by the same
    rules (selector, template labels, pod spec), then given back its own shape."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    as_deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": obj.get("metadata"),
        "spec": spec,
    }
    admitted = _admit_checked(r, as_deployment, "Deployment", field_validation)
    checked = admitted.obj["spec"]
    own: dict[str, Any] = {"replicas": checked.get("replicas", 1)}
    for key in ("minReadySeconds", "selector", "template"):
        if key in checked:
            own[key] = checked[key]
    result = dict(obj, metadata=admitted.obj["metadata"], spec=own)
    return Admitted(result, admitted.warnings)


_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def _admit_config_map(r: Resource, obj: dict[str, Any]) -> Admitted:
    """ValidateConfigMap: the name, and every key of data and binaryData."""
    errors = _name_errors(obj, dns1123_subdomain_messages)
    for section in ("data", "binaryData"):
        for key in obj.get(section) or {}:
            if len(key) > names.DNS_SUBDOMAIN_MAX or not _CONFIG_KEY.fullmatch(key):
                errors.append(
                    FieldError(
                        "Invalid value",
                        f"{section}[{key}]",
                        key,
                        _regex_error(
                            "a valid config key must consist of alphanumeric characters, '-', "
                            "'_' or '.'",
                            "[-._a-zA-Z0-9]+",
                            "key.name",
                            "KEY_NAME",
                            "key-name",
                        ),
                    )
                )
    if errors:
        raise invalid(r, str((obj.get("metadata") or {}).get("name") or ""), errors)
    return Admitted(obj, [])


def _name_errors(obj: dict[str, Any], check) -> list[FieldError]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name")
    if not name:
        return [
            FieldError("Required value", "metadata.name", detail="name or generateName is required")
        ]
    return [FieldError("Invalid value", "metadata.name", name, m) for m in check(str(name))]


POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
    "set to 1 if it was previously negative)"
)
STATEFULSET_UPDATE_FORBIDDEN = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)


def update_errors(r: Resource, old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    """What ValidateXUpdate refuses beyond the create rules: fields that never change."""
    errors: list[FieldError] = []
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if r.kind == "Service":
        errors += _cluster_ip_update_errors(old_spec, new_spec)
    elif r.kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        if old_spec.get("selector") != new_spec.get("selector"):
            errors.append(
                FieldError(
                    "Invalid value", "spec.selector", new_spec.get("selector"), "field is immutable"
                )
            )
        if r.kind == "StatefulSet":
            mutable = {
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            }
            fixed_old = {k: v for k, v in old_spec.items() if k not in mutable}
            fixed_new = {k: v for k, v in new_spec.items() if k not in mutable}
            if fixed_old != fixed_new:
                errors.append(FieldError("Forbidden", "spec", detail=STATEFULSET_UPDATE_FORBIDDEN))
    elif r.kind == "Pod" and _pod_spec_for_update(old_spec) != _pod_spec_for_update(new_spec):
        errors.append(FieldError("Forbidden", "spec", detail=POD_UPDATE_FORBIDDEN))
    return errors


def _pod_spec_for_update(spec: dict[str, Any]) -> dict[str, Any]:
    """A pod spec without what an update may change (images, deadline, tolerations…)."""
    out = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        for container in out.get(key) or []:
            if isinstance(container, dict):
                container.pop("image", None)
    for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
        out.pop(key, None)
    return out


def _cluster_ip_update_errors(old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    """validateUpgradeDowngradeClusterIPs: a Service keeps its cluster IPs for life."""
    if "ExternalName" in (old.get("type"), new.get("type")):
        return []
    old_ips, new_ips = list(old.get("clusterIPs") or []), list(new.get("clusterIPs") or [])
    if old_ips == ["None"] and new_ips == ["None"]:
        return []
    errors: list[FieldError] = []
    if len(old_ips) == len(new_ips):
        for i, ip in enumerate(old_ips):
            if ip != new_ips[i]:
                errors.append(
                    FieldError(
                        "Invalid value", f"spec.clusterIPs[{i}]", new_ips, "may not change once set"
                    )
                )
    elif len(old_ips) > len(new_ips):
        if not new_ips:
            errors.append(
                FieldError(
                    "Invalid value",
                    "spec.clusterIPs[0]",
                    new_ips,
                    "primary clusterIP can not be unset",
                )
            )
        elif new_ips[0] != old_ips[0]:
            errors.append(
                FieldError(
                    "Invalid value", "spec.clusterIPs[0]", new_ips, "may not change once set"
                )
            )
    elif old_ips and new_ips[0] != old_ips[0]:
        errors.append(
            FieldError("Invalid value", "spec.clusterIPs[0]", new_ips, "may not change once set")
        )
    return errors
