"""`pack`: the instructor's commands, to create and check lesson packs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from k8slearn.cli.common import EXIT_INVALID, InputError


@click.group()
def pack() -> None:
    """Create and check lesson packs (for instructors)."""


@pack.command("validate")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Surviving mutants are errors, not warnings.")
@click.option("--no-mutants", "no_mutants", is_flag=True, help="Skip mutation testing (faster).")
def pack_validate(path: Path, strict: bool, no_mutants: bool) -> None:
    """Check a pack: format, ids, files, and that every solution passes, every wrong answer
    fails, and every mutant of a solution that behaves differently fails too."""
    from k8slearn.packs.validate import validate_pack

    if not path.is_dir():
        raise InputError(f"{path}: no such folder")
    from k8slearn.packs.library import pack_folder_of

    path, note = pack_folder_of(path)  # a packaged pack's project folder names its pack
    if note:
        click.echo(note)
    report = validate_pack(path, mutate=not no_mutants, strict=strict)
    for p in report.problems:
        click.echo(p.located())
    if report.mutation:
        click.echo("mutation scores (mutants of each solution that its checks fail):")
        for line in report.mutation_lines():
            click.echo(line)
    click.echo(report.summary())
    sys.exit(0 if report.ok else EXIT_INVALID)


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
            f"to hand it out: `pip wheel --no-deps -w dist {path}`; learners `pip install` "
            "the wheel beside k8slearn (see its README.md)"
        )
