"""`k8slearn pack validate`: is this pack fit to teach from?

Beyond the format (schema, ids, files, paths that stay inside the pack), every
exercise is graded against itself: its solution must pass, and each of its
wrong answers must fail — a wrong answer that passes means the checks do not
catch the mistake the instructor meant to teach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from k8slearn.grading.grader import ExerciseError, Grader
from k8slearn.packs.format import Pack, load_pack, resolved
from k8slearn.problems import Problem


@dataclass
class PackReport:
    root: Path
    pack: Pack | None
    problems: list[Problem] = field(default_factory=list)
    exercises: int = 0
    solutions_passed: int = 0
    wrong_answers: int = 0
    wrong_answers_failed: int = 0

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def summary(self) -> str:
        errors = sum(p.is_error for p in self.problems)
        if self.pack is None:
            return f"{self.root}: not a usable pack ({errors} problem{'s' * (errors != 1)})"
        state = "OK" if self.ok else f"{errors} problem{'s' * (errors != 1)}"
        return (
            f"pack {self.pack.id} {self.pack.version}: {len(self.pack.lessons)} lessons, "
            f"{self.exercises} exercises; solutions passing {self.solutions_passed}/{self.exercises}, "
            f"wrong answers failing {self.wrong_answers_failed}/{self.wrong_answers}: {state}"
        )


def validate_pack(root: Path) -> PackReport:
    pack, problems = load_pack(root)
    report = PackReport(root=root, pack=pack, problems=list(problems))
    if pack is None:
        return report
    shown = (resolved(root) or root).parent
    for ex in pack.exercises():
        report.exercises += 1
        file = str((resolved(ex.file) or ex.file).relative_to(shown))
        if ex.kind == "predict":
            found = _check_predict(ex, file)
            report.problems.extend(found)
            report.solutions_passed += not found  # a predict exercise's "solution" is the engine
            continue
        try:
            grader = Grader(ex)
            grade = grader.grade(ex.solution)
        except ExerciseError as exc:
            report.problems.append(Problem(str(exc), file=file, line=ex.line_of("scenario")))
            continue
        if grade.passed:
            report.solutions_passed += 1
        else:
            failed = "; ".join(f"{c.name}: {c.message}" for c in grade.failed_checks()[:3])
            report.problems.append(
                Problem(
                    f"exercise {ex.id}: the solution does not pass: {failed}",
                    file=file,
                    line=ex.line_of("solution"),
                )
            )
        for i, wrong in enumerate(ex.wrong_answers):
            report.wrong_answers += 1
            try:
                wrong_passes = grader.grade(wrong.answer).passed
            except ExerciseError:
                continue  # the broken solution is reported above; this answer cannot be judged
            if wrong_passes:
                report.problems.append(
                    Problem(
                        f"exercise {ex.id}: wrong answer {i + 1} passes every check, so the mistake it "
                        f"shows ({wrong.why.strip()[:80]}) goes unnoticed",
                        file=file,
                        line=wrong.line,
                        hint="add a check that catches it (a connectivity cell, endpoints, or "
                        "`reachability: solution`)",
                    )
                )
            else:
                report.wrong_answers_failed += 1
    return report


def _check_predict(ex, file: str) -> list[Problem]:
    """A predict exercise needs valid manifests and cells naming pods or hosts of its scenario."""
    from k8slearn.drills.predict import PredictError, make_task
    from k8slearn.manifests.validate import validate_text

    problems = []
    report = validate_text(ex.manifests)
    for p in report.all_problems():
        if p.is_error:
            problems.append(
                Problem(
                    f"exercise {ex.id}: manifests line {p.line}: {p.text()}",
                    file=file,
                    line=ex.line_of("manifests"),
                )
            )
    if not problems:
        try:
            make_task(ex)
        except PredictError as exc:
            problems.append(Problem(str(exc), file=file, line=ex.line_of("predict")))
    return problems
