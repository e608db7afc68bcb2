"""The YAML answer editor: a code editor that marks problem lines and hands off to $EDITOR."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from rich.segment import Segment
from textual.binding import Binding
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import TextArea


class AnswerEditor(TextArea):
    """TextArea as a YAML code editor: line numbers, two-space soft tabs, no tab characters."""

    COMPONENT_CLASSES = TextArea.COMPONENT_CLASSES | {"answer-editor--problem-line"}

    BINDINGS = [
        Binding(
            "ctrl+e",
            "external_editor",
            "$EDITOR",
            id="external-editor",
            show=False,
            tooltip="Edit the answer in your own editor (vim, as in the exam)",
        ),
    ]

    problem_lines: reactive[frozenset[int]] = reactive(frozenset(), init=False)
    """1-based lines that hold a validation problem; painted so the learner sees where."""

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(
            text,
            language="yaml",
            theme="css",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            **kwargs,
        )
        self.indent_type = "spaces"
        self.indent_width = 2

    def watch_problem_lines(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        line = self.scroll_offset.y + y + 1
        if line in self.problem_lines and line <= self.document.line_count:
            style = self.get_component_rich_style("answer-editor--problem-line", partial=True)
            segments = Segment.apply_style(iter(strip), post_style=style)
            strip = Strip(list(segments), strip.cell_length)
        return strip

    def normalise_tabs(self) -> bool:
        """Replace tab characters (pasted text) with two spaces; YAML forbids them in indentation."""
        if "\t" not in self.text:
            return False
        row, column = self.cursor_location
        self.replace(self.text.replace("\t", "  "), (0, 0), self.document.end)
        self.cursor_location = (row, column)
        return True

    def action_external_editor(self) -> None:
        """Suspend the app, edit the answer in $VISUAL/$EDITOR (vi by default), take it back."""
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory(prefix="k8slearn-") as folder:
            path = Path(folder) / "answer.yaml"
            path.write_text(self.text, encoding="utf-8")
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(command), str(path)], check=False)
            except Exception as exc:  # no terminal to hand over, or no such editor
                self.notify(f"could not run {command!r}: {exc}", severity="error")
                return
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self.notify(f"could not read the edited answer back: {exc}", severity="error")
                return
        if text != self.text:
            self.replace(text, (0, 0), self.document.end)
