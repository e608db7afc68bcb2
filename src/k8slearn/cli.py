"""The `k8slearn` command line: a thin face over the core.

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


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="k8slearn", prog_name="k8slearn")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Learn and drill Kubernetes Services and NetworkPolicies from the terminal.

    Without a command, opens the app.
    """
    if ctx.invoked_subcommand is None:
        from k8slearn.tui.app import run_app

        run_app()


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", help="Output format."
)
@click.option(
    "--scenario",
    "scenario_path",
    default=None,
    help="Also warn about selectors that match no pod of this scenario.",
)
def validate(files: tuple[str, ...], output: str, scenario_path: str | None) -> None:
    """Check manifests as `kubectl apply` and the API server would.

    FILES are YAML or JSON files (`-` reads standard input). Exit 0 when every
    document is valid, 1 when any is invalid, 2 when a file cannot be read.
    """
    from k8slearn.grading.lints import lint
    from k8slearn.manifests.validate import validate_text

    scenario = _read_scenario(scenario_path) if scenario_path else None
    entries: list[dict[str, Any]] = []
    any_invalid = False
    for name in files:
        report = validate_text(read_input(name), existing=scenario.objects if scenario else ())
        world = None
        if scenario is not None:
            from k8slearn.model.world import World

            world = World(scenario, report.manifests)
        for found in lint(report.manifests, world):
            found.manifest.problems.append(found.problem)
        any_invalid |= not report.valid
        entries.extend(_validation_entries(name, report))
        if output == "text":
            _print_validation(name, report)
    if output == "json":
        _emit_json(entries)
    sys.exit(EXIT_INVALID if any_invalid else 0)


def _problem_json(p) -> dict[str, Any]:
    message = p.message + (f" ({p.hint})" if p.hint else "")
    return {"field": p.field, "line": p.line, "message": message}


def _validation_entries(name: str, report) -> list[dict[str, Any]]:
    entries = []
    for m in report.manifests:
        entries.append(
            {
                "file": name,
                "index": m.doc.index,
                "kind": m.kind or m.doc.data.get("kind"),
                "name": m.name,
                "valid": m.valid,
                "errors": [_problem_json(p) for p in m.problems if p.is_error],
                "warnings": [_problem_json(p) for p in m.problems if not p.is_error],
            }
        )
    errors = [p for p in report.problems if p.is_error]
    if errors or not report.manifests:
        entries.append(
            {
                "file": name,
                "index": len(report.manifests),
                "kind": None,
                "name": None,
                "valid": False,
                "errors": [_problem_json(p) for p in errors],
                "warnings": [_problem_json(p) for p in report.problems if not p.is_error],
            }
        )
    return entries


def _print_problem(name: str, p, err: bool = False) -> None:
    where = f"{name}:{p.where()}" if p.where() else name
    color = "red" if p.is_error else "yellow"
    click.echo(f"{where}: {click.style(p.severity, fg=color)}: {p.text()}", err=err)


def _print_validation(name: str, report) -> None:
    for p in report.all_problems():
        _print_problem(name, p)
    for m in report.manifests:
        state = click.style("valid", fg="green") if m.valid else click.style("invalid", fg="red")
        described = _summary(m.obj) if m.valid and m.obj else ""
        summary = f" ({described})" if described else ""
        click.echo(f"{name}: {m.key}: {state}{summary}")


def _summary(obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Service":
        ports = spec.get("ports") or []
        return f"{spec.get('type')}, {len(ports)} port{'s' if len(ports) != 1 else ''}"
    if obj.get("kind") == "NetworkPolicy":
        return "policyTypes " + ", ".join(spec.get("policyTypes") or [])
    if obj.get("kind") in ("Deployment", "StatefulSet"):
        replicas = spec.get("replicas")
        service = f", serviceName {spec['serviceName']}" if spec.get("serviceName") else ""
        return f"{replicas} replica{'s' if replicas != 1 else ''}{service}"
    if obj.get("kind") == "EndpointSlice":
        count = len(obj.get("endpoints") or [])
        return f"{obj.get('addressType')}, {count} endpoint{'s' if count != 1 else ''}"
    return ""


@main.command()
@click.option("--scenario", "scenario_path", required=True, help="Scenario YAML file.")
@click.option(
    "-f",
    "--filename",
    "manifest_paths",
    multiple=True,
    help="Manifests to apply (Services, NetworkPolicies, …); repeatable.",
)
@click.option(
    "--port",
    "ports",
    multiple=True,
    metavar="PORT[/PROTO]",
    help="Port to probe, e.g. 80 or 53/UDP; repeatable. Default: every declared containerPort.",
)
@click.option(
    "--explain",
    "explain",
    nargs=3,
    metavar="FROM TO PORT[/PROTO]",
    help="Explain one connection, e.g. --explain x/a y/b 80.",
)
@click.option(
    "--to-service",
    "to_service",
    metavar="NS/NAME",
    help="Judge connections to a Service: which backends answer each source.",
)
@click.option(
    "--via-node",
    "via_node",
    metavar="NODE",
    default=None,
    help="With --to-service: the node whose node port clients outside the cluster dial "
    "(default: the first node).",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json", "matrix"]),
    default="text",
    help="Output format; `matrix` is compact JSON for big clusters.",
)
def reach(
    scenario_path: str,
    manifest_paths: tuple[str, ...],
    ports: tuple[str, ...],
    explain: tuple[str, str, str] | None,
    to_service: str | None,
    via_node: str | None,
    output: str,
) -> None:
    """Compute the truth table: which pods may connect to which, on which ports."""
    from k8slearn.model.reachability import parse_port
    from k8slearn.model.world import World

    try:
        port_keys = [parse_port(p) for p in ports]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    scenario = _read_scenario(scenario_path)
    manifests = _load_manifests(manifest_paths)
    world = World(scenario, manifests)

    if explain:
        _reach_explain(world, explain, output)
    elif to_service:
        if via_node is not None and via_node not in {n.name for n in world.scenario.nodes}:
            known = ", ".join(n.name for n in world.scenario.nodes)
            raise click.UsageError(f"--via-node: no node {via_node!r} in the scenario ({known})")
        _reach_service(world, to_service, port_keys, output, via_node)
    else:
        table = world.table(port_keys or None)
        if output == "json":
            _emit_json(table.to_results())
        elif output == "matrix":
            _emit_json(table.to_matrix())
        else:
            _print_table(table)


def _read_scenario(path: str):
    """Load a scenario file, or print its problems and exit 1."""
    from k8slearn.model.scenario import load_scenario

    scenario, problems = load_scenario(read_input(path))
    if scenario is None:
        for p in problems:
            _print_problem(path, p)
        click.echo(f"{path}: the scenario is invalid; fix it and run again", err=True)
        sys.exit(EXIT_INVALID)
    return scenario


def _load_manifests(paths: tuple[str, ...]):
    from k8slearn.manifests.validate import validate_text

    manifests = []
    invalid = False
    for name in paths:
        report = validate_text(read_input(name))
        for p in report.all_problems():
            _print_problem(name, p, err=True)  # stdout is the table (or its JSON)
        invalid |= not report.valid
        manifests.extend(report.manifests)
    if invalid:
        click.echo(
            "the manifests are invalid: the API server would refuse them, "
            "so there is no table to compute",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    return manifests


def _reach_explain(world, explain: tuple[str, str, str], output: str) -> None:
    from k8slearn.model.reachability import parse_port

    src, dst, port_text = explain
    try:
        port, protocol = parse_port(port_text)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for key in (src, dst):
        if world.endpoint(key) is None:
            known = ", ".join(e.key for e in world.model.endpoints) or "none"
            raise click.UsageError(
                f"{key!r} is neither a pod (ns/name) nor an external host; known: {known}"
            )
    result = world.explain(src, dst, port, protocol)
    if output == "text":
        for line in result.lines():
            click.echo(line)
    else:
        _emit_json(result.to_dict())


def _reach_service(world, key: str, port_keys, output: str, via_node: str | None = None) -> None:
    svc = world.services.get(key)
    if svc is None:
        known = ", ".join(sorted(world.services.services)) or "none"
        raise click.UsageError(f"no Service {key!r} in the manifests (known: {known})")
    wanted = port_keys or [(p.port, p.protocol) for p in svc.ports] or [(80, "TCP")]
    results = []
    for port, protocol in wanted:
        for source in world.model.endpoints:
            r = world.reach_service(source.key, key, port, protocol, via_node)
            results.append(
                {
                    "from": source.key,
                    "to": f"svc:{key}",
                    "port": port,
                    "protocol": protocol,
                    "allowed": r.allowed,
                    "backends": [
                        {"to": e.key, "port": p, "allowed": ok} for e, p, ok in r.backends
                    ],
                    **({"note": r.note} if r.note else {}),
                }
            )
    if output != "text":
        _emit_json({"service": world.services.describe(svc), "results": results})
        return
    info = world.services.describe(svc)
    address = {None: "no virtual IP", "None": "headless"}.get(info["clusterIP"], info["clusterIP"])
    click.echo(f"Service {key} ({info['type']}, {address}, DNS {info['dns']})")
    for r in results:
        mark = click.style("✓", fg="green") if r["allowed"] else click.style("✗", fg="red")
        answered = [b["to"] for b in r["backends"] if b["allowed"]]
        tail = (
            f"answered by {', '.join(answered)}"
            if answered
            else (r.get("note") or "no backend answers")
        )
        click.echo(f"  {mark} {r['from']} → {key}:{r['port']}/{r['protocol']}: {tail}")


def _print_table(table) -> None:
    names = [e.key for e in table.endpoints]
    if not table.ports:
        click.echo("no ports to probe: no pod declares a containerPort; pass --port 80")
        return
    width = max((len(n) for n in names), default=4)
    for port, protocol in table.ports:
        click.echo(f"\n{port}/{protocol}   rows: from, columns: to")
        header = " " * (width + 3) + " ".join(f"{j:>2}" for j in range(len(names)))
        click.echo(header)
        for i, name in enumerate(names):
            bits = table.bitstring((port, protocol), i)
            cells = []
            for j, bit in enumerate(bits):
                if i >= len(table.pods) and j >= len(table.pods):
                    cells.append(" ·")
                else:
                    cells.append(
                        click.style(" ✓", fg="green") if bit == "1" else click.style(" ✗", fg="red")
                    )
            click.echo(f"{i:>2} {name:<{width}}" + " ".join(cells))


# -- packs, exercises and grading -------------------------------------------------------------

pack_option = click.option(
    "--pack",
    "packs",
    multiple=True,
    metavar="PATH",
    help="An extra lesson pack folder; repeatable (also: K8SLEARN_PACKS).",
)


def _library(packs: tuple[str, ...]):
    from k8slearn.packs.library import load_library

    library = load_library(packs)
    for p in library.problems:
        click.echo(p.located(), err=True)
    return library


@main.command("list")
@pack_option
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
def list_command(packs: tuple[str, ...], output: str) -> None:
    """List packs, lessons and exercises."""
    library = _library(packs)
    if output == "json":
        _emit_json(
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


@main.command()
@click.argument("exercise")
@click.argument("answer_file")
@pack_option
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@click.option("--no-record", is_flag=True, help="Do not record this attempt in your progress.")
@click.option(
    "-n",
    "--namespace",
    default=None,
    metavar="NS",
    help="The current namespace, as `kubectl -n`: manifests without one land there "
    "(default: the exercise's).",
)
def check(
    exercise: str,
    answer_file: str,
    packs: tuple[str, ...],
    output: str,
    no_record: bool,
    namespace: str | None,
) -> None:
    """Grade ANSWER_FILE as an answer to EXERCISE (`pack/exercise`, or a unique exercise id).

    Exit 0 when it passes, 1 when it does not (invalid YAML or manifests included),
    2 for an unknown exercise or an unreadable file.
    """
    from k8slearn.grading.grader import ExerciseError, Grader

    library = _library(packs)
    found, why = library.find(exercise)
    if found is None:
        raise InputError(why)
    if found.kind == "predict":
        raise InputError(
            f"{found.qualified_id} asks you to predict a table: open it in the app "
            f"(`k8slearn open {found.qualified_id}`)"
        )
    from k8slearn.manifests import names

    if namespace is not None and not names.is_dns1123_label(namespace):
        raise InputError(f"{namespace!r} is not a namespace name (a DNS-1123 label)")
    text = read_input(answer_file)
    try:
        grade = Grader(found, namespace).grade(text)
    except ExerciseError as exc:
        raise InputError(f"the exercise is broken: {exc}") from None
    if not no_record:
        from k8slearn.progress.store import open_store

        store = open_store()
        store.record_attempt(
            found.qualified_id, grade.passed, [c.name for c in grade.failed_checks()], source="cli"
        )
        from k8slearn.progress.schedule import review

        review(store, found.qualified_id, found.tags, grade.passed)
        if store.warning:
            click.echo(f"warning: {store.warning}", err=True)
    if output == "json":
        data = grade.to_dict()
        _emit_json(
            {
                "exercise": data["exercise"],
                "passed": data["passed"],
                "checks": [
                    {"name": c["name"], "passed": c["passed"], "message": c["message"]}
                    for c in data["checks"]
                ],
                "warnings": data["warnings"],
            }
        )
    else:
        _print_grade(answer_file, grade)
    sys.exit(0 if grade.passed else EXIT_INVALID)


def _print_grade(name: str, grade) -> None:
    for c in grade.checks:
        mark = click.style("✓", fg="green") if c.passed else click.style("✗", fg="red")
        where = f" ({name}:{c.line})" if c.line and not c.passed else ""
        click.echo(f"{mark} {c.name}: {c.message}{where}")
    for w in grade.warnings:
        _print_problem(name, w)
    verdict = (
        click.style("PASSED", fg="green", bold=True)
        if grade.passed
        else click.style("NOT YET", fg="red", bold=True)
    )
    failed = len(grade.failed_checks())
    click.echo(
        f"{grade.exercise_id}: {verdict}" + (f" ({failed} check(s) to fix)" if failed else "")
    )


@main.group()
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
def pack_new(path: Path) -> None:
    """Create a new pack at PATH that passes `pack validate` as it is."""
    from k8slearn.packs.scaffold import ScaffoldError, new_pack

    try:
        files = new_pack(path)
    except ScaffoldError as exc:
        raise InputError(str(exc)) from None
    for f in files:
        click.echo(f"created {f}")
    click.echo(f"next: edit the files, then run `k8slearn pack validate {path}`")


@main.command("open")
@click.argument("exercise")
@click.option(
    "--answer",
    "answer_file",
    default=None,
    metavar="FILE",
    help="Start the editor with this file instead of your saved draft.",
)
@pack_option
def open_command(exercise: str, answer_file: str | None, packs: tuple[str, ...]) -> None:
    """Open the app straight on EXERCISE, with the editor focused.

    The editor holds FILE when given, else your saved draft, else the starter.
    """
    library = _library(packs)
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

    run_app(found, answer, packs)


@main.command()
@pack_option
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
    tags: tuple[str, ...],
    count: int,
    minutes: float,
    kind: str,
    report: Path | None,
) -> None:
    """A timed self-check drill in the app: due reviews first, then new exercises."""
    from k8slearn.tui.app import DrillOptions, run_app

    if minutes != minutes:  # NaN slips through FloatRange
        raise click.BadParameter("must be a number of minutes", param_hint="--minutes")
    if report is not None and not report.parent.exists():
        raise InputError(f"{report.parent}: no such folder for the report")
    library = _library(packs)
    if tags:
        known = {t for ex in library.exercises() for t in ex.tags}
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise InputError(
                f"no exercise has tag {unknown[0]!r}; tags: {', '.join(sorted(known))}"
            )
    run_app(packs=packs, drill=DrillOptions(count, minutes, tags, kind, report))


@main.command()
@pack_option
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
def progress(packs: tuple[str, ...], output: str) -> None:
    """Where you stand: per pack and lesson, accuracy, reviews due, streak and drills."""
    from k8slearn.progress.report import progress_report
    from k8slearn.progress.store import open_store

    library = _library(packs)
    store = open_store()
    if store.warning:
        click.echo(f"warning: {store.warning}", err=True)
    data = progress_report(library, store)
    if output == "json":
        _emit_json(data)
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


def _register_cluster_commands() -> None:
    """`cluster` and `verify` live with the cluster face; their module imports only click."""
    from k8slearn.cluster.commands import cluster as cluster_command
    from k8slearn.cluster.commands import verify as verify_command

    main.add_command(cluster_command)
    main.add_command(verify_command)


_register_cluster_commands()
