"""Lesson packs on disk: reading them into data, with every problem located.

    <pack>/pack.yaml                  id, title, version, description, authors, lessons
    <pack>/<lesson>/lesson.md         YAML front matter (id, title) + the reading
    <pack>/<lesson>/exercises/*.yaml  one exercise per file, in file-name order

Packs come from instructors a learner may not know, so nothing in a pack is
ever executed: files are parsed with the project's safe loader, checked
against a JSON Schema (`schemas/`), and every path is resolved and refused if
it leaves the pack's folder.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from k8slearn.manifests.loader import MAX_BYTES, Document, load_manifests, undecodable
from k8slearn.packs.model import (
    AcceptedMutant,
    Exercise,
    Lesson,
    Pack,
    WrongAnswer,
    is_dir,
    is_file,
    resolved,
)
from k8slearn.problems import Path as FieldPath
from k8slearn.problems import Problem, format_path

# Exercise files are named *.yaml or *.yml, exactly so: a `.YAML` file is read on Windows
# (whose file names ignore case) and not on Linux or macOS, so none is read anywhere.
EXERCISE_SUFFIXES = (".yaml", ".yml")


@cache
def schema(name: str) -> dict[str, Any]:
    """One of the pack format's JSON Schemas (`pack` or `exercise`)."""
    text = (Path(__file__).parent / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(name: str):
    import jsonschema

    return jsonschema.Draft202012Validator(schema(name))


@cache
def _quick_check(name: str):
    """The fast valid/invalid answer (k8slearn.quickschema); jsonschema explains a misfit."""
    from k8slearn.quickschema import compile_schema

    return compile_schema(schema(name))


class PackReader:
    """Reads one pack folder; `problems` collects everything wrong, each with its file.

    It reads on past errors, so an instructor sees every problem at once: when
    pack.yaml is wrong, the lessons it names (or, when it names none, every
    folder holding a lesson.md) are still read, but the pack is not `usable`.
    """

    def __init__(self, root: Path):
        self.root = resolved(root) or root
        self.problems: list[Problem] = []
        self.usable = False  # pack.yaml is right, so learners may use the pack
        self.draft: Pack | None = None  # the pack as far as it could be read
        self.pack_doc: Document | None = None
        # the real lesson folders pack.yaml names; None when it names none readable
        self.listed: list[Path] | None = None

    def problem(self, file: Path, message: str, line: int | None = None, **kw: Any) -> None:
        self.problems.append(Problem(message, line=line, file=self.show(file), **kw))

    def show(self, path: Path) -> str:
        """A path as the instructor wrote it: relative to the pack's parent."""
        try:
            return str((resolved(path) or path).relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def inside(self, path: Path) -> bool:
        real = resolved(path)
        return real is not None and real.is_relative_to(self.root)

    def read_bytes(self, path: Path) -> bytes | None:
        """At most the size limit of a file of the pack, or None with the problem reported."""
        if resolved(path) is None:
            self.problem(path, "cannot be followed (a link loop or an unusable name); refused")
            return None
        if not self.inside(path):
            self.problem(path, "is outside the pack's folder (a link?); refused")
            return None
        if not is_file(path):
            self.problem(path, "is not a regular file")
            return None
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
            size = max(path.stat().st_size, len(raw)) if len(raw) > MAX_BYTES else len(raw)
        except OSError as exc:
            self.problem(path, f"cannot be read: {exc.strerror or exc}")
            return None
        if size > MAX_BYTES:
            self.problem(
                path,
                f"is {size} bytes; the limit is {MAX_BYTES} bytes (1 MiB) per file",
                line=1,
                hint="split it, or move what it repeats into a shared scenario file",
            )
            return None
        return raw

    def read_yaml(self, path: Path, schema_name: str | None) -> Document | None:
        return self._read_yaml(path, schema_name)[0]

    def _read_yaml(self, path: Path, schema_name: str | None) -> tuple[Document | None, str]:
        """The file's one document (None after a problem) and its text."""
        raw = self.read_bytes(path)
        if raw is None:
            return None, ""
        result = load_manifests(raw)
        text = ""
        if not any(p.message.startswith("not UTF-8") for p in result.problems):
            text = raw.decode("utf-8-sig", errors="replace")
        for p in result.problems:
            if not p.is_error:
                continue
            if "not a mapping" in p.message:  # the loader's hint speaks of manifests
                p = Problem(
                    p.message,
                    p.field,
                    p.line,
                    p.column,
                    p.severity,
                    "this file is a mapping of fields; see docs/pack-format.md",
                )
            self.problems.append(_with_file(p, self.show(path)))
        if not result.ok:
            return None, text
        if len(result.documents) != 1:
            self.problem(path, "must hold exactly one YAML document", line=1)
            return None, text
        doc = result.documents[0]
        if schema_name:
            self.check_schema(path, doc, schema_name)
        return doc, text

    def check_schema(self, path: Path, doc: Document, schema_name: str) -> bool:
        quick = _quick_check(schema_name)
        if quick is not None and quick(doc.data):
            return True  # nearly every file: jsonschema is not even imported
        errors = sorted(
            _validator(schema_name).iter_errors(doc.data), key=lambda e: list(e.absolute_path)
        )
        shown = [e for e in errors if not _said_otherwise(e, doc.data)]
        for error in shown:
            where = tuple(error.absolute_path)
            message, hint = _schema_message(error, doc.data)
            p = doc.problem(where, message, hint=hint)
            self.problems.append(_with_file(p, self.show(path)))
        return not errors

    def read(self) -> Pack | None:
        """The pack, or None when it is not usable (the problems say why)."""
        manifest = self.root / "pack.yaml"
        if not is_file(manifest):
            self.problem(
                manifest, "no pack.yaml: a pack folder starts with one (see `k8slearn pack new`)"
            )
            return None
        doc = self.read_yaml(manifest, "pack")
        self.pack_doc = doc
        self.usable = doc is not None and not any(p.is_error for p in self.problems)
        data = doc.data if doc is not None else {}
        if self.usable:
            pack = Pack(
                id=data["id"],
                title=data["title"],
                version=str(data["version"]),
                root=self.root,
                description=data.get("description", ""),
                authors=list(data.get("authors") or []),
            )
        else:  # read on, to report the lessons' problems too
            pack = Pack(
                id=_word(data.get("id")) or self.root.name,
                title=_word(data.get("title")) or self.root.name,
                version=_word(data.get("version")) or "?",
                root=self.root,
            )
        self.draft = pack
        names = data.get("lessons")
        entries: list[tuple[int | None, str]] = []
        if isinstance(names, list):
            entries = [(i, n) for i, n in enumerate(names) if isinstance(n, str) and n]
        if entries:
            self.listed = []
        else:
            entries = [(None, folder.name) for folder in self.lesson_folders()]
        seen_lessons: set[str] = set()
        seen_folders: set[Path] = set()
        for i, name in entries:
            folder = self.root / name
            line = doc.line_of(("lessons", i)) if doc is not None and i is not None else None
            real = resolved(folder)
            if real is None:
                self.problem(manifest, f"lesson {name!r} is not a usable folder name", line)
                continue
            if self.listed is not None:
                self.listed.append(real)
            if real in seen_folders:
                self.problem(manifest, f"lesson {name!r} is listed twice", line)
                continue
            seen_folders.add(real)
            if not self.inside(folder):
                self.problem(manifest, f"lesson {name!r} leaves the pack's folder; refused", line)
                continue
            if not is_dir(folder):
                self.problem(manifest, f"lesson folder {name!r} does not exist", line)
                continue
            lesson = self.read_lesson(pack, folder)
            if lesson is None:
                continue
            if lesson.id in seen_lessons:
                self.problem(folder / "lesson.md", f"lesson id {lesson.id!r} is used twice", 1)
            seen_lessons.add(lesson.id)
            pack.lessons.append(lesson)
        seen: dict[str, Exercise] = {}
        for ex in pack.exercises():
            if ex.id in seen:
                first = self.show(seen[ex.id].file)
                self.problem(
                    ex.file, f"exercise id {ex.id!r} is also used by {first}", ex.line_of("id")
                )
            seen.setdefault(ex.id, ex)
        return pack if self.usable else None

    def lesson_folders(self) -> list[Path]:
        """Folders of the pack that look like lessons (a lesson.md or an exercises/ folder)."""
        try:
            children = sorted(self.root.iterdir(), key=lambda p: p.name)
        except OSError:
            return []
        return [
            child
            for child in children
            if not child.name.startswith(".")
            and self.inside(child)
            and is_dir(child)
            and (is_file(child / "lesson.md") or is_dir(child / "exercises"))
        ]

    def read_lesson(self, pack: Pack, folder: Path) -> Lesson | None:
        md = folder / "lesson.md"
        if not self.inside(md) or not is_file(md):
            other = _case_variant(folder, "lesson.md")
            hint = f"rename {other} to lesson.md: the name is case-sensitive" if other else ""
            self.problem(md, "missing: every lesson folder has a lesson.md", hint=hint)
            return None
        raw = self.read_bytes(md)
        if raw is None:
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problems.append(_with_file(undecodable(raw, exc), self.show(md)))
            return None
        meta, body, body_line, problems = _front_matter(text)
        if problems:
            for p in problems:
                self.problems.append(_with_file(p, self.show(md)))
            return None
        if (
            not isinstance(meta, dict)
            or not isinstance(meta.get("id"), str | int)
            or not isinstance(meta.get("title"), str | int)
            or not str(meta["id"]).strip()
            or not str(meta["title"]).strip()
        ):
            self.problem(md, "needs YAML front matter with `id` and `title` between `---` lines", 1)
            return None
        lesson = Lesson(
            id=str(meta["id"]),
            title=str(meta["title"]),
            body=body,
            folder=folder,
            body_line=body_line,
        )
        exercises_dir = folder / "exercises"
        if is_dir(exercises_dir) and self.inside(exercises_dir):
            for path in exercise_files(exercises_dir):
                ex = self.read_exercise(pack, lesson, path)
                if ex is not None:
                    lesson.exercises.append(ex)
        return lesson

    def read_exercise(self, pack: Pack, lesson: Lesson, path: Path) -> Exercise | None:
        doc, text = self._read_yaml(path, "exercise")
        if doc is None or any(p.is_error and p.file == self.show(path) for p in self.problems):
            return None
        data = doc.data
        scenario = data["scenario"]
        scenario_file = None
        if isinstance(scenario, str):
            target = path.parent / scenario
            line = doc.line_of(("scenario",))
            if not self.inside(target):
                self.problem(
                    path, f"scenario path {scenario!r} leaves the pack's folder; refused", line
                )
                return None
            scenario_doc = self.read_yaml(target, None) if is_file(target) else None
            if scenario_doc is None:
                if not is_file(target) and self.inside(target):
                    slashes = scenario.replace("\\", "/")
                    self.problem(
                        path,
                        f"scenario file {scenario!r} does not exist",
                        line,
                        hint=f"write `{slashes}`: folders are separated by `/`"
                        if slashes != scenario
                        else "",
                    )
                return None
            scenario = scenario_doc.data
            scenario_file = target
        return Exercise(
            id=data["id"],
            title=data["title"],
            prompt=data["prompt"],
            scenario=scenario,
            expect=list(data.get("expect") or []),
            solution=data.get("solution", ""),
            file=path,
            kind=data.get("kind", "build"),
            manifests=data.get("manifests", ""),
            predict=dict(data.get("predict") or {}),
            pack_id=pack.id,
            lesson_id=lesson.id,
            starter=data.get("starter", ""),
            hints=list(data.get("hints") or []),
            wrong_answers=[
                WrongAnswer(w["answer"], w["why"], doc.line_of(("wrong_answers", i)))
                for i, w in enumerate(data.get("wrong_answers") or [])
            ],
            tags=list(data.get("tags") or []),
            accept_mutants=[
                AcceptedMutant(a["mutant"], a["why"], doc.line_of(("accept_mutants", i)))
                for i, a in enumerate(data.get("accept_mutants") or [])
            ],
            expected_lints=list(data.get("expected_lints") or []),
            kubectl=list(data.get("kubectl") or []),
            namespace=data.get("namespace") or "default",
            doc=doc,
            blocks=literal_blocks(text),
            scenario_file=scenario_file,
        )


def exercise_files(folder: Path) -> list[Path]:
    """The exercise files of an exercises/ folder, in name order: *.yaml and *.yml, exactly."""
    try:
        children = list(folder.iterdir())
    except OSError:
        return []
    return sorted((p for p in children if p.suffix in EXERCISE_SUFFIXES), key=lambda p: p.name)


def _case_variant(folder: Path, name: str) -> str | None:
    """A file in `folder` whose name is `name` in another case (`Lesson.md`), if any."""
    try:
        return next(
            (p.name for p in folder.iterdir() if p.name.lower() == name and p.name != name), None
        )
    except OSError:
        return None


def _word(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) and str(value).strip() else None


def split_front_matter(text: str) -> tuple[Any, str]:
    """Split `---\\nyaml\\n---\\nbody` into (data, body); (None, text) when there is none."""
    meta, body, _line, _problems = _front_matter(text)
    return meta, body


def _front_matter(text: str) -> tuple[Any, str, int, list[Problem]]:
    """(data, body, the body's first line, problems of the front matter's YAML)."""
    if not text.startswith("---"):
        return None, text, 1, []
    end = text.find("\n---", 3)
    if end < 0:
        return None, text, 1, []
    # text[3:] starts on line 1, so the loader's lines are the file's
    result = load_manifests(text[3:end])
    problems = [p for p in result.problems if p.is_error]  # syntax in plain words already
    data = result.documents[0].data if result.ok and result.documents else None
    rest = text[end + 4 :]
    body = rest.lstrip("\n")
    body_line = text[: len(text) - len(body)].count("\n") + 1
    # an empty or non-mapping front matter gets the message that says what it needs
    said = [p for p in problems if "not a mapping" not in p.message and "manifest" not in p.message]
    return data, body, body_line, said


def load_pack(root: Path) -> tuple[Pack | None, list[Problem]]:
    reader = PackReader(root)
    pack = reader.read()
    return pack, reader.problems


def _with_file(p: Problem, file: str) -> Problem:
    return Problem(p.message, p.field, p.line, p.column, p.severity, p.hint, file)


# -- where the text of an exercise is in its file ------------------------------------------------

_TEXT_FIELDS = ("solution", "manifests", "starter", "prompt")


def literal_blocks(text: str) -> dict[FieldPath, tuple[int, int]]:
    """For each text field written as a literal block (`|`): the file line of its first line
    and its indentation. Folded (`>`), quoted and plain scalars are left out: their lines
    are not the file's."""
    if not text:
        return {}
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    if not isinstance(root, MappingNode):
        return {}
    lines = text.splitlines()
    out: dict[FieldPath, tuple[int, int]] = {}

    def note(path: FieldPath, node: Node, key: Node | None) -> None:
        place = _block_place(node, key, lines)
        if place is not None:
            out[path] = place

    for key, value in root.value:
        if not isinstance(key, ScalarNode):
            continue
        if key.value in _TEXT_FIELDS:
            note((key.value,), value, key)
        elif key.value == "hints" and isinstance(value, SequenceNode):
            for i, item in enumerate(value.value):
                note(("hints", i), item, None)
        elif key.value == "wrong_answers" and isinstance(value, SequenceNode):
            for i, item in enumerate(value.value):
                if not isinstance(item, MappingNode):
                    continue
                for k, v in item.value:
                    if isinstance(k, ScalarNode) and k.value in ("answer", "why"):
                        note(("wrong_answers", i, k.value), v, k)
    return out


def _block_place(node: Node, key: Node | None, lines: list[str]) -> tuple[int, int] | None:
    if not isinstance(node, ScalarNode) or node.style != "|":
        return None
    header_line = node.start_mark.line  # 0-based: the line holding `|`
    header = lines[header_line][node.start_mark.column :] if header_line < len(lines) else ""
    explicit = re.match(r"\|[-+]?([1-9])|\|([1-9])", header)
    if explicit and key is not None:
        indent = key.start_mark.column + int(explicit.group(1) or explicit.group(2))
    else:
        content = [ln for ln in lines[header_line + 1 : node.end_mark.line + 1] if ln.strip()]
        indent = len(content[0]) - len(content[0].lstrip(" ")) if content else 0
    return header_line + 2, indent


# -- messages an instructor can act on -----------------------------------------------------------


CHECK_KINDS = ("resource", "service", "connectivity", "reachability", "lookup")

_PATTERNS = {
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": (
        "a lowercase name: letters a-z, digits and '-', starting and ending with a letter or digit"
    ),
    "^[a-z0-9][-a-z0-9]*$": "a lowercase word: letters a-z, digits and '-'",
    "^[a-z0-9][-a-z0-9]*/[a-z0-9][-a-z0-9]*$": "`namespace/name`, in lowercase (default/web)",
    "^[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*$": "a pod as `namespace/name`, in lowercase",
    "^[a-z0-9][-a-z0-9.]*(/[a-z0-9][-a-z0-9.]*)?$": (
        "a pod as `namespace/name`, or an outside host's name or address, in lowercase"
    ),
    "^(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$": (
        "a port number or a container port name (lowercase letters, digits and single '-', "
        "at least one letter; a number is written without quotes)"
    ),
}

_TYPES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (`key: value` lines)",
    "array": "a list",
    "null": "empty",
}


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty"


def _guess(word: str, choices: list[str]) -> str:
    """`did you mean …?` for a misspelt name, or ''."""
    by_case = {c.lower(): c for c in choices}.get(word.lower())
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    found = by_case or (close[0] if close else None)
    return f"did you mean `{found}`?" if found else ""


def _at(data: Any, path: FieldPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _said_otherwise(error, data: Any) -> bool:
    """An error the check's own says better: in a check of two kinds, the keys and fields
    each kind finds wrong (the check is reported once, as having two kinds)."""
    path = tuple(error.absolute_path)
    if len(path) != 2 or path[0] != "expect" or error.validator == "oneOf":
        return False
    check = _at(data, path)
    return isinstance(check, dict) and sum(k in check for k in CHECK_KINDS) > 1


def _schema_message(error, data: Any = None) -> tuple[str, str]:
    """A JSON Schema finding as (message, hint), in the words of the pack format."""
    # The Problem carries the field path already; the message says what is wrong there.
    path = tuple(error.absolute_path)
    shown = format_path(path)
    value = error.instance
    validator = error.validator
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        hints = [h for h in (_guess(str(k), allowed) for k in extra) if h]
        return (
            f"unknown field(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}",
            "; ".join(hints),
        )
    if validator == "required":
        return error.message, ""
    if "propertyNames" in error.schema_path and isinstance(value, str):
        check = _at(data, path)
        kind = next((k for k in CHECK_KINDS if isinstance(check, dict) and k in check), "")
        allowed = list(error.validator_value) if validator == "enum" else []
        return (
            f"{value!r} is not one of the keys of a `{kind}` check ({', '.join(allowed)})",
            _guess(value, allowed),
        )
    if validator == "oneOf" and shown.startswith("expect") and len(path) == 2:
        kinds = [k for k in CHECK_KINDS if isinstance(value, dict) and k in value]
        if len(kinds) > 1:
            return (
                f"a check has one kind, and this one has {len(kinds)}: "
                + ", ".join(f"`{k}`" for k in kinds),
                "split it into one check per kind",
            )
        keys = [str(k) for k in value] if isinstance(value, dict) else []
        guesses = [(k, _guess(k, list(CHECK_KINDS))) for k in keys]
        key, guess = next(((k, g) for k, g in guesses if g), ("", ""))
        return (
            "a check is one of `resource` (+ `fields`, `absent`), `service` (+ port, "
            "endpoints, targetPort, type, nodePort, externalName, dns, headless, compare, "
            "ignore), `connectivity`, `lookup` (+ `resolves_to`, `from`) or `reachability`",
            f"`{key}` is no check kind: {guess}" if guess else "",
        )
    if validator == "oneOf" and path and path[-1] == "reachability":
        return (
            f"{value!r} is not a reachability check",
            "write `reachability: solution`, or `reachability: {compare: solution, over: "
            "scenario}`",
        )
    if validator == "oneOf" and path == ("scenario",):
        return (
            f"must be a path to a scenario file, or the scenario itself; not {_kind_of(value)}",
            "see docs/pack-format.md#scenarios",
        )
    if validator == "minProperties":
        return "is empty", "write what it checks"
    if validator == "pattern":
        words = _PATTERNS.get(error.validator_value, "not written as this field needs")
        fixed = re.sub(r"[^a-z0-9/.-]+", "-", str(value).lower()).strip("-")
        good = fixed != value and re.fullmatch(error.validator_value, fixed)
        return f"{value!r} is not {words}", f"write {fixed!r}" if good else ""
    if validator == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        words = " or ".join(_TYPES.get(w, w) for w in wanted)
        hint = ""
        if "string" in wanted and isinstance(value, int | float | bool):
            plain = str(value).lower() if isinstance(value, bool) else str(value)
            hint = f'quote it: "{plain}"'
        return f"must be {words}, not {_kind_of(value)}", hint
    if validator == "enum":
        choices = [str(c) for c in error.validator_value]
        return (
            f"{value!r} is not one of {', '.join(choices)}",
            _guess(str(value), choices),
        )
    if validator == "const":
        return f"must be {error.validator_value!r}", ""
    if validator in ("minLength", "minItems"):
        if error.validator_value <= 1:
            return "must not be empty", ""
        return f"needs at least {error.validator_value} items", ""
    if validator == "maxLength":
        return f"is longer than {error.validator_value} characters", ""
    if validator == "minimum":
        return f"must be at least {error.validator_value}, not {value}", ""
    if validator == "maximum":
        return f"must be at most {error.validator_value}, not {value}", ""
    if validator == "uniqueItems":
        seen: list[Any] = []
        twice = next((v for v in value if v in seen or seen.append(v)), None)
        return f"lists {twice!r} more than once", "remove one"
    return error.message, ""
