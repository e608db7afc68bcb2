"""The results panel: checks, teaching warnings, and the reachability matrix with explanations."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Select, Static, TabbedContent, TabPane

from k8slearn.grading.grader import Grade
from k8slearn.model.reachability import PortKey, TruthTable
from k8slearn.model.world import World


@dataclass
class MatrixData:
    """What the matrix shows: the answer's table and, where known, the expected one."""

    world: World
    table: TruthTable
    expected: TruthTable | None


class ResultsPanel(Vertical):
    """Shows a Grade; the learner moves through the matrix to read each cell's explanation."""

    def compose(self) -> ComposeResult:
        with TabbedContent(id="results-tabs", initial="checks-tab"):
            with TabPane("Checks", id="checks-tab"), VerticalScroll(id="checks-scroll"):
                yield Static("Press F5 to check your answer.", id="verdict")
                yield Static("", id="checks")
            with TabPane("Matrix (F4)", id="matrix-tab"), Vertical(id="matrix-box"):
                yield Select[PortKey]([], id="matrix-port", prompt="port", allow_blank=True)
                yield DataTable(id="matrix", cursor_type="cell", zebra_stripes=False)
                yield Static(
                    "Check an answer (F5) to see its reachability matrix.", id="explanation"
                )

    def on_mount(self) -> None:
        self._data: MatrixData | None = None

    def toggle_matrix(self) -> None:
        """F4: jump to the matrix (focused, to move through cells) or back to the checks."""
        tabs = self.query_one(TabbedContent)
        if tabs.active == "matrix-tab":
            tabs.active = "checks-tab"
        else:
            tabs.active = "matrix-tab"
            self.query_one("#matrix", DataTable).focus()

    def show_grade(self, grade: Grade, matrix: MatrixData | None) -> None:
        verdict = self.query_one("#verdict", Static)
        if grade.passed:
            verdict.update(Text("PASSED — every check holds.", style="bold green"))
        else:
            failed = len(grade.failed_checks())
            verdict.update(Text(f"NOT YET — {failed} check(s) to fix.", style="bold red"))
        body = Text()
        if grade.known_mistake is not None:
            # The instructor's own explanation of this very mistake comes before any check.
            body.append("A known mistake: ", style="bold magenta")
            # `code` spans of the instructor's Markdown, shown as code rather than backticks
            for i, part in enumerate(grade.known_mistake.why.split("`")):
                body.append(part, style="bold cyan" if i % 2 else "")
            body.append("\n\n")
        # What to fix first: failed checks lead, passed ones follow.
        for check in sorted(grade.checks, key=lambda c: c.passed):
            mark, style = ("✓ ", "green") if check.passed else ("✗ ", "red")
            body.append(mark, style=style)
            body.append(check.name, style="bold")
            if check.line and not check.passed:
                body.append(f" (line {check.line})", style="dim")
            body.append(f"\n   {check.message}\n")
        for warning in grade.warnings:
            body.append("! ", style="yellow")
            where = f"line {warning.line}: " if warning.line else ""
            body.append(f"{where}{warning.text()}\n", style="yellow")
        self.query_one("#checks", Static).update(body)
        self._data = matrix
        if matrix is None or not matrix.table.ports:
            self.query_one("#matrix", DataTable).clear(columns=True)
            self.query_one("#explanation", Static).update(
                "No matrix for this answer (it was refused, or the scenario has no ports)."
            )
        else:
            select = self.query_one("#matrix-port", Select)
            options = [(f"{p}/{proto}", (p, proto)) for p, proto in matrix.table.ports]
            select.set_options(options)
            select.value = matrix.table.ports[0]
            self._fill(matrix.table.ports[0])

    def clear(self, message: str) -> None:
        self.query_one("#verdict", Static).update(message)
        self.query_one("#checks", Static).update("")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "matrix-port" and isinstance(event.value, tuple):
            self._fill(event.value)

    def _fill(self, port: PortKey) -> None:
        data = self._data
        if data is None:
            return
        table = self.query_one("#matrix", DataTable)
        table.clear(columns=True)
        names = [e.key for e in data.table.endpoints]
        table.add_column("from \\ to", key="from")
        for j, _ in enumerate(names):
            table.add_column(str(j), key=str(j))
        pods = len(data.table.pods)
        for i, name in enumerate(names):
            cells: list[Text | str] = [f"{i} {name}"]
            for j, dst in enumerate(names):
                if i >= pods and j >= pods:
                    cells.append(Text("·", style="dim"))
                    continue
                ok = data.table.allowed(name, dst, *port)
                style = "green" if ok else "red"
                if i == j:
                    style = "dim green"  # a pod to itself: allowed whatever the policies say
                if data.expected is not None and data.expected.allowed(name, dst, *port) != ok:
                    style = "bold reverse yellow"  # differs from what is expected
                cells.append(Text("✓" if ok else "✗", style=style))
            table.add_row(*cells, key=name)
        self.query_one("#explanation", Static).update(
            "Move through the matrix to see why each connection is allowed or denied "
            "(highlighted cells differ from the solution)."
            if data.expected is not None
            else "Move through the matrix to see why each connection is allowed or denied."
        )

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        data = self._data
        select = self.query_one("#matrix-port", Select)
        if data is None or not isinstance(select.value, tuple) or event.coordinate.column == 0:
            return
        names = [e.key for e in data.table.endpoints]
        row, column = event.coordinate.row, event.coordinate.column - 1
        if row >= len(names) or column >= len(names):
            return
        src, dst = names[row], names[column]
        port, protocol = select.value
        if data.world.endpoint(src) is None or data.world.endpoint(dst) is None:
            return
        if row >= len(data.table.pods) and column >= len(data.table.pods):
            self.query_one("#explanation", Static).update(
                "Two hosts outside the cluster: no policy applies."
            )
            return
        lines = data.world.explain(src, dst, port, protocol).lines()
        if data.expected is not None:
            want = data.expected.allowed(src, dst, port, protocol)
            lines.append(f"  expected: {'allowed' if want else 'denied'}")
        self.query_one("#explanation", Static).update("\n".join(lines))
