"""What every command shares: exit codes, reading input, printing problems, the pack options.

Exit codes, for every command: 0 success, 1 the input was read but is wrong
(invalid manifest, failed check), 2 the command could not run (unreadable
file, bad option).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

EXIT_INVALID = 1
EXIT_USAGE = 2


class InputError(click.ClickException):
    """A file that cannot be read at all: exit code 2, one clear line."""

    exit_code = EXIT_USAGE


def read_input(path: str) -> bytes:
    """Read a file (or `-` for standard input) as bytes, or fail with a clear message."""
    if path == "-":
        return sys.stdin.buffer.read()
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"{path}: is a folder; name a YAML or JSON file")
        with p.open("rb") as handle:
            data = handle.read(1024 * 1024 + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return data


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_problem(name: str, p, err: bool = False) -> None:
    where = f"{name}:{p.where()}" if p.where() else name
    color = "red" if p.is_error else "yellow"
    click.echo(f"{where}: {click.style(p.severity, fg=color)}: {p.text()}", err=err)


pack_option = click.option(
    "--pack",
    "packs",
    multiple=True,
    metavar="PATH",
    help="An extra lesson pack folder; repeatable (also: K8SLEARN_PACKS).",
)


def load_packs(packs: tuple[str, ...]):
    from k8slearn.packs.library import load_library

    library = load_library(packs)
    for p in library.problems:
        click.echo(p.located(), err=True)
    return library
