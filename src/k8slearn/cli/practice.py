"""`k8slearn shell`: practise an exercise the exam's way, with the real kubectl.

The learner's own shell (their aliases, completion and editor) runs with
KUBECONFIG pointing at a stand-in API server that serves the exercise's world
from the offline model; `k8slearn check` inside grades what kubectl made of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import click

from k8slearn.cli.common import InputError, learner_option, load_packs, pack_options


@click.command()
@click.argument("exercise")
@pack_options
@learner_option
@click.option(
    "-c",
    "commands",
    default=None,
    metavar="COMMANDS",
    help="Run COMMANDS with `bash -c` in the practice environment and exit with their "
    "status, instead of opening your shell.",
)
@click.option(
    "--reset",
    is_flag=True,
    help="Forget what you did in this exercise's practice cluster and start from its scenario.",
)
def shell(
    exercise: str,
    packs: tuple[str, ...],
    no_builtin: bool,
    learner_given: str | None,
    commands: str | None,
    reset: bool,
) -> None:
    """Open your shell on EXERCISE's practice cluster, with kubectl talking to it.

    kubectl works on the exercise's namespaces, pods and Services as on a real
    cluster (get, describe, expose, create, apply, label, edit, patch, delete,
    explain); `kubectl exec POD -- wget|curl|nc|nslookup …` is answered from the
    model. Run `k8slearn check` inside to grade the cluster's state. What you do
    is kept until `k8slearn shell EXERCISE --reset`.
    """
    from k8slearn.practice.session import (
        PracticeError,
        PracticeSession,
        reset_state,
    )
    from k8slearn.progress.store import open_store

    library = load_packs(packs, no_builtin)
    found, why = library.find(exercise)
    if found is None:
        raise InputError(why)
    if found.kind != "build":
        raise InputError(
            f"{found.qualified_id} is a predict exercise (a table to fill in); the practice "
            "cluster is for exercises you solve by making objects"
        )
    store = open_store(threads=True)
    try:
        if reset:
            reset_state(found, store)
            click.echo(f"{found.qualified_id}: the practice cluster starts again from its scenario")
        with PracticeSession(found, store) as session:
            env = session.environment()
            if commands is not None:
                done = subprocess.run(["bash", "-c", commands], env=env)
                sys.exit(done.returncode)
            _banner(found, session)
            status = _interactive(env, session)
    except PracticeError as exc:
        raise InputError(str(exc)) from None
    finally:
        if store.warning:
            click.echo(f"warning: {store.warning}", err=True)
    click.echo(
        f"\nLeft the practice cluster of {found.qualified_id}; what you did is kept "
        f"(`k8slearn shell {found.qualified_id}` to go on, `--reset` to start over)."
    )
    sys.exit(status)


def _banner(exercise, session) -> None:
    click.echo(click.style(f"{exercise.qualified_id}: {exercise.title}", bold=True))
    click.echo(textwrap.indent(exercise.prompt.strip(), "  "))
    click.echo(
        f"\nkubectl now talks to this exercise's practice cluster "
        f"(current namespace: {exercise.namespace}).\n"
        "  k8slearn check   grade what the cluster holds now\n"
        "  kubectl exec POD -- wget -qO- --timeout=2 NAME:PORT\n"
        "                   test a connection: the model answers wget, curl, nc,\n"
        "                   nslookup and getent as the cluster would\n"
        "  exit             leave; the cluster is kept\n"
    )


def _interactive(env: dict[str, str], session) -> int:
    """Run the learner's shell; bash gets a prompt that says where it is."""
    shell_path = os.environ.get("SHELL") or "/bin/sh"
    argv = [shell_path]
    if os.path.basename(shell_path) == "bash":
        rc = session.folder / "bashrc"
        rc.write_text(
            '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n'
            f'PS1="(k8slearn {session.exercise.id}) $PS1"\n',
            encoding="utf-8",
        )
        argv = [shell_path, "--rcfile", str(rc), "-i"]
    try:
        return subprocess.run(argv, env=env).returncode
    except OSError as exc:
        raise InputError(f"cannot start your shell {shell_path}: {exc}") from None
