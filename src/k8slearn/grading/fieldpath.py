"""Field paths in exercise checks: `spec.ports[0].port`, `spec.ports[name=http].targetPort`.

A segment is a key, `[N]` for the N-th item, or `[key=value]` for the item
whose `key` equals `value`. A key holding dots (a label such as
`app.kubernetes.io/name`) is written in brackets and quotes:
`metadata.labels["app.kubernetes.io/name"]`.
"""

from __future__ import annotations

import re
from typing import Any

from k8slearn.problems import Path

_TOKEN = re.compile(r'\.?([^.\[\]]+)|\[(\d+)\]|\["([^"]+)"\]|\[([^=\]]+)=([^\]]*)\]')


class FieldPathError(ValueError):
    """The path itself is malformed (an instructor's mistake, reported by pack validate)."""


def parse(path: str) -> list[tuple[str, Any]]:
    """Split a path into ("key", k) / ("index", i) / ("select", (k, v)) segments."""
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise FieldPathError(f"cannot read field path {path!r} at character {pos + 1}")
        key, index, quoted, sel_key, sel_value = m.groups()
        if key is not None:
            out.append(("key", key))
        elif index is not None:
            out.append(("index", int(index)))
        elif quoted is not None:
            out.append(("key", quoted))
        else:
            out.append(("select", (sel_key, sel_value)))
        pos = m.end()
    return out


_MISSING = object()


def resolve(obj: Any, path: str) -> tuple[Any, Path, bool]:
    """Follow `path` in `obj`: (value, concrete path walked, found?)."""
    current = obj
    walked: list[str | int] = []
    for kind, arg in parse(path):
        if kind == "key":
            if not isinstance(current, dict) or arg not in current:
                return None, tuple(walked), False
            current = current[arg]
            walked.append(arg)
        elif kind == "index":
            if not isinstance(current, list) or arg >= len(current):
                return None, tuple(walked), False
            current = current[arg]
            walked.append(arg)
        else:
            key, value = arg
            if not isinstance(current, list):
                return None, tuple(walked), False
            for i, item in enumerate(current):
                if isinstance(item, dict) and str(item.get(key)) == value:
                    current = item
                    walked.append(i)
                    break
            else:
                return None, tuple(walked), False
    return current, tuple(walked), True


def same_value(expected: Any, actual: Any) -> bool:
    """Equal as the API would see them: 8080 and "8080" are not the same intstr."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return expected == actual
