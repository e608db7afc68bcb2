"""F6: prove an answer on a real kind cluster, step by step, beside the model's prediction."""

from __future__ import annotations

import threading

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, RichLog, Static

from k8slearn.packs.model import Exercise


class VerifyScreen(ModalScreen[None]):
    """Runs the cluster verifier in a thread; Esc cancels (clean-up still runs)."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel / close", id="cancel"),
        Binding("l", "toggle_log", "Log", id="log"),
    ]

    def __init__(self, exercise: Exercise, answer: str) -> None:
        super().__init__()
        self.exercise = exercise
        self.answer = answer
        self.cancel_event = threading.Event()
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-dialog text-dialog", id="verify-dialog"):
            yield Label(f"Verify on the kind cluster: {self.exercise.title}", classes="modal-title")
            yield Static("Planning…", id="verify-step")
            yield ProgressBar(id="verify-progress", show_eta=False)
            yield Static("", id="verify-result")
            yield RichLog(id="verify-log", wrap=True, markup=False)
            yield Static(
                "Esc: cancel (clean-up still runs) · l: show or hide the log", classes="modal-keys"
            )

    def on_mount(self) -> None:
        self._run()

    @work(thread=True, exclusive=True, group="verify")
    def _run(self) -> None:
        from k8slearn.cluster.plan import PlanError, plan_verification
        from k8slearn.cluster.verify import VerifyError, run_verification

        call = self.app.call_from_thread
        try:
            plan = plan_verification(self.exercise, self.answer)
        except PlanError as exc:
            call(self._done, f"[red]Cannot verify:[/] {escape(str(exc))}")
            return
        try:
            result = run_verification(
                plan,
                on_step=lambda step, done, total: call(self._step, step, done, total),
                on_log=lambda line: call(self._log, line),
                cancel=self.cancel_event,
            )
        except VerifyError as exc:
            call(self._done, f"[red]Not verified:[/] {escape(str(exc))}")
            return
        except Exception as exc:  # an API error the verifier did not expect: say it, never crash
            call(self._done, f"[red]Verification failed:[/] {escape(str(exc))}")
            return
        verdict = "[green]Cluster agrees[/]" if result.passed else "[red]Differences found[/]"
        # What the cluster and the model say is text: `[...]` in it is not markup.
        call(self._done, f"{verdict}\n{escape(result.comparison.render())}")

    def _step(self, step: str, done: int, total: int) -> None:
        self.query_one("#verify-step", Static).update(escape(step))
        self.query_one("#verify-progress", ProgressBar).update(total=total, progress=done)

    def _log(self, line: str) -> None:
        self.query_one("#verify-log", RichLog).write(line)

    def _done(self, text: str) -> None:
        self.finished = True
        self.query_one("#verify-result", Static).update(text)
        self.query_one("#verify-step", Static).update("Done. Esc closes.")

    def action_cancel(self) -> None:
        if self.finished:
            self.dismiss(None)
            return
        self.cancel_event.set()
        self.query_one("#verify-step", Static).update("Cancelling… cleaning up what was created")

    def action_toggle_log(self) -> None:
        log = self.query_one("#verify-log", RichLog)
        log.display = not log.display
