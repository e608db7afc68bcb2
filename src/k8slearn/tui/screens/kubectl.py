"""Imperative-command drill: type a `kubectl create service` line, see its YAML graded."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Markdown, TextArea

from k8slearn.drills.kubectl import manifest_from_command
from k8slearn.drills.session import Drill
from k8slearn.grading.grader import Grade, Grader
from k8slearn.packs.format import Exercise
from k8slearn.tui.screens.drill_step import DrillStep
from k8slearn.tui.widgets.countdown import Countdown
from k8slearn.tui.widgets.results import ResultsPanel


class KubectlScreen(DrillStep):
    BINDINGS = [
        Binding("f5", "check", "Run & check", id="check"),
        Binding("f2", "hint", "Hint", id="hint"),
        Binding("ctrl+n", "skip", "Skip", id="next"),
        Binding("escape", "leave", "End drill", id="home", show=False),
    ]

    def __init__(self, exercise: Exercise, drill: Drill | None = None) -> None:
        super().__init__(drill)
        self.exercise = exercise
        self.grader = Grader(exercise)
        self.done = False

    def compose(self) -> ComposeResult:
        yield Header()
        if self.drill is not None:
            yield Countdown(self.drill, id="countdown")
        with Horizontal(id="exercise-main"):
            with VerticalScroll(id="reading"):
                yield Markdown(self._markdown(), id="prompt")
            with Vertical(id="work"):
                yield Input(
                    placeholder="kubectl create service clusterip web --tcp=80:8080", id="command"
                )
                yield TextArea(
                    "",
                    language="yaml",
                    read_only=True,
                    id="generated",
                    show_line_numbers=True,
                    theme="css",
                )
                yield ResultsPanel(id="results")
        yield Footer(compact=True)

    def _markdown(self) -> str:
        ex = self.exercise
        hints = "".join(f"\n{i + 1}. {h}" for i, h in enumerate(ex.hints[: self.hints_shown]))
        return (
            f"# {ex.title}\n\n**Answer with one imperative command** "
            "(`kubectl create service clusterip|nodeport|loadbalancer|externalname …`). "
            "It runs client-side only (`--dry-run=client -o yaml`) and its YAML is graded. "
            "Remember: it always sets the selector `app=<name>`.\n\n"
            f"{ex.prompt}" + (f"\n\n## Hints{hints}" if hints else "")
        )

    def on_mount(self) -> None:
        self.sub_title = f"kubectl · {self.exercise.qualified_id}"
        self.query_one("#command", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_check()

    def action_check(self) -> None:
        if self.done:
            return
        self.query_one(ResultsPanel).clear("Running kubectl…")
        self._run(self.query_one("#command", Input).value)

    @work(thread=True, exclusive=True)
    def _run(self, line: str) -> None:
        generated = manifest_from_command(line)
        grade = self.grader.grade(generated.manifest) if generated.manifest else None
        self.app.call_from_thread(self._show, generated.manifest, generated.error, grade)

    def _show(self, manifest: str, error: str, grade: Grade | None) -> None:
        self.query_one("#generated", TextArea).load_text(manifest or f"# {error}")
        panel = self.query_one(ResultsPanel)
        if grade is None:
            panel.clear(f"[red]{error}[/]")
            return
        panel.show_grade(grade, None)
        self.app.store.record_attempt(
            self.exercise.qualified_id,
            grade.passed,
            [c.name for c in grade.failed_checks()],
            seconds=round(time.monotonic() - self.started, 1),
            hints_used=self.hints_shown,
            source="drill" if self.drill else "app",
        )
        if self.drill is None:
            return
        if grade.passed:
            self.done = True
            self.finish_item(True, [], delay=2.0)
        else:
            self.note_failed_check([c.name for c in grade.failed_checks()])

    def action_hint(self) -> None:
        if self.hints_shown < len(self.exercise.hints):
            self.hints_shown += 1
            self.query_one("#prompt", Markdown).update(self._markdown())

    def action_skip(self) -> None:
        if self.drill is not None:
            self.drill_next()
