"""The exercise screen: reading and prompt on the left, the YAML editor and results on the right.

Everything slow (validation, grading, kubectl) runs in thread workers; the draft is
saved a moment after each change and again when the screen goes away, so a
learner's typing survives quit, crash and kill. In a drill the editor starts
from the starter and saves under its own key (`drill:<exercise>`), so a drill
never overwrites the learner's own draft, which ctrl+o loads on demand.

Outside drills the exercise can also be solved the exam's way: ctrl+t turns the
editor's place into a kubectl command line on the exercise's practice cluster
(the real kubectl, `k8slearn shell`'s cluster and saved state), and the Cluster
tab (F8) shows that cluster as `kubectl get` would. Once kubectl has changed the
cluster, the cluster is the answer:

* after every kubectl change the editor shows the learner's objects as YAML
  (`PracticeState.learner_yaml`), unless it holds YAML the learner typed that the
  cluster does not have yet: typed work is never overwritten (ctrl+g loads the
  cluster's YAML on request; ctrl+z undoes it);
* F5 first applies such typed YAML to the cluster, as `kubectl apply -f` would (the
  real kubectl runs it, its output shows in the pane; if it fails the check stops
  and the editor keeps the text), then grades the cluster exactly as `k8slearn check`
  inside `k8slearn shell` does; after an apply the editor shows the cluster's objects;
* ctrl+r asks, then starts over: the cluster goes back to the scenario, the editor
  to the starter.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

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
from k8slearn.packs.model import Exercise, Lesson
from k8slearn.progress.schedule import review
from k8slearn.tui.screens.drill_step import NEXT_KEY_HINT, DrillStep
from k8slearn.tui.screens.modals import ConfirmScreen, TextScreen
from k8slearn.tui.widgets.cluster_view import ClusterSnapshot, ClusterView, snapshot_of
from k8slearn.tui.widgets.countdown import Countdown
from k8slearn.tui.widgets.editor import AnswerEditor
from k8slearn.tui.widgets.kubectl_pane import KubectlPane, PracticeLink
from k8slearn.tui.widgets.results import MatrixData, ResultsPanel

SAVE_DELAY = 0.4
VALIDATE_DELAY = 0.3
DRILL_DRAFT_PREFIX = "drill:"  # drafts typed in drills, apart from the learner's own
APPLY_EDITOR = "apply-editor"  # the pane's run of `kubectl apply -f -` that F5 asks for
EMPTY_CLUSTER = (
    "The practice cluster holds nothing of yours yet: make the objects the exercise asks for "
    "with kubectl (ctrl+t), or write them in the editor, then press F5."
)
UNAPPLIED = (
    "The editor keeps the YAML you typed, which the practice cluster does not have yet: "
    "F5 applies it (as kubectl apply -f would) and checks; ctrl+g shows the cluster's "
    "objects instead."
)


@dataclass(frozen=True)
class PracticeView:
    """What the screen shows of the practice cluster after a change (read in a worker)."""

    used: bool  # changed since the exercise's start: F5 grades the cluster
    yaml: str  # the learner's objects, apply-ready
    snapshot: ClusterSnapshot | None
    problem: str | None = None  # why kubectl cannot run here


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
        Binding(
            "ctrl+t",
            "kubectl",
            "kubectl",
            id="kubectl",
            tooltip="Switch between the YAML editor and the kubectl command line",
        ),
        Binding("f8", "cluster", "Cluster", id="cluster", tooltip="The practice cluster"),
        Binding(
            "ctrl+g",
            "cluster_yaml",
            "Cluster YAML",
            id="cluster-yaml",
            show=False,
            tooltip="Put the practice cluster's objects (yours) in the editor; ctrl+z undoes",
        ),
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
        # The practice cluster (outside drills: a drill starts from a clean slate, and the
        # exercise's practice cluster is the learner's own, kept across visits).
        self.practice: PracticeLink | None = None
        self.cluster_mode = False  # kubectl changed the cluster: F5 grades the cluster
        self._mirror: str | None = None  # the YAML the editor and the cluster last agreed on
        self._applying: str | None = None  # the editor's text F5 is applying
        self._opening = False  # the saved practice cluster is being read (at mount)
        self._check_when_open = False  # F5 came while it was

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self.drill is None:
            self.practice = PracticeLink(self.exercise, getattr(self.app.store, "path", None))
        yield Header()
        if self.drill is not None:
            yield Countdown(self.drill, id="countdown")
        with Horizontal(id="exercise-main"):
            with TabbedContent(id="reading", initial="prompt-tab"):
                with TabPane("Exercise", id="prompt-tab"), VerticalScroll():
                    yield Markdown(self._prompt_markdown(), id="prompt")
                with TabPane("Lesson", id="lesson-tab"), VerticalScroll():
                    yield Markdown(self.lesson.body if self.lesson else "", id="lesson")
                if self.practice is not None:
                    with TabPane("Cluster (F8)", id="cluster-tab"):
                        yield ClusterView(id="cluster")
            with Vertical(id="work"):
                # Kept by reference: on quit the screen unmounts after its children, and the
                # last keystrokes must still be saved from it then.
                self.editor = AnswerEditor(self._first_text(), id="editor")
                if self.practice is None:
                    yield self.editor
                else:
                    with TabbedContent(id="work-tabs", initial="yaml-tab"):
                        with TabPane("YAML", id="yaml-tab"):
                            yield self.editor
                        with TabPane("kubectl (ctrl+t)", id="kubectl-tab"):
                            yield KubectlPane(self.practice, self.exercise.namespace, id="kubectl")
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
        if self.practice is not None:
            from k8slearn.practice.session import STATE_KEY

            if self.app.store.get_state(STATE_KEY.format(self.exercise.qualified_id)):
                # kubectl was used here before (here or in `k8slearn shell`): the cluster may
                # be the answer already
                self._opening = True
                self._refresh_practice("open")

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
        if self.practice is not None:
            # Stopping the server waits for its loop (up to half a second): not on the UI thread.
            threading.Thread(target=self.practice.close, name="k8slearn-practice-close").start()

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
        if not self.is_attached:
            return  # a worker finished as the screen went (quit, next exercise)
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
        results = self.query_one(ResultsPanel)
        results.clear("Checking…")
        if self._opening:
            self._check_when_open = True  # checked as soon as the saved cluster is read
            return
        if self.cluster_mode:
            self._check_practice()
            return
        self._grade(self.query_one(AnswerEditor).text)

    @work(thread=True, exclusive=True, group="grade")
    def _grade(self, text: str) -> None:
        assert self.grader is not None
        self._grade_with(self.grader, self.mistakes, text)

    def _grade_with(self, grader: Grader, mistakes: MistakeFinder | None, text: str) -> None:
        """Grade `text` (in a worker) and show the grade; the editor's and the cluster's way."""
        try:
            grade = grader.grade(text)
            if mistakes is not None:
                grade.known_mistake = mistakes.find(grade, text)
            matrix = None
            if grade.world is not None and grade.ports:
                expected = None
                if any("connectivity" in c or "reachability" in c for c in self.exercise.expect):
                    expected = grader.solution.table(grade.ports)
                matrix = MatrixData(grade.world, grade.world.table(grade.ports), expected)
        except ExerciseError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show_grade, grade, matrix)

    # -- the practice cluster: kubectl, the Cluster tab, grading the cluster -------------------

    def _editor_clean(self, text: str) -> bool:
        """Whether the editor holds nothing the cluster lacks: the cluster's own YAML, the
        starter, or nothing; anything else is the learner's typed work and is kept."""
        return not text.strip() or text in (self._mirror, self.exercise.starter)

    def _check_practice(self) -> None:
        """F5 once kubectl has been used: typed YAML goes to the cluster first, then the
        cluster is graded."""
        text = self.editor.text
        if self._editor_clean(text):
            self.query_one(ResultsPanel).clear("Checking the practice cluster…")
            self._grade_cluster()
            return
        self._applying = text
        self.query_one(ResultsPanel).clear(
            "Applying the editor's YAML to the practice cluster (kubectl apply -f), then checking…"
        )
        self.query_one(KubectlPane).run_for(
            ["apply", "-f", "-"],
            "kubectl apply -f -   # the editor's YAML (F5)",
            APPLY_EDITOR,
            text,
        )

    @work(thread=True, exclusive=True, group="grade")
    def _grade_cluster(self) -> None:
        """Grade the cluster as `k8slearn check` does inside `k8slearn shell`."""
        assert self.practice is not None
        state = self.practice.load()
        if state is None:
            self.app.call_from_thread(
                self.query_one(ResultsPanel).clear, self.practice.problem or EMPTY_CLUSTER
            )
            return
        text, scenario = state.learner_yaml(), state.scenario()
        if not text.strip():
            self.app.call_from_thread(self.query_one(ResultsPanel).clear, EMPTY_CLUSTER)
            return
        try:
            grader = Grader(self.exercise, scenario=scenario)
            mistakes = MistakeFinder(grader)
        except ExerciseError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self._grade_with(grader, mistakes, text)

    def on_kubectl_pane_ran(self, message: KubectlPane.Ran) -> None:
        run = message.run
        if run.purpose == APPLY_EDITOR:
            self._applied(run.output.exit_code == 0, run.output.stderr, run.output.changed)
            return
        if run.output.changed or not self._cluster_shown():
            self._refresh_practice("kubectl")

    def _applied(self, ok: bool, stderr: str, changed: bool) -> None:
        applied, self._applying = self._applying, None
        if not ok:
            full = " in full" if changed else ""
            self.query_one(ResultsPanel).clear(
                f"[b red]The editor's YAML was not applied{full}[/]: kubectl said\n\n"
                f"[red]{_escape(stderr.strip() or '(nothing)')}[/]\n\n"
                "Fix the YAML and press F5 again; the editor keeps your text."
            )
            if changed:
                self._refresh_practice("kubectl")
            return
        self._mirror = applied  # it is the cluster's now: the editor may show the cluster's YAML
        self._refresh_practice("applied")
        self._grade_cluster()

    def _cluster_shown(self) -> bool:
        return getattr(self.query_one(ClusterView), "snapshot", None) is not None

    @work(thread=True, exclusive=True, group="practice")
    def _refresh_practice(self, reason: str) -> None:
        """Read the cluster (off the UI thread) for the Cluster tab and the editor."""
        assert self.practice is not None
        view = PracticeView(False, "", None, "the practice cluster could not be read")
        try:
            state = self.practice.load()
            if state is not None:
                view = PracticeView(
                    self.practice.in_use(),
                    state.learner_yaml(),
                    snapshot_of(state),
                    self.practice.problem,
                )
        except Exception as exc:  # a damaged cluster must not take the app down
            view = PracticeView(False, "", None, f"the practice cluster could not be read: {exc}")
        if not get_current_worker().is_cancelled:
            with contextlib.suppress(Exception):  # the app may be closing
                self.app.call_from_thread(self._show_practice, view, reason)

    def _show_practice(self, view: PracticeView, reason: str) -> None:
        if not self.is_attached:
            return
        cluster = self.query_one(ClusterView)
        if view.snapshot is not None:
            cluster.show(view.snapshot)
        elif view.problem:
            cluster.show_message(view.problem)
        if view.used:
            self._sync_editor(view.yaml, reason)
        if view.used != self.cluster_mode:
            self.cluster_mode = view.used
            suffix = " · F5 checks the cluster" if view.used else ""
            self.sub_title = (
                f"{self.exercise.qualified_id} · namespace: {self.exercise.namespace}{suffix}"
            )
            self.refresh_bindings()
        self._opening = False
        if self._check_when_open:
            self._check_when_open = False
            self.action_check()

    def _sync_editor(self, yaml: str, reason: str) -> None:
        """Show the cluster's objects in the editor, unless it holds typed work."""
        editor = self.editor
        text = editor.text
        if text == yaml:
            self._mirror = yaml
            return
        if not self._editor_clean(text):
            if reason != "applied":
                title = "Your kubectl work is here" if reason == "open" else "The cluster changed"
                self.notify(UNAPPLIED, title=title, timeout=8)
            return
        if not yaml.strip() and text == self.exercise.starter:
            return  # nothing of the learner's yet: the starter stays
        self._mirror = yaml
        editor.replace(yaml, (0, 0), editor.document.end)
        editor.cursor_location = (0, 0)
        if reason == "applied" and text.strip():
            self.notify(
                "Applied. The editor now shows your objects as the cluster stored them "
                "(ctrl+z brings back your text).",
                timeout=6,
            )
        elif reason == "open":
            self.notify("The editor shows what you made on the practice cluster.", timeout=5)

    def action_kubectl(self) -> None:
        """ctrl+t: from the editor to the kubectl command line, and back."""
        tabs = self.query_one("#work-tabs", TabbedContent)
        pane = self.query_one(KubectlPane)
        if tabs.active == "kubectl-tab" and pane.has_focus_within:
            tabs.active = "yaml-tab"
            self.editor.focus()
        else:
            tabs.active = "kubectl-tab"
            pane.focus_command()

    def action_cluster(self) -> None:
        """F8: the Cluster tab, or back to the exercise."""
        tabs = self.query_one("#reading", TabbedContent)
        tabs.active = "prompt-tab" if tabs.active == "cluster-tab" else "cluster-tab"

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id
        if pane_id == "cluster-tab" and not self._cluster_shown():
            self._refresh_practice("shown")
        elif pane_id == "kubectl-tab":
            self.query_one(KubectlPane).focus_command()
            if not self._cluster_shown():
                self._refresh_practice("shown")  # reads the world: its names complete at once
        elif pane_id == "yaml-tab":
            self.editor.focus()

    def action_cluster_yaml(self) -> None:
        """ctrl+g: the cluster's objects in the editor (the typed text stays on ctrl+z)."""
        self._load_cluster_yaml()

    @work(thread=True, exclusive=True, group="practice-yaml")
    def _load_cluster_yaml(self) -> None:
        assert self.practice is not None
        state = self.practice.load()
        if state is not None:
            self.app.call_from_thread(self._put_cluster_yaml, state.learner_yaml())

    def _put_cluster_yaml(self, yaml: str) -> None:
        if not self.is_attached:
            return
        editor = self.editor
        self._mirror = yaml
        if editor.text == yaml:
            self.notify("The editor already shows the cluster's objects.", timeout=3)
            return
        editor.replace(yaml, (0, 0), editor.document.end)
        editor.cursor_location = (0, 0)
        self.notify("The editor shows the practice cluster's objects (ctrl+z undoes).", timeout=4)

    def _start_over(self, sure: bool | None) -> None:
        if sure:
            self._reset_cluster()

    @work(thread=True, exclusive=True, group="practice")
    def _reset_cluster(self) -> None:
        assert self.practice is not None
        self.practice.reset()
        self.app.call_from_thread(self._cluster_reset)

    def _cluster_reset(self) -> None:
        if not self.is_attached:
            return
        self._mirror = None
        self.query_one(KubectlPane).note("The practice cluster starts again from the scenario.")
        self._reset_editor()
        self._refresh_practice("reset")

    def _show_grade(self, grade: Grade, matrix: MatrixData | None) -> None:
        if not self.is_attached:
            return
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
        self.query_one("#reading", TabbedContent).active = "prompt-tab"

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
        if self.cluster_mode:
            self.app.push_screen(
                ConfirmScreen(
                    "Start this exercise again? The practice cluster goes back to the "
                    "exercise's scenario (what you made with kubectl is deleted) and the editor "
                    "to the starter (ctrl+z undoes that part)."
                ),
                self._start_over,
            )
            return
        self._reset_editor()

    def _reset_editor(self) -> None:
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
        if action in ("kubectl", "cluster"):
            return self.practice is not None
        if action == "cluster_yaml":
            return self.cluster_mode
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
