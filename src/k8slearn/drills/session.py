"""Self-check drills: a short, timed, exam-style run over chosen exercises.

Choosing: exercises whose spaced-repetition card is due come first (most
overdue first), then ones never seen, then the rest — filtered by tags.
Scoring: a pass is worth 1 point less 0.25 per hint used (never below 0.25);
a fail, a shown solution or running out of time is worth 0.

Outcomes, as the reports count them: *passed*; *failed* (a check failed and the
learner moved on, the solution was shown, or the clock ran out); *skipped* (the
learner moved on with ctrl+n before any check failed, or stopped the drill on
it); *not reached*. JUnit counts the last two as skipped, never as failures.
A drill the learner ends while an item is still unanswered is *abandoned*.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from k8slearn.packs.library import Library
from k8slearn.packs.model import Exercise
from k8slearn.progress.schedule import due_exercises, review, weak_concepts
from k8slearn.progress.store import Store

DrillKind = Literal["build", "predict", "kubectl"]
Outcome = Literal["passed", "failed", "skipped", "not reached"]
HINT_COST = 0.25
SKIPPED_BY_LEARNER = "skipped by the learner"
NOT_REACHED = "not reached"


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
    skipped: bool = False  # moved on without a failing answer: not a failure

    @property
    def outcome(self) -> Outcome:
        if self.passed is None:
            return "not reached"
        if self.passed:
            return "passed"
        return "skipped" if self.skipped else "failed"

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
            "skipped": self.outcome in ("skipped", "not reached"),
            "outcome": self.outcome,
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


def packs_of(library: Library, exercises: list[Exercise]) -> list[dict[str, str]]:
    """The packs (id and version, in library order) the given exercises come from."""
    wanted = {e.pack_id for e in exercises}
    return [{"id": p.id, "version": p.version} for p in library.packs if p.id in wanted]


@dataclass
class Drill:
    """One drill in progress: its items, its clock, and where the learner is."""

    items: list[DrillItem]
    minutes: float
    started: float = field(default_factory=time.time)
    current: int = 0
    finished: float | None = None
    scope: list[str] | None = None  # the exercises whose concepts the summary weighs
    learner: str = ""  # who drilled, as reports name them
    packs: list[dict[str, str]] = field(default_factory=list)  # [{"id", "version"}]
    abandoned: bool = False  # ended by the learner while an item was still unanswered

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

    def stop(self, store: Store, timed_out: bool) -> None:
        """End the drill before its last item moved on: the clock ran out, or the learner left.

        The item on screen fails when the clock stopped it or a check of it already failed;
        otherwise it was left unanswered: skipped, and not held against its review card. A
        learner leaving with anything unanswered abandons the drill.
        """
        unanswered = [i for i in self.items[self.current :] if i.passed is None]
        self.abandoned = bool(unanswered) and not timed_out
        current = self.item
        if current is None or current.passed is not None:
            return
        if timed_out or current.failed_checks:
            current.passed = False
            current.note = "time ran out" if timed_out else "stopped after a failing check"
            self.complete(store, current)
        else:
            current.passed, current.skipped, current.note = False, True, "drill stopped"
        self.current += 1

    def finish(self, store: Store) -> DrillSummary:
        self.finished = self.finished or time.time()
        for item in self.items[self.current :]:
            if item.passed is None:
                item.note = item.note or NOT_REACHED
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
            "learner": d.learner,
            "packs": d.packs,
            "abandoned": d.abandoned,
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
    """One test case per item: failed items fail; skipped and unreached ones are skipped.

    The suite's properties name the learner, each pack (`<id>@<version>`), the score and
    whether the drill was abandoned, so a class's files can be told apart and gathered.
    """
    import xml.etree.ElementTree as ET

    drill = summary.drill
    items = drill.items
    outcomes = [i.outcome for i in items]
    suite = ET.Element(
        "testsuite",
        {
            "name": "k8slearn drill",
            "tests": str(len(items)),
            "failures": str(outcomes.count("failed")),
            "skipped": str(outcomes.count("skipped") + outcomes.count("not reached")),
            "errors": "0",
            "time": f"{sum(i.seconds for i in items):.1f}",
            "timestamp": datetime.fromtimestamp(drill.started, UTC).isoformat(),
        },
    )
    props = ET.SubElement(suite, "properties")
    properties = [
        ("learner", drill.learner),
        *(("pack", f"{p['id']}@{p['version']}") for p in drill.packs),
        ("score", f"{summary.score:g}"),
        ("abandoned", "true" if drill.abandoned else "false"),
    ]
    for name, value in properties:
        ET.SubElement(props, "property", {"name": name, "value": value})
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
        if item.outcome == "not reached":
            ET.SubElement(case, "skipped", {"message": item.note or NOT_REACHED})
        elif item.outcome == "skipped":
            ET.SubElement(case, "skipped", {"message": item.note or SKIPPED_BY_LEARNER})
        elif item.outcome == "failed":
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
