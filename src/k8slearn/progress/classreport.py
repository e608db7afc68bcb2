"""A class's results in one place: learners × exercises, from the files learners hand in.

An instructor collects each learner's `k8slearn progress -o json` export and any drill
JSON reports (`k8slearn drill --report NAME.json`); this module reads them, merges the
files of one learner, and renders the class as a terminal table, CSV, JSON or one
self-contained HTML page.

Merging one learner's files, without counting an attempt twice:

- A progress export already holds every attempt the learner's store recorded, drills
  included. It is the base. With several exports of one learner, each exercise comes
  from the newest export that lists it.
- A drill item adds to the counts only when the export cannot hold it: the exercise has
  no attempt in the export, or the drill started after the export was made. Otherwise
  the drill is taken to be in the export already; it can still turn the exercise to
  passed ("passed anywhere" wins).
- The same drill handed in twice (same learner, same start time) counts once.

Class concepts: every attempted (learner, exercise) pair counts once for each of the
exercise's tags, passed or not; the weakest concepts are the tags with the lowest share
of passed pairs. `ckad`/`cka` are exam labels, not concepts, and are left out, as in a
learner's own weak concepts.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

MAX_BYTES = 20 * 1024 * 1024  # a 68-exercise export is ~30 KB; anything this big is not one
IGNORED_TAGS = frozenset({"ckad", "cka"})  # exam labels, as in progress.schedule.weak_concepts
WEAK_LIMIT = 5

EXPECTED = (
    "expected a progress export (`k8slearn progress -o json > NAME.json`) "
    "or a drill JSON report (`k8slearn drill --report NAME.json`)"
)

Status = Literal["passed", "attempted", "untried"]
MARKS: dict[str, str] = {"passed": "✓", "attempted": "✗", "untried": "·"}


class ReportFileError(ValueError):
    """A file that is not a report this module reads; the message names the file."""


# ---------------------------------------------------------------- what the files hold


@dataclass
class Cell:
    """One learner's standing on one exercise."""

    passed: bool = False
    attempts: int = 0
    hints: int = 0
    solution_shown: bool = False
    seconds: float | None = None
    last: str | None = None  # ISO time of the last attempt

    @property
    def status(self) -> Status:
        if self.passed:
            return "passed"
        return "attempted" if self.attempts else "untried"


@dataclass
class ExerciseInfo:
    """An exercise as the files describe it (the report needs no pack on this machine)."""

    id: str  # qualified: pack/exercise
    pack: str
    lesson: str = ""
    kind: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.id.partition("/")[2] or self.id


@dataclass
class ProgressFile:
    name: str  # the file's name, without folders
    learner: str
    exported: datetime | None
    packs: dict[str, str]  # pack id -> version
    exercises: list[ExerciseInfo]
    cells: dict[str, Cell]


@dataclass
class DrillFile:
    name: str
    learner: str
    started: datetime | None
    started_text: str
    finished: str | None
    packs: dict[str, str]
    abandoned: bool
    items: list[tuple[ExerciseInfo, Cell]]  # reached items only


@dataclass
class Learner:
    name: str
    sources: list[str] = field(default_factory=list)
    packs: dict[str, str] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    drills: int = 0
    abandoned: int = 0


@dataclass
class ClassReport:
    """The merged class: learners (sorted), exercises (in pack order), and warnings."""

    learners: list[Learner]
    exercises: list[ExerciseInfo]
    warnings: list[str] = field(default_factory=list)
    packs: dict[str, list[str]] = field(default_factory=dict)  # pack id -> versions seen

    def packs_line(self) -> str:
        """The packs the files name, e.g. `net-101 1.0.0, services-networking 1.0.0 and 1.1.0`."""
        return ", ".join(
            f"{pid} {' and '.join(v for v in versions if v)}".strip()
            for pid, versions in sorted(self.packs.items())
        )

    def cell(self, learner: Learner, exercise: ExerciseInfo) -> Cell:
        return learner.cells.get(exercise.id) or Cell()

    def passed_count(self, exercise: ExerciseInfo) -> int:
        return sum(1 for lr in self.learners if self.cell(lr, exercise).passed)

    def attempted_count(self, exercise: ExerciseInfo) -> int:
        return sum(1 for lr in self.learners if self.cell(lr, exercise).attempts)

    def pass_rate(self, exercise: ExerciseInfo) -> float:
        """Share of the class (every learner, tried or not) that passed the exercise."""
        return self.passed_count(exercise) / len(self.learners) if self.learners else 0.0

    def learner_totals(self, learner: Learner) -> tuple[int, int]:
        """(passed, attempted) over the report's exercises."""
        cells = [self.cell(learner, e) for e in self.exercises]
        return sum(c.passed for c in cells), sum(1 for c in cells if c.attempts)

    @property
    def single_pack(self) -> bool:
        return len({e.pack for e in self.exercises}) <= 1

    def label(self, exercise: ExerciseInfo) -> str:
        """The exercise id without its pack when the report has one pack only."""
        return exercise.short if self.single_pack else exercise.id

    def groups(self) -> list[tuple[str, list[ExerciseInfo]]]:
        """Exercises by lesson (or by pack where the lesson is unknown), in order."""
        out: list[tuple[str, list[ExerciseInfo]]] = []
        for ex in self.exercises:
            name = ex.lesson or ex.pack or "other"
            if not self.single_pack and ex.lesson:
                name = f"{ex.pack}/{ex.lesson}"
            if out and out[-1][0] == name:
                out[-1][1].append(ex)
            else:
                out.append((name, [ex]))
        return out

    def weak_concepts(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Tags by the share of attempted (learner, exercise) pairs that passed, weakest first;
        only tags someone has not passed yet."""
        stats: dict[str, dict[str, Any]] = {}
        for lr in self.learners:
            for ex in self.exercises:
                c = self.cell(lr, ex)
                if not c.attempts:
                    continue
                for tag in dict.fromkeys(ex.tags):
                    if tag in IGNORED_TAGS:
                        continue
                    s = stats.setdefault(tag, {"tried": 0, "passed": 0, "who": {}, "stuck": {}})
                    s["tried"] += 1
                    s["passed"] += c.passed
                    s["who"][lr.name] = True
                    if not c.passed:
                        s["stuck"][lr.name] = True
        rows = [
            {
                "tag": tag,
                "rate": round(s["passed"] / s["tried"], 2),
                "passed": s["passed"],
                "tried": s["tried"],
                "learners": len(s["who"]),
                "not_passed": list(s["stuck"]),
            }
            for tag, s in stats.items()
            if s["passed"] < s["tried"]
        ]
        rows.sort(key=lambda r: (r["passed"] / r["tried"], -r["tried"], r["tag"]))
        return rows if limit is None else rows[:limit]

    def to_dict(self) -> dict[str, Any]:
        """The aggregated class, for `-o json`."""
        learners = []
        for lr in self.learners:
            passed, attempted = self.learner_totals(lr)
            learners.append(
                {
                    "learner": lr.name,
                    "files": lr.sources,
                    "packs": [{"id": k, "version": v} for k, v in lr.packs.items()],
                    "passed": passed,
                    "attempted": attempted,
                    "total": len(self.exercises),
                    "drills": lr.drills,
                    "abandoned_drills": lr.abandoned,
                }
            )
        return {
            "packs": [{"id": k, "versions": v} for k, v in sorted(self.packs.items())],
            "learners": learners,
            "exercises": [
                {
                    "exercise": ex.id,
                    "pack": ex.pack,
                    "lesson": ex.lesson or None,
                    "kind": ex.kind or None,
                    "tags": ex.tags,
                    "passed": self.passed_count(ex),
                    "attempted": self.attempted_count(ex),
                    "rate": round(self.pass_rate(ex), 3),
                }
                for ex in self.exercises
            ],
            "results": [row for row in self.rows()],
            "weakConcepts": self.weak_concepts(),
            "warnings": self.warnings,
        }

    def rows(self) -> Iterable[dict[str, Any]]:
        """Long form: one row per learner × exercise."""
        for lr in self.learners:
            for ex in self.exercises:
                c = self.cell(lr, ex)
                yield {
                    "learner": lr.name,
                    "exercise": ex.id,
                    "passed": c.passed,
                    "attempts": c.attempts,
                    "hints": c.hints,
                    "solution_shown": c.solution_shown,
                    "seconds": c.seconds,
                    "last": c.last,
                    "status": c.status,
                    "lesson": ex.lesson or None,
                }


# ---------------------------------------------------------------- reading


def load_file(path: Path) -> ProgressFile | DrillFile:
    """Read one handed-in file; ReportFileError says what is wrong with it and what was expected."""
    name = str(path)
    try:
        if path.is_dir():
            raise ReportFileError(f"{name}: is a folder; {EXPECTED}")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ReportFileError(f"{name}: no such file") from None
    except PermissionError:
        raise ReportFileError(f"{name}: permission denied") from None
    except OSError as exc:
        raise ReportFileError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise ReportFileError(f"{name}: larger than {MAX_BYTES // 2**20} MiB; {EXPECTED}")
    return parse_report(raw, name)


def parse_report(raw: bytes, name: str) -> ProgressFile | DrillFile:
    """Decide by its keys which kind of report `raw` is, and read it."""
    data = _decode_json(raw, name)
    if isinstance(data, dict) and isinstance(data.get("results"), list) and "exported" in data:
        return _read_progress(data, name)
    if isinstance(data, dict) and isinstance(data.get("items"), list) and "started" in data:
        return _read_drill(data, name)
    if isinstance(data, dict) and "lessons" in data and "accuracy" in data:
        raise ReportFileError(
            f"{name}: a progress export without per-exercise results (an older k8slearn); "
            "export it again with `k8slearn progress -o json`"
        )
    raise ReportFileError(f"{name}: JSON, but not a k8slearn report; {EXPECTED}")


def _decode_json(raw: bytes, name: str) -> Any:
    # PowerShell's `>` writes UTF-16 with a byte-order mark: accept it as well as UTF-8.
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise ReportFileError(f"{name}: not text (not UTF-8); {EXPECTED}") from None
    if text.lstrip().startswith("<"):
        raise ReportFileError(f"{name}: XML (a JUnit drill report?) cannot be merged; {EXPECTED}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFileError(
            f"{name}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); {EXPECTED}"
        ) from None
    except RecursionError:
        raise ReportFileError(f"{name}: JSON nested too deeply; {EXPECTED}") from None


def _read_progress(data: dict, name: str) -> ProgressFile:
    lessons = _lesson_map(data)
    exercises: list[ExerciseInfo] = []
    cells: dict[str, Cell] = {}
    for i, entry in enumerate(data["results"]):
        where = f"{name}: results[{i}]"
        ex = _exercise(entry, where, lessons)
        exercises.append(ex)
        cells[ex.id] = Cell(
            passed=_bool(entry.get("passed"), f"{where}.passed"),
            attempts=_int(entry.get("attempts", 0), f"{where}.attempts"),
            hints=_int(entry.get("hints", 0), f"{where}.hints"),
            solution_shown=_bool(entry.get("solution_shown", False), f"{where}.solution_shown"),
            seconds=_seconds(entry.get("seconds"), f"{where}.seconds"),
            last=_text(entry.get("last")) or None,
        )
    return ProgressFile(
        name=Path(name).name,
        learner=_clean(_text(data.get("learner"))),
        exported=_when(data.get("exported")),
        packs=_packs(data.get("packs"), name),
        exercises=exercises,
        cells=cells,
    )


def _lesson_map(data: dict) -> dict[str, str]:
    """Lesson of each exercise: `lesson` on a result when given, else from the export's
    `lessons` counts, which follow the same pack → lesson → exercise order as `results`."""
    lessons = data.get("lessons")
    results = data["results"]
    if not isinstance(lessons, list):
        return {}
    out: dict[str, str] = {}
    by_pack: dict[str, list[str]] = {}
    for entry in results:
        if isinstance(entry, dict) and isinstance(entry.get("exercise"), str):
            by_pack.setdefault(entry["exercise"].partition("/")[0], []).append(entry["exercise"])
    for pack, ids in by_pack.items():
        mine = [
            lesson
            for lesson in lessons
            if isinstance(lesson, dict)
            and lesson.get("pack") == pack
            and isinstance(lesson.get("total"), int)
        ]
        if sum(lesson["total"] for lesson in mine) != len(ids):
            continue  # not the shape expected: leave the lessons unknown rather than guess
        start = 0
        for lesson in mine:
            for ex in ids[start : start + lesson["total"]]:
                out[ex] = _text(lesson.get("lesson"))
            start += lesson["total"]
    return out


def _read_drill(data: dict, name: str) -> DrillFile:
    items: list[tuple[ExerciseInfo, Cell]] = []
    finished = _text(data.get("finished")) or _text(data.get("started")) or None
    for i, entry in enumerate(data["items"]):
        where = f"{name}: items[{i}]"
        ex = _exercise(entry, where, {})
        # Only a graded item is an attempt: not one the drill never reached, nor one the
        # learner skipped without a failing answer (newer reports say so in "outcome").
        outcome = entry.get("outcome")
        if isinstance(outcome, str):
            if outcome not in ("passed", "failed"):
                continue
        elif not _bool(entry.get("reached", True), f"{where}.reached"):
            continue
        seconds = _seconds(entry.get("seconds"), f"{where}.seconds")
        items.append(
            (
                ex,
                Cell(
                    passed=_bool(entry.get("passed"), f"{where}.passed"),
                    attempts=1,
                    hints=_int(entry.get("hints", 0), f"{where}.hints"),
                    solution_shown=_bool(
                        entry.get("solutionShown", False), f"{where}.solutionShown"
                    ),
                    seconds=seconds,
                    last=finished,
                ),
            )
        )
    return DrillFile(
        name=Path(name).name,
        learner=_clean(_text(data.get("learner"))),
        started=_when(data.get("started")),
        started_text=_text(data.get("started")),
        finished=finished,
        packs=_packs(data.get("packs"), name),
        abandoned=bool(data.get("abandoned", False)),
        items=items,
    )


def _exercise(entry: Any, where: str, lessons: dict[str, str]) -> ExerciseInfo:
    if not isinstance(entry, dict) or not isinstance(entry.get("exercise"), str):
        raise ReportFileError(f'{where}: no exercise id ("exercise": "pack/id"); {EXPECTED}')
    qid = _clean(entry["exercise"])
    if not qid:
        raise ReportFileError(f"{where}: an empty exercise id; {EXPECTED}")
    tags = entry.get("tags") or []
    if not isinstance(tags, list):
        raise ReportFileError(f"{where}.tags: not a list of tags")
    return ExerciseInfo(
        id=qid,
        pack=qid.partition("/")[0] if "/" in qid else "",
        lesson=_clean(_text(entry.get("lesson"))) or lessons.get(entry["exercise"], ""),
        kind=_clean(_text(entry.get("kind"))),
        tags=[_clean(str(t)) for t in tags if str(t).strip()],
    )


def _packs(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise ReportFileError(f'{name}: "packs" is not a list of {{id, version}}')
    out = {}
    for p in value:
        if isinstance(p, dict) and isinstance(p.get("id"), str):
            out[_clean(p["id"])] = _clean(_text(p.get("version")))
    return out


def _bool(value: Any, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ReportFileError(f"{where}: {value!r} is not true or false")
    return value


def _int(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportFileError(f"{where}: {value!r} is not a count (0 or more)")
    return value


def _seconds(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ReportFileError(f"{where}: {value!r} is not a number of seconds")
    return float(value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean(text: str) -> str:
    """Without control characters: names from files reach terminals and web pages."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# ---------------------------------------------------------------- merging


def build_report(files: Sequence[ProgressFile | DrillFile]) -> ClassReport:
    """Merge the files by learner (see the module's docstring for the rules)."""
    warnings: list[str] = []
    exercises: dict[str, ExerciseInfo] = {}
    learners: dict[str, Learner] = {}
    exports: dict[str, list[ProgressFile]] = {}
    drills: dict[str, list[DrillFile]] = {}

    def who(f: ProgressFile | DrillFile) -> str:
        if f.learner:
            return f.learner
        stem = _clean(Path(f.name).stem) or f.name
        what = "progress export" if isinstance(f, ProgressFile) else "drill report"
        warnings.append(
            f"{f.name}: a {what} without a learner name (written by an older k8slearn or without "
            f"--learner): counted as learner {stem!r}, the file's name; to merge it with another "
            f'learner\'s files, add "learner": "NAME" to it'
        )
        return stem

    named: list[tuple[str, ProgressFile | DrillFile]] = []
    for f in files:
        name = who(f)
        named.append((name, f))
        lr = learners.setdefault(name, Learner(name))
        lr.sources.append(f.name)
        if isinstance(f, ProgressFile):
            exports.setdefault(name, []).append(f)
        else:
            drills.setdefault(name, []).append(f)
    # Columns in the packs' order, as exports list them; exercises only drills name go last.
    for f in files:
        if isinstance(f, ProgressFile):
            for ex in f.exercises:
                _remember(exercises, ex)
    for f in files:
        if isinstance(f, DrillFile):
            for ex, _ in f.items:
                _remember(exercises, ex)

    for name, lr in learners.items():
        mine = sorted(exports.get(name, []), key=lambda f: _sort_time(f.exported))
        if len(mine) > 1:
            warnings.append(
                f"{name}: {len(mine)} progress exports ({', '.join(f.name for f in mine)}); "
                "each exercise's counts come from the newest export that lists it"
            )
        in_export: dict[str, tuple[datetime | None, int]] = {}  # qid -> (exported, attempts)
        for f in mine:  # oldest first: newer exports overwrite
            for qid, cell in f.cells.items():
                before = lr.cells.get(qid)
                lr.cells[qid] = Cell(**vars(cell))
                if before is not None:
                    lr.cells[qid].passed |= before.passed
                    lr.cells[qid].solution_shown |= before.solution_shown
                in_export[qid] = (f.exported, cell.attempts)
            lr.packs.update(f.packs)
        seen: set[str] = set()
        for d in sorted(drills.get(name, []), key=lambda d: _sort_time(d.started)):
            key = d.started_text or d.name
            if key in seen:
                warnings.append(
                    f"{d.name}: the same drill as another file of {name} (started "
                    f"{d.started_text or 'at the same time'}); counted once"
                )
                continue
            seen.add(key)
            lr.drills += 1
            lr.abandoned += d.abandoned
            for pid, version in d.packs.items():
                lr.packs.setdefault(pid, version)
            for ex, item in d.items:
                _add_drill_item(lr.cells, ex.id, item, d.started, in_export)

    _check_versions(named, exports, warnings)
    ordered = sorted(learners.values(), key=lambda lr: (lr.name.casefold(), lr.name))
    for a, b in itertools.pairwise(ordered):
        if a.name.casefold() == b.name.casefold():
            warnings.append(
                f"learners {a.name!r} and {b.name!r} differ only in case: counted as two learners"
            )
    packs: dict[str, list[str]] = {}
    for _, f in named:
        for pid, version in f.packs.items():
            seen = packs.setdefault(pid, [])
            if version not in seen:
                seen.append(version)
    return ClassReport(
        ordered,
        list(exercises.values()),
        warnings,
        {k: sorted(v, key=_version_key) for k, v in packs.items()},
    )


def _version_key(version: str) -> list[tuple[int, int | str]]:
    """1.9.0 before 1.10.0: numbers compare as numbers, the rest as text."""
    parts = re.findall(r"\d+|[^\d.]+", version)
    return [(0, int(p)) if p.isdigit() else (1, p) for p in parts]


def _remember(exercises: dict[str, ExerciseInfo], ex: ExerciseInfo) -> None:
    known = exercises.get(ex.id)
    if known is None:
        exercises[ex.id] = ExerciseInfo(ex.id, ex.pack, ex.lesson, ex.kind, list(ex.tags))
        return
    known.lesson = known.lesson or ex.lesson
    known.kind = known.kind or ex.kind
    known.tags = known.tags or list(ex.tags)


def _add_drill_item(
    cells: dict[str, Cell],
    qid: str,
    item: Cell,
    started: datetime | None,
    in_export: dict[str, tuple[datetime | None, int]],
) -> None:
    """Add a drill item unless the learner's export (made after the drill, with attempts on
    the exercise) holds it already; a pass counts either way."""
    cell = cells.setdefault(qid, Cell())
    exported, attempts = in_export.get(qid, (None, 0))
    counted = attempts > 0 and (started is None or exported is None or started <= exported)
    cell.passed |= item.passed
    if counted:
        return
    cell.attempts += item.attempts
    cell.hints = max(cell.hints, item.hints)
    cell.solution_shown |= item.solution_shown
    if item.seconds is not None:
        cell.seconds = round((cell.seconds or 0.0) + item.seconds, 1)
    if item.last and (
        cell.last is None or _sort_time(_when(item.last)) > _sort_time(_when(cell.last))
    ):
        cell.last = item.last


def _sort_time(when: datetime | None) -> datetime:
    return when or datetime.min.replace(tzinfo=UTC)


def _check_versions(
    named: list[tuple[str, ProgressFile | DrillFile]],
    exports: dict[str, list[ProgressFile]],
    warnings: list[str],
) -> None:
    """Warn when a pack was used in more than one version (across learners or within one
    learner's files), and when a learner's export lacks a pack the others' exports have."""
    versions: dict[str, dict[str, dict[str, None]]] = {}
    for name, f in named:
        for pid, version in f.packs.items():
            versions.setdefault(pid, {}).setdefault(version or "?", {})[name] = None
    for pid, by_version in versions.items():
        if len(by_version) > 1:
            parts = "; ".join(
                f"{v}: {', '.join(sorted(names, key=str.casefold))}"
                for v, names in sorted(by_version.items())
            )
            warnings.append(
                f"pack {pid} was used in different versions ({parts}); an exercise that changed "
                "between them is not the same task for everyone"
            )
    for name, mine in exports.items():
        have = {pid for f in mine for pid in f.packs}
        for pid in sorted(set(versions) - have):
            if any(pid in f.packs for files in exports.values() for f in files):
                warnings.append(
                    f"{name}: the progress export holds no results for pack {pid}, which "
                    "other exports have (exported without that pack's --pack?)"
                )


def load_class(paths: Sequence[Path]) -> ClassReport:
    """Read and merge the files; ReportFileError lists every file that cannot be read."""
    files: list[ProgressFile | DrillFile] = []
    errors: list[str] = []
    for path in paths:
        try:
            files.append(load_file(path))
        except ReportFileError as exc:
            errors.append(str(exc))
    if len(errors) == 1:
        raise ReportFileError(errors[0])
    if errors:
        raise ReportFileError(
            f"{len(errors)} files cannot be used:\n" + "\n".join(f"  {e}" for e in errors)
        )
    return build_report(files)


# ---------------------------------------------------------------- rendering


def render(report: ClassReport, output: str, width: int = 100) -> str:
    if output == "csv":
        return render_csv(report)
    if output == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if output == "html":
        return render_html(report)
    return render_text(report, width)


CSV_COLUMNS = [
    "learner",
    "exercise",
    "passed",
    "attempts",
    "hints",
    "solution_shown",
    "seconds",
    "last",
    "status",
    "lesson",
]


def render_csv(report: ClassReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows():
        writer.writerow(
            [
                "true" if v is True else "false" if v is False else "" if v is None else v
                for v in (row[c] for c in CSV_COLUMNS)
            ]
        )
    return out.getvalue()


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _percent(rate: float) -> str:
    return f"{rate:.0%}"


def render_text(report: ClassReport, width: int = 100) -> str:
    """A learners × exercises grid, one character per exercise, columns numbered and grouped by
    lesson; then a key of the numbers with each exercise's pass rate, and the weak concepts."""
    lines: list[str] = []
    n_learners, n_ex = len(report.learners), len(report.exercises)
    lines.append(f"Class report: {n_learners} learner(s), {n_ex} exercise(s)")
    if report.packs:
        lines.append(_fit(f"Packs: {report.packs_line()}", width))
    lines.append(
        f"{MARKS['passed']} passed   {MARKS['attempted']} tried, not passed   "
        f"{MARKS['untried']} not tried"
    )
    lines.append("pass, tried: how many exercises each learner passed, tried")
    if not report.learners or not report.exercises:
        lines.append("")
        lines.append("Nothing to show: the files hold no exercise.")
        return "\n".join(lines) + "\n"
    number = {ex.id: i for i, ex in enumerate(report.exercises, 1)}
    groups = report.groups()
    grid_w = n_ex + len(groups) - 1  # a column per exercise, a blank one between lessons
    tail_head = " pass tried"
    longest = max(len("learner"), *(len(lr.name) for lr in report.learners))
    # Names get what the grid leaves (at least 12 columns); a grid too wide is cut into blocks.
    name_w = min(longest, max(12, width - 1 - grid_w - len(tail_head)))
    room = max(10, width - name_w - 1 - len(tail_head))
    totals = {lr.name: report.learner_totals(lr) for lr in report.learners}
    for block in _blocks(groups, room):
        lines.append("")
        cols: list[ExerciseInfo | None] = []  # None: the gap between two lessons
        for i, group in enumerate(block):
            if i:
                cols.append(None)
            cols.extend(group)
        tens = "".join(" " if ex is None else _digit(number[ex.id], 10) for ex in cols)
        units = "".join(" " if ex is None else str(number[ex.id] % 10) for ex in cols)
        if tens.strip():
            lines.append(f"{'':<{name_w}} {tens}".rstrip())
        lines.append(f"{'learner':<{name_w}} {units}{tail_head}")
        for lr in report.learners:
            marks = "".join(" " if ex is None else MARKS[report.cell(lr, ex).status] for ex in cols)
            passed, tried = totals[lr.name]
            lines.append(f"{_fit(lr.name, name_w):<{name_w}} {marks} {passed:>4} {tried:>5}")
    lines.append("")
    lines.append("Pass rate per exercise (share of the class that passed):")
    num_w = len(str(n_ex))
    bar_w = 10 if width >= 90 else 0  # the bar goes first when the terminal is narrow
    rest = (
        2
        + num_w
        + 2
        + 2
        + (bar_w + 1 if bar_w else 0)
        + 4
        + 2
        + len(f"passed {n_learners}/{n_learners}, tried {n_learners}")
    )
    id_w = min(44, max(len(report.label(e)) for e in report.exercises), max(16, width - rest))
    for group, members in report.groups():
        lines.append(f"  {group}")
        for ex in members:
            passed, tried = report.passed_count(ex), report.attempted_count(ex)
            rate = report.pass_rate(ex)
            bar = f"{_bar(rate, bar_w)} " if bar_w else ""
            lines.append(
                f"  {number[ex.id]:>{num_w}}  {_fit(report.label(ex), id_w):<{id_w}}"
                f"  {bar}{_percent(rate):>4}  passed {passed}/{n_learners}, tried {tried}"
            )
    weak = report.weak_concepts(WEAK_LIMIT)
    lines.append("")
    if weak:
        lines.append("Weakest concepts (share of tries passed, by tag):")
        tag_w = min(24, max(len(w["tag"]) for w in weak))
        for w in weak:
            head = (
                f"  {_fit(w['tag'], tag_w):<{tag_w}}  {_percent(w['rate']):>4}  "
                f"{_tries(w['tried'])} by {w['learners']} learner(s); not yet: "
            )
            lines.append(head + _names(w["not_passed"], max(12, width - len(head))))
    else:
        lines.append("Weakest concepts: none yet (no tag with a try that has not passed).")
    return "\n".join(lines) + "\n"


def _tries(n: int) -> str:
    return "1 try" if n == 1 else f"{n} tries"


def _digit(n: int, base: int) -> str:
    return str(n // base % 10) if n >= base else " "


def _bar(rate: float, width: int) -> str:
    filled = round(rate * width)
    return "█" * filled + "░" * (width - filled)


def _names(names: list[str], width: int) -> str:
    text = ", ".join(names)
    if len(text) <= width:
        return text
    shown: list[str] = []
    for n in names:
        more = f" and {len(names) - len(shown) - 1} more"
        if len(", ".join([*shown, n])) + len(more) > width:
            break
        shown.append(n)
    if not shown:
        return _fit(f"{len(names)} learners", width)
    return f"{', '.join(shown)} and {len(names) - len(shown)} more"


def _blocks(
    groups: list[tuple[str, list[ExerciseInfo]]], room: int
) -> list[list[list[ExerciseInfo]]]:
    """Lesson groups packed into blocks no wider than `room` (one column per exercise, one
    between lessons); a lesson wider than a block is split."""
    pieces: list[list[ExerciseInfo]] = []
    for _, members in groups:
        for start in range(0, len(members), room):
            pieces.append(members[start : start + room])
    blocks: list[list[list[ExerciseInfo]]] = []
    used = 0
    for piece in pieces:
        need = len(piece) + (1 if blocks and blocks[-1] else 0)
        if not blocks or used + need > room:
            blocks.append([piece])
            used = len(piece)
        else:
            blocks[-1].append(piece)
            used += need
    return blocks


# ---------------------------------------------------------------- HTML

_CSS = """
:root { --pass: #1b7f3b; --fail: #e8871e; --untried: #e9ecef; --ink: #1d2228; --bar: #3d6a9e; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
  margin: 1.5rem; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
.summary { color: #4a525a; margin: 0 0 1rem; }
.legend { display: flex; gap: 1.25rem; flex-wrap: wrap; margin: .5rem 0 1rem; padding: 0;
  list-style: none; }
.legend li { display: flex; align-items: center; gap: .4rem; }
.swatch { display: inline-block; width: 1.4rem; height: 1.4rem; text-align: center;
  line-height: 1.4rem; border-radius: 3px; font-weight: bold; }
.scroll { overflow-x: auto; border: 1px solid #d0d5da; border-radius: 6px; max-width: 100%; }
table.heat { border-collapse: separate; border-spacing: 2px; }
table.heat th, table.heat td { padding: 0; }
th.learner, th.corner, th.rate-label { position: sticky; left: 0; z-index: 1; background: #fff;
  text-align: left; padding: 0 .6rem; white-space: nowrap; font-weight: 600; }
th.learner .who { display: flex; justify-content: space-between; align-items: baseline; }
th.learner .name { display: inline-block; max-width: 12rem; overflow: hidden;
  text-overflow: ellipsis; vertical-align: bottom; }
th.learner .total { display: inline-block; min-width: 3.5rem; margin-left: .75rem; text-align: right;
  font-weight: normal; color: #4a525a; font-variant-numeric: tabular-nums; }
th.lesson { font-weight: 600; font-size: 12px; text-align: left; padding: 0 .2rem;
  border-bottom: 2px solid #9aa4ae; white-space: nowrap; overflow: hidden; max-width: 1px; }
th.ex { vertical-align: bottom; height: 11rem; font-weight: normal; font-size: 12px; }
th.ex span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap;
  display: inline-block; max-height: 10.5rem; overflow: hidden; text-overflow: ellipsis; }
td.cell { position: relative; width: 1.6rem; min-width: 1.6rem; height: 1.6rem; text-align: center; border-radius: 3px;
  font-weight: bold; }
.pass { background: var(--pass); color: #fff; }
.fail { background: var(--fail); color: #1d2228; }
.untried { background: var(--untried); color: #6c757d; }
td.gap, th.gap { width: .5rem; min-width: .5rem; }
td.rate { font-size: 11px; text-align: center; color: #343a40; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
ol.weak { padding-left: 1.5rem; }
ol.weak li { margin: .35rem 0; }
.bar { display: inline-block; width: 8rem; height: .75rem; background: var(--untried);
  border-radius: 2px; vertical-align: middle; margin: 0 .5rem; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--bar); }
.tag { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-weight: 600; }
.muted { color: #5c656e; }
.warnings { background: #fff8e1; border: 1px solid #f0c36d; border-radius: 6px;
  padding: .5rem 1rem .5rem 2rem; }
table.rates { border-collapse: collapse; }
table.rates td, table.rates th { padding: .15rem .6rem; text-align: left; border-bottom: 1px solid #eceff1; }
@media print { .scroll { overflow: visible; border: none; } }
"""

_CELL_CLASS = {"passed": "pass", "attempted": "fail", "untried": "untried"}
_CELL_WORDS = {"passed": "passed", "attempted": "tried, not passed", "untried": "not tried"}


def render_html(report: ClassReport) -> str:
    """One page, no external resource: a heat map, each exercise's pass rate, weak concepts."""
    e = html.escape
    n_learners, n_ex = len(report.learners), len(report.exercises)
    packs = report.packs_line()
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>k8slearn class report</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>Class report</h1>",
        f'<p class="summary">{n_learners} learner(s) · {n_ex} exercise(s)'
        + (f" · {e(packs)}" if packs else "")
        + "</p>",
    ]
    if report.warnings:
        out.append('<section aria-labelledby="warn"><h2 id="warn">Warnings</h2>')
        out.append('<ul class="warnings">')
        out.extend(f"<li>{e(w)}</li>" for w in report.warnings)
        out.append("</ul></section>")
    out.append('<section aria-labelledby="grid"><h2 id="grid">Who passed what</h2>')
    out.append('<ul class="legend">')
    for status, mark in MARKS.items():
        out.append(
            f'<li><span class="swatch {_CELL_CLASS[status]}" aria-hidden="true">{mark}</span>'
            f"{_CELL_WORDS[status]}</li>"
        )
    out.append("</ul>")
    if not report.learners or not report.exercises:
        out.append("<p>Nothing to show: the files hold no exercise.</p></section>")
    else:
        out.extend(_html_grid(report))
        out.append("</section>")
        out.extend(_html_rates(report))
    out.extend(_html_weak(report))
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def _html_grid(report: ClassReport) -> list[str]:
    e = html.escape
    groups = report.groups()
    out = ['<div class="scroll">', '<table class="heat" id="heatmap">']
    out.append('<caption class="sr">Learners (rows) by exercises (columns)</caption>')
    out.append("<thead>")
    row = ['<tr><th class="corner" rowspan="2" scope="col">Learner · passed</th>']
    for i, (name, members) in enumerate(groups):
        if i:
            row.append('<th class="gap" rowspan="2"></th>')
        row.append(
            f'<th class="lesson" colspan="{len(members)}" scope="colgroup" title="{e(name)}">'
            f"{e(name)}</th>"
        )
    row.append("</tr>")
    out.append("".join(row))
    row = ["<tr>"]
    for _, members in groups:
        for ex in members:
            row.append(
                f'<th class="ex" scope="col" title="{e(ex.id)}"><span>{e(report.label(ex))}'
                "</span></th>"
            )
    row.append("</tr>")
    out.append("".join(row))
    out.append("</thead>")
    out.append("<tbody>")
    n_ex = len(report.exercises)
    for lr in report.learners:
        passed, tried = report.learner_totals(lr)
        title = (
            f"{lr.name}: {passed} passed, {tried} tried of {n_ex} (from {', '.join(lr.sources)})"
        )
        row = [
            f'<tr data-learner="{e(lr.name)}"><th class="learner" scope="row" title="{e(title)}">'
            f'<div class="who"><span class="name">{e(lr.name)}</span>'
            f'<span class="total">{passed}/{n_ex}</span></div></th>'
        ]
        for i, (_, members) in enumerate(groups):
            if i:
                row.append('<td class="gap"></td>')
            for ex in members:
                c = report.cell(lr, ex)
                row.append(
                    f'<td class="cell {_CELL_CLASS[c.status]}" data-exercise="{e(ex.id)}" '
                    f'title="{e(_cell_title(lr.name, report.label(ex), c))}">'
                    f'<span aria-hidden="true">{MARKS[c.status]}</span>'
                    f'<span class="sr">{_CELL_WORDS[c.status]}</span></td>'
                )
        row.append("</tr>")
        out.append("".join(row))
    out.append("</tbody>")
    out.append("<tfoot>")
    row = ['<tr><th class="rate-label" scope="row">Pass rate (%)</th>']
    for i, (_, members) in enumerate(groups):
        if i:
            row.append('<td class="gap"></td>')
        for ex in members:
            rate = report.pass_rate(ex)
            row.append(
                f'<td class="rate" data-exercise="{e(ex.id)}" title="{e(report.label(ex))}: '
                f'{report.passed_count(ex)} of {len(report.learners)} learner(s) passed">'
                f"{rate * 100:.0f}</td>"
            )
    row.append("</tr>")
    out.append("".join(row))
    out.append("</tfoot>")
    out.append("</table>")
    out.append("</div>")
    return out


def _cell_title(learner: str, exercise: str, c: Cell) -> str:
    parts = [f"{learner} · {exercise}: {_CELL_WORDS[c.status]}"]
    if c.attempts:
        parts.append(f"{c.attempts} attempt(s)")
    if c.hints:
        parts.append(f"{c.hints} hint(s)")
    if c.solution_shown:
        parts.append("solution shown")
    if c.seconds is not None:
        parts.append(f"{c.seconds:g} s")
    return ", ".join(parts)


def _html_rates(report: ClassReport) -> list[str]:
    e = html.escape
    out = [
        '<section aria-labelledby="rates"><h2 id="rates">Pass rate per exercise</h2>',
        '<table class="rates"><thead><tr><th scope="col">Exercise</th><th scope="col">Passed</th>'
        '<th scope="col">Tried</th><th scope="col">Pass rate</th></tr></thead><tbody>',
    ]
    n = len(report.learners)
    for group, members in report.groups():
        out.append(f'<tr><th colspan="4" scope="rowgroup">{e(group)}</th></tr>')
        for ex in members:
            rate = report.pass_rate(ex)
            out.append(
                f'<tr data-exercise="{e(ex.id)}"><td>{e(report.label(ex))}</td>'
                f"<td>{report.passed_count(ex)}/{n}</td><td>{report.attempted_count(ex)}</td>"
                f'<td><span class="bar" aria-hidden="true"><span style="width:{rate * 100:.0f}%">'
                f"</span></span>{_percent(rate)}</td></tr>"
            )
    out.append("</tbody></table></section>")
    return out


def _html_weak(report: ClassReport) -> list[str]:
    e = html.escape
    weak = report.weak_concepts(WEAK_LIMIT)
    out = ['<section aria-labelledby="weak"><h2 id="weak">Weakest concepts</h2>']
    if not weak:
        out.append("<p>None yet: no concept has a try that has not passed.</p></section>")
        return out
    out.append(
        '<p class="muted">Share of tries passed, by tag: each learner\'s attempt at an exercise '
        "counts once for each of its tags.</p>"
    )
    out.append('<ol class="weak" id="weak-concepts">')
    for w in weak:
        out.append(
            f'<li data-tag="{e(w["tag"])}"><span class="tag">{e(w["tag"])}</span>'
            f'<span class="bar" aria-hidden="true"><span style="width:{w["rate"] * 100:.0f}%">'
            f"</span></span>{_percent(w['rate'])} passed · {_tries(w['tried'])} by "
            f"{w['learners']} learner(s) · not yet: {e(', '.join(w['not_passed']))}</li>"
        )
    out.append("</ol></section>")
    return out
