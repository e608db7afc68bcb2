"""Load multi-document YAML or JSON safely, remembering where every field was written.

PyYAML's safe loader alone is not enough for a learner's editor: it silently
keeps the last of two duplicate keys, expands alias bombs without limit and
forgets positions. So we let PyYAML *compose* the node graph (safe, no
construction of Python objects) and build plain dicts and lists ourselves,
recording the line and column of every key and item on the way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from k8slearn.gcpause import cycle_collector_paused
from k8slearn.problems import Path, Problem, format_path

# libyaml's parser when PyYAML was built with it (the wheels are): the same safe
# composition, several times faster, which the app's start-up depends on.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, remembering which tag each plain scalar resolved to.

    Resolving runs a regular expression per plain scalar; a cluster export
    repeats the same keys and values thousands of times.
    """

    _resolved: dict[str, str] = {}

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode and implicit[0]:
            tag = self._resolved.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._resolved) < 100_000:
                    self._resolved[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"  # the key `=`, which flatten_mapping reads as a string
_INT = "tag:yaml.org,2002:int"
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")  # other YAML 1.1 ints (0x1F, 1_000) go the long way

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
# Values built per input, an alias counted each time it expands. Without aliases every
# value takes at least one character of the text, so the budget is the larger of this and
# the text's length: an honest file never meets it, an alias bomb stops early.
MAX_NODES = 100_000

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}


@dataclass
class Document:
    """One YAML document: its data as plain Python values and where each part was written."""

    data: Any
    index: int
    line: int  # first line of the document, 1-based
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that was written down."""
        pos = self.position_of(path)
        return pos[0] if pos else None

    def position_of(self, path: Path) -> tuple[int, int] | None:
        for cut in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:cut]))
            if pos:
                return pos
        return None

    def part(self, path: Path, data: Any, index: int) -> Document:
        """The value at `path` as a document of its own that keeps its lines (a List's item)."""
        n = len(path)
        positions = {p[n:]: pos for p, pos in self.positions.items() if p[:n] == tuple(path)}
        line = self.positions.get(tuple(path), (self.line, 1))[0]
        return Document(data=data, index=index, line=line, positions=positions)

    def problem(self, path: Path, message: str, **kwargs: Any) -> Problem:
        """A Problem about `path` in this document, located at its line."""
        pos = self.position_of(path)
        return Problem(
            message=message,
            field=format_path(path),
            line=pos[0] if pos else self.line,
            column=pos[1] if pos else None,
            **kwargs,
        )


@dataclass
class LoadResult:
    documents: list[Document]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


class _Reject(Exception):
    """Raised while building values; becomes one Problem."""

    def __init__(
        self,
        message: str,
        node: Node | None = None,
        hint: str = "",
        where: tuple[int, int] = (1, 1),
    ):
        super().__init__(message)
        self.message = message
        self.node = node
        self.hint = hint
        self.where = where  # line, column: for problems found before parsing


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns one composed node graph into plain values, with limits."""

    def __init__(self, constructor: yaml.constructor.SafeConstructor, budget: list[int]):
        self.constructor = constructor
        self.budget = budget  # shared across documents of one input
        self.positions: dict[Path, tuple[int, int]] = {}

    def build(self, node: Node, path: Path, depth: int) -> Any:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise _Reject(
                "the aliases expand to far more values than the text holds (aliases that "
                "refer to aliases?); no manifest needs that",
                node,
            )
        if depth > MAX_DEPTH:
            raise _Reject(
                f"nested more than {MAX_DEPTH} levels deep; "
                "Kubernetes manifests never need that (a self-referencing alias?)",
                node,
            )
        tag = node.tag
        if tag not in _STANDARD_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _Reject(
                f"the tag {shown} is not allowed",
                node,
                hint="Kubernetes manifests use plain YAML: remove the tag",
            )
        kind = node.id  # "scalar", "mapping" or "sequence": cheaper than isinstance
        if kind == "scalar":
            return self._scalar(node, tag)
        if kind == "mapping":
            return self._mapping(node, path, depth)
        items = []
        positions = self.positions
        for i, item in enumerate(node.value):
            where = (*path, i)
            if where not in positions:
                mark = item.start_mark
                positions[where] = (mark.line + 1, mark.column + 1)
            items.append(self.build(item, where, depth + 1))
        return items

    def _scalar(self, node: Node, tag: str) -> Any:
        if tag == _STR:  # most values: no constructor needed
            return node.value
        if tag == _INT and _PLAIN_INT.fullmatch(node.value):
            return int(node.value)
        if tag == "tag:yaml.org,2002:timestamp":
            return node.value  # Kubernetes reads YAML through JSON: a date stays a string
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, KeyError, IndexError, TypeError, yaml.YAMLError):
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _Reject(
                f"{node.value!r} is not a valid {shown} value",
                node,
                hint="remove the tag and write the value plainly",
            ) from None

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged = 0
        if any(k.tag in (_MERGE, _VALUE) for k, _ in node.value):
            explicit = sum(1 for k, _ in node.value if k.tag != _MERGE)
            self.constructor.flatten_mapping(node)  # resolves `<<:` merge keys, merged first
            merged = len(node.value) - explicit
        positions = self.positions
        for index, (key_node, value_node) in enumerate(node.value):
            if key_node.id != "scalar":
                raise _Reject(
                    "a mapping key must be a plain value, not a list or mapping", key_node
                )
            if key_node.tag == _STR and self.budget[0] > 0 and depth < MAX_DEPTH:
                self.budget[0] -= 1  # as build() would, for the usual key
                key = key_node.value
            else:
                key = self.build(key_node, path, depth + 1)
                if key is None:
                    key = "null"
                elif isinstance(key, bool):
                    key = str(key).lower()
                elif not isinstance(key, str):
                    key = str(key)
            if key in result:
                if index < merged:
                    continue  # two merged mappings share a key: the earlier one wins
                if not self._from_merge(path, key, merged, node):  # explicit overrides merged
                    first = positions.get((*path, key))
                    where = f" (first at line {first[0]})" if first else ""
                    raise _Reject(
                        f"duplicate key {key!r}{where}",
                        key_node,
                        hint="YAML would silently keep only the last one; "
                        "remove or merge one of them",
                    )
            where = (*path, key)
            mark = key_node.start_mark
            positions[where] = (mark.line + 1, mark.column + 1)
            result[key] = self.build(value_node, where, depth + 1)
        return result

    @staticmethod
    def _from_merge(path: Path, key: str, merged: int, node: MappingNode) -> bool:
        """Whether `key` was first set by one of the `merged` leading (merge) pairs."""
        return any(isinstance(k, ScalarNode) and k.value == key for k, _ in node.value[:merged])


def _decode(raw: bytes | str, max_bytes: int | None = MAX_BYTES) -> str:
    if isinstance(raw, str):
        text = raw
    else:
        if max_bytes is not None and len(raw) > max_bytes:
            raise _Reject(_too_big(len(raw), max_bytes))
        if b"\x00" in raw:
            raise _Reject("this looks like a binary file, not YAML or JSON text")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            p = undecodable(raw, exc)
            raise _Reject(p.message, hint=p.hint, where=(p.line or 1, p.column or 1)) from None
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise _Reject(
            f"the text holds an invalid character at position {exc.start} (a lone surrogate)"
        ) from None
    if max_bytes is not None and size > max_bytes:
        raise _Reject(_too_big(size, max_bytes))
    if "\x00" in text:
        raise _Reject("this looks like binary data, not YAML or JSON text")
    return text


def undecodable(raw: bytes, exc: UnicodeDecodeError) -> Problem:
    """Not UTF-8: where the first bad byte is (line:column), and what it would be in cp1252."""
    try:
        raw.decode("utf-8")  # the offset in `raw` itself, a byte-order mark counted
        start = exc.start
    except UnicodeDecodeError as plain:
        start = plain.start
    line_start = raw.rfind(b"\n", 0, start) + 1
    line = raw.count(b"\n", 0, start) + 1
    column = len(raw[line_start:start].decode("utf-8", errors="replace")) + 1
    byte = raw[start]
    try:
        guess = f" ({bytes([byte]).decode('cp1252')!r} in Windows-1252?)"
    except UnicodeDecodeError:
        guess = ""
    return Problem(
        message=f"not UTF-8 text: byte 0x{byte:02X} here{guess}",
        line=line,
        column=column,
        hint="save the file as UTF-8",
    )


def _too_big(size: int, limit: int = MAX_BYTES) -> str:
    return f"input is {size} bytes; the limit is {limit} bytes ({size_text(limit)}) per file"


def size_text(n: int) -> str:
    """A byte count as people say it: 1 MiB, 64 MiB, 1.5 MiB."""
    mib = n / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{n / 1024:g} KiB"


def _looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(("{", "["))


def _char_name(character: int | str) -> str:
    char = chr(character) if isinstance(character, int) else character
    return repr(char)


def _yaml_error(exc: yaml.MarkedYAMLError, text: str = "") -> Problem:
    """libyaml's error in plain words (manifests.yamlerrors); nesting has its own message."""
    from k8slearn.manifests.yamlerrors import plain_yaml_error

    mark = exc.problem_mark or exc.context_mark
    if "exceeded maximum nesting depth" in (exc.problem or ""):
        return Problem(
            message=f"nested too deeply (more than {MAX_DEPTH} levels)",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="Kubernetes manifests never need that",
        )
    return plain_yaml_error(exc, text, parser_words_when_unknown=True)


def load_manifests(raw: bytes | str, max_bytes: int | None = MAX_BYTES) -> LoadResult:
    """Parse every document of `raw`; never raises for bad input.

    Documents that parse are returned even when a later one does not, so a
    learner sees every problem the text has. `max_bytes` bounds the input (None:
    the caller has bounded it, as the command line does for the files it reads).
    """
    problems: list[Problem] = []
    try:
        text = _decode(raw, max_bytes)
    except _Reject as exc:
        line, column = exc.where
        return LoadResult(
            [], [Problem(message=exc.message, line=line, column=column, hint=exc.hint)]
        )
    if _looks_like_json(text):
        # JSON allows tabs as white space, YAML does not; outside strings a tab is never
        # meaningful in JSON, and inside a JSON string a raw tab is invalid anyway.
        text = text.replace("\t", " ")
    with cycle_collector_paused():
        documents = list(_documents(text, problems))
    if not documents and not any(p.is_error for p in problems):
        problems.append(Problem(message="the input holds no manifest (it is empty)", line=1))
    return LoadResult(documents, problems)


def _documents(text: str, problems: list[Problem]) -> Iterator[Document]:
    loader = _Loader(text)
    budget = [max(MAX_NODES, len(text))]
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            start_line = node.start_mark.line + 1
            if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
                problems.append(
                    Problem(
                        message=f"document {index + 1} is empty",
                        line=start_line,
                        severity="warning",
                        hint="remove the extra `---`",
                    )
                )
                index += 1
                continue
            builder = _Builder(loader, budget)
            try:
                data = builder.build(node, (), 0)
            except _Reject as exc:
                where = _mark(exc.node) if exc.node is not None else (start_line, 1)
                problems.append(
                    Problem(message=exc.message, line=where[0], column=where[1], hint=exc.hint)
                )
                return
            except yaml.YAMLError as exc:
                problems.append(_constructor_problem(exc, start_line, text))
                return
            if not isinstance(data, dict):
                kind = "a list" if isinstance(data, list) else f"the value {data!r}"
                problems.append(
                    Problem(
                        message=f"document {index + 1} is {kind}, not a mapping of fields",
                        line=start_line,
                        column=1,
                        hint="a manifest starts with `apiVersion:` and `kind:`",
                    )
                )
            else:
                yield Document(data=data, index=index, line=start_line, positions=builder.positions)
            index += 1
    except yaml.MarkedYAMLError as exc:
        plain = None
        if "nesting depth" not in (exc.problem or ""):
            from k8slearn.manifests.yamlerrors import yaml_syntax_problem

            plain = yaml_syntax_problem(text)  # the same error, in plain words
        problems.append(plain or _yaml_error(exc, text))
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        problems.append(
            Problem(
                message=f"the control character {_char_name(exc.character)} is not allowed in YAML",
                line=line,
                column=column,
                hint="remove it (control characters cannot appear in a manifest)",
            )
        )
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks nearly everything
        problems.append(Problem(message=f"YAML error: {exc}", line=1))
    except RecursionError:
        problems.append(
            Problem(
                message=f"nested too deeply (more than {MAX_DEPTH} levels)",
                line=1,
                hint="Kubernetes manifests never need that",
            )
        )
    finally:
        loader.dispose()


def _constructor_problem(exc: yaml.YAMLError, line: int, text: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        return _yaml_error(exc, text)
    return Problem(message=f"YAML error: {exc}", line=line)


def expand_lists(documents: list[Document]) -> tuple[list[Document], list[Problem]]:
    """Replace each `kind: List` (or `ServiceList`, …) by its items, as kubectl does.

    `kubectl get … -o yaml` wraps what it prints in a `v1 List`; kubectl unwraps
    such a list before anything reaches the API server, so its items are the
    manifests. An item keeps the lines it was written at; in a typed list
    (`kind: ServiceList`) an item may leave out its own kind and apiVersion.
    """
    out: list[Document] = []
    problems: list[Problem] = []
    for doc in documents:
        data = doc.data
        kind = data.get("kind")
        items = data.get("items")
        if not (isinstance(kind, str) and kind.endswith("List") and isinstance(items, list)):
            out.append(replace(doc, index=len(out)))
            continue
        item_kind = kind[: -len("List")]
        for i, item in enumerate(items):
            prefix = ("items", i)
            line, column = doc.positions.get(prefix, (doc.line, 1))
            if not isinstance(item, dict):
                problems.append(
                    Problem(
                        message=f"items[{i}] of the {kind} is not a mapping of fields",
                        line=line,
                        column=column,
                        hint="each item of a List is a manifest",
                    )
                )
                continue
            if item_kind:  # a typed list: its items may leave out what the list says
                item = {"apiVersion": data.get("apiVersion"), "kind": item_kind, **item}
            out.append(doc.part(prefix, item, len(out)))
    return out, problems
