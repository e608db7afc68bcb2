"""`validate` and `reach`: manifests and scenarios given as files, no pack involved."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from k8slearn.cli.common import (
    EXIT_INVALID,
    emit_chunks,
    emit_json,
    max_size_option,
    print_problem,
    read_input,
)


@click.command()
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
@max_size_option
def validate(files: tuple[str, ...], output: str, scenario_path: str | None, max_size: int) -> None:
    """Check manifests as `kubectl apply` and the API server would.

    FILES are YAML or JSON files (`-` reads standard input). Exit 0 when every
    document is valid, 1 when any is invalid, 2 when a file cannot be read.
    """
    from k8slearn.grading.lints import lint
    from k8slearn.manifests.validate import validate_text

    scenario = _read_scenario(scenario_path, max_size) if scenario_path else None
    entries: list[dict[str, Any]] = []
    any_invalid = False
    for name in files:
        report = validate_text(
            read_input(name, max_size, "--max-size"),
            existing=scenario.objects if scenario else (),
            max_bytes=None,  # read_input bounded it
        )
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
        emit_json(entries)
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


def _print_validation(name: str, report) -> None:
    for p in report.all_problems():
        print_problem(name, p)
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


@click.command()
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
@max_size_option
def reach(
    scenario_path: str,
    manifest_paths: tuple[str, ...],
    ports: tuple[str, ...],
    explain: tuple[str, str, str] | None,
    to_service: str | None,
    via_node: str | None,
    output: str,
    max_size: int,
) -> None:
    """Compute the truth table: which pods may connect to which, on which ports."""
    from k8slearn.model.reachability import parse_port
    from k8slearn.model.world import World

    try:
        port_keys = [parse_port(p) for p in ports]
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    from k8slearn.gcpause import cycle_collector_paused

    with cycle_collector_paused():  # a whole cluster's objects, built once and acyclic
        reports = _manifest_reports_started(scenario_path, manifest_paths, max_size)
        scenario = _read_scenario(scenario_path, max_size)
        manifests = _load_manifests(manifest_paths, reports())
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
            emit_json(table.to_results())
        elif output == "matrix":
            emit_chunks(table.matrix_json())
        else:
            _print_table(table)


def _read_scenario(path: str, max_size: int):
    """Load a scenario file, or print its problems and exit 1."""
    from k8slearn.model.scenario import load_scenario
    from k8slearn.readcache import read_cached

    scenario, problems = read_cached(
        "scenario",
        read_input(path, max_size, "--max-size"),
        lambda data: load_scenario(data, max_bytes=None),
        keep=lambda result: result[0] is not None,
    )
    if scenario is None:
        for p in problems:
            print_problem(path, p)
        click.echo(f"{path}: the scenario is invalid; fix it and run again", err=True)
        sys.exit(EXIT_INVALID)
    return scenario


def _manifest_reports(paths: tuple[str, ...], max_size: int) -> list:
    """Each manifest file read and checked (kept by content when big); prints nothing."""
    from k8slearn.manifests.validate import validate_text
    from k8slearn.readcache import read_cached

    return [
        read_cached(
            "manifests",
            read_input(name, max_size, "--max-size"),
            lambda data: validate_text(data, max_bytes=None),
            keep=lambda report: report.valid,
        )
        for name in paths
    ]


def _manifest_reports_started(scenario_path: str, paths: tuple[str, ...], max_size: int):
    """`_manifest_reports`, begun beside the scenario's reading when both are big enough
    for a second core to pay (k8slearn.background); call the result to get them."""
    from k8slearn.readcache import MIN_BYTES

    def work() -> list:
        return _manifest_reports(paths, max_size)

    if not paths or "-" in (scenario_path, *paths):
        return work  # standard input is read once, here
    try:
        sizes = [os.stat(name).st_size for name in (scenario_path, *paths)]
    except OSError:
        return work  # read_input will say what is wrong with the file
    if sizes[0] < MIN_BYTES or sum(sizes[1:]) < MIN_BYTES:
        return work
    from k8slearn.background import beside

    return beside(work)


def _load_manifests(paths: tuple[str, ...], reports: list):
    """The manifests of every report, or print their problems and exit 1."""
    manifests = []
    invalid = False
    for name, report in zip(paths, reports, strict=True):
        for p in report.all_problems():
            print_problem(name, p, err=True)  # stdout is the table (or its JSON)
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
        emit_json(result.to_dict())


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
        emit_json({"service": world.services.describe(svc), "results": results})
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


WIDE_TABLE = 60  # endpoints; beyond it a grid no longer fits a terminal


def _print_table(table) -> None:
    names = [e.key for e in table.endpoints]
    if not table.ports:
        click.echo("no ports to probe: no pod declares a containerPort; pass --port 80")
        return
    if len(names) > WIDE_TABLE:
        click.echo(
            f"{len(names)} endpoints: this grid is wider than a terminal; "
            "`-o matrix` or `-o json` suit a table this size, `--explain` one cell"
        )
    width = max((len(n) for n in names), default=4)
    pods = len(table.pods)
    # Three cell strings, styled once: the grid has (pods + externals)² cells per port.
    allowed, denied, nothing = click.style(" ✓", fg="green"), click.style(" ✗", fg="red"), " ·"
    for port, protocol in table.ports:
        click.echo(f"\n{port}/{protocol}   rows: from, columns: to")
        header = " " * (width + 3) + " ".join(f"{j:>2}" for j in range(len(names)))
        click.echo(header)
        for i, name in enumerate(names):
            bits = table.bitstring((port, protocol), i)
            if i >= pods:  # an outside host: its row says nothing about other outside hosts
                cells = [
                    nothing if j >= pods else allowed if b == "1" else denied
                    for j, b in enumerate(bits)
                ]
            else:
                cells = [allowed if b == "1" else denied for b in bits]
            click.echo(f"{i:>2} {name:<{width}}" + " ".join(cells))
