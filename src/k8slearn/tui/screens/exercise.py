"""The exercise screen: reading and prompt on the left, the YAML editor and results on the right.

Everything slow (validation, grading) runs in thread workers; the draft is
saved a moment after each change and again when the screen goes away, so a
learner's typing survives quit, crash and kill. In a drill the editor starts
from the starter and saves under its own key (`drill:<exercise>`), so a drill
never overwrites the learner's own draft, which ctrl+o loads on demand.
"""

from __future__ import annotations

import contextlib

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Header, Markdown, Static, TabbedContent, TabPane, TextArea
from textual.worker import get_current_worker

from k8slearn.drills.session import Drill
from k8slearn.grading.grader import ExerciseError, Grade, Grader
from k8slearn.grading.mistakes import MistakeFinder
from k8slearn.manifests.validate import ValidationReport, validate_text
from k8slearn.packs.format import Exercise, Lesson
from k8slearn.progress.schedule import review
from k8slearn.tui.screens.drill_step import NEXT_KEY_HINT, DrillStep
from k8slearn.tui.screens.modals import ConfirmScreen, TextScreen
from k8slearn.tui.widgets.countdown import Countdown
from k8slearn.tui.widgets.editor import AnswerEditor
from k8slearn.tui.widgets.results import MatrixData, ResultsPanel

SAVE_DELAY = 0.4
VALIDATE_DELAY = 0.3
DRILL_DRAFT_PREFIX = "drill:"  # drafts typed in drills, apart from the learner's own


class ExerciseScreen(DrillStep):
    """One exercise: read, write, check."""

    BINDINGS = [
        Binding("f5", "check", "Check", id="check"),
        Binding("f2", "hint", "Hint", id="hint"),
        Binding("f3", "solution", "Solution", id="solution"),
        Binding("ctrl+s", "save", "Save", id="save", show=False),
        Binding("ctrl+r", "reset", "Reset", id="reset", show=False),
        Binding("ctrl+n", "step(1)", "Next", id="next"),
        Binding("ctrl+p", "step(-1)", "Prev", id="previous"),
        Binding("f4", "matrix", "Matrix", id="matrix"),
        Binding("ctrl+o", "load_draft", "My draft", id="load-draft", tooltip="Load my saved draft"),
        Binding(
            "f6",
            "verify",
            "Verify",
            id="verify",
            tooltip="Verify on a kind cluster (needs `k8slearn cluster up`)",
            priority=True,  # TextArea binds F6 to select-line
        ),
        Binding("escape", "home", "Home", id="home", show=False),
    ]

    def __init__(
        self,
        exercise: Exercise,
        lesson: Lesson | None,
        text: str | None = None,
        drill: Drill | None = None,
    ) -> None:
        super().__init__(drill)
        self.exercise = exercise
        self.reviewed = False  # the spaced-repetition card gets one outcome per visit
        self.failed_attempts = 0
        self.lesson = lesson
        self.initial_text = text
        self._save_timer: Timer | None = None
        self._validate_timer: Timer | None = None
        self._saved_text: str | None = None
        self.grader: Grader | None = None
        self.mistakes: MistakeFinder | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        if self.drill is not None:
            yield Countdown(self.drill, id="countdown")
        with Horizontal(id="exercise-main"):
            with TabbedContent(id="reading", initial="prompt-tab"):
                with TabPane("Exercise", id="prompt-tab"), VerticalScroll():
                    yield Markdown(self._prompt_markdown(), id="prompt")
                with TabPane("Lesson", id="lesson-tab"), VerticalScroll():
                    yield Markdown(self.lesson.body if self.lesson else "", id="lesson")
            with Vertical(id="work"):
                # Kept by reference: on quit the screen unmounts after its children, and the
                # last keystrokes must still be saved from it then.
                self.editor = AnswerEditor(self._first_text(), id="editor")
                yield self.editor
                yield Static("", id="status")
                yield ResultsPanel(id="results")
        yield Footer(compact=True)

    @property
    def draft_key(self) -> str:
        """Where this screen's typing is saved: a drill's apart from the learner's own draft."""
        qid = self.exercise.qualified_id
        return DRILL_DRAFT_PREFIX + qid if self.drill is not None else qid

    def _first_text(self) -> str:
        if self.initial_text is not None:
            return self.initial_text
        if self.drill is not None:  # a fresh start, as in an exam; ctrl+o loads the draft
            return self.exercise.starter
        draft = self.app.store.draft(self.exercise.qualified_id)
        return draft if draft is not None else self.exercise.starter

    def _prompt_markdown(self) -> str:
        ex = self.exercise
        parts = [f"# {ex.title}", ex.prompt]
        if self.hints_shown:
            parts.append("## Hints")
            parts.extend(f"{i + 1}. {hint}" for i, hint in enumerate(ex.hints[: self.hints_shown]))
        left = len(ex.hints) - self.hints_shown
        if left:
            parts.append(f"*{left} hint{'s' * (left != 1)} available: F2*")
        if ex.tags:
            parts.append("Tags: " + ", ".join(f"`{t}`" for t in ex.tags))
        return "\n\n".join(parts)

    def on_mount(self) -> None:
        self.title = "k8slearn"
        self.sub_title = f"{self.exercise.qualified_id} · namespace: {self.exercise.namespace}"
        self.app.store.set_state("last_exercise", self.exercise.qualified_id)
        editor = self.query_one(AnswerEditor)
        editor.focus()
        self._saved_text = editor.text
        if self.initial_text is not None:
            self._save_now()
        try:
            self.grader = Grader(self.exercise)
            self.mistakes = MistakeFinder(self.grader)
        except ExerciseError as exc:
            self.notify(str(exc), severity="error", timeout=10)
        self._validate(editor.text)

    # -- typing: autosave and live validation ---------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        editor = self.query_one(AnswerEditor)
        if editor.normalise_tabs():
            return  # the replacement fires another Changed
        for timer in (self._save_timer, self._validate_timer):
            if timer is not None:
                timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self._save_now)
        self._validate_timer = self.set_timer(VALIDATE_DELAY, lambda: self._validate(editor.text))

    def _save_now(self) -> None:
        editor = self.editor
        if editor.text != self._saved_text:
            self.app.store.save_draft(self.draft_key, editor.text)
            self._saved_text = editor.text

    def on_unmount(self) -> None:
        # Quit or crash within the autosave delay: the last keystrokes are saved here, from the
        # editor kept by reference (its widget is already gone from the DOM).
        with contextlib.suppress(Exception):
            self._save_now()
            if self.drill is None and self.failed_attempts and not self.reviewed:
                self._review(passed=False)

    def _review(self, passed: bool, solution_shown: bool = False) -> None:
        """One outcome per visit for the exercise's FSRS card (drills record their own)."""
        if self.reviewed or self.drill is not None:
            return
        self.reviewed = True
        review(
            self.app.store,
            self.exercise.qualified_id,
            self.exercise.tags,
            passed,
            self.hints_shown,
            self.elapsed,
            solution_shown,
        )

    @work(thread=True, exclusive=True, group="validate")
    def _validate(self, text: str) -> None:
        report = validate_text(text, self.exercise.namespace) if text.strip() else None
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_validation, report)

    def _show_validation(self, report: ValidationReport | None) -> None:
        status = self.query_one("#status", Static)
        editor = self.query_one(AnswerEditor)
        if report is None:
            status.update("Write your manifests here (YAML); F5 checks them.")
            editor.problem_lines = frozenset()
            return
        problems = report.all_problems()
        errors = [p for p in problems if p.is_error]
        editor.problem_lines = frozenset(p.line for p in errors if p.line)
        if errors:
            first = errors[0]
            more = f"  (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            status.update(f"[b red]✗ line {first.line}:[/] {_escape(first.text())}{more}")
            status.set_class(True, "invalid")
            return
        status.set_class(False, "invalid")
        status.update("[green]✓[/] " + "  ·  ".join(_describe(m) for m in report.manifests))

    # -- actions ---------------------------------------------------------------------------------

    def action_check(self) -> None:
        if self.grader is None:
            self.notify("this exercise cannot be graded (see the error above)", severity="error")
            return
        self._save_now()
        self.query_one(ResultsPanel).clear("Checking…")
        self._grade(self.query_one(AnswerEditor).text)

    @work(thread=True, exclusive=True, group="grade")
    def _grade(self, text: str) -> None:
        assert self.grader is not None
        try:
            grade = self.grader.grade(text)
            if self.mistakes is not None:
                grade.known_mistake = self.mistakes.find(grade, text)
            matrix = None
            if grade.world is not None and grade.ports:
                expected = None
                if any("connectivity" in c or "reachability" in c for c in self.exercise.expect):
                    expected = self.grader.solution.table(grade.ports)
                matrix = MatrixData(grade.world, grade.world.table(grade.ports), expected)
        except ExerciseError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show_grade, grade, matrix)

    def _show_grade(self, grade: Grade, matrix: MatrixData | None) -> None:
        self.query_one(ResultsPanel).show_grade(grade, matrix)
        failed_lines = {c.line for c in grade.failed_checks() if c.line}
        if failed_lines:
            self.query_one(AnswerEditor).problem_lines = frozenset(failed_lines)
        self.app.store.record_attempt(
            self.exercise.qualified_id,
            grade.passed,
            [c.name for c in grade.failed_checks()],
            seconds=round(self.elapsed, 1),
            hints_used=self.hints_shown,
            source="app",
        )
        if self.drill is not None:
            if grade.passed:
                self.notify("Passed! On to the next one…", title="✓", timeout=2)
                self.finish_item(True, [], delay=2.0)
            else:
                self.note_failed_check([c.name for c in grade.failed_checks()])
                self.notify(f"Not yet: fix it and F5 again, or {NEXT_KEY_HINT}.", timeout=6)
            return
        if grade.passed:
            self._review(passed=True)
            self.notify("Passed! ctrl+n for the next exercise.", title="✓")
        else:
            self.failed_attempts += 1

    def action_hint(self) -> None:
        if self.hints_shown >= len(self.exercise.hints):
            self.notify("No more hints for this exercise. F3 shows the solution.")
            return
        self.hints_shown += 1
        self.query_one("#prompt", Markdown).update(self._prompt_markdown())
        self.query_one(TabbedContent).active = "prompt-tab"

    def action_solution(self) -> None:
        if self.drill is not None:
            self.app.push_screen(
                ConfirmScreen("Show the solution? In a drill this ends the exercise as failed."),
                self._give_up,
            )
            return

        def answered(sure: bool | None) -> None:
            if sure:
                self._review(passed=False, solution_shown=True)
                self.app.store.record_solution_shown(self.exercise.qualified_id)
                self.app.push_screen(
                    TextScreen(
                        f"Solution: {self.exercise.title}",
                        "One answer that passes; any answer that behaves the same passes too.",
                        actions=[("l", "load", "Load into the editor")],
                        code=self.exercise.solution,
                    ),
                    self._solution_closed,
                )

        if self.app.store.solution_shown(self.exercise.qualified_id):
            answered(True)
            return
        self.app.push_screen(
            ConfirmScreen("Show the solution? It is recorded as shown for this exercise."),
            answered,
        )

    def _give_up(self, sure: bool | None) -> None:
        if not sure:
            return
        self.app.store.record_solution_shown(self.exercise.qualified_id)
        self.finish_item(False, ["solution shown"], note="solution shown", solution_shown=True)

    def _solution_closed(self, choice: str | None) -> None:
        if choice == "load":
            editor = self.query_one(AnswerEditor)
            editor.replace(self.exercise.solution, (0, 0), editor.document.end)

    def action_save(self) -> None:
        self._save_now()
        self.notify("Draft saved.", timeout=2)

    def action_reset(self) -> None:
        editor = self.query_one(AnswerEditor)
        editor.replace(self.exercise.starter, (0, 0), editor.document.end)
        editor.cursor_location = (0, 0)
        self.notify("Back to the starter text (ctrl+z undoes).", timeout=3)

    def action_load_draft(self) -> None:
        """In a drill: replace the editor's text with the learner's own saved draft."""
        draft = self.app.store.draft(self.exercise.qualified_id)
        editor = self.query_one(AnswerEditor)
        if draft is None:
            self.notify("You have no saved draft for this exercise.", timeout=3)
            return
        if draft == editor.text:
            self.notify("The editor already holds your saved draft.", timeout=3)
            return
        editor.replace(draft, (0, 0), editor.document.end)
        editor.cursor_location = (0, 0)
        self.notify("Your saved draft is loaded (ctrl+z undoes).", timeout=3)

    def action_step(self, step: int) -> None:
        self._save_now()
        if self.drill is not None:
            if step > 0:
                self.drill_next()
            return  # a drill only goes forward
        target = self.app.library.neighbour(self.exercise, step)
        if target is None:
            self.notify("This is the " + ("last" if step > 0 else "first") + " exercise.")
            return
        self.app.switch_to_exercise(target)

    def action_matrix(self) -> None:
        self.query_one(ResultsPanel).toggle_matrix()

    def action_verify(self) -> None:
        self._check_cluster()

    @work(thread=True, exclusive=True, group="cluster")
    def _check_cluster(self) -> None:
        """Find out (off the UI thread: it runs docker and kind) whether a cluster answers."""
        reason = self.app.verify_unavailable_reason()
        self.app.call_from_thread(self._verify_or_explain, reason)

    def _verify_or_explain(self, reason: str | None) -> None:
        if reason:
            self.notify(reason, title="F6 is unavailable", severity="warning", timeout=10)
            return
        from k8slearn.tui.screens.verify import VerifyScreen

        self._save_now()
        self.app.push_screen(VerifyScreen(self.exercise, self.query_one(AnswerEditor).text))

    def action_home(self) -> None:
        self._save_now()
        if self.drill is not None:
            self.app.end_drill()
        else:
            self.app.pop_screen()

    def on_countdown_expired(self) -> None:
        self._save_now()
        self.app.end_drill()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hint" and self.hints_shown >= len(self.exercise.hints):
            return None
        if action == "load_draft":
            return self.drill is not None  # outside drills the editor starts from the draft
        # a drill only goes forward: no ctrl+p
        return not (action == "step" and parameters == (-1,) and self.drill is not None)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def _describe(m) -> str:
    obj = m.obj or {}
    spec = obj.get("spec") or {}
    if m.kind == "Service":
        ports = len(spec.get("ports") or [])
        kind = "headless" if spec.get("clusterIP") == "None" else spec.get("type")
        selector = "" if spec.get("selector") or kind == "ExternalName" else " · no selector"
        return f"Service {m.name} · {kind}{selector} · {ports} port{'s' * (ports != 1)}"
    if m.kind == "NetworkPolicy":
        rules = len(spec.get("ingress") or []) + len(spec.get("egress") or [])
        types = "+".join(spec.get("policyTypes") or [])
        return f"NetworkPolicy {m.name} · {types} · {rules} rule{'s' * (rules != 1)}"
    return f"{m.kind} {m.name}"
