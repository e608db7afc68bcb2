"""`pack`: the instructor's commands, to create and check lesson packs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from k8slearn.cli.common import EXIT_INVALID, InputError, emit_json, print_grade


@click.group()
def pack() -> None:
    """Create and check lesson packs (for instructors)."""


@pack.command("validate")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Surviving mutants are errors, not warnings.")
@click.option("--no-mutants", "no_mutants", is_flag=True, help="Skip mutation testing (faster).")
@click.option(
    "--feedback",
    is_flag=True,
    help="Preview, for every wrong answer, what a learner who writes it is told.",
)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
def pack_validate(path: Path, strict: bool, no_mutants: bool, feedback: bool, output: str) -> None:
    """Check a pack: format, ids, files, and that every solution passes, every wrong answer
    fails, and every mutant of a solution that behaves differently fails too.

    Every problem of every file is reported (errors, and warnings for what
    works but may not be what you meant); exit 1 when there is an error.
    """
    from k8slearn.packs.validate import validate_pack

    if not path.is_dir():
        raise InputError(f"{path}: no such folder")
    from k8slearn.packs.library import pack_folder_of

    path, note = pack_folder_of(path)  # a packaged pack's project folder names its pack
    if note and output != "json":
        click.echo(note)
    report = validate_pack(
        path, mutate=not no_mutants, strict=strict, feedback=feedback, practice=_practice_cluster
    )
    if output == "json":
        emit_json(
            {
                "ok": report.ok,
                "summary": report.summary(),
                "pack": (
                    {"id": report.pack.id, "version": report.pack.version} if report.pack else None
                ),
                "problems": [
                    {
                        "file": p.file,
                        "line": p.line,
                        "column": p.column,
                        "severity": p.severity,
                        "field": p.field,
                        "message": p.message,
                        "hint": p.hint,
                    }
                    for p in report.problems
                ],
                "mutation": {
                    exercise: {
                        "killed": len(r.killed),
                        "different": r.different,
                        "survived": [m.name for m in r.survived],
                        "equivalent": len(r.equivalent),
                    }
                    for exercise, r in report.mutation.items()
                },
                **({"feedback": [f.to_dict() for f in report.feedback]} if feedback else {}),
            }
        )
        sys.exit(0 if report.ok else EXIT_INVALID)
    if feedback:
        _print_feedback(report)
    for p in report.problems:
        click.echo(p.located())
    if report.mutation:
        click.echo("mutation scores (mutants of each solution that its checks fail):")
        for line in report.mutation_lines():
            click.echo(line)
    click.echo(report.summary())
    sys.exit(0 if report.ok else EXIT_INVALID)


def _practice_cluster(exercise):
    """A fresh practice cluster of `exercise`, saved nowhere: to prove its `kubectl:` lines."""
    from k8slearn.practice.session import scratch_cluster

    return scratch_cluster(exercise)


_FLAGS = {
    "another why": "this is the why of wrong answer {other}, not this answer's own: the two "
    "fail alike, so a learner who writes this one never reads its why",
    "no why": "no known mistake matches, so a learner is told only which checks fail",
    "passes": "this wrong answer passes: a learner who writes it is told it is right",
    "twin": "behaves exactly like wrong answer {other}: the grader cannot tell the two apart, "
    "so a learner whose answer fails this way reads the why of the one their text resembles more",
}


def _print_feedback(report) -> None:
    """Per wrong answer, exactly what `check` prints for it (answer lines as the learner's)."""
    exercises = {f.exercise.qualified_id for f in report.feedback}
    click.echo(
        click.style("What a learner who writes each wrong answer is told", bold=True)
        + f" ({len(report.feedback)} wrong answers of {len(exercises)} exercises)"
    )
    for f in report.feedback:
        click.echo("")
        place = f"{f.file}:{f.line}" if f.line else f.file
        click.echo(
            click.style(f"── {f.exercise.qualified_id}, wrong answer {f.index + 1}", bold=True)
            + f"  ({place})"
        )
        print_grade("answer.yaml", f.grade)
        if f.flag:
            known = f.grade.known_mistake
            other = (f.twin if f.flag == "twin" else known.index if known else -1) + 1
            click.echo(
                click.style("⚠ ", fg="yellow", bold=True) + _FLAGS[f.flag].format(other=other)
            )
    if report.feedback:
        click.echo("")


@pack.command("new")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--package",
    is_flag=True,
    help="Make PATH a Python project holding the pack, installable with pip; "
    "k8slearn finds the installed pack by its entry point (group k8slearn.packs).",
)
def pack_new(path: Path, package: bool) -> None:
    """Create a new pack at PATH that passes `pack validate` as it is."""
    from k8slearn.packs.scaffold import ScaffoldError, new_pack

    try:
        files = new_pack(path, package=package)
    except ScaffoldError as exc:
        raise InputError(str(exc)) from None
    for f in files:
        click.echo(f"created {f}")
    click.echo(f"next: edit the files, then run `k8slearn pack validate {path}`")
    if package:
        click.echo(
            f"to hand it out: `pip wheel --no-deps -w dist {_pip_path(path)}`; learners `pip install` "
            "the wheel beside k8slearn (see its README.md)"
        )


def _pip_path(path: Path) -> str:
    """How to name a local folder to pip: `name` alone would be looked up on PyPI."""
    text = str(path)
    return text if path.is_absolute() or text.startswith(".") else f"./{text}"
