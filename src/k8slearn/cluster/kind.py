"""`k8slearn cluster up | down | status | doctor`: the local kind cluster, through its own tools.

Everything here shells out to `kind`, `docker` and `kubectl`, each call with a
timeout; a missing tool, a stopped Docker engine or a call that hangs becomes
a ToolError with a message saying what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from k8slearn.cluster import CLUSTER_NAME, KIND_CONTEXT, MIN_KIND_VERSION

MIN_KIND_TEXT = "v" + ".".join(map(str, MIN_KIND_VERSION))
INSTALL = {
    "docker": (
        "install Docker: https://docs.docker.com/get-docker/ (Docker Desktop on macOS and "
        "Windows, Docker Engine on Linux), then start it"
    ),
    "kind": (
        f"install kind {MIN_KIND_TEXT} or later: "
        "https://kind.sigs.k8s.io/docs/user/quick-start/#installation "
        "(for example `brew install kind`, `choco install kind`, or "
        "`go install sigs.k8s.io/kind@latest`)"
    ),
    "kubectl": (
        "install kubectl: https://kubernetes.io/docs/tasks/tools/ "
        "(for example `brew install kubectl` or `choco install kubernetes-cli`)"
    ),
}
QUICK = 20  # seconds for version queries and the like
API = 15  # seconds for a question to the API server (kubectl's own timeout is 5s)
CREATE = 900  # seconds for `kind create cluster`: the first run pulls the node image
DELETE = 300


class ToolError(Exception):
    """A tool is missing, failed or hung; the message says what to do."""


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def last_lines(self, n: int = 6) -> str:
        text = (self.stderr or self.stdout).strip().splitlines()
        return "\n".join(text[-n:])


def find(tool: str) -> str | None:
    """Where `tool` is on PATH, or None."""
    return shutil.which(tool)


def _stop(proc: subprocess.Popen) -> None:
    """Kill a tool and whatever it started (it runs in its own session on POSIX)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except OSError:
        pass
    with contextlib.suppress(Exception):
        proc.wait(timeout=5)


def run(args: list[str], timeout: float, on_line: Callable[[str], None] | None = None) -> Completed:
    """Run a tool; with `on_line`, its output is passed on line by line as it comes.

    The tool runs in its own session, so a timeout (or Ctrl-C) stops it and
    everything it started.
    """
    exe = find(args[0])
    shown = " ".join(args)
    if exe is None:
        raise ToolError(f"{args[0]} is not installed (not on PATH): {INSTALL.get(args[0], '')}")
    try:
        proc = subprocess.Popen(
            [exe, *args[1:]],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if on_line else subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolError(f"cannot run {args[0]}: {exc.strerror or exc}") from None
    try:
        if on_line is None:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop(proc)
                raise ToolError(f"`{shown}` did not finish within {timeout:g}s") from None
            return Completed(proc.returncode, out or "", err or "")
        lines: list[str] = []

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                on_line(line.rstrip("\n"))

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise ToolError(
                f"`{shown}` did not finish within {timeout:g}s; it was stopped"
            ) from None
        reader.join(timeout=5)
        return Completed(code, "\n".join(lines), "")
    except KeyboardInterrupt:
        _stop(proc)
        raise


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


@contextlib.contextmanager
def config_file() -> Iterator[Path]:
    """The kind config shipped in the package, as a real file for `kind --config`."""
    ref = resources.files("k8slearn.cluster") / "kind-config.yaml"
    if not ref.is_file():
        raise ToolError(
            "kind-config.yaml is missing from this installation of k8slearn (it is package "
            "data next to k8slearn/cluster/kind.py); reinstall k8slearn"
        )
    with resources.as_file(ref) as path:
        yield Path(path)


# -- questions to the tools -------------------------------------------------------------------


def docker_engine() -> tuple[str | None, str]:
    """(the engine's version, "") when Docker answers, else (None, what is wrong and the fix)."""
    try:
        done = run(["docker", "info", "--format", "{{.ServerVersion}}"], QUICK)
    except ToolError as exc:
        return None, str(exc)
    if done.ok and done.stdout.strip():
        return done.stdout.strip(), ""
    text = (done.stderr or done.stdout).strip()
    lowered = text.lower()
    if "permission denied" in lowered:
        return None, (
            "Docker is installed but you may not use it (permission denied): add yourself to "
            "the docker group (`sudo usermod -aG docker $USER`, then log in again)"
        )
    return None, (
        "Docker is installed but its engine is not running"
        + (f" ({text.splitlines()[-1]})" if text else "")
        + ": start Docker Desktop, or `sudo systemctl start docker` on Linux"
    )


def kind_version() -> tuple[tuple[int, int, int] | None, str]:
    done = run(["kind", "version"], QUICK)
    text = done.stdout.strip() or done.stderr.strip()
    return parse_version(text), text


def kubectl_version() -> str | None:
    done = run(["kubectl", "version", "--client", "-o", "json"], QUICK)
    try:
        return json.loads(done.stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        version = parse_version(done.stdout)
        return "v" + ".".join(map(str, version)) if version else None


def cluster_exists() -> bool:
    done = run(["kind", "get", "clusters"], QUICK)
    return CLUSTER_NAME in done.stdout.split()


def contexts() -> list[str]:
    done = run(["kubectl", "config", "get-contexts", "-o", "name"], QUICK)
    return done.stdout.split() if done.ok else []


def server_version(context: str = KIND_CONTEXT) -> tuple[str | None, str]:
    """(the API server's version, "") when it answers, else (None, why not)."""
    done = run(
        ["kubectl", "--context", context, "version", "-o", "json", "--request-timeout=5s"], API
    )
    try:
        data = json.loads(done.stdout)
    except ValueError:
        data = {}
    version = (
        (data.get("serverVersion") or {}).get("gitVersion") if isinstance(data, dict) else None
    )
    if version:
        return version, ""
    text = (done.stderr or "").strip().splitlines()
    return None, text[-1] if text else "no answer"


def nodes(context: str = KIND_CONTEXT) -> list[tuple[str, bool]]:
    done = run(
        ["kubectl", "--context", context, "get", "nodes", "-o", "json", "--request-timeout=5s"], API
    )
    try:
        items = json.loads(done.stdout).get("items") or []
    except (ValueError, AttributeError):
        return []
    out = []
    for item in items:
        name = (item.get("metadata") or {}).get("name", "?")
        conditions = (item.get("status") or {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        out.append((name, ready))
    return out


# -- doctor ------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


def doctor() -> list[Check]:
    """Every check verify depends on, in order; each failed one says exactly how to fix it."""
    checks: list[Check] = []
    have = {tool: find(tool) for tool in ("docker", "kind", "kubectl")}
    for tool in ("docker", "kind", "kubectl"):
        if have[tool]:
            checks.append(Check(f"{tool} installed", True, have[tool] or ""))
        else:
            checks.append(Check(f"{tool} installed", False, "not found on PATH", INSTALL[tool]))

    if have["docker"]:
        version, problem = docker_engine()
        if version:
            checks.append(Check("Docker engine running", True, f"Docker {version}"))
        else:
            checks.append(Check("Docker engine running", False, "it does not answer", problem))
    else:
        checks.append(
            Check(
                "Docker engine running",
                False,
                "skipped: Docker is not installed",
                INSTALL["docker"],
            )
        )

    if have["kind"]:
        try:
            version, text = kind_version()
        except ToolError as exc:
            version, text = None, str(exc)
        if version is None:
            checks.append(
                Check(
                    f"kind {MIN_KIND_TEXT} or later",
                    False,
                    text or "unknown version",
                    INSTALL["kind"],
                )
            )
        elif version < MIN_KIND_VERSION:
            checks.append(
                Check(
                    f"kind {MIN_KIND_TEXT} or later",
                    False,
                    f"kind v{'.'.join(map(str, version))}: its network plugin ignores NetworkPolicy",
                    "upgrade kind: " + INSTALL["kind"],
                )
            )
        else:
            checks.append(
                Check(
                    f"kind {MIN_KIND_TEXT} or later",
                    True,
                    f"kind v{'.'.join(map(str, version))} (kindnet enforces NetworkPolicy)",
                )
            )
    else:
        checks.append(
            Check(
                f"kind {MIN_KIND_TEXT} or later",
                False,
                "skipped: kind is not installed",
                INSTALL["kind"],
            )
        )

    engine_ok = any(c.name == "Docker engine running" and c.ok for c in checks)
    exists = False
    if have["kind"] and engine_ok:
        try:
            exists = cluster_exists()
            detail = "kind has it" if exists else "kind has no cluster named k8slearn"
        except ToolError as exc:
            detail = str(exc)
        checks.append(
            Check(
                f"cluster {CLUSTER_NAME}",
                exists,
                detail,
                "" if exists else "create it: `k8slearn cluster up`",
            )
        )
    else:
        checks.append(
            Check(
                f"cluster {CLUSTER_NAME}",
                False,
                "skipped: needs kind and a running Docker engine",
                "fix the checks above, then `k8slearn cluster up`",
            )
        )

    if have["kubectl"]:
        try:
            names = contexts()
        except ToolError as exc:
            names, detail = [], str(exc)
        else:
            detail = "in your kubeconfig" if KIND_CONTEXT in names else "not in your kubeconfig"
        has_context = KIND_CONTEXT in names
        fix = ""
        if not has_context:
            fix = (
                f"`kind export kubeconfig --name {CLUSTER_NAME}`"
                if exists
                else "`k8slearn cluster up` writes it"
            )
        checks.append(Check(f"kubeconfig context {KIND_CONTEXT}", has_context, detail, fix))
        if has_context:
            try:
                version, why = server_version()
            except ToolError as exc:
                version, why = None, str(exc)
            if version:
                checks.append(Check("API server reachable", True, f"Kubernetes {version}"))
            else:
                checks.append(
                    Check(
                        "API server reachable",
                        False,
                        why,
                        f"start the node (`docker start {CLUSTER_NAME}-control-plane`) or "
                        f"recreate the cluster (`k8slearn cluster down && k8slearn cluster up`)",
                    )
                )
        else:
            checks.append(
                Check("API server reachable", False, f"skipped: no context {KIND_CONTEXT}", fix)
            )
    else:
        checks.append(
            Check(
                f"kubeconfig context {KIND_CONTEXT}",
                False,
                "skipped: kubectl is not installed",
                INSTALL["kubectl"],
            )
        )
        checks.append(
            Check(
                "API server reachable",
                False,
                "skipped: kubectl is not installed",
                INSTALL["kubectl"],
            )
        )
    return checks


# -- status ------------------------------------------------------------------------------------


@dataclass
class Status:
    tools: dict[str, str | None] = field(default_factory=dict)  # tool -> version, None: missing
    cluster: bool | None = None  # None: unknown (kind or Docker missing)
    context: bool | None = None
    server_version: str | None = None
    nodes: list[tuple[str, bool]] = field(default_factory=list)
    enforces_policies: bool | None = None  # from kind's version; verify's canary proves it
    problems: list[str] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return self.server_version is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": CLUSTER_NAME,
            "context": KIND_CONTEXT,
            "tools": self.tools,
            "exists": self.cluster,
            "context_present": self.context,
            "reachable": self.reachable,
            "server_version": self.server_version,
            "nodes": [{"name": n, "ready": r} for n, r in self.nodes],
            "kind_enforces_policies": self.enforces_policies,
            "problems": self.problems,
        }

    def lines(self) -> list[str]:
        out = []
        for tool, version in self.tools.items():
            out.append(f"{tool:<8} {version or 'not installed'}")
        state = {True: "exists", False: "does not exist", None: "unknown"}[self.cluster]
        out.append(f"cluster  {CLUSTER_NAME}: {state}")
        if self.reachable:
            ready = sum(1 for _, r in self.nodes if r)
            out.append(
                f"API      reachable through {KIND_CONTEXT}: Kubernetes {self.server_version}, "
                f"{ready}/{len(self.nodes)} node(s) ready"
            )
        else:
            out.append(f"API      not reachable through {KIND_CONTEXT}")
        if self.enforces_policies is True:
            out.append(
                "policies enforced by kindnet (kind v0.24.0 or later); verify's canary proves it on every run"
            )
        elif self.enforces_policies is False:
            out.append("policies NOT enforced: this kind is older than v0.24.0; upgrade kind")
        out.extend(f"problem: {p}" for p in self.problems)
        return out


def status() -> Status:
    st = Status()
    docker_ok = False
    if find("docker"):
        version, problem = docker_engine()
        st.tools["docker"] = version or "installed, engine not running"
        docker_ok = version is not None
        if problem:
            st.problems.append(problem)
    else:
        st.tools["docker"] = None
        st.problems.append(INSTALL["docker"])
    if find("kind"):
        try:
            version, text = kind_version()
        except ToolError as exc:
            version, text = None, str(exc)
            st.problems.append(text)
        st.tools["kind"] = "v" + ".".join(map(str, version)) if version else (text or "installed")
        if version is not None:
            st.enforces_policies = version >= MIN_KIND_VERSION
        if docker_ok:
            try:
                st.cluster = cluster_exists()
            except ToolError as exc:
                st.problems.append(str(exc))
    else:
        st.tools["kind"] = None
        st.problems.append(INSTALL["kind"])
    if find("kubectl"):
        try:
            st.tools["kubectl"] = kubectl_version() or "installed"
            st.context = KIND_CONTEXT in contexts()
            if st.context:
                st.server_version, why = server_version()
                if st.server_version:
                    st.nodes = nodes()
                else:
                    st.problems.append(f"the API server does not answer: {why}")
        except ToolError as exc:
            st.problems.append(str(exc))
    else:
        st.tools["kubectl"] = None
        st.problems.append(INSTALL["kubectl"])
    if st.cluster is False:
        st.problems.append("there is no cluster yet: `k8slearn cluster up` creates it")
    return st


# -- up and down -------------------------------------------------------------------------------


def _require_kind_and_docker() -> None:
    if not find("docker"):
        raise ToolError(INSTALL["docker"])
    version, problem = docker_engine()
    if version is None:
        raise ToolError(problem)
    if not find("kind"):
        raise ToolError(INSTALL["kind"])
    kind, text = kind_version()
    if kind is None:
        raise ToolError(f"cannot tell kind's version from {text!r}: {INSTALL['kind']}")
    if kind < MIN_KIND_VERSION:
        raise ToolError(
            f"kind v{'.'.join(map(str, kind))} is older than {MIN_KIND_TEXT}: its network plugin "
            f"ignores NetworkPolicy, so verify could prove nothing. Upgrade: {INSTALL['kind']}"
        )


def up(on_line: Callable[[str], None] | None = None) -> str:
    """Create the k8slearn cluster (or say it is there); returns what to tell the learner."""
    _require_kind_and_docker()
    if cluster_exists():
        if find("kubectl") and KIND_CONTEXT not in contexts():
            run(["kind", "export", "kubeconfig", "--name", CLUSTER_NAME], QUICK)
        return (
            f"the cluster {CLUSTER_NAME} is already there (context {KIND_CONTEXT}); "
            "`k8slearn cluster status` says whether it answers"
        )
    with config_file() as path:
        done = run(
            [
                "kind",
                "create",
                "cluster",
                "--name",
                CLUSTER_NAME,
                "--config",
                str(path),
                "--wait",
                "180s",
            ],
            CREATE,
            on_line,
        )
    if not done.ok:
        raise ToolError(
            f"kind could not create the cluster:\n{done.last_lines()}\n"
            "Check that Docker has enough memory (2 GB or more) and disk, then try again; "
            "`k8slearn cluster down` removes a half-made cluster"
        )
    return (
        f"the cluster {CLUSTER_NAME} is up (context {KIND_CONTEXT}). Next: "
        "`k8slearn verify EXERCISE ANSWER_FILE`"
    )


def down(on_line: Callable[[str], None] | None = None) -> str:
    if not find("kind"):
        raise ToolError(INSTALL["kind"])
    version, problem = docker_engine() if find("docker") else (None, INSTALL["docker"])
    if version is None:
        raise ToolError(problem)
    if not cluster_exists():
        return f"there is no cluster named {CLUSTER_NAME}: nothing to delete"
    done = run(["kind", "delete", "cluster", "--name", CLUSTER_NAME], DELETE, on_line)
    if not done.ok:
        raise ToolError(f"kind could not delete the cluster:\n{done.last_lines()}")
    return f"the cluster {CLUSTER_NAME} is deleted"
