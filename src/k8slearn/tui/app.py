"""The k8slearn Textual app: home screen, exercise screens, help, command palette."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from k8slearn.drills.session import (
    Drill,
    DrillItem,
    DrillSummary,
    choose_exercises,
    packs_of,
    write_report,
)
from k8slearn.gcpause import hold_collector_for_start_up, settle_after_start_up
from k8slearn.packs.library import Library
from k8slearn.packs.model import Exercise, Lesson
from k8slearn.progress.store import Store
from k8slearn.tui.screens.help import HELP
from k8slearn.tui.screens.home import HomeScreen


@dataclass
class DrillOptions:
    count: int = 5
    minutes: float = 15
    tags: tuple[str, ...] = ()
    kind: str = "mixed"  # build | predict | kubectl | mixed
    report: Path | None = None
    seed: int | None = None


class K8sLearnApp(App):
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
        drill: DrillOptions | None = None,
        learner: str = "",
    ) -> None:
        hold_collector_for_start_up()  # until the first screen is drawn (on_mount)
        super().__init__()
        self.library = library
        self.learner = learner  # named in drill reports
        self.store = store
        self.start = start
        self.start_answer = answer
        self.start_drill_options = drill
        self.drill: Drill | None = None
        self.drill_summaries: list[DrillSummary] = []  # every drill ended in this run, in order
        self.last_input_time: float | None = None  # when the latest key or click was made

    async def on_event(self, event: events.Event) -> None:
        # The time a key or click was made, for a drill to tell a key meant for the item that
        # has just gone from one meant for the item on screen (see DrillStep).
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.last_input_time = event.time
        await super().on_event(event)

    def on_mount(self) -> None:
        self.push_screen(HomeScreen())
        self.call_after_refresh(settle_after_start_up)
        if self.store.warning:
            self.notify(self.store.warning, severity="warning", timeout=10)
        if self.start is not None:
            self.open_exercise(self.start, self.start_answer)
        elif self.start_drill_options is not None:
            self.start_drill(self.start_drill_options)

    def lesson_of(self, exercise: Exercise) -> Lesson | None:
        for pack in self.library.packs:
            for lesson in pack.lessons:
                if exercise in lesson.exercises:
                    return lesson
        return None

    def _screen_for(self, exercise: Exercise, text: str | None = None):
        if exercise.kind == "predict":
            from k8slearn.drills.predict import make_task
            from k8slearn.tui.screens.predict import PredictScreen

            return PredictScreen(make_task(exercise))
        from k8slearn.tui.screens.exercise import ExerciseScreen  # the grader loads on first use

        return ExerciseScreen(exercise, self.lesson_of(exercise), text)

    def open_exercise(self, exercise: Exercise, text: str | None = None) -> None:
        self.push_screen(self._screen_for(exercise, text))

    def switch_to_exercise(self, exercise: Exercise) -> None:
        self.switch_screen(self._screen_for(exercise))

    def pop_to_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, HomeScreen):
            self.switch_screen(HomeScreen())

    # -- drills ------------------------------------------------------------------------------

    def start_drill(self, options: DrillOptions | None = None) -> None:
        """Start a drill (the defaults when `options` is None, as the home screen's **d**)."""
        options = options or DrillOptions()
        from k8slearn.drills.kubectl import HOW_TO_GET, find_kubectl, kubectl_exercises
        from k8slearn.drills.predict import predictable

        rng = random.Random(options.seed)
        have_kubectl = find_kubectl() is not None
        if options.kind == "kubectl":
            if not have_kubectl:
                self.notify(HOW_TO_GET, severity="warning", timeout=12)
                return
            pool = kubectl_exercises(self.library, options.tags)
            chosen_ids = {
                e.qualified_id
                for e in choose_exercises(self.library, self.store, len(pool), options.tags)
            }
            exercises = [e for e in pool if e.qualified_id in chosen_ids][: options.count]
            items = [DrillItem(e, "kubectl") for e in exercises]
        else:
            pool = choose_exercises(self.library, self.store, 10_000, options.tags, rng=rng)
            if options.kind == "predict":
                pool = [e for e in pool if predictable(e)]
            elif options.kind == "build":
                pool = [e for e in pool if e.kind == "build"]
            exercises = pool[: options.count]
            capable = (
                {e.qualified_id for e in kubectl_exercises(self.library)} if have_kubectl else set()
            )
            items = []
            for i, ex in enumerate(exercises):
                kind = "build"
                mixed = options.kind == "mixed"
                if ex.kind == "predict" or (
                    predictable(ex) and (options.kind == "predict" or (mixed and i % 3 == 1))
                ):
                    kind = "predict"
                elif mixed and i % 3 == 2 and ex.qualified_id in capable:
                    kind = "kubectl"
                items.append(DrillItem(ex, kind))
            if options.kind == "mixed" and not have_kubectl:
                self.notify(
                    "kubectl drills skipped: " + HOW_TO_GET, severity="information", timeout=8
                )
        if not items:
            self.notify("No exercise matches this drill (check --tags).", severity="warning")
            return
        self.drill = Drill(
            items,
            options.minutes,
            scope=[e.qualified_id for e in self.library.exercises()],
            learner=self.learner,
            packs=packs_of(self.library, [i.exercise for i in items]),
        )
        self._drill_options = options
        self._drill_rng = rng
        self.push_screen(self._drill_screen(items[0]))

    def _drill_screen(self, item: DrillItem):
        if item.kind == "predict":
            from k8slearn.drills.predict import make_task
            from k8slearn.tui.screens.predict import PredictScreen

            return PredictScreen(make_task(item.exercise, self._drill_rng), self.drill)
        if item.kind == "kubectl":
            from k8slearn.tui.screens.kubectl import KubectlScreen

            return KubectlScreen(item.exercise, self.drill)
        from k8slearn.tui.screens.exercise import ExerciseScreen

        return ExerciseScreen(item.exercise, self.lesson_of(item.exercise), drill=self.drill)

    def finish_drill_item(
        self,
        item: DrillItem,
        passed: bool,
        seconds: float,
        hints: int,
        failed_checks: list[str],
        note: str = "",
        solution_shown: bool = False,
        skipped: bool = False,
        delay: float = 0.0,
        advance: bool = True,
    ) -> None:
        """Record `item`'s outcome, then move on (after `delay` seconds), unless `advance` is
        False: the learner then reads what the screen explains and moves on with ctrl+n.

        Nothing happens unless `item` is the drill's current, unanswered item, so a late key
        on a screen the drill is leaving cannot answer the item that follows."""
        drill = self.drill
        if drill is None or drill.item is not item or item.passed is not None:
            return
        item.passed, item.seconds, item.hints = passed, seconds, hints
        item.failed_checks, item.note, item.solution_shown = failed_checks, note, solution_shown
        item.skipped = skipped
        drill.complete(self.store, item)
        if not advance:
            return
        if delay:
            self.set_timer(delay, lambda: self.next_drill_item(item))
        else:
            self.next_drill_item(item)

    def next_drill_item(self, item: DrillItem) -> None:
        """Leave the answered `item` for the next one; nothing if the drill has already left it."""
        drill = self.drill
        if drill is None or drill.item is not item or item.passed is None:
            return
        nxt = drill.advance()
        if nxt is None or drill.remaining() <= 0:
            self.end_drill()
        else:
            self.call_later(self.switch_screen, self._drill_screen(nxt))

    def end_drill(self, show_summary: bool = True) -> DrillSummary | None:
        """Time is up, the learner stopped, or every item is done: score, report, summarise.

        Stopped with an item unanswered, the drill is abandoned, and its report says so."""
        from k8slearn.tui.screens.drill_summary import DrillSummaryScreen

        drill = self.drill
        if drill is None:
            return None
        self.drill = None
        current = drill.item
        for screen in reversed(self.screen_stack):  # the item on screen: its time and hints
            if (
                current is not None
                and current.passed is None
                and getattr(screen, "drill_item", None) is current
            ):
                current.seconds, current.hints = screen.elapsed, screen.hints_shown
                break
        drill.stop(self.store, timed_out=drill.remaining() <= 0)
        summary = drill.finish(self.store)
        self.drill_summaries.append(summary)
        note = ""
        report = self._drill_options.report
        if report is not None:
            try:
                write_report(report, summary)
                note = f"Report written to {report}."
            except OSError as exc:
                note = f"The report could not be written to {report}: {exc.strerror or exc}."
                self.notify(note, severity="error")
        if show_summary:
            # On the next turn of the loop: the screen being replaced may still be handling a key.
            self.call_later(self.switch_screen, DrillSummaryScreen(summary, note))
        return summary

    async def action_quit(self) -> None:
        """Quit; a drill under way ends first, so its results are recorded and reported."""
        if self.drill is not None:
            self.end_drill(show_summary=False)
        self.exit()

    def verify_unavailable_reason(self) -> str | None:
        """Why F6 cannot run now (no kind cluster answering), or None when it can."""
        from k8slearn.cluster.kind import status

        try:
            st = status()
        except Exception as exc:  # a broken tool must not take the app down
            return f"could not check for a cluster: {exc}"
        if st.reachable:
            return None
        first = st.problems[0] if st.problems else "the kind cluster k8slearn is not running"
        return f"No kind cluster answers: {first}. `k8slearn cluster doctor` says what to do."

    def action_help(self) -> None:
        # The modals carry a TextArea (and tree-sitter): ~20 ms nobody needs at start.
        from k8slearn.tui.screens.modals import TextScreen

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
    library: Library | None = None,
    start: Exercise | None = None,
    answer: str | None = None,
    drill: DrillOptions | None = None,
    learner: str | None = None,
) -> list[DrillSummary]:
    """Run the app on `library` (default: the built-in pack and K8SLEARN_PACKS).

    Returns the drills ended during the run, in order (the first is `drill`'s, if given)."""
    from k8slearn.packs.library import load_library
    from k8slearn.progress.identity import learner_name
    from k8slearn.progress.store import open_store

    library = library if library is not None else load_library()
    store = open_store()
    app = K8sLearnApp(library, store, start, answer, drill, learner_name(learner))
    try:
        app.run()
    finally:
        store.close()
    return app.drill_summaries
