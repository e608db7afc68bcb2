"""Spaced repetition: every exercise is an FSRS card, rated from what the grader saw.

The learner is never asked "how well did you know this?": the outcome decides.
Failed (or solution shown) → Again; passed after hints → Hard; passed → Good;
passed quickly without hints → Easy. Uses the `fsrs` package (FSRS v6).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from k8slearn.progress.store import Store

FAST_SECONDS = 120  # a clean pass faster than this counts as Easy


def rating_for(
    passed: bool, hints_used: int = 0, seconds: float | None = None, solution_shown: bool = False
):
    from fsrs import Rating

    if not passed or solution_shown:
        return Rating.Again
    if hints_used:
        return Rating.Hard
    if seconds is not None and seconds <= FAST_SECONDS:
        return Rating.Easy
    return Rating.Good


def _scheduler():
    from fsrs import Scheduler

    return Scheduler(enable_fuzzing=False)  # the same outcome always gives the same interval


def review(
    store: Store,
    exercise: str,
    tags: Iterable[str],
    passed: bool,
    hints_used: int = 0,
    seconds: float | None = None,
    solution_shown: bool = False,
    when: datetime | None = None,
) -> datetime:
    """Record one graded outcome on the exercise's card and its concepts; return the next due time."""
    from fsrs import Card

    when = when or datetime.now(UTC)
    stored = store.card(exercise)
    card = Card.from_json(stored) if stored else Card()
    rating = rating_for(passed, hints_used, seconds, solution_shown)
    card, _ = _scheduler().review_card(card, rating, review_datetime=when)
    store.save_card(exercise, card.to_json(), card.due.timestamp())
    store.record_concepts(tags, passed and not solution_shown, exercise)
    return card.due


def due_exercises(store: Store, now: datetime | None = None) -> dict[str, float]:
    now = now or datetime.now(UTC)
    return store.cards_due(now.timestamp())


def weak_concepts(
    store: Store, limit: int = 5, exercises: Iterable[str] | None = None
) -> list[tuple[str, float, int]]:
    """Concepts (tags) with the lowest pass rate: (tag, rate, reviews), weakest first; with
    `exercises` (qualified ids), only what was reviewed on those: one pack's weak concepts."""
    ignore = {"ckad", "cka"}
    stats = [
        (tag, passed / total, total)
        for tag, (passed, total) in store.concept_stats(exercises).items()
        if total and tag not in ignore
    ]
    stats.sort(key=lambda s: (s[1], -s[2]))
    return [s for s in stats if s[1] < 1.0][:limit]
