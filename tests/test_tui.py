"""The app under Textual's Pilot: the flows a learner goes through."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from k8slearn.packs.library import load_library
from k8slearn.progress.store import open_store
from k8slearn.tui.app import K8sLearnApp
from k8slearn.tui.screens.exercise import ExerciseScreen
from k8slearn.tui.screens.home import HomeScreen
from k8slearn.tui.screens.modals import ConfirmScreen, TextScreen
from k8slearn.tui.widgets.editor import AnswerEditor

SIZE = (100, 30)
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
"""


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "progress.sqlite3")
    yield s
    s.close()


def make_app(library, store, exercise=None, answer=None):
    start = library.find(exercise)[0] if exercise else None
    return K8sLearnApp(library, store, start, answer)


async def settle(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


async def set_answer(app, pilot, text):
    editor = app.screen.query_one(AnswerEditor)
    editor.replace(text, (0, 0), editor.document.end)
    await pilot.pause(0.6)  # past the autosave and validation delays
    await settle(app, pilot)


async def test_start_up_is_not_collected_and_then_frozen(library, store):
    """While the app starts the cycle collector waits; once the first screen is drawn,
    what start-up built is frozen out of later collections, and collecting resumes."""
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    app = make_app(library, store)
    assert not gc.isenabled()  # held from construction
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, HomeScreen):
            await pilot.pause()
        await pilot.pause()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 10_000  # modules, the packs, the home screen
        app.pop_to_home()  # a second home screen settles nothing again
        await pilot.pause()
        assert gc.isenabled()


def results_text(app) -> str:
    screen = app.screen
    return str(screen.query_one("#verdict").render()) + str(screen.query_one("#checks").render())


async def test_home_lists_every_exercise_with_marks(library, store):
    store.record_attempt("services-networking/clusterip-expose-web", True)
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        tree = app.screen.query_one("#packs")
        leaves = [n for n in _walk(tree.root) if not n.children and n.data is not None]
        assert len(leaves) == len(library.exercises())
        assert str(leaves[0].label).startswith("✓")
        total = len(library.exercises())
        assert f"1/{total} exercises passed" in str(app.screen.query_one("#home-summary").render())


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


async def test_type_answer_check_and_pass(library, store):
    app = make_app(library, store, "clusterip-expose-web")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        assert app.focused is app.screen.query_one(AnswerEditor)
        await set_answer(app, pilot, SERVICE)
        status = str(app.screen.query_one("#status").render())
        assert "Service web · ClusterIP · 1 port" in status
        await pilot.press("f5")
        await settle(app, pilot)
        assert "PASSED" in results_text(app)
    attempts = store.attempts("services-networking/clusterip-expose-web")
    assert [a.passed for a in attempts] == [True]
    assert attempts[0].source == "app"


async def test_failing_answer_shows_message_and_matrix(library, store):
    wrong = library.find("netpol-and-vs-or")[0].wrong_answers[0].answer
    app = make_app(library, store, "netpol-and-vs-or", wrong)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        text = results_text(app)
        assert "NOT YET" in text
        assert "monitoring/grafana can reach shop/api:9100 but should not" in text
        await pilot.press("f4")
        await pilot.pause()
        matrix = app.screen.query_one("#matrix")
        assert app.focused is matrix
        scenario = app.screen.grader.scenario
        assert matrix.row_count == len(scenario.pods) + len(scenario.externals)
        # the cell grafana -> api differs from the solution and is explained when highlighted
        names = [p.key for p in app.screen.grader.scenario.pods]
        matrix.move_cursor(
            row=names.index("monitoring/grafana"), column=names.index("shop/api") + 1
        )
        await pilot.pause()
        explanation = str(app.screen.query_one("#explanation").render())
        assert "monitoring/grafana → shop/api" in explanation
        assert "expected: denied" in explanation


async def test_live_validation_marks_the_problem_line(library, store):
    app = make_app(library, store, "clusterip-expose-web")
    async with app.run_test(size=SIZE) as pilot:
        await set_answer(
            app,
            pilot,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 99999\n",
        )
        status = str(app.screen.query_one("#status").render())
        assert "line 7" in status and "spec.ports[0].port" in status
        assert app.screen.query_one(AnswerEditor).problem_lines == frozenset({7})


async def test_hint_reset_and_tabs_are_not_kept(library, store):
    ex = library.find("netpol-fix-classic")[0]
    app = make_app(library, store, ex.id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        prompt = app.screen.query_one("#prompt")
        assert ex.hints[0][:30] in prompt.source
        assert app.screen.hints_shown == 1
        await set_answer(app, pilot, "a:\n\tb: 1\n")
        assert "\t" not in app.screen.query_one(AnswerEditor).text
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.query_one(AnswerEditor).text == ex.starter


async def test_draft_survives_restart(library, store, tmp_path):
    app = make_app(library, store, "clusterip-dns-name")
    async with app.run_test(size=SIZE) as pilot:
        await set_answer(app, pilot, "# my work in progress\n")
    assert store.draft("services-networking/clusterip-dns-name") == "# my work in progress\n"
    again = open_store(tmp_path / "progress.sqlite3")
    app = make_app(library, again, "clusterip-dns-name")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.query_one(AnswerEditor).text == "# my work in progress\n"
    again.close()


async def test_keystrokes_just_before_quitting_are_saved(library, store):
    app = make_app(library, store, "clusterip-dns-name")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        editor = app.screen.query_one(AnswerEditor)
        editor.replace("", (0, 0), editor.document.end)
        await pilot.press(*"# last", "ctrl+q")  # well inside the autosave delay
    assert store.draft("services-networking/clusterip-dns-name") == "# last"


async def test_solution_asks_first_is_recorded_and_can_be_loaded(library, store):
    ex = library.find("clusterip-expose-web")[0]
    app = make_app(library, store, ex.id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not store.solution_shown(ex.qualified_id)
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        assert store.solution_shown(ex.qualified_id)
        await pilot.press("l")
        await pilot.pause()
        assert app.screen.query_one(AnswerEditor).text == ex.solution


async def test_next_and_previous_exercise(library, store):
    exercises = library.exercises()
    app = make_app(library, store, exercises[0].id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.exercise is exercises[1]
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.exercise is exercises[0]


async def test_continue_where_i_left_off(library, store):
    store.set_state("last_exercise", "services-networking/netpol-named-port")
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.exercise.id == "netpol-named-port"


async def test_works_at_80_by_24_and_in_light_theme(library, store):
    app = make_app(library, store, "clusterip-expose-web")
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-light"
        await set_answer(app, pilot, SERVICE)
        await pilot.press("f5")
        await settle(app, pilot)
        assert "PASSED" in results_text(app)
        editor = app.screen.query_one(AnswerEditor)
        assert editor.region.width > 30 and editor.region.height >= 5


def test_snapshot_home(snap_compare, library, store):
    assert snap_compare(make_app(library, store), terminal_size=SIZE)


def test_snapshot_exercise_after_check(snap_compare, library, store):
    wrong = library.find("netpol-and-vs-or")[0].wrong_answers[0].answer

    async def run_before(pilot):
        pilot.app.screen.query_one(AnswerEditor).cursor_blink = False
        await pilot.app.workers.wait_for_complete()
        await pilot.press("f5")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = make_app(library, store, "netpol-and-vs-or", wrong)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_open_command_passes_exercise_and_answer(monkeypatch, tmp_path):
    from click.testing import CliRunner

    import k8slearn.tui.app as tui_app
    from k8slearn.cli import main

    seen = {}
    monkeypatch.setattr(
        tui_app,
        "run_app",
        lambda library, ex, answer, learner: seen.update(ex=ex, answer=answer, learner=learner),
    )
    answer = tmp_path / "a.yaml"
    answer.write_text("kind: Service\n")
    result = CliRunner().invoke(
        main, ["open", "clusterip-expose-web", "--answer", str(answer), "--learner", "ada"]
    )
    assert result.exit_code == 0, result.output
    assert seen["learner"] == "ada"
    assert seen["ex"].qualified_id == "services-networking/clusterip-expose-web"
    assert seen["answer"] == "kind: Service\n"
    result = CliRunner().invoke(main, ["open", "no-such-exercise"])
    assert result.exit_code == 2 and "no exercise 'no-such-exercise'" in result.output


async def test_unusable_store_still_runs_and_says_why(library, tmp_path):
    bad = tmp_path / "progress.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    store = open_store(bad)
    app = make_app(library, store, "clusterip-expose-web")
    async with app.run_test(size=SIZE) as pilot:
        await set_answer(app, pilot, SERVICE)
        await pilot.press("f5")
        await settle(app, pilot)
        assert "PASSED" in results_text(app)
        assert any("cannot be used" in n.message for n in app._notifications)
    assert bad.read_bytes().startswith(b"this is not sqlite")  # never overwritten


async def test_drill_end_to_end_with_a_short_time_limit(library, store, tmp_path):
    from k8slearn.drills.session import Drill  # noqa: F401  (the app builds it)
    from k8slearn.tui.app import DrillOptions
    from k8slearn.tui.screens.drill_summary import DrillSummaryScreen

    report = tmp_path / "drill.xml"
    options = DrillOptions(count=3, minutes=0.2, tags=("clusterip",), kind="build", report=report)
    app = K8sLearnApp(library, store, drill=options)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = app.drill.items[0].exercise
        assert isinstance(app.screen, ExerciseScreen) and app.screen.exercise is first
        assert "exercise 1/3" in str(app.screen.query_one("#countdown").render())
        await set_answer(app, pilot, first.solution)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.pause(2.3)  # passed: the drill moves on by itself
        assert app.screen.exercise is not first
        for _ in range(200):  # the 12-second limit runs out
            if isinstance(app.screen, DrillSummaryScreen):
                break
            await pilot.pause(0.1)
        assert isinstance(app.screen, DrillSummaryScreen)
        await pilot.pause(0.3)  # let the new screen finish mounting before the app closes
        summary = app.screen.summary
        assert [i.passed for i in summary.drill.items] == [True, False, None]
        assert summary.drill.items[1].note == "time ran out"
        assert summary.score == 1.0
    suite = ET.parse(report).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    assert len(store.drills()) == 1


async def test_drill_solution_ends_the_item_as_failed(library, store):
    from k8slearn.tui.app import DrillOptions

    app = K8sLearnApp(library, store, drill=DrillOptions(count=2, minutes=5, kind="build"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = app.screen.exercise
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause(0.3)
        assert app.screen.exercise is not first
        item = app.drill.items[0]
        assert item.passed is False and item.solution_shown and item.points == 0
        assert store.solution_shown(first.qualified_id)


async def test_predict_screen_toggle_and_check(library, store):
    app = make_app(library, store, "predict-and-or-peers")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        task = screen.prediction
        table = screen.query_one("#predict")
        # mark exactly the allowed cells, then check (sources are row labels, not a column)
        for r, s in enumerate(task.sources):
            for c, t in enumerate(task.targets):
                if task.actual(s, t):
                    table.move_cursor(row=r, column=c)
                    await pilot.press("space")
        await pilot.press("f5")
        await pilot.pause()
        assert screen.result is not None and screen.result.passed
        assert "PASSED" in str(screen.query_one("#status").render())
    assert [a.passed for a in store.attempts("services-networking/predict-and-or-peers")] == [True]


async def test_f6_says_why_no_cluster_is_available(library, store, monkeypatch):
    app = make_app(library, store, "clusterip-expose-web")
    monkeypatch.setattr(K8sLearnApp, "verify_unavailable_reason", lambda self: "no kind here")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await settle(app, pilot)
        assert any("no kind here" in n.message for n in app._notifications)
        assert isinstance(app.screen, ExerciseScreen)


async def test_f6_runs_the_verifier_with_progress_and_result(library, store, monkeypatch):
    import k8slearn.cluster.verify as verify_module
    from k8slearn.tui.screens.verify import VerifyScreen

    class FakeResult:
        passed = True

        class comparison:
            @staticmethod
            def render():
                return "all 4 probes agree with the model [subject] [red]"

    def fake_run(plan, on_step, on_log, cancel):
        on_log("created namespace shop")
        on_step("probing", 3, 4)
        return FakeResult()

    monkeypatch.setattr(K8sLearnApp, "verify_unavailable_reason", lambda self: None)
    monkeypatch.setattr(verify_module, "run_verification", fake_run)
    ex = library.find("clusterip-expose-web")[0]
    app = make_app(library, store, ex.id, ex.solution)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await settle(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, VerifyScreen)
        result = str(app.screen.query_one("#verify-result").render())
        assert "Cluster agrees" in result
        assert "[subject] [red]" in result  # brackets in the comparison are text
        assert app.screen.query_one("#verify-progress").progress == 3
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)


async def test_the_current_namespace_is_shown_and_honoured(library, store):
    # netpol-endport-range works in namespace games: an answer without a namespace lands there.
    answer = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: match-allow-lobby
spec:
  podSelector: {matchLabels: {app: match}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: lobby}}}]
      ports: [{port: 7000, endPort: 7009}]
"""
    app = make_app(library, store, "netpol-endport-range")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.sub_title.endswith("· namespace: games")
        await set_answer(app, pilot, answer)
        await pilot.press("f5")
        await settle(app, pilot)
        assert "PASSED" in results_text(app)
