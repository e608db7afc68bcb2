"""The kubectl pane: the real kubectl, one command at a time, on the exercise's practice cluster.

The learner types a kubectl line (with or without `kubectl` or its alias `k` in
front); the pane runs the real binary in a thread worker against the stand-in
API server (`practice.session.PracticeSession`), which starts with the first
command and stops when the screen goes. The pane is no shell: pipes,
redirections and variables are refused, and so is what needs a terminal it
cannot give (`exec -it … sh`, `get -w`, `logs -f`); `kubectl edit` runs in the
terminal with the app suspended, as ctrl+e runs $EDITOR. Tab completes verbs,
resource kinds and short names, and the names of the objects in the world, read
in-process from the PracticeState; up and down walk the history, which is kept
in the store across exercises and runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, RichLog, Static

if TYPE_CHECKING:
    from k8slearn.packs.model import Exercise
    from k8slearn.practice.resources import Resource
    from k8slearn.practice.session import PracticeSession
    from k8slearn.practice.state import PracticeState
    from k8slearn.progress.store import Store

TIMEOUT = 30.0  # seconds a kubectl command may take before the pane stops it
HISTORY_KEY = "kubectl:history"
HISTORY_SIZE = 200

# --- reading a line -----------------------------------------------------------------------------

SHELL_OPERATORS = "|&;<>()"
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})
ONE_SHOT = (
    "only one-shot commands are answered here: give the command after `--`, e.g. "
    "`kubectl exec client -- wget -qO- --timeout=2 web` (an interactive shell needs a "
    "terminal: `k8slearn shell EXERCISE` gives you one)"
)
NO_SHELL = (
    "the pane runs one kubectl command, without a shell: no pipes, redirections, `;`, `&&` "
    "or `$variables`. For a full shell on this cluster run `k8slearn shell EXERCISE` in "
    "your terminal."
)
NO_STDIN = (
    "the pane has no standard input to read YAML from: write the YAML in the editor "
    "(ctrl+t switches to it) and press F5, which applies it as `kubectl apply -f -` would; "
    "or give a file: `kubectl apply -f FILE`"
)
EDIT_NEEDS_TERMINAL = (
    "kubectl edit opens an editor, and this app cannot hand it a terminal here: change the "
    "YAML in the editor instead (ctrl+t switches to it, ctrl+e opens it in $EDITOR) and "
    "press F5, which applies it as `kubectl apply -f` would; or use `kubectl patch`, "
    "`kubectl label` or `kubectl set`"
)
STREAMING = "{what} streams until you press ctrl+c; the pane answers one-shot commands: {instead}"
NOT_HERE = {
    "attach": "kubectl attach needs a terminal to attach to; " + ONE_SHOT,
    "port-forward": "kubectl port-forward is not available in the practice cluster "
    "(test a connection with `kubectl exec POD -- wget -qO- --timeout=2 SERVICE:PORT`)",
    "proxy": "kubectl proxy is not available in the practice cluster",
    "cp": "kubectl cp is not available in the practice cluster",
    "debug": "kubectl debug is not available in the practice cluster",
}
# Flags (of kubectl or its commands) whose value is the next word, unless given as --flag=value.
VALUE_FLAGS = frozenset(
    {
        "-n",
        "--namespace",
        "-o",
        "--output",
        "-l",
        "--selector",
        "-c",
        "--container",
        "-f",
        "--filename",
        "--field-selector",
        "--context",
        "--cluster",
        "--user",
        "--kubeconfig",
        "-s",
        "--server",
        "--token",
        "--as",
        "--request-timeout",
        "--port",
        "--target-port",
        "--name",
        "--type",
        "--protocol",
        "--image",
        "--labels",
        "--tcp",
        "--env",
        "--replicas",
        "--timeout",
        "-p",
        "--patch",
        "--grace-period",
        "--node-port",
        "--external-name",
        "--cluster-ip",
        "--overrides",
        "--template",
        "--sort-by",
        "-L",
        "--label-columns",
        "--from-literal",
        "--from-file",
        "--session-affinity",
        "--load-balancer-ip",
        "--external-ip",
        "--generator",
        "--restart",
        "--dry-run",
        "--field-manager",
        "--for",
    }
)


EXEC_BOOLEANS = "itq"  # exec's and run's one-letter switches: -i, -t, -q


class Refused(Exception):
    """A line the pane will not run; the message says why and what to do instead."""


@dataclass(frozen=True)
class Command:
    """What the pane runs for a line: kubectl's arguments, and a note on what it changed."""

    argv: tuple[str, ...]
    note: str = ""
    in_terminal: bool = False  # kubectl edit: runs in the terminal, the app suspended


def _verb_index(argv: Sequence[str]) -> int | None:
    """Where the command word is (global flags such as `-n shop` may come first)."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return None
        if word.startswith("-"):
            i += 2 if word in VALUE_FLAGS else 1
            continue
        return i
    return None


def _cluster(word: str, booleans: str) -> bool:
    """Whether `word` is a cluster of boolean short flags (`-it`), not `-owide` (a value)."""
    return len(word) > 1 and word[0] == "-" and all(c in booleans for c in word[1:])


def _flag_set(words: Sequence[str], long: str, short: str = "", booleans: str = "") -> bool:
    """Whether a boolean flag is on among `words`: `--x`, `--x=true`, `-x`, or `x` in a
    cluster of the command's boolean short flags (`booleans`)."""
    for word in words:
        if word == long or word == f"{long}=true":
            return True
        if short and (word == f"-{short}" or (_cluster(word, booleans) and short in word)):
            return True
    return False


def _without_tty(words: Sequence[str]) -> list[str]:
    """`-it` becomes `-i`, `-t` and `--tty` go: kubectl would otherwise complain there is no TTY."""
    out = []
    for word in words:
        if word in ("--tty", "--tty=true", "-t"):
            continue
        if _cluster(word, EXEC_BOOLEANS) and "t" in word:
            word = word.replace("t", "")
        out.append(word)
    return out


def parse_line(line: str) -> Command:
    """Read one line as kubectl would get it from a shell; Refused when the pane cannot run it."""
    try:
        lexer = shlex.shlex(line, posix=False, punctuation_chars=SHELL_OPERATORS)
        lexer.whitespace_split = True
        raw = list(lexer)
        argv = shlex.split(line)
    except ValueError as exc:
        raise Refused(f"cannot read the line: {exc} (a quote left open?)") from None
    for word in raw:
        if all(c in SHELL_OPERATORS for c in word) or word.startswith("$") or "`" in word:
            raise Refused(NO_SHELL)
    if argv and argv[0] in ("kubectl", "k"):
        argv = argv[1:]
    elif argv and argv[0] == "k8slearn":
        raise Refused(
            "here F5 checks the practice cluster (`k8slearn check` is for `k8slearn shell`)"
        )
    at = _verb_index(argv)
    if at is None:
        return Command(tuple(argv))
    verb = argv[at]
    dash = argv.index("--") if "--" in argv else len(argv)
    flags, after = argv[:dash], argv[dash + 1 :]
    if verb in NOT_HERE:
        raise Refused(NOT_HERE[verb])
    for i, word in enumerate(flags):
        given = flags[i + 1] if word in ("-f", "--filename") and i + 1 < len(flags) else None
        if given == "-" or word in ("-f=-", "--filename=-"):
            raise Refused(NO_STDIN)
    if verb == "edit" or "--edit" in flags or "--edit=true" in flags:
        return Command(tuple(argv), in_terminal=True)
    if verb in ("get", "events") and (
        _flag_set(flags, "--watch", "w", "wA") or _flag_set(flags, "--watch-only")
    ):
        raise Refused(
            STREAMING.format(what="watching", instead="run the command again to see changes")
        )
    if verb == "logs" and _flag_set(flags, "--follow", "f", "fp"):
        raise Refused(STREAMING.format(what="logs -f", instead="kubectl logs POD"))
    if verb in ("exec", "run"):
        tty = _flag_set(flags, "--tty", "t", EXEC_BOOLEANS)
        stdin = _flag_set(flags, "--stdin", "i", EXEC_BOOLEANS)
        shell = not after or (
            os.path.basename(after[0]) in SHELLS and (len(after) == 1 or after[1] != "-c")
        )
        if shell and ((verb == "exec" and after) or (verb == "run" and (tty or stdin))):
            raise Refused(ONE_SHOT)
        if tty:
            return Command(
                tuple(_without_tty(flags) + argv[dash:]),
                note="-t left out: the pane has no terminal; the command's output follows",
            )
    return Command(tuple(argv))


# --- completion ---------------------------------------------------------------------------------

VERBS = (
    "get",
    "describe",
    "create",
    "expose",
    "run",
    "apply",
    "label",
    "annotate",
    "edit",
    "patch",
    "delete",
    "exec",
    "logs",
    "explain",
    "set",
    "scale",
    "rollout",
    "replace",
    "diff",
    "events",
    "wait",
    "api-resources",
    "api-versions",
    "config",
    "version",
)
SUBCOMMANDS = {
    "create": ("service", "deployment", "namespace", "configmap"),
    "set": ("image", "env", "selector", "resources"),
    "rollout": ("status", "history", "restart", "undo", "pause", "resume"),
    "config": ("view", "get-contexts", "current-context", "set-context"),
}
SERVICE_TYPES = ("clusterip", "nodeport", "loadbalancer", "externalname")
WITH_KIND = frozenset(
    {"get", "describe", "delete", "edit", "label", "annotate", "patch", "expose", "scale"}
)
WITH_POD = frozenset({"exec", "logs"})
FLAG_VALUES = {
    "-o": ("yaml", "json", "wide", "name", "jsonpath=", "custom-columns="),
    "--output": ("yaml", "json", "wide", "name", "jsonpath=", "custom-columns="),
    "--type": ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
    "--restart": ("Never", "Always", "OnFailure"),
    "--dry-run": ("client", "server", "none"),
}
FLAGS = (
    "--show-labels",
    "-o",
    "-n",
    "-A",
    "-l",
    "--all-namespaces",
    "--selector",
    "--dry-run=client",
    "--port",
    "--target-port",
    "--name",
    "--type",
    "--protocol",
    "--tcp",
    "--image",
    "--labels",
    "--restart=Never",
    "--rm",
    "--overwrite",
    "--all",
    "--field-selector",
    "--namespace",
    "--output",
    "--command",
    "--expose",
    "--replicas",
    "--env",
    "--node-port",
    "--external-name",
    "--grace-period=0",
    "--force",
    "--timeout=2",
)


@dataclass(frozen=True)
class Completion:
    """What the word under the cursor may become; `start` is where that word begins."""

    start: int
    prefix: str
    candidates: tuple[str, ...]
    names: bool = False  # the candidates are objects' names (offered even before a letter)

    def apply(self, line: str, candidate: str) -> str:
        return line[: self.start] + candidate


class WorldNames:
    """The names completion offers, read from the practice cluster's state (when loaded)."""

    def __init__(self, state: Callable[[], PracticeState | None], namespace: str) -> None:
        self._state = state
        self.namespace = namespace

    def names(self, r: Resource, namespace: str | None) -> list[str]:
        state = self._state()
        if state is None:
            return []
        return [o["metadata"]["name"] for o in state.list(r, namespace if r.namespaced else None)]

    def namespaces(self) -> list[str]:
        from k8slearn.practice.resources import resource_of_kind

        r = resource_of_kind("Namespace")
        return self.names(r, None) if r is not None else []


def kind_words() -> list[tuple[str, Resource]]:
    """Every way kubectl names a served kind: plural, singular, short names (plurals first)."""
    from k8slearn.practice.resources import RESOURCES

    words: list[tuple[str, Resource]] = [(r.plural, r) for r in RESOURCES]
    words += [(r.singular, r) for r in RESOURCES if r.singular != r.plural]
    words += [(s, r) for r in RESOURCES for s in r.short_names]
    return words


def _resource_named(word: str) -> Resource | None:
    word = word.lower().split(".", 1)[0]  # deployments.apps
    for name, r in kind_words():
        if name == word or r.kind.lower() == word:
            return r
    return None


def completions(line: str, world: WorldNames) -> Completion:
    """The candidates for the last word of `line`, as kubectl's shell completion would offer."""
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]
    if not line or line[-1].isspace():
        words.append((len(line), ""))
    start, prefix = words[-1]
    before = [w for _, w in words[:-1]]
    if before and before[0] in ("kubectl", "k"):
        before = before[1:]
    namespace: str | None = world.namespace
    positional: list[str] = []
    previous = ""
    for word in before:
        if previous in ("-n", "--namespace"):
            namespace = word
        elif word.startswith("--namespace="):
            namespace = word.split("=", 1)[1]
        elif word in ("-A", "--all-namespaces"):
            namespace = None
        if not word.startswith("-") and previous not in VALUE_FLAGS:
            positional.append(word)
        previous = word

    def offer(
        options: Sequence[str], at: int = start, typed: str = prefix, names: bool = False
    ) -> Completion:
        found = tuple(dict.fromkeys(o for o in options if o.startswith(typed) and o != typed))
        return Completion(at, typed, found, names)

    if previous in ("-n", "--namespace"):
        return offer(world.namespaces(), names=True)
    if previous in FLAG_VALUES:
        return offer(FLAG_VALUES[previous])
    if prefix.startswith("-"):
        flag, eq, value = prefix.partition("=")
        if eq:
            values = world.namespaces() if flag == "--namespace" else FLAG_VALUES.get(flag, ())
            return offer(values, start + len(flag) + 1, value, flag == "--namespace")
        return offer(FLAGS)
    if not positional:
        return offer(VERBS)
    verb, args = positional[0], positional[1:]
    kinds = [w for w, _ in kind_words()]
    if verb in SUBCOMMANDS and not args:
        return offer(SUBCOMMANDS[verb])
    if verb == "create":
        return offer(SERVICE_TYPES) if args == ["service"] or args == ["svc"] else offer(())
    if verb in ("set", "rollout"):
        verb, args = "get", args[1:]  # `set image deploy/web`, `rollout status deploy/web`
    if verb == "explain":
        return offer(kinds) if not args else offer(())
    if verb in WITH_POD and not args:
        r = _resource_named("pods")
        return offer(world.names(r, namespace) if r else [], names=True)
    if verb not in WITH_KIND:
        return offer(())
    if not args:
        if "/" in prefix:
            kind = prefix.partition("/")[0]
            r = _resource_named(kind)
            names = world.names(r, namespace) if r else []
            return offer([f"{kind}/{n}" for n in names], names=True)
        return offer(kinds)
    if "/" in args[0]:
        return offer(())
    r = _resource_named(args[0])
    return offer(world.names(r, namespace) if r else [], names=True)


def _common_prefix(words: Sequence[str]) -> str:
    """The longest start all `words` share (letter by letter, not by path parts)."""
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


class KubectlSuggester(Suggester):
    """The first candidate, shown greyed after the cursor (tab or → takes it)."""

    def __init__(self, world: WorldNames) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # names change as kubectl works
        self.world = world

    def complete(self, value: str) -> Completion:
        try:
            return completions(value, self.world)
        except Exception:  # completion must never take the command line down
            return Completion(len(value), "", ())

    async def get_suggestion(self, value: str) -> str | None:
        found = self.complete(value)
        if not found.candidates or not (found.prefix or found.names):
            return None
        return found.apply(value, found.candidates[0])


# --- the practice cluster, as a screen uses it ---------------------------------------------------


@dataclass(frozen=True)
class KubectlOutput:
    stdout: str
    stderr: str
    exit_code: int
    changed: bool  # the cluster's resourceVersion moved while the command ran


class PracticeLink:
    """The exercise's practice cluster for one screen: its state read on first use, the
    stand-in server started with the first kubectl command, everything stopped by `close`.

    Thread-safe: the screen's workers load and run through it while the UI reads it."""

    def __init__(self, exercise: Exercise, store_path: Path | None = None) -> None:
        self.exercise = exercise
        self._store_path = store_path
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._session: PracticeSession | None = None
        self._state: PracticeState | None = None
        self._baseline: str | None = None
        self._started = False
        self._process: subprocess.Popen[bytes] | None = None
        self.problem: str | None = None  # why kubectl cannot run here (no kubectl…)
        self._closing = False
        self.closed = threading.Event()  # set once close() has stopped everything

    @property
    def state(self) -> PracticeState | None:
        return self._state

    @property
    def running(self) -> bool:
        """Whether the stand-in server is up."""
        return self._started and not self._closing

    @property
    def session(self) -> PracticeSession | None:
        return self._session

    def load(self) -> PracticeState | None:
        """Read the exercise's saved practice state (or build it from the scenario)."""
        from k8slearn.practice.session import (
            PracticeError,
            PracticeSession,
            fresh_state,
            load_state,
        )
        from k8slearn.progress.store import open_store

        with self._lock:
            if self._state is not None or self._closing:
                return self._state
            if self._store is None:
                self._store = open_store(self._store_path, threads=True)
            try:
                self._session = PracticeSession(self.exercise, self._store)
                self._state = self._session.state
            except PracticeError as exc:
                self.problem = str(exc)
                try:
                    self._state = load_state(self.exercise, self._store)
                except PracticeError:
                    return None
            try:
                self._baseline = fresh_state(self.exercise).resource_version
            except PracticeError:
                self._baseline = None
            return self._state

    def in_use(self) -> bool:
        """Whether the cluster has changed since the exercise's start (kubectl was used on it)."""
        state = self._state
        return state is not None and state.resource_version != self._baseline

    def start(self) -> PracticeSession:
        """The running session (started now if need be); PracticeError says why it cannot."""
        from k8slearn.practice.session import PracticeError

        with self._lock:
            if self._closing:
                raise PracticeError("the exercise's screen has closed")
            self.load()
            if self._session is None:
                raise PracticeError(self.problem or "the practice cluster cannot start")
            if not self._started:
                self._session.__enter__()
                self._started = True
            return self._session

    def run(self, argv: Sequence[str], stdin: str | None = None) -> KubectlOutput:
        """Run the real kubectl on the practice cluster (blocks: call it from a worker)."""
        session = self.start()
        before = session.state.resource_version
        try:
            process = subprocess.Popen(
                [str(session.kubectl), *argv],
                env=session.environment(),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            return KubectlOutput("", f"cannot run kubectl: {exc}", 127, False)
        self._process = process
        try:
            data = stdin.encode() if stdin is not None else None
            out, err = process.communicate(data, timeout=TIMEOUT)
            code = process.returncode
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            err += f"\nstopped after {TIMEOUT:.0f} seconds".encode()
            code = 124
        finally:
            self._process = None
        after = session.state.resource_version
        return KubectlOutput(
            out.decode(errors="replace"), err.decode(errors="replace"), code, after != before
        )

    def reset(self) -> None:
        """Forget what was done: the cluster goes back to the exercise's scenario."""
        from k8slearn.practice.session import reset_state

        with self._lock:
            self._stop_server()
            if self._store is None:
                from k8slearn.progress.store import open_store

                self._store = open_store(self._store_path, threads=True)
            reset_state(self.exercise, self._store)
            self._session, self._state, self.problem = None, None, None
            self.load()

    def _stop_server(self) -> None:
        process = self._process
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()
        if self._started and self._session is not None:
            self._session.__exit__(None, None, None)
        self._started = False

    def close(self) -> None:
        """Stop kubectl and the server, remove the session's folder; the state stays saved."""
        self._closing = True  # no new session from here on
        with self._lock:
            if self.closed.is_set():
                return
            self._stop_server()
            if self._store is not None:
                self._store.close()
                self._store = None
            self.closed.set()


# --- the widgets --------------------------------------------------------------------------------


class CommandLine(Input):
    """The kubectl command line: history on up/down, completion on tab."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous command", show=False),
        Binding("down", "history(1)", "Next command", show=False),
        Binding("tab", "complete", "Complete", show=False),
        Binding("escape", "leave", "Leave the command line", show=False),
    ]

    def __init__(self, suggester: KubectlSuggester, **kwargs) -> None:
        super().__init__(suggester=suggester, **kwargs)
        self.completer = suggester
        self.history: list[str] = []
        self._index: int | None = None
        self._draft = ""

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_SIZE]
        self._index = None

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._index is None:
            if step > 0:
                return
            self._draft, self._index = self.value, len(self.history)
        self._index = max(0, self._index + step)
        if self._index >= len(self.history):
            self._index, self.value = None, self._draft
        else:
            self.value = self.history[self._index]
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        """Complete the word under the cursor: the whole of it when there is one candidate,
        else as far as the candidates agree, then the first of them (the greyed one)."""
        if self.cursor_position != len(self.value):
            self.cursor_position = len(self.value)
            return
        found = self.completer.complete(self.value)
        if not found.candidates:
            return
        if len(found.candidates) == 1:
            word = found.candidates[0]
            end = "" if word.endswith(("=", "/")) else " "
            self.value = found.apply(self.value, word) + end
        else:
            common = _common_prefix(found.candidates)
            word = common if len(common) > len(found.prefix) else found.candidates[0]
            self.value = found.apply(self.value, word)
        self.cursor_position = len(self.value)

    def action_leave(self) -> None:
        """Esc clears the line; on an empty line it leaves it (a second Esc goes home)."""
        if self.value:
            self.value = ""
        else:
            self.screen.set_focus(None)


@dataclass(frozen=True)
class Job:
    """One kubectl run waiting its turn: the pane runs them in order, one at a time."""

    shown: str  # what the log prints after `$ `
    command: Command
    stdin: str | None = None
    purpose: str = ""  # "" for the learner's own lines; the screen's own runs name theirs


@dataclass(frozen=True)
class KubectlRun:
    """A finished run, as the pane reports it to the screen."""

    shown: str
    argv: tuple[str, ...]
    output: KubectlOutput
    purpose: str = ""


class KubectlPane(Vertical):
    """The command line, the output above it, and a line of completion candidates."""

    BINDINGS = [Binding("ctrl+l", "clear", "Clear output", show=False)]

    class Ran(Message):
        """kubectl finished (the cluster may have changed: `run.output.changed`)."""

        def __init__(self, run: KubectlRun) -> None:
            super().__init__()
            self.run = run

    def __init__(self, link: PracticeLink, namespace: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.link = link
        self.namespace = namespace
        self._queue: deque[Job] = deque()
        self._busy = False
        self._width = 0  # the output's last known width (it has none while its tab is hidden)

    def compose(self) -> ComposeResult:
        yield RichLog(id="kubectl-output", max_lines=5000, wrap=True, min_width=20)
        yield Static("", id="kubectl-hint")
        yield CommandLine(
            KubectlSuggester(WorldNames(lambda: self.link.state, self.namespace)),
            placeholder="kubectl get pods --show-labels",
            id="kubectl-command",
        )

    def on_mount(self) -> None:
        line = self.query_one(CommandLine)
        saved = self.app.store.get_state(HISTORY_KEY)
        with contextlib.suppress(ValueError, TypeError):
            line.history = [str(x) for x in json.loads(saved or "[]")][-HISTORY_SIZE:]
        self._write(
            Text.assemble(
                ("kubectl", "bold"),
                " here is the real one, on this exercise's practice cluster (namespace ",
                (self.namespace, "bold"),
                "), modelled offline; what you change is kept, as `k8slearn shell` keeps it.\n",
                (
                    "`k` works too · tab completes · ↑↓ history · ctrl+l clears · F5 checks "
                    "the cluster\n",
                    "dim",
                ),
                ("kubectl exec POD -- wget -qO- --timeout=2 SERVICE:PORT", "bold"),
                (" tests a connection (answered from the model)", "dim"),
            )
        )

    def _write(self, text: Text) -> None:
        """Add to the output, folded as a terminal folds long lines (nothing is cut off)."""
        log = self.query_one(RichLog)
        width = log.scrollable_content_region.width
        if width >= 20:
            self._width = width
        text.overflow = "fold"
        log.write(text, width=self._width or None)

    def focus_command(self) -> None:
        self.query_one(CommandLine).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if not self._busy:
            self._hint(event.value)

    def _hint(self, value: str) -> None:
        line = self.query_one(CommandLine)
        found = line.completer.complete(value) if value else None
        hint = self.query_one("#kubectl-hint", Static)
        if found is None or len(found.candidates) < 2:
            hint.update("")
            return
        shown = "  ".join(found.candidates[:12])
        more = f"  (+{len(found.candidates) - 12})" if len(found.candidates) > 12 else ""
        hint.update(Text(shown + more, style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = self.query_one(CommandLine)
        text = event.value.strip()
        line.value = ""
        if not text:
            return
        line.remember(text)
        self.app.store.set_state(HISTORY_KEY, json.dumps(line.history))
        self.submit(text)

    def submit(self, text: str) -> None:
        """Run a line as the learner typed it, or say plainly why the pane will not."""
        if text in ("clear", "cls"):
            self.action_clear()
            return
        try:
            command = parse_line(text)
        except Refused as exc:
            self._prompt(text)
            self._write(Text(str(exc), style="yellow"))
            return
        self._queue.append(Job(text, command))
        self._pump()

    def run_for(
        self, argv: Sequence[str], shown: str, purpose: str, stdin: str | None = None
    ) -> None:
        """Run kubectl for the screen (F5 applying the editor); `Ran` reports it with `purpose`."""
        self._queue.append(Job(shown, Command(tuple(argv)), stdin, purpose))
        self._pump()

    @property
    def busy(self) -> bool:
        return self._busy or bool(self._queue)

    def note(self, text: str) -> None:
        """A line from the app itself (not kubectl's), set apart from kubectl's output."""
        self._write(Text(text, style="dim italic"))

    def action_clear(self) -> None:
        self.query_one(RichLog).clear()

    def _prompt(self, shown: str) -> None:
        self._write(Text.assemble(("$ ", "bold green"), (shown, "bold")))

    def _pump(self) -> None:
        if self._busy or not self._queue:
            return
        job = self._queue.popleft()
        self._busy = True
        self._prompt(job.shown)
        if job.command.note:
            self._write(Text(f"({job.command.note})", style="dim"))
        self.query_one("#kubectl-hint", Static).update(Text("running kubectl…", style="dim"))
        if job.command.in_terminal:
            self._start_for_terminal(job)
        else:
            self._run(job)

    @work(thread=True, group="kubectl")
    def _run(self, job: Job) -> None:
        from k8slearn.practice.session import PracticeError

        try:
            output = self.link.run(job.command.argv, job.stdin)
        except PracticeError as exc:
            output = KubectlOutput("", str(exc), 1, False)
        with contextlib.suppress(Exception):  # the app may be closing
            self.app.call_from_thread(self._done, job, output)

    def _done(self, job: Job, output: KubectlOutput | None) -> None:
        if not self.is_attached:
            return  # kubectl ended as the screen went
        if output is not None:
            if output.stdout:
                self._write(Text(output.stdout.rstrip("\n")))
            if output.stderr:
                self._write(Text(output.stderr.rstrip("\n"), style="red"))
            if output.exit_code and not output.stderr:
                self._write(Text(f"(exit status {output.exit_code})", style="dim"))
        self._busy = False
        self._hint(self.query_one(CommandLine).value)
        if output is not None:
            self.post_message(
                self.Ran(KubectlRun(job.shown, job.command.argv, output, job.purpose))
            )
        self._pump()

    # kubectl edit: the server must be up before the app hands the terminal over
    @work(thread=True, group="kubectl")
    def _start_for_terminal(self, job: Job) -> None:
        from k8slearn.practice.session import PracticeError

        try:
            self.link.start()
        except PracticeError as exc:
            with contextlib.suppress(Exception):
                self.app.call_from_thread(self._done, job, KubectlOutput("", str(exc), 1, False))
            return
        with contextlib.suppress(Exception):
            self.app.call_from_thread(self._in_terminal, job)

    def _in_terminal(self, job: Job) -> None:
        if not self.is_attached:
            return
        session = self.link.session
        if session is None or not self.link.running:
            self._done(job, None)
            return
        before = session.state.resource_version
        try:
            with self.app.suspend():
                code = subprocess.run(
                    [str(session.kubectl), *job.command.argv], env=session.environment()
                ).returncode
        except SuspendNotSupported:
            self._write(Text(EDIT_NEEDS_TERMINAL, style="yellow"))
            self._done(job, None)
            return
        except OSError as exc:
            self._done(job, KubectlOutput("", f"cannot run kubectl: {exc}", 127, False))
            return
        changed = session.state.resource_version != before
        said = "changed the cluster" if changed else "left the cluster as it was"
        self._done(
            job,
            KubectlOutput(f"(kubectl ran in the terminal and {said})", "", code, changed),
        )
