"""Predict the table: mark which connections the shown manifests allow, then see the truth.

The matrix has one cell per connection (row: from, column: to); the sources are row
labels, which the cursor cannot enter, so it always sits on a cell and Space marks it.
In a drill a right table moves on by itself; a wrong one stays, to be read, until ctrl+n.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Markdown, Static, TextArea

from k8slearn.drills.predict import PredictResult, PredictTask, grade_prediction
from k8slearn.drills.session import Drill
from k8slearn.tui.screens.drill_step import NEXT_KEY_HINT, DrillStep
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
                    f"Port {self.prediction.port}/{self.prediction.protocol} · rows from, "
                    "columns to · arrows move · space: ✓ allowed / · denied · = itself · "
                    "F5 checks · F1 help",
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
        for t in self.prediction.targets:
            table.add_column(t, key=t)
        for s in self.prediction.sources:
            table.add_row(*[self._cell(s, t) for t in self.prediction.targets], key=s, label=s)
        first = next(
            (
                (r, c)
                for r, s in enumerate(self.prediction.sources)
                for c, t in enumerate(self.prediction.targets)
                if not self.prediction.is_self(s, t)
            ),
            (0, 0),
        )
        table.move_cursor(row=first[0], column=first[1], animate=False)
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
                table.update_cell_at((r, c), self._cell(s, t))

    def action_toggle(self) -> None:
        if self.result is not None:
            return
        table = self.query_one("#predict", DataTable)
        row, column = table.cursor_coordinate
        key = (self.prediction.sources[row], self.prediction.targets[column])
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
        then = ""
        if self.drill is not None:
            then = " On to the next one…" if r.passed else f" Then {NEXT_KEY_HINT}."
        self.query_one("#status", Static).update(
            f"[b]{verdict}[/]: {r.right}/{len(r.cells)} cells right."
            + ("" if r.passed else " Wrong cells are marked ≠; move onto one to read why.")
            + then
        )
        wrong = r.wrong()
        if wrong:  # show the first wrong cell's explanation straight away
            row = self.prediction.sources.index(wrong[0].src)
            column = self.prediction.targets.index(wrong[0].dst)
            self.query_one("#predict", DataTable).move_cursor(row=row, column=column, animate=False)
            self._explain(row, column)
        self.app.store.record_attempt(
            self.prediction.exercise.qualified_id,
            r.passed,
            [f"{c.src} → {c.dst}" for c in r.wrong()],
            seconds=round(time.monotonic() - self.started, 1),
            hints_used=self.hints_shown,
            source="drill" if self.drill else "app",
        )
        if self.drill is not None:
            # Only a right table moves on by itself: a wrong one stays to be read (ctrl+n).
            failed = [f"{c.src} → {c.dst}" for c in wrong]
            note = "" if r.passed else f"{len(failed)} wrong cell{'s' * (len(failed) != 1)}"
            self.finish_item(r.passed, failed, note=note, delay=2.0, advance=r.passed)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self._explain(event.coordinate.row, event.coordinate.column)

    def _explain(self, row: int, column: int) -> None:
        """After the check: why the connection at (row, column) is allowed or denied."""
        if self.result is None:
            return
        src = self.prediction.sources[row]
        dst = self.prediction.targets[column]
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
            self.drill_next()
            return
        target = self.app.library.neighbour(self.prediction.exercise, step)
        if target is not None:
            self.app.switch_to_exercise(target)
