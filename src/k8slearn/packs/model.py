"""What a lesson pack is once read: packs, lessons, exercises, and the few path checks
everything that handles them needs.

Kept apart from the reader (`format`): a learner's faces mostly get these objects from
the pack cache, and unpickling them should not import YAML, the loader or the schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from k8slearn.problems import Path as FieldPath

if TYPE_CHECKING:
    from k8slearn.manifests.loader import Document


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
    # the fastest known way with kubectl: command lines run in order on a practice cluster
    kubectl: list[str] = field(default_factory=list)
    namespace: str = "default"  # the current namespace: where answers without one land
    doc: Document | None = None  # where each field of the exercise file was written
    # literal block scalars (`solution: |`): field path -> (file line of the text's first
    # line, columns of indentation), so a line of the text can be shown as a line of the file
    blocks: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    scenario_file: Path | None = None  # when `scenario:` names a file

    @property
    def qualified_id(self) -> str:
        return f"{self.pack_id}/{self.id}"

    def line_of(self, *path: str | int) -> int | None:
        return self.doc.line_of(path) if self.doc else None

    def place(
        self, path: FieldPath, line: int | None, column: int | None = None
    ) -> tuple[int | None, int | None]:
        """Where line:column of the text at `path` (the solution, a wrong answer…) is in the
        file; the field's own line when the text is not a literal block (`|`)."""
        block = self.blocks.get(tuple(path))
        if block is None or line is None:
            return self.line_of(*path), None
        first, indent = block
        return first + line - 1, (column + indent if column else None)


@dataclass
class Lesson:
    id: str
    title: str
    body: str
    folder: Path
    exercises: list[Exercise] = field(default_factory=list)
    body_line: int = 1  # the line of lesson.md the body starts on (after the front matter)


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
