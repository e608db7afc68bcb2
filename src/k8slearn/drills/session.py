"""Self-check drills: a short, timed, exam-style run over chosen exercises.

Choosing: exercises whose spaced-repetition card is due come first (most
overdue first), then ones never seen, then the rest — filtered by tags.
Scoring: a pass is worth 1 point less 0.25 per hint used (never below 0.25);
a fail, a shown solution or running out of time is worth 0.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from k8slearn.packs.format import Exercise
from k8slearn.packs.library import Library
from k8slearn.progress.schedule import due_exercises, review, weak_concepts
from k8slearn.progress.store import Store

DrillKind = Literal["build", "predict", "kubectl"]
HINT_COST = 0.25


@dataclass
class DrillItem:
    exercise: Exercise
    kind: DrillKind = "build"
    passed: bool | None = None  # None: not reached
    seconds: float = 0.0
    hints: int = 0
    solution_shown: bool = False
    failed_checks: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def points(self) -> float:
        if not self.passed or self.solution_shown:
            return 0.0
        return max(HINT_COST, 1.0 - HINT_COST * self.hints)

    def to_dict(self) -> dict:
        return {
            "exercise": self.exercise.qualified_id,
            "title": self.exercise.title,
            "kind": self.kind,
            "passed": bool(self.passed),
            "reached": self.passed is not None,
            "seconds": round(self.seconds, 1),
            "hints": self.hints,
            "solutionShown": self.solution_shown,
            "points": self.points,
            "failedChecks": self.failed_checks,
            "tags": self.exercise.tags,
            "note": self.note,
        }


def choose_exercises(
    library: Library,
    store: Store,
    count: int,
    tags: tuple[str, ...] = (),
    now: datetime | None = None,
    kinds: tuple[str, ...] = ("build", "predict"),
    rng: random.Random | None = None,
) -> list[Exercise]:
    """Due first (most overdue first), then new, then the rest.

    With `rng`, the new and the remaining exercises are shuffled, so a drill
    samples every lesson rather than walking the pack from its first page.
    """
    pool = [
        e for e in library.exercises() if (not tags or set(tags) & set(e.tags)) and e.kind in kinds
    ]
    due = due_exercises(store, now)
    scheduled = store.scheduled()
    first = sorted((e for e in pool if e.qualified_id in due), key=lambda e: due[e.qualified_id])
    new = [e for e in pool if e.qualified_id not in scheduled]
    rest = [e for e in pool if e.qualified_id in scheduled and e.qualified_id not in due]
    if rng is not None:
        rng.shuffle(new)
        rng.shuffle(rest)
    return (first + new + rest)[:count]


@dataclass
class Drill:
    """One drill in progress: its items, its clock, and where the learner is."""

    items: list[DrillItem]
    minutes: float
    started: float = field(default_factory=time.time)
    current: int = 0
    finished: float | None = None
    scope: list[str] | None = None  # the exercises whose concepts the summary weighs

    @property
    def deadline(self) -> float:
        return self.started + self.minutes * 60

    def remaining(self, now: float | None = None) -> float:
        return max(0.0, self.deadline - (now or time.time()))

    @property
    def item(self) -> DrillItem | None:
        return self.items[self.current] if self.current < len(self.items) else None

    def complete(self, store: Store, item: DrillItem) -> None:
        """Record an item's outcome: an attempt, its FSRS card and its concepts."""
        ex = item.exercise
        store.record_attempt(
            ex.qualified_id,
            bool(item.passed),
            item.failed_checks,
            seconds=round(item.seconds, 1),
            hints_used=item.hints,
            source="drill",
        )
        review(
            store,
            ex.qualified_id,
            ex.tags,
            bool(item.passed),
            item.hints,
            item.seconds,
            item.solution_shown,
        )

    def advance(self) -> DrillItem | None:
        self.current += 1
        return self.item

    def finish(self, store: Store) -> DrillSummary:
        self.finished = self.finished or time.time()
        for item in self.items[self.current :]:
            if item.passed is None:
                item.note = item.note or "not reached"
        score = sum(i.points for i in self.items)
        previous = store.drills()
        store.save_drill(
            self.started, self.finished, score, len(self.items), [i.to_dict() for i in self.items]
        )
        scope = [i.exercise.qualified_id for i in self.items] if self.scope is None else self.scope
        weak = weak_concepts(store, exercises=scope)
        return DrillSummary(self, score, previous[-1] if previous else None, weak)


@dataclass
class DrillSummary:
    drill: Drill
    score: float
    previous: dict | None
    weak: list[tuple[str, float, int]]

    @property
    def total(self) -> int:
        return len(self.drill.items)

    def to_review(self) -> list[DrillItem]:
        return [i for i in self.drill.items if not i.passed or i.hints or i.solution_shown]

    def comparison(self) -> str:
        if not self.previous or not self.previous["total"]:
            return "Your first drill: its score is the baseline for the next."
        before = self.previous["score"] / self.previous["total"]
        now = self.score / self.total if self.total else 0
        change = (now - before) * 100
        trend = "up" if change > 0 else "down" if change < 0 else "level with"
        return (
            f"{now:.0%} this time, {before:.0%} last time ({trend} {abs(change):.0f} points)"
            if trend != "level with"
            else f"{now:.0%}, level with last time"
        )

    def to_dict(self) -> dict:
        d = self.drill
        return {
            "started": datetime.fromtimestamp(d.started, UTC).isoformat(),
            "finished": datetime.fromtimestamp(d.finished or d.started, UTC).isoformat(),
            "minutes": d.minutes,
            "score": self.score,
            "total": self.total,
            "items": [i.to_dict() for i in d.items],
            "review": [i.exercise.qualified_id for i in self.to_review()],
            "weakConcepts": [
                {"tag": t, "rate": round(r, 2), "reviews": n} for t, r, n in self.weak
            ],
            "comparison": self.comparison(),
        }


def write_report(path: Path, summary: DrillSummary) -> None:
    """JUnit XML (`.xml`) or JSON (anything else): one test case per drill item."""
    if path.suffix.lower() == ".xml":
        path.write_text(junit_xml(summary), encoding="utf-8")
    else:
        path.write_text(json.dumps(summary.to_dict(), indent=2), encoding="utf-8")


def junit_xml(summary: DrillSummary) -> str:
    import xml.etree.ElementTree as ET

    items = summary.drill.items
    failures = sum(1 for i in items if i.passed is not None and not i.passed)
    skipped = sum(1 for i in items if i.passed is None)
    suite = ET.Element(
        "testsuite",
        {
            "name": "k8slearn drill",
            "tests": str(len(items)),
            "failures": str(failures),
            "skipped": str(skipped),
            "errors": "0",
            "time": f"{sum(i.seconds for i in items):.1f}",
            "timestamp": datetime.fromtimestamp(summary.drill.started, UTC).isoformat(),
        },
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "score", "value": f"{summary.score:g}"})
    for item in items:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": item.exercise.pack_id,
                "name": item.exercise.id,
                "time": f"{item.seconds:.1f}",
            },
        )
        if item.passed is None:
            ET.SubElement(case, "skipped", {"message": item.note or "not reached"})
        elif not item.passed:
            reason = "solution shown" if item.solution_shown else (item.note or "checks failed")
            failure = ET.SubElement(case, "failure", {"message": reason})
            failure.text = "\n".join(item.failed_checks)
        out = ET.SubElement(case, "system-out")
        out.text = json.dumps(
            {k: v for k, v in item.to_dict().items() if k in ("hints", "points", "kind")}
        )
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
