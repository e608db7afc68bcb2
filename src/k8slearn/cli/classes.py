"""`k8slearn class`: an instructor's view of a class, from the files learners hand in."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from k8slearn.cli.common import InputError


@click.group("class")
def class_group() -> None:
    """Collect a class's results (for instructors)."""


@class_group.command("report")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "csv", "html", "json"]),
    default="text",
    show_default=True,
    help="A table for the terminal, long-form CSV (one row per learner and exercise), "
    "a self-contained HTML page, or JSON.",
)
@click.option(
    "--out",
    "out",
    default=None,
    metavar="PATH",
    help="Write the report to PATH instead of standard output.",
)
def report(files: tuple[str, ...], output: str, out: str | None) -> None:
    """Aggregate learners' results into one class report.

    FILE is a learner's progress export (`k8slearn progress -o json > NAME.json`) or a drill
    JSON report (`k8slearn drill --report NAME.json`). Files of the same learner are merged:
    an exercise is passed if it was passed anywhere, and a drill already recorded in the
    learner's export is not counted twice.

    Exit 0 on success, 2 when a file cannot be read or is not such a report.
    """
    from k8slearn.progress.classreport import ReportFileError, load_class, render

    target = Path(out) if out is not None else None
    if target is not None:
        if target.is_dir():
            raise InputError(f"{out}: is a folder; --out takes a file name")
        if not target.parent.exists():
            raise InputError(f"{target.parent}: no such folder for --out; create it first")
    try:
        data = load_class([Path(f) for f in files])
    except ReportFileError as exc:
        raise InputError(str(exc)) from None
    for warning in data.warnings:
        click.echo(f"warning: {warning}", err=True)
    # The terminal's width on screen; a file or a pipe gets 100 columns.
    width = 100 if target is not None else shutil.get_terminal_size((100, 24)).columns
    text = render(data, output, width=max(60, width))
    if target is None:
        click.echo(text, nl=False)
        return
    try:
        target.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"{out}: cannot be written ({exc.strerror or exc})") from None
    click.echo(
        f"wrote {out}: {len(data.learners)} learner(s), {len(data.exercises)} exercise(s)",
        err=True,
    )
