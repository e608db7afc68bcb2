"""Shape checks: the fields and JSON types the Kubernetes OpenAPI schema allows.

The schema is the strict form (unknown fields rejected, as `kubectl apply`
does with strict field validation) of the kinds k8slearn checks, vendored from the
`kubernetes-validate` package by `scripts/vendor_openapi.py`. Validation uses
the `jsonschema` library, asked only when the quick check (`k8slearn.quickschema`)
finds a misfit; what we add is translating its findings into the messages
kubectl prints and the "did you mean" a learner needs.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path as FilePath
from typing import Any

from k8slearn.manifests.loader import Document
from k8slearn.problems import Path, Problem

# apiVersion + kind pairs k8slearn understands, and where a learner finds them.
KNOWN_KINDS: dict[str, str] = {
    "Service": "v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Namespace": "v1",
    "Pod": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "EndpointSlice": "discovery.k8s.io/v1",
    "Endpoints": "v1",
}

_JSON_TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value pairs)",
    "array": "a list",
    "null": "null",
}

# Mistakes common enough to deserve a tailored explanation, keyed by (parent name, field).
_KNOWN_SLIPS: dict[tuple[str, str], str] = {
    ("peer", "ports"): (
        "`ports` belongs to the rule, one level up: indent it to line up with `from:` "
        "(or `to:`), not inside the peer"
    ),
    ("peer", "policyTypes"): "`policyTypes` belongs under `spec`",
    ("rule", "podSelector"): (
        "a peer selector goes inside `from:` (ingress) or `to:` (egress): "
        "`- from:\n    - podSelector: ...`"
    ),
    ("rule", "namespaceSelector"): "a peer selector goes inside `from:` or `to:`",
    ("rule", "ipBlock"): "`ipBlock` goes inside `from:` or `to:`",
    (
        "spec",
        "matchLabels",
    ): "`matchLabels` goes inside `podSelector:` (or a Service's plain `selector:`)",
    ("servicespec", "matchLabels"): (
        "a Service selector is a plain map of labels: write `selector: {app: web}`, "
        "without `matchLabels`"
    ),
    ("servicespec", "containerPort"): "a Service port uses `port` and `targetPort`",
    ("serviceport", "containerPort"): (
        "a Service port uses `port` (what clients connect to) and `targetPort` "
        "(the container's port)"
    ),
}


@cache
def _bundle() -> dict[str, Any]:
    # Beside this module, read as a file (importlib.resources would cost imports on every
    # `check` for the same bytes: k8slearn always runs from a folder).
    text = (FilePath(__file__).parent / "openapi" / "strict.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(api_version: str, kind: str):
    """Build the validator for one kind once; later calls reuse it."""
    import jsonschema  # imported on first validation only, to keep start-up fast

    bundle = _bundle()
    root = dict(bundle["kinds"][f"{api_version} {kind}"])
    root["definitions"] = bundle["definitions"]
    return jsonschema.Draft202012Validator(root)


@cache
def _quick_check(api_version: str, kind: str):
    """The fast valid/invalid answer for one kind (None: always ask jsonschema)."""
    from k8slearn.quickschema import compile_schema

    bundle = _bundle()
    root = dict(bundle["kinds"][f"{api_version} {kind}"])
    root["definitions"] = bundle["definitions"]
    return compile_schema(root)


def kubernetes_version() -> str:
    """The Kubernetes release the vendored shapes come from."""
    return _bundle()["kubernetesVersion"]


def identify(doc: Document) -> tuple[str | None, str | None, list[Problem]]:
    """Read apiVersion and kind, explaining what is missing or unknown."""
    data = doc.data
    problems: list[Problem] = []
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        problems.append(
            doc.problem(
                ("kind",),
                "Required value: every manifest needs a `kind`",
                hint="for example `kind: Service` or `kind: NetworkPolicy`",
            )
        )
        kind = None
    if not isinstance(api_version, str) or not api_version:
        hint = f"`{kind}` uses `apiVersion: {KNOWN_KINDS[kind]}`" if kind in KNOWN_KINDS else ""
        problems.append(
            doc.problem(
                ("apiVersion",), "Required value: every manifest needs an `apiVersion`", hint=hint
            )
        )
        api_version = None
    if kind is None or api_version is None:
        return api_version, kind, problems
    if kind not in KNOWN_KINDS:
        close = difflib.get_close_matches(kind, KNOWN_KINDS, n=1, cutoff=0.6)
        lowered = {k.lower(): k for k in KNOWN_KINDS}
        guess = lowered.get(kind.lower()) or (close[0] if close else None)
        hint = (
            f"did you mean `{guess}`?"
            if guess
            else ("k8slearn checks " + ", ".join(f"{v} {k}" for k, v in KNOWN_KINDS.items()))
        )
        problems.append(doc.problem(("kind",), f"unknown kind {kind!r}", hint=hint))
        return api_version, None, problems
    expected = KNOWN_KINDS[kind]
    if api_version != expected:
        problems.append(
            doc.problem(
                ("apiVersion",),
                f"no match for kind {kind!r} in version {api_version!r}",
                hint=f"{kind} is served as `apiVersion: {expected}`",
            )
        )
        return api_version, None, problems
    return api_version, kind, problems


def check_shape(doc: Document, api_version: str, kind: str, explain: bool = True) -> list[Problem]:
    """Every unknown field and wrong type in `doc`, as kubectl would report them.

    With `explain=False` a misfit is one problem without its account, and jsonschema is
    not asked: for a caller that only needs to know whether the shape fits.
    """
    problems: list[Problem] = []
    quick = _quick_check(api_version, kind)
    if quick is not None and not explain and not quick(doc.data):
        return [doc.problem((), f"does not fit the {kind} schema (not explained)")]
    if quick is None or not quick(doc.data):  # only a misfit pays for jsonschema's account
        for error in _validator(api_version, kind).iter_errors(doc.data):
            problems.extend(_translate(doc, error))
    metadata = doc.data.get("metadata")
    if not isinstance(metadata, dict) or not (metadata.get("name") or metadata.get("generateName")):
        problems.append(
            doc.problem(
                ("metadata", "name"),
                "Required value: name or generateName is required",
                hint="add `metadata:` with a `name:`",
            )
        )
    problems.sort(key=lambda p: (p.line or 0, p.field))
    return problems


def _translate(doc: Document, error) -> list[Problem]:
    path: Path = tuple(error.absolute_path)
    keyword = error.validator
    if keyword == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed]
        return [_unknown_field(doc, path, extra, allowed) for extra in extras]
    if keyword == "type":
        hint = ""
        if path == ("spec", "selector", "matchLabels") and doc.data.get("kind") == "Service":
            hint = _KNOWN_SLIPS[("servicespec", "matchLabels")]
        return [doc.problem(path, _type_message(error.instance, error.validator_value), hint=hint)]
    if keyword == "oneOf" and _is_int_or_string(error.schema):
        return [
            doc.problem(path, f"must be a port number or a port name, not {_show(error.instance)}")
        ]
    if keyword == "enum":
        options = ", ".join(repr(v) for v in error.validator_value if v is not None)
        return [
            doc.problem(
                path, f"Unsupported value: {_show(error.instance)}: supported values: {options}"
            )
        ]
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        return [doc.problem((*path, missing), "Required value")]
    return [doc.problem(path, error.message)]


def _is_int_or_string(schema: dict) -> bool:
    types = sorted(str(s.get("type")) for s in schema.get("oneOf", []))
    return len(types) == 2 and "integer" in types[0] + types[1] and "string" in types[0] + types[1]


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def _type_message(value: Any, expected: Any) -> str:
    wanted = [t for t in (expected if isinstance(expected, list) else [expected]) if t != "null"]
    words = " or ".join(_JSON_TYPES.get(t, t) for t in wanted)
    got = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), "null")
    message = f"must be {words}, not {got}"
    if isinstance(value, bool) and "string" in wanted:
        message += " (quote it: YAML reads yes/no/true/false/on/off as booleans)"
    elif isinstance(value, int | float) and "string" in wanted:
        message += f' (quote it: "{value}")'
    elif isinstance(value, str) and "integer" in wanted:
        message += " (remove the quotes)"
    elif isinstance(value, dict) and "array" in wanted:
        message += " (start each item with `- `)"
    return message


def _parent_role(path: Path) -> str:
    """Name the schema object a path points into, for the tailored slips."""
    names = [p for p in path if isinstance(p, str)]
    if len(path) >= 2 and isinstance(path[-1], int) and path[-2] in ("from", "to"):
        return "peer"
    if len(path) >= 2 and isinstance(path[-1], int) and path[-2] in ("ingress", "egress"):
        return "rule"
    if path == ("spec",):
        return "spec"
    if len(path) >= 2 and isinstance(path[-1], int) and path[-2] == "ports" and path[0] == "spec":
        return "serviceport"
    return names[-1] if names else ""


def _unknown_field(doc: Document, path: Path, field: str, allowed: list[str]) -> Problem:
    role = _parent_role(path)
    if role == "spec" and doc.data.get("kind") == "Service":
        role = "servicespec"
    if role == "serviceport" and doc.data.get("kind") != "Service":
        role = ""
    hint = _KNOWN_SLIPS.get((role, field), "")
    if not hint:
        close = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
        case = {a.lower(): a for a in allowed}.get(field.lower())
        guess = case or (close[0] if close else None)
        if guess:
            hint = f"did you mean `{guess}`?"
        elif allowed:
            hint = "allowed here: " + ", ".join(sorted(allowed))
    return doc.problem((*path, field), f'unknown field "{field}"', hint=hint)
