"""Predict the table: mark which connections the shown manifests allow, then see the truth."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Markdown, Static, TextArea

from k8slearn.drills.predict import PredictResult, PredictTask, grade_prediction
from k8slearn.drills.session import Drill
from k8slearn.tui.screens.drill_step import DrillStep
from k8slearn.tui.widgets.countdown import Countdown


class PredictScreen(DrillStep):
    BINDINGS = [
        Binding("space", "toggle", "Toggle cell", id="toggle"),
        Binding("f5", "check", "Check", id="check"),
        Binding("f2", "hint", "Hint", id="hint"),
        Binding("ctrl+n", "step(1)", "Next", id="next"),
        Binding("escape", "leave", "Home", id="home", show=False),
    ]

    def __init__(self, task: PredictTask, drill: Drill | None = None) -> None:
        super().__init__(drill)
        self.prediction = task
        self.guesses: dict[tuple[str, str], bool] = {}
        self.result: PredictResult | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        if self.drill is not None:
            yield Countdown(self.drill, id="countdown")
        with Horizontal(id="exercise-main"):
            with Vertical(id="reading"):
                with VerticalScroll(id="prompt-scroll"):
                    yield Markdown(self._markdown(), id="prompt")
                yield TextArea(
                    self.prediction.manifests,
                    language="yaml",
                    read_only=True,
                    show_line_numbers=True,
                    theme="css",
                    id="manifests",
                )
            with Vertical(id="work"):
                yield Static(
                    f"Port {self.prediction.port}/{self.prediction.protocol} · rows: from, columns: to · "
                    "space marks a cell allowed (✓) or denied (·) · = a pod to itself, always "
                    "allowed · F5 checks",
                    id="status",
                )
                yield DataTable(id="predict", cursor_type="cell")
                yield Static("", id="explanation")
        yield Footer(compact=True)

    def _markdown(self) -> str:
        ex = self.prediction.exercise
        source = (
            ""
            if self.prediction.source == "given"
            else (
                f"\n\n*These manifests are the exercise's {self.prediction.source}; "
                "they may or may not be right — predict what they do.*"
            )
        )
        hints = "".join(f"\n{i + 1}. {h}" for i, h in enumerate(ex.hints[: self.hints_shown]))
        prompt = (
            ex.prompt
            if ex.kind == "predict"
            else (
                f"What do these manifests allow on port {self.prediction.port}/{self.prediction.protocol}?"
            )
        )
        return f"# {ex.title}\n\n{prompt}{source}\n\n```yaml\n{self.prediction.manifests}\n```" + (
            f"\n\n## Hints{hints}" if hints else ""
        )

    def on_mount(self) -> None:
        self.sub_title = f"predict · {self.prediction.exercise.qualified_id}"
        table = self.query_one("#predict", DataTable)
        table.add_column("from \\ to", key="from")
        for t in self.prediction.targets:
            table.add_column(t, key=t)
        for s in self.prediction.sources:
            table.add_row(s, *[self._cell(s, t) for t in self.prediction.targets], key=s)
        table.focus()

    def _cell(self, src: str, dst: str) -> Text:
        if self.prediction.is_self(src, dst):
            return Text("=", style="dim")  # a pod to itself: always allowed, never asked
        guess = self.guesses.get((src, dst), False)
        if self.result is None:
            return Text("✓" if guess else "·", style="bold" if guess else "dim")
        actual = self.prediction.actual(src, dst)
        style = "green" if guess == actual else "bold reverse red"
        return Text(("✓" if guess else "·") + (" " if guess == actual else "≠"), style=style)

    def _redraw(self) -> None:
        table = self.query_one("#predict", DataTable)
        for r, s in enumerate(self.prediction.sources):
            for c, t in enumerate(self.prediction.targets):
                table.update_cell_at((r, c + 1), self._cell(s, t))

    def action_toggle(self) -> None:
        if self.result is not None:
            return
        table = self.query_one("#predict", DataTable)
        row, column = table.cursor_coordinate
        if column == 0:
            return
        key = (self.prediction.sources[row], self.prediction.targets[column - 1])
        if self.prediction.is_self(*key):
            self.notify("A pod cannot block access to itself: this cell is always allowed.")
            return
        self.guesses[key] = not self.guesses.get(key, False)
        self._redraw()

    def action_check(self) -> None:
        if self.result is not None:
            return
        self.result = grade_prediction(self.prediction, self.guesses)
        self._redraw()
        r = self.result
        verdict = "PASSED" if r.passed else "NOT YET"
        self.query_one("#status", Static).update(
            f"[b]{verdict}[/]: {r.right}/{len(r.cells)} cells right. Wrong cells are marked ≠; "
            "move onto one to read why."
        )
        self.app.store.record_attempt(
            self.prediction.exercise.qualified_id,
            r.passed,
            [f"{c.src} → {c.dst}" for c in r.wrong()],
            seconds=round(time.monotonic() - self.started, 1),
            hints_used=self.hints_shown,
            source="drill" if self.drill else "app",
        )
        if self.drill is not None:
            self.finish_item(r.passed, [f"{c.src} → {c.dst}" for c in r.wrong()], delay=3.0)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        if self.result is None or event.coordinate.column == 0:
            return
        src = self.prediction.sources[event.coordinate.row]
        dst = self.prediction.targets[event.coordinate.column - 1]
        cell = next((c for c in self.result.cells if (c.src, c.dst) == (src, dst)), None)
        if cell is None:  # a pod to itself, not part of the prediction
            self.query_one("#explanation", Static).update(
                "\n".join(
                    self.prediction.world.explain(
                        src, dst, self.prediction.port, self.prediction.protocol
                    ).lines()
                )
            )
            return
        head = "right" if cell.right else f"wrong: you said {'allowed' if cell.guess else 'denied'}"
        self.query_one("#explanation", Static).update(
            f"{head}\n" + "\n".join(cell.explanation.lines())
        )

    def action_hint(self) -> None:
        if self.hints_shown < len(self.prediction.exercise.hints):
            self.hints_shown += 1
            self.query_one("#prompt", Markdown).update(self._markdown())
        else:
            self.notify("No more hints.")

    def action_step(self, step: int) -> None:
        if self.drill is not None:
            self.skip_item()
            return
        target = self.app.library.neighbour(self.prediction.exercise, step)
        if target is not None:
            self.app.switch_to_exercise(target)
