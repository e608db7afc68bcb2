"""A predict exercise answered in a file: the learner's table, read and graded cell by cell.

In the app a learner marks the cells of a matrix; in a file (for CI, batch
marking, or a learner who prefers an editor) the same matrix is written as
YAML or JSON, one key per row (a source) and under it one key per column (a
destination), each cell `allowed` or `denied`:

    monitoring/prometheus:
      shop/api: allowed
      shop/db: allowed
    shop/frontend:
      shop/api: denied
      shop/db: allowed

`true`/`false` are accepted too. The rows and columns are the exercise's, as
the app shows them (`blank_table` prints them to fill in). Unlike the app,
where an unmarked cell means "denied", a file must answer every cell: a
forgotten cell is reported, never guessed. A pod's connection to itself is not
asked; written as `denied`, it is graded (and explained) as a wrong cell.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from k8slearn.drills.predict import PredictTask, grade_prediction
from k8slearn.manifests.loader import load_manifests
from k8slearn.model.explain import Explanation
from k8slearn.problems import Problem

_WORDS = {"allowed": True, "allow": True, "denied": False, "deny": False}
_MANIFEST_KEYS = {"apiVersion", "kind", "metadata", "spec"}


@dataclass
class TableAnswer:
    """What a table file says: a guess per cell and the line it was written on, or problems."""

    guesses: dict[tuple[str, str], bool] = field(default_factory=dict)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


@dataclass(frozen=True)
class CellCheck:
    """One cell, graded: the check a face prints, with the engine's reasons when it is wrong."""

    src: str
    dst: str
    said: bool
    actual: bool
    explanation: Explanation
    line: int | None = None  # where the learner wrote it

    @property
    def name(self) -> str:
        return f"{self.src} → {self.dst}"

    @property
    def passed(self) -> bool:
        return self.said == self.actual

    @property
    def message(self) -> str:
        if self.passed:
            return f"{_word(self.actual)}, as you said"
        return f"you said {_word(self.said)}, but it is {_word(self.actual)}: " + " ".join(
            " ".join(line.split()) for line in self.why
        )

    @property
    def why(self) -> list[str]:
        """The explanation the app shows on a wrong cell, without its summary line."""
        return self.explanation.lines()[1:]


@dataclass
class TableGrade:
    exercise_id: str
    port: int
    protocol: str
    checks: list[CellCheck]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def failed_checks(self) -> list[CellCheck]:
        return [c for c in self.checks if not c.passed]


def _word(allowed: bool) -> str:
    return "allowed" if allowed else "denied"


def _key(name: str) -> str:
    """A name as a YAML key that reads back as itself (a host named `no` or `null` is quoted)."""
    result = load_manifests(f"{name}: x")
    ok = result.ok and result.documents and result.documents[0].data == {name: "x"}
    return name if ok else json.dumps(name)


def blank_table(task: PredictTask) -> str:
    """The table to fill in: every row and column the app shows, each cell left blank."""
    ex = task.exercise
    lines = [
        f"# {ex.qualified_id}: {ex.title}",
        f"# Which connections on port {task.port}/{task.protocol} do the exercise's manifests "
        "allow?",
        "# Each top-level key is a source (from), each key under it a destination (to).",
        "# Write allowed or denied after every colon, then grade the file with",
        f"#   k8slearn check {ex.qualified_id} FILE",
    ]
    if any(task.is_self(s, t) for s in task.sources for t in task.targets):
        lines.append("# A pod's connection to itself is always allowed, so it is not asked.")
    for src in task.sources:
        cells = [t for t in task.targets if not task.is_self(src, t)]
        if not cells:
            continue
        lines.append(f"{_key(src)}:")
        lines += [f"  {_key(dst)}:" for dst in cells]
    return "\n".join(lines) + "\n"


def read_table(task: PredictTask, raw: bytes | str) -> TableAnswer:
    """Read a table file against `task`; every problem located at its line, none raised."""
    out = TableAnswer()
    result = load_manifests(raw)
    errors = [p for p in result.problems if p.is_error]
    docs = [d for d in result.documents if d.data is not None]
    # The loader speaks of manifests; a table is not one, so its words are replaced here.
    empty = ("the input holds no manifest", "document 1 is empty")
    if not docs and all(p.message.startswith(empty) for p in errors):
        out.problems.append(
            Problem(
                "the table is empty",
                line=1,
                hint=f"`k8slearn check {task.exercise.qualified_id} --template` prints one to "
                "fill in",
            )
        )
        return out
    if errors:
        out.problems.extend(_about_tables(p) for p in errors)
        return out
    if len(docs) != 1:
        out.problems.append(
            Problem(f"holds {len(docs)} YAML documents; a table is one", line=docs[1].line)
        )
        return out
    doc = docs[0]
    data = doc.data
    if isinstance(data, dict) and _MANIFEST_KEYS & set(data):
        out.problems.append(
            Problem(
                "this looks like a manifest, but this exercise asks you to predict a table",
                line=doc.line,
                hint=f"`k8slearn check {task.exercise.qualified_id} --template` prints the table "
                "to fill in",
            )
        )
        return out
    if not isinstance(data, dict):
        out.problems.append(Problem(f"{_SHAPE}, not {_kind(data)}", line=doc.line))
        return out
    asked = {(s, t) for s, t in task.cells()}
    for src, row in data.items():
        row_line = doc.line_of((src,))
        if src not in task.sources:
            out.problems.append(
                Problem(_unknown(task, src, "row"), line=row_line, column=_col(doc, (src,)))
            )
            continue
        if row is None:
            row = {}
        if not isinstance(row, dict):
            out.problems.append(
                Problem(
                    f"the cells of row {src} are a mapping `<to>: allowed|denied`, not "
                    f"{_kind(row)}",
                    line=row_line,
                )
            )
            continue
        for dst, value in row.items():
            where = (src, dst)
            line, column = doc.line_of(where), _col(doc, where)
            if dst not in task.targets:
                out.problems.append(
                    Problem(
                        f"row {src}: " + _unknown(task, dst, "column"), line=line, column=column
                    )
                )
                continue
            guess = _guess(value)
            if guess is None:
                said = "no answer" if value is None else f"{_show(value)} is not an answer"
                out.problems.append(
                    Problem(
                        f"{src} → {dst}: {said}; write allowed or denied", line=line, column=column
                    )
                )
                continue
            if (src, dst) in asked or not guess:  # a pod to itself is graded only when denied
                out.guesses[(src, dst)] = guess
                out.lines[(src, dst)] = line or row_line or 1
        missing = [t for t in task.targets if (src, t) in asked and t not in row]
        if missing:
            out.problems.append(
                Problem(
                    f"row {src} has no answer for {', '.join(missing)}",
                    line=row_line,
                    hint="write `<to>: allowed` or `<to>: denied` for each",
                )
            )
    for src in task.sources:
        cells = [t for t in task.targets if (src, t) in asked]
        if cells and src not in data:
            out.problems.append(
                Problem(
                    f"no row for {src} (its cells: {', '.join(cells)})",
                    hint="every cell must be answered; `--template` lists them",
                )
            )
    return out


def grade_table(task: PredictTask, answer: TableAnswer) -> TableGrade:
    """Every asked cell judged by the engine, as the app does; a pod to itself marked denied too."""
    result = grade_prediction(task, answer.guesses)
    checks = [
        CellCheck(c.src, c.dst, c.guess, c.actual, c.explanation, answer.lines.get((c.src, c.dst)))
        for c in result.cells
    ]
    for (src, dst), guess in answer.guesses.items():
        if task.is_self(src, dst):
            explanation = task.world.explain(src, dst, task.port, task.protocol)
            checks.append(
                CellCheck(src, dst, guess, True, explanation, answer.lines.get((src, dst)))
            )
    return TableGrade(task.exercise.qualified_id, task.port, task.protocol, checks)


_SHAPE = "a table is a mapping of sources to their cells (`<from>: {<to>: allowed}`)"


def _about_tables(p: Problem) -> Problem:
    """A loader problem that speaks of manifests, told in terms of a table."""
    found = re.match(r"document \d+ is (.*), not a mapping of fields$", p.message)
    if found is None:
        return p
    return Problem(f"{_SHAPE}, not {found.group(1)}", line=p.line, column=p.column)


def _guess(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _WORDS.get(value.strip().lower())
    return None


def _unknown(task: PredictTask, name: str, side: str) -> str:
    """Why `name` is no row (or column), and what the learner may have meant."""
    names = task.sources if side == "row" else task.targets
    listed = f"the {side}s are {', '.join(names)}"
    if side == "row" and name in task.targets:
        return f"{name} is a column (a destination), not a row: write it under a source; {listed}"
    if side == "column" and name in task.sources:
        return f"{name} is a row (a source), not a column; {listed}"
    if task.world.endpoint(name) is not None:
        return f"{name} is not a {side} of this table; {listed}"
    bare = [n for n in names if n.rpartition("/")[2] == name]
    close = bare or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    mean = f"; did you mean {close[0]}?" if close else ""
    return f"no pod or outside host {name!r} in the scenario{mean} ({listed})"


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the value {_show(value)}"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def _col(doc, path: tuple[str, ...]) -> int | None:
    pos = doc.positions.get(path)
    return pos[1] if pos else None
