"""The command line as a user meets it: exit codes, JSON shapes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from test_schema import SEED_POLICY

SCENARIO = """
namespaces:
  - {name: x, labels: {team: a}}
  - {name: y, labels: {team: b}}
pods:
  - {name: web, namespace: x, labels: {app: web}, ports: [{containerPort: 80, name: http}]}
  - {name: db, namespace: x, labels: {app: db}, ports: [{containerPort: 6379}]}
  - {name: client, namespace: y, labels: {app: client}}
externals:
  - {name: internet, ip: 93.184.216.34}
"""

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-allow, namespace: x}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    ports:
    - port: 6379
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: x}
spec:
  selector: {app: web}
  ports:
  - port: 8080
    targetPort: http
"""


@pytest.fixture
def files(tmp_path):
    def write(name, text):
        path = tmp_path / name
        path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
        return str(path)

    return write


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_version_and_help():
    assert run("--version").output.startswith("k8slearn, version")
    result = run("--help")
    assert result.exit_code == 0
    assert "validate" in result.output and "reach" in result.output


def test_validate_valid_file(files):
    result = run("validate", files("ok.yaml", POLICY))
    assert result.exit_code == 0, result.output
    assert "NetworkPolicy x/db-allow: valid" in result.output
    assert "Service x/web: valid (ClusterIP, 1 port)" in result.output


def test_validate_the_broken_seed_policy(files):
    path = files("seed.yaml", SEED_POLICY)
    result = run("validate", path)
    assert result.exit_code == 1
    assert f"{path}:16:11: error: spec.ingress[0].from[0].ports" in result.output
    assert "did you mean `egress`" in result.output


def test_validate_json_shape(files):
    path = files(
        "two.yaml",
        POLICY + "---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\n"
        "spec:\n  ports:\n  - port: 70000\n",
    )
    result = run("validate", path, "-o", "json")
    assert result.exit_code == 1
    entries = json.loads(result.output)
    assert [(e["index"], e["kind"], e["name"], e["valid"]) for e in entries] == [
        (0, "NetworkPolicy", "db-allow", True),
        (1, "Service", "web", True),
        (2, "Service", "bad", False),
    ]
    error = entries[2]["errors"][0]
    assert set(error) == {"field", "line", "message"}
    assert error["field"] == "spec.ports[0].port" and error["line"] == 26


def test_validate_syntax_error_json(files):
    result = run("validate", files("bad.yaml", "kind: Service\nmetadata: name: x\n"), "-o", "json")
    assert result.exit_code == 1
    [entry] = json.loads(result.output)
    assert entry["valid"] is False and entry["errors"][0]["line"] == 2


def test_validate_unreadable_input_exits_2(files, tmp_path):
    result = run("validate", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert run("validate", str(tmp_path)).exit_code == 2


def test_large_honest_inputs_are_read_and_the_limit_says_the_true_size(files, tmp_path):
    """Files named on the command line may be a real cluster's export (tens of MB): the
    limit is generous, says the file's true size, and names the flag that raises it."""
    # Many long labels: over 1 MiB with few pods, so the table itself stays quick.
    labels = {f"note-{k}": "n" * 60 for k in range(4)}
    pods = [
        {"name": f"p{i}", "namespace": "x", "labels": {"app": f"a{i % 7}", **labels}}
        for i in range(5000)
    ]
    scenario = tmp_path / "big.json"
    scenario.write_text(json.dumps({"namespaces": [{"name": "x"}], "pods": pods}))
    size = scenario.stat().st_size
    assert size > 1024 * 1024  # over the old 1 MiB limit
    ok = run("reach", "--scenario", str(scenario), "--port", "80", "-o", "matrix")
    assert ok.exit_code == 0, ok.output[-500:]
    assert len(json.loads(ok.output)["pods"]) == 5000
    refused = run("reach", "--scenario", str(scenario), "--port", "80", "--max-size", "1")
    assert refused.exit_code == 2
    assert f"big.json is {size:,} bytes" in refused.output
    assert "the limit is 1 MiB: raise it with --max-size 2" in refused.output
    piped = run("validate", "-", "--max-size", "1", input="#" * (1024 * 1024 + 5))
    assert piped.exit_code == 2 and "standard input holds more than 1 MiB" in piped.output


def test_validate_reads_stdin():
    result = run("validate", "-", input=POLICY)
    assert result.exit_code == 0


def test_reach_json_has_every_pair_and_port(files):
    result = run(
        "reach",
        "--scenario",
        files("s.yaml", SCENARIO),
        "-f",
        files("p.yaml", POLICY),
        "-o",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pods"] == ["x/web", "x/db", "y/client"]
    assert data["externals"] == ["internet"]
    # 3 pods + 1 external: 16 pairs less external→external = 15, on 2 declared ports
    assert len(data["results"]) == 15 * 2
    cell = {(r["from"], r["to"], r["port"]): r["allowed"] for r in data["results"]}
    assert cell[("x/web", "x/db", 6379)] is True
    assert cell[("y/client", "x/db", 6379)] is False
    assert cell[("y/client", "x/web", 80)] is True


def test_reach_matrix(files):
    result = run(
        "reach",
        "--scenario",
        files("s.yaml", SCENARIO),
        "-f",
        files("p.yaml", POLICY),
        "--port",
        "6379",
        "-o",
        "matrix",
    )
    data = json.loads(result.output)
    # to db (column 1) only web (row 0) may connect, and db itself (a pod cannot block itself)
    assert [row[1] for row in data["tables"]["6379/TCP"]] == ["1", "1", "0", "0"]
    assert all(len(row) == 4 for row in data["tables"]["6379/TCP"])


def test_reach_text_grid_agrees_with_the_matrix_and_flags_wide_tables(files):
    args = ["reach", "--scenario", files("s.yaml", SCENARIO), "-f", files("p.yaml", POLICY)]
    grid = run(*args, "--port", "6379").output
    matrix = json.loads(run(*args, "--port", "6379", "-o", "matrix").output)
    rows = [ln for ln in grid.splitlines() if ln[:2].strip().isdigit() and "rows:" not in ln]
    marks = [[c for c in row if c in "✓✗·"] for row in rows]
    assert ["".join("1" if c == "✓" else "0" for c in m) for m in marks] == matrix["tables"][
        "6379/TCP"
    ]
    assert "wider than a terminal" not in grid
    many = {
        "namespaces": [{"name": "x"}],
        "pods": [{"name": f"p{i}", "namespace": "x"} for i in range(61)],
    }
    wide = run("reach", "--scenario", files("many.yaml", json.dumps(many)), "--port", "80")
    assert wide.exit_code == 0
    assert wide.output.startswith("61 endpoints: this grid is wider than a terminal")


def test_reach_explain(files):
    args = ["reach", "--scenario", files("s.yaml", SCENARIO), "-f", files("p.yaml", POLICY)]
    result = run(*args, "--explain", "y/client", "x/db", "6379")
    assert result.exit_code == 0
    assert "DENIED" in result.output
    assert "isolated for ingress by policy x/db-allow" in result.output
    result = run(*args, "--explain", "x/web", "x/db", "6379/TCP", "-o", "json")
    data = json.loads(result.output)
    assert data["allowed"] is True
    assert data["ingress"]["admittedBy"] == {"policy": "x/db-allow", "rule": 0, "line": 7}


def test_reach_to_service(files):
    result = run(
        "reach",
        "--scenario",
        files("s.yaml", SCENARIO),
        "-f",
        files("p.yaml", POLICY),
        "--to-service",
        "x/web",
        "-o",
        "json",
    )
    data = json.loads(result.output)
    first = data["results"][0]
    assert first["to"] == "svc:x/web" and first["port"] == 8080
    assert first["backends"] == [{"to": "x/web", "port": 80, "allowed": True}]


def test_reach_usage_errors(files):
    scenario = files("s.yaml", SCENARIO)
    assert run("reach", "--scenario", scenario, "--port", "http").exit_code == 2
    result = run("reach", "--scenario", scenario, "--explain", "x/nope", "x/db", "80")
    assert result.exit_code == 2 and "neither a pod" in result.output
    bad = run("reach", "--scenario", files("bad.yaml", "pods: [{name: a, namespace: q}]\n"))
    assert bad.exit_code == 1 and "namespace 'q' is not declared" in bad.output


def test_reach_refuses_invalid_manifests(files):
    result = run(
        "reach", "--scenario", files("s.yaml", SCENARIO), "-f", files("p.yaml", SEED_POLICY)
    )
    assert result.exit_code == 1
    assert "spec.egres" in result.output


def test_console_script_starts_without_heavy_imports():
    code = (
        "import sys; from k8slearn import cli; "
        "print(any(m.startswith(('kubernetes', 'textual', 'jsonschema')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_reach_to_service_via_a_node(files):
    import json as _json

    scenario = {
        "namespaces": [{"name": "shop"}],
        "nodes": [{"name": "n1", "ip": "172.18.0.2"}, {"name": "n2", "ip": "172.18.0.3"}],
        "pods": [{"name": "gw", "namespace": "shop", "labels": {"app": "gw"}, "node": "n1"}],
        "externals": [{"name": "customer", "ip": "203.0.113.5"}],
    }
    service = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: gw, namespace: shop}\nspec:\n"
        "  type: NodePort\n  externalTrafficPolicy: Local\n  selector: {app: gw}\n"
        "  ports: [{port: 443, targetPort: 8443}]\n"
    )
    args = [
        "reach",
        "--scenario",
        files("s.yaml", _json.dumps(scenario)),
        "-f",
        files("svc.yaml", service),
    ]
    args += ["--to-service", "shop/gw", "-o", "json"]
    cells = {
        r["from"]: r["allowed"]
        for r in _json.loads(run(*args, "--via-node", "n2").output)["results"]
    }
    assert cells["customer"] is False
    cells = {
        r["from"]: r["allowed"]
        for r in _json.loads(run(*args, "--via-node", "n1").output)["results"]
    }
    assert cells["customer"] is True
    bad = run(*args, "--via-node", "n9")
    assert bad.exit_code == 2 and "no node 'n9' in the scenario (n1, n2)" in bad.output
