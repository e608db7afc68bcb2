"""Small modal screens: a yes/no question, a text to read (solution, help)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown, Static, TextArea


class ConfirmScreen(ModalScreen[bool]):
    """Ask before something that cannot be taken back (showing a solution)."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="modal-dialog"):
            yield Static(self.question, id="question")
            with Horizontal(classes="modal-buttons"):
                yield Button(f"{self.yes} (y)", variant="warning", id="yes")
                yield Button(f"{self.no} (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class TextScreen(ModalScreen[str | None]):
    """Show Markdown (a solution, the help); optional extra keys return their id."""

    CSS_PATH = "modals.tcss"

    BINDINGS = [Binding("escape,q", "dismiss(None)", "Close")]

    def __init__(
        self,
        title: str,
        markdown: str,
        actions: list[tuple[str, str, str]] = (),
        code: str | None = None,
    ) -> None:
        super().__init__()
        self.heading = title
        self.markdown = markdown
        self.code = code
        self.actions = list(actions)
        for key, action_id, description in self.actions:
            self._bindings.bind(key, f"dismiss('{action_id}')", description)

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-dialog text-dialog"):
            yield Static(self.heading, classes="modal-title")
            with VerticalScroll():
                yield Markdown(self.markdown)
            if self.code is not None:
                yield TextArea(
                    self.code,
                    language="yaml",
                    read_only=True,
                    show_line_numbers=True,
                    theme="css",
                    id="code",
                )
            hints = ["Esc: close", *(f"{k}: {d}" for k, _, d in self.actions)]
            yield Static(" · ".join(hints), classes="modal-keys")
