"""The end of a drill: score, time per exercise, what to review, and the trend."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown

from k8slearn.drills.session import DrillSummary


class DrillSummaryScreen(Screen):
    CSS_PATH = "drill_summary.tcss"
    BINDINGS = [Binding("escape,enter,q", "close", "Home", id="home")]

    def __init__(self, summary: DrillSummary, report_note: str = "") -> None:
        super().__init__()
        self.summary = summary
        self.report_note = report_note

    def compose(self) -> ComposeResult:
        s = self.summary
        passed = sum(1 for i in s.drill.items if i.passed)
        review = "\n".join(
            f"- `{i.exercise.qualified_id}` {i.exercise.title}"
            f"{' (' + i.note + ')' if i.note else ''}"
            for i in s.to_review()
        )
        weak = "\n".join(f"- **{t}**: {r:.0%} of {n} right" for t, r, n in s.weak)
        ended = "stopped before the end" if s.drill.abandoned else "finished"
        text = (
            f"# Drill {ended}: {s.score:g} / {s.total} points\n\n"
            f"{passed} passed, {s.total - passed} not. {s.comparison()}\n\n"
            + (
                f"## Review these\n\n{review}\n\n"
                if review
                else "## Nothing to review: well done.\n\n"
            )
            + (f"## Weak concepts\n\n{weak}\n\n" if weak else "")
            + (f"*{self.report_note}*\n" if self.report_note else "")
        )
        yield Header()
        with VerticalScroll(id="summary"):
            yield Markdown(text, id="summary-text")
            yield DataTable(id="summary-table", cursor_type="row")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "drill summary"
        table = self.query_one(DataTable)
        table.add_columns("exercise", "kind", "result", "time", "hints", "points")
        for item in self.summary.drill.items:
            result: str = item.outcome
            if item.solution_shown:
                result = "solution shown"
            table.add_row(
                item.exercise.title,
                item.kind,
                result,
                f"{item.seconds:.0f} s",
                str(item.hints),
                f"{item.points:g}",
            )

    def action_close(self) -> None:
        self.app.pop_to_home()
