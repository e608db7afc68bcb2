"""kubectl drill: solve an exercise with the real kubectl on a practice cluster of its own.

Each item starts a fresh practice cluster from the exercise (a "fix this" exercise's
starter already applied), saved nowhere: the learner's own practice clusters
(`k8slearn shell`) are left alone. Enter runs the command line with the real kubectl
against it; F5 grades what the cluster holds, as `k8slearn check` grades a practice
cluster; then the fastest known way is shown (the exercise's `kubectl:` lines).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Markdown, RichLog, Static

from k8slearn.drills.kubectl import (
    FIX_THIS,
    ClusterError,
    CommandResult,
    KubectlCluster,
    fastest_way,
)
from k8slearn.drills.session import SKIPPED_BY_LEARNER, Drill
from k8slearn.grading.grader import Grade
from k8slearn.packs.model import Exercise
from k8slearn.tui.screens.drill_step import NEXT_KEY_HINT, DrillStep
from k8slearn.tui.widgets.countdown import Countdown
from k8slearn.tui.widgets.results import ResultsPanel

ClusterFactory = Callable[[Exercise], KubectlCluster]


def practice_cluster(exercise: Exercise) -> KubectlCluster:
    """A fresh practice cluster of `exercise`, saved nowhere (not in the learner's store)."""
    from k8slearn.practice.session import scratch_cluster

    return scratch_cluster(exercise)


class CommandLine(Input):
    """The command line, with the commands already run a key away (up and down)."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous command", show=False),
        Binding("down", "history(1)", "Next command", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history: list[str] = []
        self._at = 0

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._at = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._at = max(0, min(len(self.history), self._at + step))
        self.value = self.history[self._at] if self._at < len(self.history) else ""
        self.cursor_position = len(self.value)


class KubectlScreen(DrillStep):
    DEFAULT_CSS = """
    KubectlScreen #kubectl-drill-help {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    KubectlScreen #kubectl-drill-output {
        height: 1fr;
        min-height: 4;
        padding: 0 1;
        background: $surface;
    }
    KubectlScreen #fastest {
        height: auto;
        max-height: 10;
        padding: 0 1;
        display: none;
        border-top: solid $success 50%;
    }
    KubectlScreen #fastest.shown {
        display: block;
    }
    KubectlScreen #results {
        height: 40%;
    }
    """

    BINDINGS = [
        Binding("f5", "check", "Check cluster", id="check"),
        Binding("f2", "hint", "Hint", id="hint"),
        Binding("f3", "fastest", "Fastest way", id="solution"),
        Binding("ctrl+r", "reset", "Reset cluster", id="reset"),
        Binding("ctrl+n", "skip", "Next", id="next"),
        Binding("escape", "leave", "End drill", id="home", show=False),
    ]

    def __init__(
        self,
        exercise: Exercise,
        drill: Drill | None = None,
        open_cluster: ClusterFactory | None = None,
    ) -> None:
        super().__init__(drill)
        self.exercise = exercise
        self.open_cluster = open_cluster or practice_cluster
        self.cluster: KubectlCluster | None = None
        self.busy = False  # a command or a check is running
        self.starting = False  # a cluster is being made and started
        self.done = False  # graded as passed, or given up: the cluster is only to look at now
        self.fastest_text = ""  # the fastest known way, once shown
        self.transcript: list[str] = []  # what the output pane shows, as plain text
        self._closed = False

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        if self.drill is not None:
            yield Countdown(self.drill, id="countdown")
        with Horizontal(id="exercise-main"):
            with VerticalScroll(id="reading"):
                yield Markdown(self._markdown(), id="prompt")
            with Vertical(id="work"):
                yield Static(
                    "Enter runs a kubectl command on this item's practice cluster · "
                    "↑/↓ earlier commands · F5 grades the cluster · ctrl+r starts it again",
                    id="kubectl-drill-help",
                )
                yield CommandLine(placeholder="kubectl get pods --show-labels", id="command")
                yield RichLog(id="kubectl-drill-output", wrap=True, markup=False, min_width=20)
                yield Static("", id="fastest")
                yield ResultsPanel(id="results")
        yield Footer(compact=True)

    def _markdown(self) -> str:
        ex = self.exercise
        hints = "".join(f"\n{i + 1}. {h}" for i, h in enumerate(ex.hints[: self.hints_shown]))
        fix = ""
        if FIX_THIS in ex.tags and ex.starter.strip():
            fix = (
                "\n\n**What the task calls broken is already in the cluster** (as far as the "
                "API server accepts it): look at it with `kubectl get … -o yaml` and fix it "
                "in place. Where the prompt speaks of the editor, it means this starter:\n\n"
                f"```yaml\n{ex.starter.rstrip()}\n```"
            )
        return (
            f"# {ex.title}\n\n**Solve it with kubectl.** Every command runs with the real "
            "kubectl against this item's own practice cluster, fresh from the exercise "
            f"(current namespace `{ex.namespace}`). One command per line, no shell: no "
            "pipes or files. `kubectl exec POD -- wget -qO- -T 2 SERVICE:PORT` tests a "
            "connection. **F5** grades what the cluster holds; then the fastest known way "
            f"is shown.\n\n{ex.prompt}{fix}" + (f"\n\n## Hints{hints}" if hints else "")
        )

    def on_mount(self) -> None:
        self.sub_title = f"kubectl · {self.exercise.qualified_id}"
        self.query_one("#command", CommandLine).focus()
        self.query_one(ResultsPanel).clear("Press F5 to grade what the cluster holds.")
        self._say("# starting the practice cluster…", "dim")
        self.starting = True
        self._start()

    def on_unmount(self) -> None:
        self._close()

    # -- the practice cluster ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="kubectl-cluster")
    def _start(self) -> None:
        """Make and start a fresh cluster (the old one, after ctrl+r, is stopped first)."""
        old, self.cluster = self.cluster, None
        try:
            if old is not None:
                old.__exit__(None, None, None)
            cluster = self.open_cluster(self.exercise)
            cluster.__enter__()
        except (ClusterError, OSError) as exc:
            self.starting = False
            self.app.call_from_thread(self._say, f"# no practice cluster: {exc}", "red")
            return
        if self._closed:  # the screen went away while the cluster started
            cluster.__exit__(None, None, None)
            return
        self.cluster = cluster
        self.starting = False
        self.app.call_from_thread(self._started, cluster)

    def _started(self, cluster: KubectlCluster) -> None:
        if cluster.started_with:
            self._say("# ready; already in the cluster: " + ", ".join(cluster.started_with), "dim")
        elif FIX_THIS in self.exercise.tags and self.exercise.starter.strip():
            self._say(
                "# ready; the starter is not in the cluster: the API server refuses it. "
                "Make the objects the task asks for.",
                "dim",
            )
        else:
            self._say("# ready", "dim")

    def _close(self) -> None:
        """Stop the cluster without holding up the screen (stopping takes a moment)."""
        self._closed = True
        cluster, self.cluster = self.cluster, None
        if cluster is not None:
            # not a daemon: the interpreter waits for it, so the cluster's folder is removed
            threading.Thread(
                target=cluster.__exit__, args=(None, None, None), name="k8slearn-drill-stop"
            ).start()

    # -- commands --------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        if not line:
            return
        if self.busy:
            self.notify("kubectl is still running; wait for it to finish.", timeout=3)
            return
        if self.cluster is None:
            self.notify("The practice cluster is not ready yet.", timeout=3)
            return
        command = self.query_one("#command", CommandLine)
        command.remember(line)
        command.value = ""
        self._say(f"$ {line}", "bold")
        self.busy = True
        self._run(self.cluster, line)

    @work(thread=True, group="kubectl-run")
    def _run(self, cluster: KubectlCluster, line: str) -> None:
        result = cluster.run(line)
        if not self._closed:
            self.app.call_from_thread(self._ran, result)

    def _ran(self, result: CommandResult) -> None:
        self.busy = False
        style = "" if result.ok else ("yellow" if result.exit_code is None else "red")
        output = result.output.rstrip("\n")
        if output:
            self._say(output, style)

    def _say(self, text: str, style: str = "") -> None:
        self.transcript.append(text)
        self.query_one("#kubectl-drill-output", RichLog).write(Text(text, style=style))

    # -- grading -----------------------------------------------------------------------------

    def action_check(self) -> None:
        if self.busy:
            self.notify("kubectl is still running; check when it is done.", timeout=3)
            return
        if self.cluster is None:
            self.notify("The practice cluster is not ready yet.", timeout=3)
            return
        self.busy = True
        self.query_one(ResultsPanel).clear("Grading the cluster…")
        self._grade(self.cluster)

    @work(thread=True, group="kubectl-run")
    def _grade(self, cluster: KubectlCluster) -> None:
        from k8slearn.grading.grader import ExerciseError

        try:
            grade = cluster.grade()
        except ExerciseError as exc:
            if not self._closed:
                self.app.call_from_thread(self._broken, str(exc))
            return
        if not self._closed:
            self.app.call_from_thread(self._graded, grade)

    def _broken(self, why: str) -> None:
        self.busy = False
        self.query_one(ResultsPanel).clear(f"The exercise is broken: {why}")

    def _graded(self, grade: Grade) -> None:
        self.busy = False
        self.query_one(ResultsPanel).show_grade(grade, None)
        if self.done:
            return  # after the item ended, F5 still shows the cluster's grade, and records nothing
        failed = [c.name for c in grade.failed_checks()]
        self.app.store.record_attempt(
            self.exercise.qualified_id,
            grade.passed,
            failed,
            seconds=round(time.monotonic() - self.started, 1),
            hints_used=self.hints_shown,
            source="drill" if self.drill else "app",
        )
        if grade.passed:
            self.done = True
            self._show_fastest("Passed.")
            if self.drill is not None:
                self.finish_item(True, [], advance=False)
                self.notify(f"Passed: {NEXT_KEY_HINT}.", timeout=6)
        elif self.drill is not None:
            self.note_failed_check(failed)

    # -- the fastest known way ---------------------------------------------------------------------

    def _show_fastest(self, lead: str) -> None:
        way = fastest_way(self.exercise)
        shown = Text()
        shown.append(lead + " ", style="bold")
        if way is None:
            shown.append("No kubectl lines are known for this exercise.")
        else:
            shown.append(
                "The fastest known way:\n"
                if way.proven
                else "One `kubectl create service` line makes this Service:\n"
            )
            for line in way.lines:
                shown.append(f"  {line}\n", style="bold cyan")
        if self.drill is not None:
            shown.append(f"{NEXT_KEY_HINT[0].upper()}{NEXT_KEY_HINT[1:]}.", style="italic")
        self.fastest_text = shown.plain
        fastest = self.query_one("#fastest", Static)
        fastest.update(shown)
        fastest.add_class("shown")

    def action_fastest(self) -> None:
        """F3: show the fastest known way; in a drill that ends the item as failed."""
        if self.done:
            self._show_fastest("Done.")
            return
        if self.drill is None:
            self._show_fastest("Shown.")
            return
        from k8slearn.tui.screens.modals import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen("Show the fastest way? In a drill this ends the item as failed."),
            self._give_up,
        )

    def _give_up(self, sure: bool | None) -> None:
        if not sure or self.done:
            return
        self.done = True
        self.finish_item(
            False,
            ["fastest way shown"],
            note="fastest way shown",
            solution_shown=True,
            advance=False,
        )
        self._show_fastest("Given up.")

    # -- moving on -----------------------------------------------------------------------------

    def action_hint(self) -> None:
        if self.hints_shown < len(self.exercise.hints):
            self.hints_shown += 1
            self.query_one("#prompt", Markdown).update(self._markdown())
        else:
            self.notify("No more hints.")

    def action_reset(self) -> None:
        """ctrl+r: throw this cluster away and start again from the exercise."""
        if self.busy or self.starting:
            self.notify("Wait for kubectl, or the cluster, to finish first.", timeout=3)
            return
        self._say("# starting the practice cluster again…", "dim")
        self.starting = True
        self._start()

    def action_skip(self) -> None:
        """ctrl+n: first show the fastest way (the item ends unanswered), then move on."""
        if self.drill is None:
            return
        item = self.drill_item
        if self.holds_current_item and item is not None and item.passed is None:
            if self._too_soon():
                self.drill_next()  # says the item has only just appeared
                return
            self.done = True
            if item.failed_checks:
                self.finish_item(
                    False, item.failed_checks, note="moved on after a failing check", advance=False
                )
            else:
                self.finish_item(False, [], note=SKIPPED_BY_LEARNER, skipped=True, advance=False)
            self._show_fastest("Moved on.")
            return
        self.drill_next()
