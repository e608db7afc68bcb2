"""`k8slearn cluster ...` without Docker: clear messages, the right exit codes, no traceback."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from k8slearn.cluster import kind
from k8slearn.cluster.commands import cluster

SLEEP = shutil.which("sleep") or "/bin/sleep"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fake tools are shell scripts")


@pytest.fixture
def empty_path(tmp_path, monkeypatch):
    """A PATH with none of docker, kind, kubectl on it."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    """Write fake docker/kind/kubectl scripts; returns a function taking their bodies."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))

    def install(**scripts: str) -> Path:
        for name, body in scripts.items():
            path = bin_dir / name
            path.write_text("#!/bin/sh\n" + body + "\n")
            path.chmod(path.stat().st_mode | stat.S_IEXEC)
        return bin_dir

    return install


def invoke(*args: str):
    return CliRunner().invoke(cluster, list(args))


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# -- nothing installed ---------------------------------------------------------------------------


def test_doctor_lists_exactly_what_is_missing_and_how_to_get_it(empty_path):
    checks = kind.doctor()
    assert not any(c.ok for c in checks)
    by_name = {c.name: c for c in checks}
    assert by_name["docker installed"].detail == "not found on PATH"
    assert "https://docs.docker.com/get-docker/" in by_name["docker installed"].fix
    assert "https://kind.sigs.k8s.io" in by_name["kind installed"].fix
    assert "v0.24.0" in by_name["kind installed"].fix
    assert "https://kubernetes.io/docs/tasks/tools/" in by_name["kubectl installed"].fix
    assert by_name["kubeconfig context kind-k8slearn"].detail.startswith("skipped")
    for c in checks:
        assert c.fix, c.name


def test_doctor_command_without_tools(empty_path):
    result = invoke("doctor")
    no_traceback(result)
    assert result.exit_code == 1
    assert "✗ docker installed: not found on PATH" in result.output
    assert "→ install Docker" in result.output
    assert "✗ kind installed" in result.output and "✗ kubectl installed" in result.output
    assert "thing(s) to fix" in result.output


def test_doctor_json(empty_path):
    import json

    result = invoke("doctor", "-o", "json")
    no_traceback(result)
    data = json.loads(result.output)
    assert data["ok"] is False
    assert {"check", "ok", "detail", "fix"} == set(data["checks"][0])


def test_status_without_tools(empty_path):
    st = kind.status()
    assert st.tools == {"docker": None, "kind": None, "kubectl": None}
    assert not st.reachable
    text = "\n".join(st.lines())
    assert "docker   not installed" in text
    assert "not reachable" in text
    result = invoke("status")
    no_traceback(result)
    assert result.exit_code == 1
    assert "not installed" in result.output


def test_up_and_down_without_tools(empty_path):
    for command in ("up", "down"):
        result = invoke(command)
        no_traceback(result)
        assert result.exit_code == 2
        assert "error:" in result.output
        assert "install" in result.output


def test_run_reports_a_missing_tool():
    with pytest.raises(kind.ToolError, match="not installed"):
        kind.run(["k8slearn-no-such-tool-xyz"], 5)


# -- fake tools ----------------------------------------------------------------------------------

DOCKER_OK = 'if [ "$1" = info ]; then echo 27.1.0; else echo "Docker version 27.1.0"; fi'
DOCKER_DOWN = 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1'
KUBECTL = """case "$*" in
  *"config get-contexts"*) echo kind-k8slearn ;;
  *"--client"*) echo '{"clientVersion": {"gitVersion": "v1.31.0"}}' ;;
  *"get nodes"*) echo '{"items": [{"metadata": {"name": "k8slearn-control-plane"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}]}' ;;
  *version*) echo '{"clientVersion": {"gitVersion": "v1.31.0"}, "serverVersion": {"gitVersion": "v1.31.0"}}' ;;
esac"""


def kind_script(version: str, clusters: str = "k8slearn") -> str:
    return f"""case "$*" in
  version) echo "kind {version} go1.22.5 linux/amd64" ;;
  "get clusters") echo "{clusters}" ;;
  create*) echo "Creating cluster ..."; echo " ✓ Ensuring node image"; exit 0 ;;
  delete*) echo "Deleting cluster ..." ;;
esac"""


@posix_only
def test_doctor_all_good(fake_tools):
    fake_tools(docker=DOCKER_OK, kind=kind_script("v0.24.0"), kubectl=KUBECTL)
    checks = kind.doctor()
    assert all(c.ok for c in checks), [(c.name, c.detail) for c in checks]
    result = invoke("doctor")
    no_traceback(result)
    assert result.exit_code == 0
    assert "all set" in result.output


@posix_only
def test_doctor_flags_a_kind_too_old_to_enforce_policies(fake_tools):
    fake_tools(docker=DOCKER_OK, kind=kind_script("v0.23.0"), kubectl=KUBECTL)
    check = next(c for c in kind.doctor() if c.name.startswith("kind v0.24.0"))
    assert not check.ok
    assert "v0.23.0" in check.detail and "ignores NetworkPolicy" in check.detail
    assert check.fix.startswith("upgrade kind")
    result = invoke("up")
    no_traceback(result)
    assert result.exit_code == 2
    assert "older than v0.24.0" in result.output


@posix_only
def test_doctor_says_when_the_docker_engine_is_stopped(fake_tools):
    fake_tools(docker=DOCKER_DOWN, kind=kind_script("v0.25.0"), kubectl=KUBECTL)
    check = next(c for c in kind.doctor() if c.name == "Docker engine running")
    assert not check.ok
    assert "not running" in check.fix and "start Docker Desktop" in check.fix
    cluster_check = next(c for c in kind.doctor() if c.name == "cluster k8slearn")
    assert cluster_check.detail.startswith("skipped")


@posix_only
def test_status_reports_versions_and_reachability(fake_tools):
    fake_tools(docker=DOCKER_OK, kind=kind_script("v0.24.0"), kubectl=KUBECTL)
    st = kind.status()
    assert st.tools == {"docker": "27.1.0", "kind": "v0.24.0", "kubectl": "v1.31.0"}
    assert st.cluster is True and st.context is True
    assert st.reachable and st.server_version == "v1.31.0"
    assert st.nodes == [("k8slearn-control-plane", True)]
    assert st.enforces_policies is True
    result = invoke("status")
    no_traceback(result)
    assert result.exit_code == 0
    assert "Kubernetes v1.31.0, 1/1 node(s) ready" in result.output


@posix_only
def test_up_creates_the_cluster_with_the_shipped_config(fake_tools, tmp_path):
    log = tmp_path / "kind-args"
    script = kind_script("v0.24.0", clusters="").replace(
        'create*) echo "Creating cluster ..."',
        f'create*) echo "$*" > {log}; echo "Creating cluster ..."',
    )
    fake_tools(docker=DOCKER_OK, kind=script, kubectl=KUBECTL)
    lines = []
    message = kind.up(on_line=lines.append)
    assert "is up" in message and "k8slearn verify" in message
    assert "Creating cluster ..." in lines
    args = log.read_text().split()
    assert args[:4] == ["create", "cluster", "--name", "k8slearn"]
    assert "--config" in args and "--wait" in args


@posix_only
def test_up_when_the_cluster_exists_and_down(fake_tools):
    fake_tools(docker=DOCKER_OK, kind=kind_script("v0.24.0"), kubectl=KUBECTL)
    assert "already there" in kind.up()
    assert "deleted" in kind.down()
    fake_tools(kind=kind_script("v0.24.0", clusters=""))
    assert "nothing to delete" in kind.down()


@posix_only
def test_a_hanging_tool_times_out_with_a_message(fake_tools, monkeypatch):
    fake_tools(docker=f"{SLEEP} 30", kind=kind_script("v0.24.0"), kubectl=KUBECTL)
    monkeypatch.setattr(kind, "QUICK", 0.3)
    started = time.monotonic()
    version, problem = kind.docker_engine()
    assert version is None
    assert "did not finish within 0.3s" in problem
    with pytest.raises(kind.ToolError, match="did not finish"):
        kind.run(["docker", "info"], 0.3, on_line=lambda line: None)
    assert time.monotonic() - started < 10  # the child was stopped, not waited for


def test_parse_version():
    assert kind.parse_version("kind v0.24.0 go1.22.6 linux/amd64") == (0, 24, 0)
    assert kind.parse_version("v1.31.0") == (1, 31, 0)
    assert kind.parse_version("no version here") is None


def test_the_kind_config_ships_with_the_package():
    with kind.config_file() as path:
        assert path.is_file()
        config = yaml.safe_load(path.read_text())
    assert config["kind"] == "Cluster"
    assert config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert config["name"] == "k8slearn"
    assert config["networking"]["podSubnet"] == "10.244.0.0/16"
    assert config["networking"]["serviceSubnet"] == "10.96.0.0/16"
    assert config["networking"].get("disableDefaultCNI") is False  # kindnet enforces policies
    assert [n["role"] for n in config["nodes"]] == ["control-plane"]


def test_importing_the_commands_does_not_import_the_kubernetes_client():
    import subprocess

    code = (
        "import sys; import k8slearn.cluster.commands, k8slearn.cluster.plan; "
        "print('kubernetes' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=True,
    )
    assert out.stdout.strip() == "False"
