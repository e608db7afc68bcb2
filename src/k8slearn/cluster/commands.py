"""The commands the main CLI registers: `k8slearn cluster up|down|status|doctor|verify`
and `k8slearn verify`.

Only click is imported here at start-up; each command imports what it needs
when it runs (the kubernetes client only when a run talks to a cluster).

Exit codes, as everywhere in k8slearn: 0 success; 1 the input was read but is
wrong (an invalid answer, cells where cluster and model differ, connections
that do not behave as the exercise asks, a failed doctor check, an unreachable
cluster for `status`); 2 the command could not run (unknown exercise,
unreadable file, no safe context, no cluster, a cluster that does not enforce
policies, a timeout, Ctrl-C).
"""

from __future__ import annotations

import sys

import click

from k8slearn.cli.common import emit_json, pack_options

EXIT_INVALID = 1
EXIT_USAGE = 2


def _style(text: str, role: str) -> str:
    if role == "differ":
        return click.style(text, fg="red", bold=True)
    if role == "heading":
        return click.style(text, bold=True)
    if role in ("unverifiable", "dim"):
        return click.style(text, dim=True)
    return text


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"{click.style('error', fg='red')}: {message}", err=True)
    sys.exit(code)


@click.group("cluster")
def cluster() -> None:
    """A local kind cluster to verify answers on (needs Docker, kind and kubectl).

    `up` creates it, `verify` runs an answer on it, `down` deletes it;
    `status` and `doctor` say what is there and what is missing.
    """


@cluster.command("up")
def up_command() -> None:
    """Create the kind cluster `k8slearn` (network policies enforced)."""
    from k8slearn.cluster.kind import ToolError, up

    click.echo(
        "creating the kind cluster k8slearn (the first time pulls a node image: a few minutes)",
        err=True,
    )
    try:
        message = up(on_line=lambda line: click.echo(f"  {line}", err=True))
    except ToolError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; `k8slearn cluster down` removes a half-made cluster")
    click.echo(message)


@cluster.command("down")
def down_command() -> None:
    """Delete the kind cluster `k8slearn`."""
    from k8slearn.cluster.kind import ToolError, down

    try:
        message = down(on_line=lambda line: click.echo(f"  {line}", err=True))
    except ToolError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted")
    click.echo(message)


@cluster.command("status")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
def status_command(output: str) -> None:
    """Whether the cluster exists and answers, and the versions of the tools.

    Exit 0 when the cluster answers, 1 when it does not.
    """
    from k8slearn.cluster.kind import status

    st = status()
    if output == "json":
        emit_json(st.to_json())
    else:
        for line in st.lines():
            click.echo(line)
    sys.exit(0 if st.reachable else EXIT_INVALID)


@cluster.command("doctor")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
def doctor_command(output: str) -> None:
    """Check docker, kind, kubectl and the kubeconfig context; say how to fix what is missing.

    Exit 0 when everything is in place, 1 otherwise.
    """
    from k8slearn.cluster.kind import doctor

    checks = doctor()
    ok = all(c.ok for c in checks)
    if output == "json":
        emit_json({"ok": ok, "checks": [c.to_json() for c in checks]})
    else:
        for c in checks:
            mark = click.style("✓", fg="green") if c.ok else click.style("✗", fg="red")
            click.echo(f"{mark} {c.name}: {c.detail}")
            if not c.ok and c.fix:
                click.echo(f"    → {c.fix}")
        missing = [c for c in checks if not c.ok]
        if missing:
            click.echo(f"{len(missing)} thing(s) to fix before `k8slearn verify` can run")
        else:
            click.echo("all set: `k8slearn verify EXERCISE ANSWER_FILE`")
    sys.exit(0 if ok else EXIT_INVALID)


@click.command("verify")
@click.argument("exercise")
@click.argument("answer_file")
@click.option(
    "--context",
    "context",
    default=None,
    metavar="CTX",
    help="Kube context to use (default: kind-k8slearn, or the current context if it is a kind one).",
)
@click.option("--yes", is_flag=True, help="Confirm a --context that is not a kind cluster.")
@click.option(
    "--plan",
    "plan_only",
    is_flag=True,
    help="Print every object verify would create and every probe it would run; touch no cluster.",
)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@pack_options
def verify(
    exercise: str,
    answer_file: str,
    context: str | None,
    yes: bool,
    plan_only: bool,
    output: str,
    packs: tuple[str, ...],
    no_builtin: bool,
) -> None:
    """Run ANSWER_FILE for EXERCISE on a real kind cluster and compare with the offline model.

    Creates the exercise's namespaces and pods, proves the cluster enforces
    NetworkPolicy (a default-deny canary), applies your answer, probes every
    connection the exercise expects from inside the pods, asks cluster DNS the
    names its ExternalName and headless Services and lookups are about, shows
    what the cluster did beside what the model predicted, and cleans up.
    Everything it creates is labelled app.kubernetes.io/managed-by=k8slearn.

    Exit 0 when the cluster agrees with the model and your answer's connections
    behave as the exercise asks, 1 when not (or the answer is invalid), 2 when
    verify could not run (no safe context or cluster, policies not enforced, Ctrl-C).
    """
    from k8slearn.cli.common import InputError, load_packs, read_input
    from k8slearn.cluster.plan import PlanError, plan_verification

    library = load_packs(packs, no_builtin)
    found, why = library.find(exercise)
    if found is None:
        raise InputError(why)
    raw = read_input(answer_file)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{answer_file}: not UTF-8 text") from None
    try:
        plan = plan_verification(found, text)
    except PlanError as exc:
        if output == "json":
            emit_json(
                {
                    "exercise": found.qualified_id,
                    "error": str(exc),
                    "problems": [{"line": p.line, "message": p.text()} for p in exc.problems],
                }
            )
        for p in exc.problems:
            where = f"{answer_file}:{p.where()}" if p.where() else answer_file
            click.echo(f"{where}: {click.style('error', fg='red')}: {p.text()}", err=True)
        _fail(str(exc), EXIT_INVALID)
        return
    if plan_only:
        _print_plan(plan, output)
        return
    if not plan.probes and not plan.lookups:
        # Nothing a cluster could settle (hosts outside the cluster, pods of the answer…):
        # say why, and do not create anything.
        if output == "json":
            emit_json({**plan.to_json(), "exercise": plan.exercise_id, "nothing_to_verify": True})
        else:
            for line in plan.describe():
                click.echo(line)
            click.echo(
                f"{plan.exercise_id}: nothing in this exercise can be verified on a cluster "
                "(the reasons are above); the offline grade is all there is"
            )
        return
    _run(plan, context, yes, output)


def _print_plan(plan, output: str) -> None:
    if output == "json":
        emit_json(plan.to_json())
        return
    import yaml

    for line in plan.describe():
        click.echo(f"# {line}".rstrip())
    for obj in plan.objects:
        click.echo("---")
        click.echo(yaml.safe_dump(obj, sort_keys=False, default_flow_style=False).rstrip())


def _run(plan, context: str | None, yes: bool, output: str) -> None:
    from k8slearn.cluster.verify import CanaryFailed, Cancelled, VerifyError, run_verification

    def on_log(message: str) -> None:
        click.echo(click.style(f"  {message}", dim=not message.startswith("—")), err=True)

    try:
        result = run_verification(plan, context=context, yes=yes, on_log=on_log)
    except KeyboardInterrupt:
        if output == "json":
            emit_json({"exercise": plan.exercise_id, "error": "interrupted", "kind": "cancelled"})
        _fail("interrupted; verify removed what it had created")
        return
    except VerifyError as exc:
        kind = (
            "canary"
            if isinstance(exc, CanaryFailed)
            else "cancelled"
            if isinstance(exc, Cancelled)
            else "error"
        )
        if output == "json":
            emit_json({"exercise": plan.exercise_id, "error": str(exc), "kind": kind})
        prefix = "refusing to grade: " if kind == "canary" else ""
        _fail(prefix + str(exc))
        return
    except Exception as exc:  # a bug: say so plainly; clean-up has already run
        if output == "json":
            emit_json({"exercise": plan.exercise_id, "error": str(exc), "kind": "bug"})
        _fail(
            f"verify stopped on an unexpected problem ({type(exc).__name__}: {exc}); what it "
            "created was removed. This is a bug in k8slearn worth reporting"
        )
        return
    if output == "json":
        emit_json(result.to_json())
    else:
        click.echo(
            f"verify {plan.exercise_id} on {result.context} (Kubernetes {result.server_version})"
        )
        click.echo(f"canary: {result.canary}")
        click.echo("")
        assert result.comparison is not None
        click.echo(result.comparison.render(_style))
        if result.cleanup_problems:
            click.echo(
                click.style("clean-up incomplete: ", fg="yellow")
                + "; ".join(result.cleanup_problems)
                + " (the next run removes what is left)",
                err=True,
            )
        verdict = (
            click.style("VERIFIED", fg="green", bold=True)
            if result.passed
            else click.style("NOT VERIFIED", fg="red", bold=True)
        )
        click.echo(f"{plan.exercise_id}: {verdict}")
    sys.exit(0 if result.passed else EXIT_INVALID)


cluster.add_command(verify, "verify")
