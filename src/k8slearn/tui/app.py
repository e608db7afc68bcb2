"""The k8slearn Textual app: home screen, exercise screens, help, command palette."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from k8slearn.packs.format import Exercise, Lesson
from k8slearn.packs.library import Library
from k8slearn.progress.store import Store
from k8slearn.tui.screens.help import HELP
from k8slearn.tui.screens.home import HomeScreen
from k8slearn.tui.screens.modals import TextScreen


class K8sLearnApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "k8slearn"
    COMMAND_PALETTE_BINDING = "ctrl+backslash"  # ctrl+p is "previous exercise"

    BINDINGS = [
        Binding("f1", "help", "Help", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(
        self,
        library: Library,
        store: Store,
        start: Exercise | None = None,
        answer: str | None = None,
    ) -> None:
        super().__init__()
        self.library = library
        self.store = store
        self.start = start
        self.start_answer = answer

    def on_mount(self) -> None:
        self.push_screen(HomeScreen())
        if self.store.warning:
            self.notify(self.store.warning, severity="warning", timeout=10)
        if self.start is not None:
            self.open_exercise(self.start, self.start_answer)

    def lesson_of(self, exercise: Exercise) -> Lesson | None:
        for pack in self.library.packs:
            for lesson in pack.lessons:
                if exercise in lesson.exercises:
                    return lesson
        return None

    def open_exercise(self, exercise: Exercise, text: str | None = None) -> None:
        from k8slearn.tui.screens.exercise import ExerciseScreen  # the grader loads on first use

        self.push_screen(ExerciseScreen(exercise, self.lesson_of(exercise), text))

    def switch_to_exercise(self, exercise: Exercise) -> None:
        from k8slearn.tui.screens.exercise import ExerciseScreen

        self.switch_screen(ExerciseScreen(exercise, self.lesson_of(exercise)))

    def verify_unavailable_reason(self) -> str:
        return (
            "Verifying on a real cluster needs a reachable kind cluster "
            "(`k8slearn cluster up`); this version grades with the offline model only."
        )

    def action_help(self) -> None:
        self.push_screen(TextScreen("Help", HELP))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and how grading works", self.action_help)
        if hasattr(screen, "exercise"):  # an ExerciseScreen (not imported here: start-up)
            yield SystemCommand("Check answer", "Grade the answer (F5)", screen.action_check)
            yield SystemCommand("Next hint", "Reveal one more hint (F2)", screen.action_hint)
            yield SystemCommand(
                "Show solution", "Asks first; recorded (F3)", screen.action_solution
            )
            yield SystemCommand("Reset to starter", "ctrl+z undoes (ctrl+r)", screen.action_reset)
            yield SystemCommand("Next exercise", "ctrl+n", lambda: screen.action_step(1))
            yield SystemCommand("Previous exercise", "ctrl+p", lambda: screen.action_step(-1))
            yield SystemCommand(
                "Open in $EDITOR", "ctrl+e", screen.query_one("#editor").action_external_editor
            )
            yield SystemCommand("Home", "Back to the list of exercises (Esc)", screen.action_home)


def run_app(
    start: Exercise | None = None, answer: str | None = None, packs: Iterable[str] = ()
) -> None:
    from k8slearn.packs.library import load_library
    from k8slearn.progress.store import open_store

    library = load_library(packs)
    store = open_store()
    try:
        K8sLearnApp(library, store, start, answer).run()
    finally:
        store.close()
