"""The learner's commands: `list`, `check`, `open`, `drill` and `progress`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from k8slearn.cli.common import (
    EXIT_INVALID,
    EXIT_USAGE,
    InputError,
    emit_json,
    learner,
    learner_option,
    load_packs,
    pack_options,
    print_grade,
    read_input,
)


@click.command("list")
@pack_options
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
def list_command(packs: tuple[str, ...], no_builtin: bool, output: str) -> None:
    """List packs, lessons and exercises."""
    library = load_packs(packs, no_builtin)
    if output == "json":
        emit_json(
            [
                {
                    "pack": ex.pack_id,
                    "lesson": ex.lesson_id,
                    "id": ex.id,
                    "title": ex.title,
                    "tags": ex.tags,
                }
                for ex in library.exercises()
            ]
        )
        return
    for pack in library.packs:
        click.echo(click.style(f"{pack.id}", bold=True) + f"  {pack.title} (v{pack.version})")
        for lesson in pack.lessons:
            click.echo(f"  {lesson.title}")
            for ex in lesson.exercises:
                tags = f"  [{', '.join(ex.tags)}]" if ex.tags else ""
                click.echo(f"    {pack.id}/{ex.id}  {ex.title}{click.style(tags, dim=True)}")


@click.command()
@click.argument("exercise", required=False)
@click.argument("answer_file", required=False)
@pack_options
@learner_option
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@click.option("--no-record", is_flag=True, help="Do not record this attempt in your progress.")
@click.option(
    "--template",
    is_flag=True,
    help="Print a blank answer to fill in (a predict exercise's table, else the starter).",
)
@click.option(
    "-n",
    "--namespace",
    default=None,
    metavar="NS",
    help="The current namespace, as `kubectl -n`: manifests without one land there "
    "(default: the exercise's).",
)
def check(
    exercise: str | None,
    answer_file: str | None,
    packs: tuple[str, ...],
    no_builtin: bool,
    learner_given: str | None,
    output: str,
    no_record: bool,
    template: bool,
    namespace: str | None,
) -> None:
    """Grade ANSWER_FILE as an answer to EXERCISE (`pack/exercise`, or a unique exercise id).

    Without ANSWER_FILE, grade what EXERCISE's practice cluster holds (see `k8slearn
    shell`); inside a practice shell, EXERCISE defaults to the one it practises.
    A predict exercise is answered with a table file (`--template` prints one).
    Exit 0 when it passes, 1 when it does not (invalid YAML or manifests, or a
    wrong cell, included), 2 for an unknown exercise or an unreadable file.
    """
    from k8slearn.grading.grader import ExerciseError, Grader

    if exercise is None:
        import os

        from k8slearn.practice.session import PRACTICE_VAR

        exercise = os.environ.get(PRACTICE_VAR)
        if not exercise:
            raise click.UsageError(
                "Missing argument 'EXERCISE' (it may be left out only inside `k8slearn shell`)."
            )
    library = load_packs(packs, no_builtin)
    found, why = library.find(exercise)
    if found is None:
        raise InputError(why)
    from k8slearn.cli import predict_check

    if template:
        predict_check.print_template(found)
        return
    if answer_file is None and found.kind == "predict":
        raise click.UsageError("Missing argument 'ANSWER_FILE' (or give --template).")
    if found.kind == "predict":
        if namespace is not None:
            raise InputError("-n/--namespace has no meaning for a predict exercise")
        predict_check.check_prediction(
            found, answer_file, _pack_of(library, found), learner(learner_given), output, no_record
        )
    from k8slearn.manifests import names

    if namespace is not None and not names.is_dns1123_label(namespace):
        raise InputError(f"{namespace!r} is not a namespace name (a DNS-1123 label)")
    if answer_file is None:
        from k8slearn.practice.session import practice_answer

        try:
            text, scenario = practice_answer(found)
        except LookupError as exc:
            raise InputError(str(exc)) from None
        answer_file = "practice cluster"
        if not text.strip():
            click.echo(
                f"✗ the practice cluster of {found.qualified_id} holds nothing of yours yet: "
                "make the objects the exercise asks for with kubectl, then check again"
            )
            sys.exit(EXIT_INVALID)
    else:
        text, scenario = read_input(answer_file), None
    try:
        grader = Grader(found, namespace, scenario=scenario)
        grade = grader.grade(text)
        if not grade.passed:
            from k8slearn.grading.mistakes import MistakeFinder

            grade.known_mistake = MistakeFinder(grader).find(grade, text)
    except ExerciseError as exc:
        raise InputError(f"the exercise is broken: {exc}") from None
    if scenario is not None:
        _drop_lines(grade)
    if not no_record:
        from k8slearn.progress.store import open_store

        store = open_store()
        store.record_attempt(
            found.qualified_id,
            grade.passed,
            [c.name for c in grade.failed_checks()],
            source="cli" if scenario is None else "shell",
        )
        from k8slearn.progress.schedule import review

        review(store, found.qualified_id, found.tags, grade.passed)
        if store.warning:
            click.echo(f"warning: {store.warning}", err=True)
    if output == "json":
        data = grade.to_dict()
        emit_json(
            {
                "exercise": data["exercise"],
                "learner": learner(learner_given),
                "pack": _pack_of(library, found),
                "passed": data["passed"],
                "checks": [
                    {"name": c["name"], "passed": c["passed"], "message": c["message"]}
                    for c in data["checks"]
                ],
                "warnings": data["warnings"],
                **({"known_mistake": data["known_mistake"]} if "known_mistake" in data else {}),
            }
        )
    else:
        print_grade(answer_file, grade)
    sys.exit(0 if grade.passed else EXIT_INVALID)


def _drop_lines(grade) -> None:
    """A practice cluster's answer is YAML written for the grader, not by the learner:
    its line numbers would point at nothing they can open."""
    from dataclasses import replace

    grade.checks = [replace(c, line=None) for c in grade.checks]
    grade.problems = [replace(p, line=None, column=None) for p in grade.problems]
    grade.warnings = [replace(w, line=None, column=None) for w in grade.warnings]


def _pack_of(library, exercise) -> dict[str, str]:
    pack = next(p for p in library.packs if p.id == exercise.pack_id)
    return {"id": pack.id, "version": pack.version}


@click.command("open")
@click.argument("exercise")
@click.option(
    "--answer",
    "answer_file",
    default=None,
    metavar="FILE",
    help="Start the editor with this file instead of your saved draft.",
)
@pack_options
@learner_option
def open_command(
    exercise: str,
    answer_file: str | None,
    packs: tuple[str, ...],
    no_builtin: bool,
    learner_given: str | None,
) -> None:
    """Open the app straight on EXERCISE, with the editor focused.

    The editor holds FILE when given, else your saved draft, else the starter.
    """
    from k8slearn.gcpause import hold_collector_for_start_up

    hold_collector_for_start_up()  # the app's start-up: its imports and the packs
    library = load_packs(packs, no_builtin)
    found, why = library.find(exercise)
    if found is None:
        raise InputError(why)
    answer = None
    if answer_file is not None:
        raw = read_input(answer_file)
        try:
            answer = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{answer_file}: not UTF-8 text") from None
    from k8slearn.tui.app import run_app

    run_app(library, found, answer, learner=learner(learner_given))


@click.command()
@pack_options
@learner_option
@click.option(
    "--tags", "tags", multiple=True, metavar="TAG", help="Only exercises with this tag; repeatable."
)
@click.option(
    "--count", default=5, show_default=True, type=click.IntRange(1, 100), help="How many exercises."
)
@click.option(
    "--minutes",
    default=15.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Time limit.",
)
@click.option(
    "--kind",
    type=click.Choice(["mixed", "build", "predict", "kubectl"]),
    default="mixed",
    show_default=True,
    help="Write manifests, predict tables, type kubectl commands, or a mix.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the results as JUnit XML (.xml) or JSON (any other name).",
)
def drill(
    packs: tuple[str, ...],
    no_builtin: bool,
    learner_given: str | None,
    tags: tuple[str, ...],
    count: int,
    minutes: float,
    kind: str,
    report: Path | None,
) -> None:
    """A timed self-check drill in the app: due reviews first, then new exercises.

    \b
    Quitting (ctrl+q) or stopping (Esc) with an item unanswered abandons the drill: the
    report is still written, marked "abandoned": true (JUnit: a property abandoned=true),
    and the unanswered items count as skipped.
    Exit 0 when the drill ran to its end (every item answered, or the time ran out),
    1 when it was abandoned, 2 when it could not start (a bad option, a missing report
    folder, no exercise to drill).
    """
    from k8slearn.tui.app import DrillOptions, run_app

    if minutes != minutes:  # NaN slips through FloatRange
        raise click.BadParameter("must be a number of minutes", param_hint="--minutes")
    if report is not None and not report.parent.exists():
        raise InputError(f"{report.parent}: no such folder for the report")
    library = load_packs(packs, no_builtin)
    if tags:
        known = {t for ex in library.exercises() for t in ex.tags}
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise InputError(
                f"no exercise has tag {unknown[0]!r}; tags: {', '.join(sorted(known))}"
            )
    drills = run_app(
        library,
        drill=DrillOptions(count, minutes, tags, kind, report),
        learner=learner(learner_given),
    )
    if not drills:
        click.echo("No drill was run (see the app's message), so no report was written.", err=True)
        sys.exit(EXIT_USAGE)
    if drills[0].drill.abandoned:
        click.echo(
            "The drill was stopped before its end"
            + (f"; the report in {report} says so." if report is not None else "."),
            err=True,
        )
        sys.exit(EXIT_INVALID)


@click.command()
@pack_options
@learner_option
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
def progress(
    packs: tuple[str, ...], no_builtin: bool, learner_given: str | None, output: str
) -> None:
    """Where you stand: per pack and lesson, accuracy, reviews due, streak and drills."""
    from k8slearn.progress.report import progress_report
    from k8slearn.progress.store import open_store

    library = load_packs(packs, no_builtin)
    store = open_store()
    if store.warning:
        click.echo(f"warning: {store.warning}", err=True)
    data = progress_report(library, store, learner=learner(learner_given))
    if output == "json":
        emit_json(data)
        return
    ex = data["exercises"]
    click.echo(
        f"{ex['done']}/{ex['total']} exercises passed · accuracy {data['accuracy']:.0%} · "
        f"{data['due']} due for review · streak {data['streak']} day(s)"
    )
    for lesson in data["lessons"]:
        click.echo(f"  {lesson['pack']}/{lesson['lesson']}: {lesson['done']}/{lesson['total']}")
    if data["weakConcepts"]:
        click.echo(
            "weak concepts: "
            + ", ".join(f"{w['tag']} ({w['rate']:.0%})" for w in data["weakConcepts"])
        )
    if data["drills"]:
        last = data["drills"][-1]
        click.echo(f"last drill: {last['score']:g}/{last['total']} on {last['started'][:10]}")
