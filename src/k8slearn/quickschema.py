"""A fast yes/no answer to "does this value fit this JSON Schema?" — jsonschema explains a no.

Almost every manifest and pack file a learner or an instructor writes is valid,
and the `jsonschema` library takes about 0.1 s to import and several
milliseconds per Kubernetes manifest (its `$ref` lookups dominate). This module
compiles a schema once into nested closures that only answer valid / not
valid, for the keywords the project's schemas use; `jsonschema` is imported and
run only when the answer is no, to say what is wrong and where.

It follows Draft 2020-12 as `jsonschema.Draft202012Validator` does without a
format checker (`format` is an annotation). A schema with a keyword it does not
know compiles to None: callers then always ask `jsonschema`. The property tests
in tests/test_quickschema.py hold it to `jsonschema`'s verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

# Keywords that never change a verdict.
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
        "definitions",
        "$defs",
    }
)


class Unsupported(Exception):
    """A keyword this module does not evaluate."""


def compile_schema(root: dict[str, Any]) -> Check | None:
    """A function telling whether a value is valid against `root`, or None if it cannot."""
    try:
        return _Compiler(root).compile(root)
    except Unsupported:
        return None


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def equal(one: Any, two: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0, lists and mappings compared element-wise."""
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, list | dict) or isinstance(two, list | dict):
        return False
    return one == two


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise Unsupported(repr(schema))
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            if keyword in ("then", "else", "additionalProperties", "patternProperties"):
                continue  # compiled with "if" / "properties" (alone, "then"/"else" do nothing)
            build = getattr(self, "_" + keyword.lstrip("$"), None)
            if build is None:
                raise Unsupported(keyword)
            checks.append(build(value, schema))
        if "properties" not in schema and (
            "additionalProperties" in schema or "patternProperties" in schema
        ):
            checks.append(self._properties({}, schema))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    # -- references ----------------------------------------------------------------------------

    def _ref(self, ref: Any, schema: dict) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise Unsupported(f"$ref {ref!r}")
        if ref not in self.refs:
            target: Any = self.root
            for part in ref[1:].split("/")[1:]:
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise Unsupported(f"$ref {ref!r}")
                target = target[part]
            compiled: list[Check] = []
            self.refs[ref] = lambda v: compiled[0](v)  # a recursive schema finds itself here
            compiled.append(self.compile(target))
            self.refs[ref] = compiled[0]
        known = self.refs
        return lambda v: known[ref](v)

    # -- any instance --------------------------------------------------------------------------

    def _type(self, wanted: Any, schema: dict) -> Check:
        names = wanted if isinstance(wanted, list) else [wanted]
        try:
            tests = [_TYPES[n] for n in names]
        except (KeyError, TypeError):
            raise Unsupported(f"type {wanted!r}") from None
        if len(tests) == 1:
            return tests[0]
        return lambda v: any(t(v) for t in tests)

    def _enum(self, options: Any, schema: dict) -> Check:
        if not isinstance(options, list):
            raise Unsupported("enum")
        strings = {o for o in options if isinstance(o, str)}
        others = [o for o in options if not isinstance(o, str)]

        def check(v: Any) -> bool:
            if isinstance(v, str):
                return v in strings
            return any(equal(v, o) for o in others)

        return check

    def _const(self, value: Any, schema: dict) -> Check:
        return lambda v: equal(v, value)

    def _oneOf(self, schemas: Any, schema: dict) -> Check:
        subs = [self.compile(s) for s in schemas]
        return lambda v: sum(1 for s in subs if s(v)) == 1

    def _anyOf(self, schemas: Any, schema: dict) -> Check:
        subs = [self.compile(s) for s in schemas]
        return lambda v: any(s(v) for s in subs)

    def _allOf(self, schemas: Any, schema: dict) -> Check:
        subs = [self.compile(s) for s in schemas]
        return lambda v: all(s(v) for s in subs)

    def _not(self, sub: Any, schema: dict) -> Check:
        inner = self.compile(sub)
        return lambda v: not inner(v)

    def _if(self, sub: Any, schema: dict) -> Check:
        condition = self.compile(sub)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))
        return lambda v: then(v) if condition(v) else otherwise(v)

    # -- objects -------------------------------------------------------------------------------

    def _properties(self, properties: Any, schema: dict) -> Check:
        props = {name: self.compile(sub) for name, sub in properties.items()}
        patterns = [
            (re.compile(p), self.compile(sub))
            for p, sub in schema.get("patternProperties", {}).items()
        ]
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True else self.compile(extra_schema)

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, value in v.items():
                sub = props.get(key)
                matched = sub is not None
                if matched and not sub(value):
                    return False
                for pattern, pattern_check in patterns:
                    if pattern.search(key):
                        matched = True
                        if not pattern_check(value):
                            return False
                if not matched and extra is not None and not extra(value):
                    return False
            return True

        return check

    def _required(self, names: Any, schema: dict) -> Check:
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)

    def _propertyNames(self, sub: Any, schema: dict) -> Check:
        inner = self.compile(sub)
        return lambda v: not isinstance(v, dict) or all(inner(k) for k in v)

    def _minProperties(self, n: Any, schema: dict) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) >= n

    def _maxProperties(self, n: Any, schema: dict) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) <= n

    # -- arrays --------------------------------------------------------------------------------

    def _items(self, sub: Any, schema: dict) -> Check:
        if isinstance(sub, list):
            raise Unsupported("items as a list (draft 4-2019 tuples)")
        inner = self.compile(sub)
        return lambda v: not isinstance(v, list) or all(inner(i) for i in v)

    def _minItems(self, n: Any, schema: dict) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= n

    def _maxItems(self, n: Any, schema: dict) -> Check:
        return lambda v: not isinstance(v, list) or len(v) <= n

    def _uniqueItems(self, on: Any, schema: dict) -> Check:
        if not on:
            return lambda v: True

        def check(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            return not any(equal(a, b) for i, a in enumerate(v) for b in v[i + 1 :])

        return check

    # -- strings and numbers -------------------------------------------------------------------

    def _minLength(self, n: Any, schema: dict) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= n

    def _maxLength(self, n: Any, schema: dict) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= n

    def _pattern(self, pattern: Any, schema: dict) -> Check:
        regex = re.compile(pattern)
        return lambda v: not isinstance(v, str) or regex.search(v) is not None

    def _minimum(self, n: Any, schema: dict) -> Check:
        return lambda v: not _is_number(v) or v >= n

    def _maximum(self, n: Any, schema: dict) -> Check:
        return lambda v: not _is_number(v) or v <= n


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
