"""`k8slearn progress`: the numbers a learner (or an instructor) asks for, from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from k8slearn.packs.library import Library
from k8slearn.progress.schedule import due_exercises, weak_concepts
from k8slearn.progress.store import Store


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


def progress_report(library: Library, store: Store, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    attempts = store.attempts()
    passed_ids = {a.exercise for a in attempts if a.passed}
    lessons = []
    done = total = 0
    for pack in library.packs:
        for lesson in pack.lessons:
            ids = [e.qualified_id for e in lesson.exercises]
            n = sum(1 for i in ids if i in passed_ids)
            lessons.append({"pack": pack.id, "lesson": lesson.id, "done": n, "total": len(ids)})
            done += n
            total += len(ids)
    known = {e.qualified_id for e in library.exercises()}
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
    ]
    return {
        "exercises": {"done": done, "total": total},
        "due": len(due),
        "accuracy": round(accuracy, 3),
        "attempts": len(attempts),
        "streak": streak(days, now),
        "lessons": lessons,
        "weakConcepts": [
            {"tag": t, "rate": round(r, 2), "reviews": n} for t, r, n in weak_concepts(store)
        ],
        "drills": drills,
    }
