"""`k8slearn check` for predict exercises: grade a table file, or print one to fill in.

The parsing and grading live in `k8slearn.drills.predict_table`; this module
only prints, records the attempt and exits like `check` does for manifests.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from k8slearn.cli.common import EXIT_INVALID, InputError, emit_json, print_problem, read_input

if TYPE_CHECKING:
    from k8slearn.packs.model import Exercise


def _task(exercise: Exercise):
    from k8slearn.drills.predict import PredictError, make_task

    try:
        return make_task(exercise)
    except PredictError as exc:
        raise InputError(f"the exercise is broken: {exc}") from None


def print_template(exercise: Exercise) -> None:
    """A blank answer: a predict exercise's table, or a build exercise's starter."""
    if exercise.kind == "predict":
        from k8slearn.drills.predict_table import blank_table

        click.echo(blank_table(_task(exercise)), nl=False)
        return
    if not exercise.starter.strip():
        raise InputError(
            f"{exercise.qualified_id} has no starter: write the manifests from scratch"
        )
    click.echo(exercise.starter, nl=not exercise.starter.endswith("\n"))


def check_prediction(
    exercise: Exercise,
    answer_file: str,
    pack: dict[str, str],
    learner: str,
    output: str,
    no_record: bool,
) -> NoReturn:
    """Grade a table file; exit 0 passed, 1 a wrong cell, 2 a table that cannot be graded."""
    from k8slearn.drills.predict_table import grade_table, read_table

    task = _task(exercise)
    answer = read_table(task, read_input(answer_file))
    if not answer.ok:
        errors = [p for p in answer.problems if p.is_error]
        for p in errors:
            print_problem(answer_file, p, err=True)
        count = len(errors)
        raise InputError(
            f"{answer_file}: the table cannot be graded ({count} problem{'s' * (count != 1)} above)"
        )
    grade = grade_table(task, answer)
    if not no_record:
        _record(exercise, grade.passed, [c.name for c in grade.failed_checks()])
    if output == "json":
        data: dict[str, Any] = {
            "exercise": grade.exercise_id,
            "learner": learner,
            "pack": pack,
            "passed": grade.passed,
            "checks": [
                {"name": c.name, "passed": c.passed, "message": c.message} for c in grade.checks
            ],
            "warnings": [],
        }
        emit_json(data)
    else:
        for c in grade.checks:
            if c.passed:
                click.echo(f"{click.style('✓', fg='green')} {c.name}: {c.message}")
                continue
            where = f" ({answer_file}:{c.line})" if c.line else ""
            said = f"you said {_word(c.said)}, but it is {_word(c.actual)}"
            click.echo(f"{click.style('✗', fg='red')} {c.name}: {said}{where}")
            for line in c.why:
                click.echo(f"  {line.strip()}")
        failed = len(grade.failed_checks())
        verdict = (
            click.style("PASSED", fg="green", bold=True)
            if grade.passed
            else click.style("NOT YET", fg="red", bold=True)
        )
        click.echo(
            f"{grade.exercise_id} (port {grade.port}/{grade.protocol}): {verdict}"
            + (f" ({failed} cell(s) to fix)" if failed else "")
        )
    sys.exit(0 if grade.passed else EXIT_INVALID)


def _word(allowed: bool) -> str:
    return "allowed" if allowed else "denied"


def _record(exercise: Exercise, passed: bool, wrong: list[str]) -> None:
    """The attempt goes into the same history as the app's, named by its wrong cells."""
    from k8slearn.progress.schedule import review
    from k8slearn.progress.store import open_store

    store = open_store()
    store.record_attempt(exercise.qualified_id, passed, wrong, source="cli")
    review(store, exercise.qualified_id, exercise.tags, passed)
    if store.warning:
        click.echo(f"warning: {store.warning}", err=True)
