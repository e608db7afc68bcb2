"""Known mistakes: which of an exercise's wrong answers a failing answer repeats.

An instructor writes, for each wrong answer, `why` it is wrong. When a
learner's answer fails in the same way, that explanation of this exact mistake
is worth more than any generic message, so the faces show it.

"The same way" is decided in two steps, strongest first:

1. **It behaves like it**: both are accepted by the API server, they fail the
   same checks, and nothing tells their effect apart — the policies allow the
   same connections on every pod, namespace, address and port either side can
   tell apart (`model/equivalence.compare_policies`), the same Services exist
   and behave alike, and traffic is routed to the same endpoints.
2. **It fails the same way**: the same checks fail with the same messages (line
   numbers aside), or the API server refuses both for the same reasons (the
   same fields and messages) — a typo repeated, a key in the wrong place.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property

from k8slearn.grading.grader import Grade, Grader
from k8slearn.model.equivalence import compare_policies, compare_services, routing

_LINE = re.compile(r"\(?\blines?\s+\d+(?:[-–]\d+)?\)?")


@dataclass(frozen=True)
class KnownMistake:
    why: str  # the instructor's explanation
    index: int  # which of the exercise's wrong answers (0-based)
    how: str  # "behaves like" or "fails like"

    def to_dict(self) -> dict[str, object]:
        return {"why": self.why, "wrong_answer": self.index + 1, "match": self.how}


class MistakeFinder:
    """Matches failing grades against one exercise's wrong answers (graded once, lazily)."""

    def __init__(self, grader: Grader) -> None:
        self.grader = grader

    @cached_property
    def _known(self) -> list[tuple[int, str, Grade]]:
        return self._graded(explain_misfits=True)

    @cached_property
    def _accepted(self) -> list[tuple[int, str, Grade]]:
        """The known wrong answers the API server accepts: all an accepted answer can repeat
        (a refused one neither behaves nor fails like it). Found without asking jsonschema
        to word the refusals, which is a tenth of a second of imports (or picked from the
        worded grades, when those were already made)."""
        graded = self._known if "_known" in self.__dict__ else self._graded(explain_misfits=False)
        return [known for known in graded if not known[2].problems]

    def _graded(self, explain_misfits: bool) -> list[tuple[int, str, Grade]]:
        out = []
        for i, wrong in enumerate(self.grader.exercise.wrong_answers):
            if not wrong.why.strip():
                continue
            grade = self.grader.grade(wrong.answer, explain_misfits=explain_misfits)
            if not grade.passed:  # a "wrong" answer that passes explains nothing
                out.append((i, wrong.why.strip(), grade))
        return out

    def find(self, grade: Grade, text: str = "") -> KnownMistake | None:
        """The wrong answer `grade` repeats, or None (always None for a passing grade).

        `text`, the answer graded, breaks ties: of two wrong answers that fail alike,
        the one written most like it is the one its author explained.
        """
        return self.closest(self.matches(grade), text)

    def matches(self, grade: Grade) -> list[KnownMistake]:
        """Every wrong answer `grade` repeats as well as any other does, in the exercise's
        order (more than one: the grader cannot tell them apart)."""
        if grade.passed:
            return []
        pool = self._known if grade.problems else self._accepted
        mine = _signature(grade)
        alike = [(i, why, known) for i, why, known in pool if _behaves_alike(grade, known)]
        # Two wrong answers may behave alike for different reasons: the one whose messages
        # match too explains this answer best.
        tiers = (
            ([c for c in alike if _signature(c[2]) == mine], "behaves like"),
            (alike, "behaves like"),
            ([c for c in pool if _signature(c[2]) == mine], "fails like"),
        )
        for candidates, how in tiers:
            if candidates:
                return [KnownMistake(why, i, how) for i, why, _ in candidates]
        return []

    def closest(self, matches: list[KnownMistake], text: str) -> KnownMistake | None:
        """Of `matches`, the wrong answer written most like `text` (the first without it)."""
        if len(matches) <= 1 or not text:
            return matches[0] if matches else None
        answers = self.grader.exercise.wrong_answers
        return max(
            matches,
            key=lambda m: difflib.SequenceMatcher(None, text, answers[m.index].answer).ratio(),
        )


def _failed_names(grade: Grade) -> frozenset[str]:
    return frozenset(c.name for c in grade.failed_checks())


def _behaves_alike(grade: Grade, known: Grade) -> bool:
    a, b = grade.world, known.world
    if a is None or b is None or _failed_names(grade) != _failed_names(known):
        return False
    if set(a.services.services) != set(b.services.services):
        return False
    if any(compare_services(a, b, key) for key in a.services.services):
        return False
    if routing(a) != routing(b):
        return False
    return compare_policies(a, b, grade.ports).counterexample is None


def _signature(grade: Grade) -> tuple:
    """What the learner is told, without the line numbers that differ between two texts."""
    if grade.problems:
        return ("refused", frozenset((p.field, _unlined(p.text())) for p in grade.problems))
    return (
        "failed",
        frozenset((c.name, _unlined(c.message)) for c in grade.failed_checks()),
    )


def _unlined(text: str) -> str:
    return _LINE.sub("", text)
