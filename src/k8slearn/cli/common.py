"""What every command shares: exit codes, reading input, printing problems, the pack options.

Exit codes, for every command: 0 success, 1 the input was read but is wrong
(invalid manifest, failed check), 2 the command could not run (unreadable
file, bad option).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

LEARNER_VAR = "K8SLEARN_LEARNER"

EXIT_INVALID = 1
EXIT_USAGE = 2


class InputError(click.ClickException):
    """A file that cannot be read at all: exit code 2, one clear line."""

    exit_code = EXIT_USAGE


CLI_MAX_MIB = 64  # files named on the command line: a real cluster's export fits


def max_size_option(f):
    """`--max-size MIB`, for the commands that read whole clusters' exports."""
    return click.option(
        "--max-size",
        "max_size",
        type=click.IntRange(min=1),
        default=CLI_MAX_MIB,
        show_default=True,
        metavar="MIB",
        help="The largest input file read, in MiB: a guard against runaway input.",
    )(f)


def read_input(path: str, max_mib: int = CLI_MAX_MIB, flag: str | None = None) -> bytes:
    """Read a file (or `-` for standard input) as bytes, or fail with a clear message.

    A file larger than `max_mib` MiB is refused with its true size; `flag` names the
    option that raises the limit, where the command has one.
    """
    from k8slearn.manifests.loader import size_text

    limit = max_mib * 1024 * 1024

    def raise_it(mib: int) -> str:
        return f": raise it with {flag} {mib}" if flag else ""

    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError(
                f"standard input holds more than {size_text(limit)}{raise_it(2 * max_mib)}"
            )
        return data
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"{path}: is a folder; name a YAML or JSON file")
        size = p.stat().st_size
        if size > limit:
            need = -(-size // (1024 * 1024))
            raise InputError(
                f"{path} is {size:,} bytes ({size_text(size)}); the limit is "
                f"{size_text(limit)}" + raise_it(need)
            )
        with p.open("rb") as handle:
            data = handle.read(limit + 1)  # a file that grew while read is still bounded
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InputError(f"{path} grew past {size_text(limit)} while it was read")
    return data


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON, written as it is encoded: a 10,000-pod matrix is
    hundreds of MB of text, which need not also sit in memory as one string."""
    emit_chunks(json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(data))


def emit_chunks(chunks: Iterable[str]) -> None:
    """Write text given in pieces (e.g. `TruthTable.matrix_json()`), batched, then a newline."""
    out = sys.stdout
    batch: list[str] = []
    size = 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size > 1 << 16:
            out.write("".join(batch))
            batch, size = [], 0
    out.write("".join(batch) + "\n")
    out.flush()


def print_problem(name: str, p, err: bool = False) -> None:
    where = f"{name}:{p.where()}" if p.where() else name
    color = "red" if p.is_error else "yellow"
    click.echo(f"{where}: {click.style(p.severity, fg=color)}: {p.text()}", err=err)


def print_grade(name: str, grade) -> None:
    """A grade as `check` prints it (and `pack validate --feedback` previews it): each check,
    the warnings, the known mistake the answer repeats, the verdict."""
    for c in grade.checks:
        mark = click.style("✓", fg="green") if c.passed else click.style("✗", fg="red")
        where = f" ({name}:{c.line})" if c.line and not c.passed else ""
        click.echo(f"{mark} {c.name}: {c.message}{where}")
    for w in grade.warnings:
        print_problem(name, w)
    if grade.known_mistake is not None:
        click.echo(
            click.style("A known mistake: ", fg="magenta", bold=True) + grade.known_mistake.why
        )
    verdict = (
        click.style("PASSED", fg="green", bold=True)
        if grade.passed
        else click.style("NOT YET", fg="red", bold=True)
    )
    failed = len(grade.failed_checks())
    click.echo(
        f"{grade.exercise_id}: {verdict}" + (f" ({failed} check(s) to fix)" if failed else "")
    )


def pack_options(command: Callable) -> Callable:
    """`--pack PATH` (repeatable) and `--no-builtin`: which packs the command sees.

    The same options given before the command (`k8slearn --no-builtin --pack X drill`)
    count too.
    """
    command = click.option(
        "--no-builtin",
        "no_builtin",
        is_flag=True,
        help="Leave the built-in pack out: only packs from --pack, K8SLEARN_PACKS and installed "
        "pack packages (also: K8SLEARN_NO_BUILTIN=1).",
    )(command)
    return click.option(
        "--pack",
        "packs",
        multiple=True,
        metavar="PATH",
        help="A lesson pack folder; repeatable (also: K8SLEARN_PACKS).",
    )(command)


def learner_option(command: Callable) -> Callable:
    """`--learner NAME`: who is learning, as reports and exports name them."""
    return click.option(
        "--learner",
        "learner_given",
        default=None,
        metavar="NAME",
        envvar=LEARNER_VAR,
        help=f"Your name in reports and exports (also: {LEARNER_VAR}; default: your login name).",
    )(command)


def _root_params() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().params if ctx is not None else None) or {}


def learner(name: str | None = None) -> str:
    """The learner's name: the command's --learner, the app's, the environment, the login."""
    from k8slearn.progress.identity import learner_name

    return learner_name(name or _root_params().get("learner_given"))


def load_packs(packs: tuple[str, ...] = (), no_builtin: bool = False):
    """The library for a command, its problems on stderr; exit 2 when it holds no pack."""
    from k8slearn.packs.library import load_library

    root = _root_params()
    packs = (*(root.get("packs") or ()), *packs)
    no_builtin = no_builtin or bool(root.get("no_builtin"))
    library = load_library(packs, no_builtin=no_builtin)
    for p in library.problems:
        click.echo(p.located(), err=True)
    if not library.packs:
        raise InputError(
            "no lesson pack to use: with --no-builtin (or K8SLEARN_NO_BUILTIN), give one with "
            "--pack PATH or K8SLEARN_PACKS, or install a pack package"
        )
    return library
