"""Drills as a learner lives them (issue 11): a fresh start, a matrix ready for Space, time to
read a wrong answer, no item lost to a hurried ctrl+n, and a report even when the learner quits;
plus what the reports say: honest counts, the learner and the packs."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.drills.session import Drill, DrillItem, junit_xml, packs_of, write_report
from k8slearn.packs.library import load_library
from k8slearn.packs.scaffold import new_pack
from k8slearn.progress.store import open_store
from k8slearn.tui import app as tui_app
from k8slearn.tui.app import DrillOptions, K8sLearnApp
from k8slearn.tui.screens import drill_step
from k8slearn.tui.screens.drill_summary import DrillSummaryScreen
from k8slearn.tui.screens.exercise import ExerciseScreen
from k8slearn.tui.screens.help import HELP
from k8slearn.tui.screens.modals import TextScreen
from k8slearn.tui.screens.predict import PredictScreen
from k8slearn.tui.widgets.editor import AnswerEditor

SIZE = (100, 30)
BUILTIN = "services-networking"


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "progress.sqlite3")
    yield s
    s.close()


async def wait_until(pilot, condition, timeout: float = 6.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        await pilot.pause(0.05)


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def set_answer(app, pilot, text: str) -> None:
    editor = app.screen.query_one(AnswerEditor)
    editor.replace(text, (0, 0), editor.document.end)
    await pilot.pause(0.6)  # past the autosave and validation delays
    await settle(app, pilot)


# -- 1. a drill starts from the starter; the learner's own draft is one key away -----------------


async def test_a_drill_starts_from_the_starter_and_leaves_the_own_draft_alone(library, store):
    own = "# my own earlier attempt\napiVersion: v1\nkind: Service\n"
    for ex in library.exercises():
        store.save_draft(ex.qualified_id, own)
    app = K8sLearnApp(library, store, drill=DrillOptions(count=2, minutes=5, kind="build"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        ex = screen.exercise
        editor = screen.query_one(AnswerEditor)
        assert editor.text == ex.starter  # not the saved draft: a paste cannot collide with it
        shown = screen.active_bindings["ctrl+o"]  # in the footer, which lists active bindings
        assert shown.binding.action == "load_draft" and shown.binding.show and shown.enabled
        await set_answer(app, pilot, "# typed in the drill\n")
        assert store.draft(ex.qualified_id) == own  # the own draft is untouched...
        assert (
            store.draft("drill:" + ex.qualified_id) == "# typed in the drill\n"
        )  # ...drills apart
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert editor.text == own  # one key away
        await set_answer(app, pilot, own + "# changed after loading\n")
        await pilot.press("escape", "escape")  # out of the editor, then home: ends the drill
        await wait_until(pilot, lambda: isinstance(app.screen, DrillSummaryScreen))
        await pilot.pause(0.3)
    assert store.draft(ex.qualified_id) == own


async def test_load_draft_is_offered_only_in_drills(library, store):
    ex = library.find("clusterip-expose-web")[0]
    app = K8sLearnApp(library, store, ex)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.check_action("load_draft", ()) is False
    assert "ctrl+o" in HELP and "saved draft" in HELP


# -- 2. predict: the cursor starts on a cell, Space marks it, Help explains the keys -------------


async def test_predict_cursor_starts_on_a_cell_and_space_marks_it(library, store):
    app = K8sLearnApp(library, store, drill=DrillOptions(count=1, minutes=5, kind="predict"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PredictScreen)
        table = screen.query_one("#predict")
        assert app.focused is table
        task = screen.prediction
        row, column = table.cursor_coordinate
        first = (task.sources[row], task.targets[column])
        assert first in task.cells()  # an answerable cell, not a label or a pod to itself
        await pilot.press("space")
        await pilot.pause()
        assert screen.guesses == {first: True}
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        help_text = app.screen.markdown
        section = help_text[help_text.index("## Predict the table") :]
        for words in ("arrows", "space", "tab", "F5"):
            assert words in section


# -- 3. a wrong answer stays on screen until ctrl+n; a right one moves on ----------------------


async def test_a_wrong_prediction_stays_until_ctrl_n(library, store):
    app = K8sLearnApp(
        library, store, drill=DrillOptions(count=2, minutes=5, kind="predict", seed=3)
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        task = screen.prediction
        row, column = screen.query_one("#predict").cursor_coordinate
        if not task.actual(task.sources[row], task.targets[column]):
            await pilot.press("space")  # now that cell is wrong
        await pilot.press("f5")
        await pilot.pause()
        item = app.drill.items[0]
        assert screen.result is not None and not screen.result.passed
        assert item.passed is False and not item.skipped  # recorded as a failure at once
        status = str(screen.query_one("#status").render())
        assert "press ctrl+n for the next item" in status
        assert "wrong: you said" in str(screen.query_one("#explanation").render())
        await pilot.pause(3.5)  # the old screen moved on by itself after 3 s
        assert app.screen is screen and app.drill.current == 0
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.screen is not screen)
        assert app.drill.current == 1
        assert app.drill.items[0].outcome == "failed"
        await pilot.pause(0.3)


async def test_a_right_prediction_moves_on_by_itself(library, store):
    app = K8sLearnApp(
        library, store, drill=DrillOptions(count=2, minutes=5, kind="predict", seed=3)
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        task = screen.prediction
        table = screen.query_one("#predict")
        for r, s in enumerate(task.sources):
            for c, t in enumerate(task.targets):
                if (s, t) in task.cells() and task.actual(s, t):
                    table.move_cursor(row=r, column=c)
                    await pilot.press("space")
        await pilot.press("f5")
        await pilot.pause()
        assert screen.result.passed
        await wait_until(pilot, lambda: app.screen is not screen, timeout=4)
        assert app.drill.current == 1 and app.drill.items[0].outcome == "passed"
        await pilot.pause(0.3)  # let the new screen finish mounting before the app closes


# -- 4. a ctrl+n right after an advance cannot skip the next item --------------------------------


async def test_ctrl_n_right_after_an_auto_advance_skips_nothing(
    library, store, tmp_path, monkeypatch
):
    # A wide guard, so a slow machine cannot turn "right after" into "a while after".
    monkeypatch.setattr(drill_step, "NEXT_GUARD", 2.0)
    report = tmp_path / "drill.xml"
    options = DrillOptions(count=3, minutes=5, kind="build", report=report)
    app = K8sLearnApp(library, store, drill=options, learner="ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        items = app.drill.items
        await set_answer(app, pilot, items[0].exercise.solution)
        await pilot.press("f5")
        await settle(app, pilot)
        assert items[0].passed is True
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ExerciseScreen) and app.screen.drill_item is items[1],
        )
        second = app.screen
        await pilot.press("ctrl+n")  # meant for the item that has just gone
        await pilot.pause()
        assert app.screen is second and app.drill.current == 1
        assert items[1].passed is None
        assert store.attempts(items[1].exercise.qualified_id) == []
        await wait_until(pilot, lambda: second.shown_at is not None)  # painted
        await pilot.pause(2.1)  # the item has been on screen a while: ctrl+n now skips it
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.screen is not second)
        assert items[1].outcome == "skipped" and items[1].note == "skipped by the learner"
        await pilot.press("escape", "escape")  # out of the editor, then home
        await wait_until(pilot, lambda: isinstance(app.screen, DrillSummaryScreen))
        await pilot.pause(0.3)
    suite = ET.parse(report).getroot().find("testsuite")
    # passed, skipped by the learner, stopped on screen: nothing failed
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "0", "2")
    cases = suite.findall("testcase")
    assert cases[1].find("skipped").get("message") == "skipped by the learner"
    assert cases[1].find("failure") is None


async def test_ctrl_n_on_a_passed_item_moves_on_once(library, store):
    app = K8sLearnApp(library, store, drill=DrillOptions(count=3, minutes=5, kind="build"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = app.screen
        await set_answer(app, pilot, app.drill.items[0].exercise.solution)
        await pilot.pause(0.3)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("ctrl+n")  # no need to wait for the auto-advance
        await wait_until(pilot, lambda: app.screen is not first, timeout=1.5)
        await pilot.pause(2.5)  # the auto-advance timer fires, and must not advance again
        assert app.drill.current == 1 and app.drill.items[1].passed is None


# -- 5. an abandoned drill still writes its report -----------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".xml"])
async def test_quitting_mid_drill_writes_an_abandoned_report(library, store, tmp_path, suffix):
    report = tmp_path / f"drill{suffix}"
    options = DrillOptions(count=3, minutes=5, kind="build", report=report)
    app = K8sLearnApp(library, store, drill=options, learner="ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert report.exists()
    assert app.drill_summaries and app.drill_summaries[0].drill.abandoned
    if suffix == ".json":
        data = json.loads(report.read_text())
        assert data["abandoned"] is True and data["learner"] == "ana"
        assert [i["outcome"] for i in data["items"]] == ["skipped", "not reached", "not reached"]
        assert all(i["skipped"] and not i["passed"] for i in data["items"])
        assert data["items"][0]["seconds"] > 0  # the time spent on the item left on screen
    else:
        suite = ET.parse(report).getroot().find("testsuite")
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["abandoned"] == "true" and props["learner"] == "ana"
        assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "0", "3")
    assert len(store.drills()) == 1  # recorded in the progress file too


async def test_escape_mid_drill_is_abandoned_but_a_finished_drill_is_not(library, store, tmp_path):
    report = tmp_path / "drill.json"
    app = K8sLearnApp(
        library, store, drill=DrillOptions(count=1, minutes=5, kind="build", report=report)
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape", "escape")  # out of the editor, then home
        await wait_until(pilot, lambda: isinstance(app.screen, DrillSummaryScreen))
        await pilot.pause(0.3)
        assert "Drill stopped before the end" in app.screen.query_one("#summary-text").source
    assert json.loads(report.read_text())["abandoned"] is True

    app = K8sLearnApp(
        library, store, drill=DrillOptions(count=1, minutes=5, kind="build", report=report)
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await set_answer(app, pilot, app.drill.items[0].exercise.solution)
        await pilot.press("f5")
        await settle(app, pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, DrillSummaryScreen))
        await pilot.pause(0.3)
        await pilot.press("ctrl+q")  # after the end: nothing is abandoned
    assert json.loads(report.read_text())["abandoned"] is False


def _fake_run_app(abandoned: bool | None):
    def run_app(library, drill=None, learner=None):
        if abandoned is None:
            return []
        return [SimpleNamespace(drill=SimpleNamespace(abandoned=abandoned))]

    return run_app


@pytest.mark.parametrize(("abandoned", "code"), [(False, 0), (True, 1), (None, 2)])
def test_drill_command_exit_code_says_abandoned(monkeypatch, tmp_path, abandoned, code):
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path))
    monkeypatch.setattr(tui_app, "run_app", _fake_run_app(abandoned))
    result = CliRunner().invoke(main, ["drill", "--report", str(tmp_path / "d.json")])
    assert result.exit_code == code, result.output
    if code:
        assert "no report" in result.output or "stopped before its end" in result.output
    help_text = CliRunner().invoke(main, ["drill", "--help"]).output
    assert "abandoned" in help_text and "1 when it was abandoned" in help_text


# -- 6. JUnit counts; 7. reports name the learner and the packs ----------------------------------


def _drill(library, store) -> Drill:
    exs = [e for e in library.exercises() if e.kind == "build"][:4]
    drill = Drill(
        [DrillItem(e) for e in exs], minutes=5, learner="ana", packs=packs_of(library, exs)
    )
    outcomes = [
        dict(passed=True),
        dict(passed=False, failed_checks=["service selects pods"], note="time ran out"),
        dict(passed=False, skipped=True, note="skipped by the learner"),
    ]
    for item, fields in zip(drill.items, outcomes, strict=False):
        for name, value in fields.items():
            setattr(item, name, value)
        drill.complete(store, item)
        drill.advance()
    return drill


def test_junit_counts_skipped_items_as_skipped_not_failed(library, store):
    summary = _drill(library, store).finish(store)
    suite = ET.fromstring(junit_xml(summary).split("?>", 1)[1]).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "2")
    cases = suite.findall("testcase")
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None
    assert cases[1].find("failure").text == "service selects pods"
    assert cases[2].find("failure") is None
    assert cases[2].find("skipped").get("message") == "skipped by the learner"
    assert cases[3].find("skipped").get("message") == "not reached"


def test_reports_name_the_learner_the_packs_and_whether_abandoned(library, store, tmp_path):
    drill = _drill(library, store)
    drill.stop(store, timed_out=False)  # the learner leaves on the last item, unanswered
    summary = drill.finish(store)
    version = next(p.version for p in library.packs if p.id == BUILTIN)
    write_report(tmp_path / "d.json", summary)
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["learner"] == "ana"
    assert data["packs"] == [{"id": BUILTIN, "version": version}]
    assert data["abandoned"] is True
    assert data["items"][3]["outcome"] == "skipped" and data["items"][3]["note"] == "drill stopped"
    write_report(tmp_path / "d.xml", summary)
    props = [
        (p.get("name"), p.get("value"))
        for p in ET.parse(tmp_path / "d.xml").getroot().iter("property")
    ]
    assert ("learner", "ana") in props
    assert ("pack", f"{BUILTIN}@{version}") in props
    assert ("abandoned", "true") in props


def test_packs_of_names_only_the_packs_the_items_come_from(tmp_path):
    new_pack(tmp_path / "net-101")
    library = load_library([tmp_path / "net-101"])
    course = [e for e in library.exercises() if e.pack_id == "net-101"]
    builtin = [e for e in library.exercises() if e.pack_id == BUILTIN]
    assert [p["id"] for p in packs_of(library, course[:1])] == ["net-101"]
    both = packs_of(library, [course[0], builtin[0]])
    assert [p["id"] for p in both] == [p.id for p in library.packs]  # library order
    assert all(set(p) == {"id", "version"} for p in both)


def test_a_clock_that_runs_out_fails_the_item_and_does_not_abandon(library, store):
    drill = Drill([DrillItem(e) for e in library.exercises()[:2]], minutes=5)
    drill.stop(store, timed_out=True)
    assert not drill.abandoned
    assert drill.items[0].outcome == "failed" and drill.items[0].note == "time ran out"
    assert drill.items[1].outcome == "not reached"
