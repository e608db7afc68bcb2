"""`k8slearn progress`: the numbers a learner (or an instructor) asks for, from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from k8slearn.packs.library import Library
from k8slearn.progress.schedule import due_exercises, weak_concepts
from k8slearn.progress.store import Attempt, Store


def streak(days: set[str], today: datetime) -> int:
    """Consecutive days, ending today or yesterday, with at least one attempt."""
    day = today.date()
    if day.isoformat() not in days:
        day -= timedelta(days=1)
    count = 0
    while day.isoformat() in days:
        count += 1
        day -= timedelta(days=1)
    return count


def progress_report(
    library: Library, store: Store, now: datetime | None = None, learner: str = ""
) -> dict:
    """The learner's standing on the library's packs only (a class pack's export holds no
    built-in exercise when the built-in pack is left out): totals, lessons, per-exercise
    results, weak concepts and drills. The format `k8slearn class report` reads."""
    now = now or datetime.now(UTC)
    known = {e.qualified_id for e in library.exercises()}
    attempts = [a for a in store.attempts() if a.exercise in known]
    passed_ids = {a.exercise for a in attempts if a.passed}
    lessons = []
    packs = []
    done = total = 0
    for pack in library.packs:
        pack_done = pack_total = 0
        for lesson in pack.lessons:
            ids = [e.qualified_id for e in lesson.exercises]
            n = sum(1 for i in ids if i in passed_ids)
            lessons.append({"pack": pack.id, "lesson": lesson.id, "done": n, "total": len(ids)})
            pack_done += n
            pack_total += len(ids)
        packs.append(
            {
                "id": pack.id,
                "version": pack.version,
                "title": pack.title,
                "done": pack_done,
                "total": pack_total,
            }
        )
        done += pack_done
        total += pack_total
    due = [e for e in due_exercises(store, now) if e in known]
    days = {datetime.fromtimestamp(a.at, UTC).date().isoformat() for a in attempts}
    accuracy = sum(a.passed for a in attempts) / len(attempts) if attempts else 0.0
    drills = [
        {
            "started": datetime.fromtimestamp(d["started"], UTC).isoformat(),
            "score": d["score"],
            "total": d["total"],
            "passed": sum(1 for i in d["items"] if i.get("passed")),
        }
        for d in store.drills()
        if any(i.get("exercise") in known for i in d["items"])
    ]
    return {
        "learner": learner,
        "exported": now.isoformat(timespec="seconds"),
        "packs": packs,
        "exercises": {"done": done, "total": total},
        "due": len(due),
        "accuracy": round(accuracy, 3),
        "attempts": len(attempts),
        "streak": streak(days, now),
        "lessons": lessons,
        "results": exercise_results(library, store, attempts),
        "weakConcepts": [
            {"tag": t, "rate": round(r, 2), "reviews": n}
            for t, r, n in weak_concepts(store, exercises=known)
        ],
        "drills": drills,
    }


def exercise_results(library: Library, store: Store, attempts: list[Attempt]) -> list[dict]:
    """One entry per exercise of the library, attempted or not, in the packs' order."""
    by_exercise: dict[str, list[Attempt]] = {}
    for a in attempts:
        by_exercise.setdefault(a.exercise, []).append(a)
    out = []
    for ex in library.exercises():
        mine = by_exercise.get(ex.qualified_id, [])
        seconds = [a.seconds for a in mine if a.seconds is not None]
        out.append(
            {
                "exercise": ex.qualified_id,
                "lesson": ex.lesson_id,
                "kind": ex.kind,
                "tags": list(ex.tags),
                "passed": any(a.passed for a in mine),
                "attempts": len(mine),
                "last_passed": mine[-1].passed if mine else None,
                "hints": max((a.hints_used for a in mine), default=0),
                "solution_shown": store.solution_shown(ex.qualified_id),
                "seconds": round(sum(seconds), 1) if seconds else None,
                "first": _iso(mine[0].at) if mine else None,
                "last": _iso(mine[-1].at) if mine else None,
            }
        )
    return out


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
