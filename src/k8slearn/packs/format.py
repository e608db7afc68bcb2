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

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from k8slearn.manifests.loader import MAX_BYTES, Document, load_manifests
from k8slearn.problems import Problem, format_path


@dataclass(frozen=True)
class WrongAnswer:
    answer: str
    why: str
    line: int | None = None


@dataclass(frozen=True)
class AcceptedMutant:
    """A mutant `pack validate` may let survive, because the prompt allows what it does."""

    mutant: str  # an operator ("externalTrafficPolicy flipped") or a mutant's whole name
    why: str
    line: int | None = None

    def matches(self, mutant) -> bool:
        return self.mutant in (mutant.operator, mutant.name)


@dataclass
class Exercise:
    id: str
    title: str
    prompt: str
    scenario: dict[str, Any]
    expect: list[dict[str, Any]]
    solution: str
    file: Path
    kind: str = "build"  # "predict": mark the truth table of the given `manifests`
    manifests: str = ""
    predict: dict[str, Any] = field(default_factory=dict)
    pack_id: str = ""
    lesson_id: str = ""
    starter: str = ""
    hints: list[str] = field(default_factory=list)
    wrong_answers: list[WrongAnswer] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    accept_mutants: list[AcceptedMutant] = field(default_factory=list)
    expected_lints: list[str] = field(default_factory=list)  # warnings the task itself asks for
    namespace: str = "default"  # the current namespace: where answers without one land
    doc: Document | None = None  # where each field of the exercise file was written

    @property
    def qualified_id(self) -> str:
        return f"{self.pack_id}/{self.id}"

    def line_of(self, *path: str | int) -> int | None:
        return self.doc.line_of(path) if self.doc else None


@dataclass
class Lesson:
    id: str
    title: str
    body: str
    folder: Path
    exercises: list[Exercise] = field(default_factory=list)


@dataclass
class Pack:
    id: str
    title: str
    version: str
    root: Path
    description: str = ""
    authors: list[str] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)

    def exercises(self) -> list[Exercise]:
        return [ex for lesson in self.lessons for ex in lesson.exercises]


def resolved(path: Path) -> Path | None:
    """The real path, or None where there is none (a link loop, a NUL byte, a name too long)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def is_file(path: Path) -> bool:
    """A regular file (not a folder, a FIFO or a device: reading those could block or lie)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


@cache
def schema(name: str) -> dict[str, Any]:
    """One of the pack format's JSON Schemas (`pack` or `exercise`)."""
    text = (resources.files("k8slearn.packs") / "schemas" / f"{name}.schema.json").read_text()
    return json.loads(text)


@cache
def _validator(name: str):
    import jsonschema

    return jsonschema.Draft202012Validator(schema(name))


class PackReader:
    """Reads one pack folder; `problems` collects everything wrong, each with its file."""

    def __init__(self, root: Path):
        self.root = resolved(root) or root
        self.problems: list[Problem] = []

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

    def read_yaml(self, path: Path, schema_name: str | None) -> Document | None:
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
            raw = path.read_bytes()[: MAX_BYTES + 1]
        except OSError as exc:
            self.problem(path, f"cannot be read: {exc.strerror or exc}")
            return None
        result = load_manifests(raw)
        for p in result.problems:
            if p.is_error:
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
            return None
        if len(result.documents) != 1:
            self.problem(path, "must hold exactly one YAML document", line=1)
            return None
        doc = result.documents[0]
        if schema_name:
            self.check_schema(path, doc, schema_name)
        return doc

    def check_schema(self, path: Path, doc: Document, schema_name: str) -> bool:
        errors = sorted(
            _validator(schema_name).iter_errors(doc.data), key=lambda e: list(e.absolute_path)
        )
        for error in errors:
            where = tuple(error.absolute_path)
            message = _schema_message(error)
            p = doc.problem(where, message)
            self.problems.append(_with_file(p, self.show(path)))
        return not errors

    def read(self) -> Pack | None:
        manifest = self.root / "pack.yaml"
        if not is_file(manifest):
            self.problem(
                manifest, "no pack.yaml: a pack folder starts with one (see `k8slearn pack new`)"
            )
            return None
        doc = self.read_yaml(manifest, "pack")
        if doc is None or any(p.is_error for p in self.problems):
            return None
        data = doc.data
        pack = Pack(
            id=data["id"],
            title=data["title"],
            version=str(data["version"]),
            root=self.root,
            description=data.get("description", ""),
            authors=list(data.get("authors") or []),
        )
        seen_lessons: set[str] = set()
        seen_folders: set[Path] = set()
        for i, name in enumerate(data["lessons"]):
            folder = self.root / name
            line = doc.line_of(("lessons", i))
            real = resolved(folder)
            if real is None:
                self.problem(manifest, f"lesson {name!r} is not a usable folder name", line)
                continue
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
        return pack

    def read_lesson(self, pack: Pack, folder: Path) -> Lesson | None:
        md = folder / "lesson.md"
        if not self.inside(md) or not is_file(md):
            self.problem(md, "missing: every lesson folder has a lesson.md")
            return None
        try:
            text = md.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(md, f"cannot be read as UTF-8 text: {exc}")
            return None
        meta, body = split_front_matter(text)
        if (
            not isinstance(meta, dict)
            or not isinstance(meta.get("id"), str | int)
            or not isinstance(meta.get("title"), str | int)
            or not str(meta["id"]).strip()
            or not str(meta["title"]).strip()
        ):
            self.problem(md, "needs YAML front matter with `id` and `title` between `---` lines", 1)
            return None
        lesson = Lesson(id=str(meta["id"]), title=str(meta["title"]), body=body, folder=folder)
        exercises_dir = folder / "exercises"
        if is_dir(exercises_dir) and self.inside(exercises_dir):
            files = [*exercises_dir.glob("*.yaml"), *exercises_dir.glob("*.yml")]
            for path in sorted(files, key=lambda f: f.name):
                ex = self.read_exercise(pack, lesson, path)
                if ex is not None:
                    lesson.exercises.append(ex)
        return lesson

    def read_exercise(self, pack: Pack, lesson: Lesson, path: Path) -> Exercise | None:
        doc = self.read_yaml(path, "exercise")
        if doc is None or any(p.is_error and p.file == self.show(path) for p in self.problems):
            return None
        data = doc.data
        scenario = data["scenario"]
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
                    self.problem(path, f"scenario file {scenario!r} does not exist", line)
                return None
            scenario = scenario_doc.data
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
            namespace=data.get("namespace") or "default",
            doc=doc,
        )


def split_front_matter(text: str) -> tuple[Any, str]:
    """Split `---\\nyaml\\n---\\nbody` into (data, body); (None, text) when there is none."""
    if not text.startswith("---"):
        return None, text
    end = text.find("\n---", 3)
    if end < 0:
        return None, text
    result = load_manifests(text[3:end])
    data = result.documents[0].data if result.ok and result.documents else None
    body = text[end + 4 :].lstrip("\n")
    return data, body


def load_pack(root: Path) -> tuple[Pack | None, list[Problem]]:
    reader = PackReader(root)
    pack = reader.read()
    return pack, reader.problems


def _with_file(p: Problem, file: str) -> Problem:
    return Problem(p.message, p.field, p.line, p.column, p.severity, p.hint, file)


def _schema_message(error) -> str:
    # The Problem carries the field path already; the message says what is wrong there.
    path = format_path(tuple(error.absolute_path))
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return f"unknown field(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}"
    if error.validator == "required":
        return error.message
    if (
        error.validator in ("oneOf", "propertyNames")
        and error.validator_value
        and path.startswith("expect")
    ):
        return (
            "a check is one of `resource` (+ `fields`, `absent`), `service` (+ port, "
            "endpoints, targetPort, type, nodePort, externalName, dns, headless, compare, "
            "ignore), `connectivity`, `lookup` (+ `resolves_to`, `from`) or `reachability`"
        )
    return error.message
