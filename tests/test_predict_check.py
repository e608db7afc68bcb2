"""`k8slearn check` on predict exercises: a table file graded cell by cell, as the app grades
the matrix, with the same exit codes and output shape as for manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.drills.predict import grade_prediction, make_task
from k8slearn.drills.predict_table import blank_table, grade_table, read_table
from k8slearn.packs.library import load_library
from k8slearn.progress.store import open_store

EXERCISE = "predict-and-or-peers"
QUALIFIED = f"services-networking/{EXERCISE}"

# The truth on 9100/TCP: one policy selects shop/api and admits namespaces with team=ops OR
# pods with app=frontend of shop; shop/db is selected by no policy.
RIGHT = """\
monitoring/prometheus: {shop/api: allowed, shop/db: allowed}
monitoring/grafana: {shop/api: allowed, shop/db: allowed}
dev/prometheus: {shop/api: denied, shop/db: allowed}
shop/frontend: {shop/api: allowed, shop/db: allowed}
shop/db: {shop/api: denied}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("K8SLEARN_PACKS", raising=False)
    monkeypatch.delenv("K8SLEARN_NO_BUILTIN", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="module")
def library():
    return load_library(no_builtin=False)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def write(tmp_path: Path, text: str, name: str = "table.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_right_table_passes_and_is_recorded(tmp_path, home):
    result = run("check", EXERCISE, write(tmp_path, RIGHT))
    assert result.exit_code == 0, result.output
    assert "✓ dev/prometheus → shop/api: denied, as you said" in result.output
    assert result.output.rstrip().endswith(f"{QUALIFIED} (port 9100/TCP): PASSED")
    store = open_store(home / "progress.sqlite3")
    [attempt] = store.attempts(QUALIFIED)
    assert attempt.passed and attempt.source == "cli" and attempt.failed_checks == []
    assert store.card(QUALIFIED) is not None  # scheduled for review like a build check


def test_one_wrong_cell_fails_naming_it_with_the_apps_explanation(tmp_path, home):
    wrong = RIGHT.replace("dev/prometheus: {shop/api: denied", "dev/prometheus: {shop/api: allowed")
    path = write(tmp_path, wrong)
    result = run("check", EXERCISE, path)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    [bad] = [line for line in lines if line.startswith("✗")]
    assert bad == f"✗ dev/prometheus → shop/api: you said allowed, but it is denied ({path}:3)"
    # the explanation the app shows on that cell: both sides, the rule that nearly admits it
    why = lines[lines.index(bad) + 1 : lines.index(bad) + 3]
    assert why[0].startswith("  egress:") and "dev/prometheus is not isolated" in why[0]
    assert why[1].startswith("  ingress:") and "shop/api-metrics" in why[1]
    assert "dev/prometheus is not one of them" in why[1]
    assert sum(line.startswith("✓") for line in lines) == 8
    assert lines[-1] == f"{QUALIFIED} (port 9100/TCP): NOT YET (1 cell(s) to fix)"
    [attempt] = open_store(home / "progress.sqlite3").attempts(QUALIFIED)
    assert not attempt.passed and attempt.failed_checks == ["dev/prometheus → shop/api"]


def test_json_output_has_the_shape_of_a_build_check(tmp_path, home):
    wrong = RIGHT.replace("shop/db: {shop/api: denied}", "shop/db: {shop/api: allowed}")
    result = run("check", EXERCISE, write(tmp_path, wrong), "-o", "json", "--learner", "ada")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert set(data) == {"exercise", "learner", "pack", "passed", "checks", "warnings"}
    assert (data["exercise"], data["learner"], data["passed"]) == (QUALIFIED, "ada", False)
    assert data["pack"]["id"] == "services-networking"
    assert all(set(c) == {"name", "passed", "message"} for c in data["checks"])
    assert len(data["checks"]) == 9
    [failed] = [c for c in data["checks"] if not c["passed"]]
    assert failed["name"] == "shop/db → shop/api"
    assert failed["message"].startswith("you said allowed, but it is denied: egress:")
    assert (
        "ingress: shop/api is isolated for ingress by policy shop/api-metrics"
        in (failed["message"])
    )


def test_a_json_table_with_booleans_is_read_too(tmp_path, home):
    table = {
        "monitoring/prometheus": {"shop/api": True, "shop/db": True},
        "monitoring/grafana": {"shop/api": True, "shop/db": True},
        "dev/prometheus": {"shop/api": False, "shop/db": True},
        "shop/frontend": {"shop/api": True, "shop/db": True},
        "shop/db": {"shop/api": False},
    }
    result = run("check", EXERCISE, write(tmp_path, json.dumps(table), "t.json"), "--no-record")
    assert result.exit_code == 0, result.output
    assert not (home / "progress.sqlite3").exists()  # --no-record touches no store


def test_the_template_lists_every_asked_cell_blank(tmp_path, home):
    result = run("check", EXERCISE, "--template")
    assert result.exit_code == 0, result.output
    text = result.output
    assert f"k8slearn check {QUALIFIED} FILE" in text and "9100/TCP" in text
    rows = [line for line in text.splitlines() if not line.startswith(("#", " "))]
    assert rows == [
        "monitoring/prometheus:",
        "monitoring/grafana:",
        "dev/prometheus:",
        "shop/frontend:",
        "shop/db:",
    ]
    assert text.endswith("\nshop/db:\n  shop/api:\n")  # shop/db → itself is not asked
    # handed in untouched, every blank cell is reported at its line, nothing is graded
    result = run("check", EXERCISE, write(tmp_path, text))
    assert result.exit_code == 2
    assert result.output.count(": error: ") == 9
    assert "table.yaml:8:3: error: monitoring/prometheus → shop/api: no answer" in result.output
    assert not (home / "progress.sqlite3").exists()


def test_every_builtin_predict_exercise_round_trips_through_its_template(library):
    predicts = [ex for ex in library.exercises() if ex.kind == "predict"]
    assert len(predicts) >= 5
    for ex in predicts:
        task = make_task(ex)
        truth = {cell: task.actual(*cell) for cell in task.cells()}
        filled = blank_table(task)
        for (src, dst), allowed in truth.items():
            head, sep, tail = filled.partition(f"\n{src}:\n")
            tail = tail.replace(
                f"  {dst}:\n", f"  {dst}: {'allowed' if allowed else 'denied'}\n", 1
            )
            filled = head + sep + tail
        answer = read_table(task, filled)
        assert answer.ok, (ex.id, answer.problems)
        grade = grade_table(task, answer)
        assert grade.passed and len(grade.checks) == len(task.cells()), ex.id
        # the same verdicts as the app's matrix
        app = grade_prediction(task, answer.guesses)
        assert [c.passed for c in grade.checks] == [c.right for c in app.cells]


def test_a_pod_marked_denied_to_itself_is_a_wrong_cell(tmp_path, home):
    table = RIGHT.replace(
        "shop/db: {shop/api: denied}", "shop/db: {shop/api: denied, shop/db: denied}"
    )
    result = run("check", EXERCISE, write(tmp_path, table), "--no-record")
    assert result.exit_code == 1
    assert "✗ shop/db → shop/db: you said denied, but it is allowed" in result.output
    assert "a pod cannot block access to itself" in result.output
    allowed_self = table.replace("shop/db: denied}", "shop/db: allowed}")
    assert run("check", EXERCISE, write(tmp_path, allowed_self), "--no-record").exit_code == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ":1: error: the table is empty"),
        ("# nothing yet\n", ":1: error: the table is empty"),
        ("- a\n- b\n", "a table is a mapping of sources to their cells"),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
            "this looks like a manifest, but this exercise asks you to predict a table",
        ),
        (
            RIGHT.replace("shop/db: {shop/api: denied}", "shop/db: {shop/api: maybe}"),
            ":5:11: error: shop/db → shop/api: 'maybe' is not an answer; write allowed or denied",
        ),
        (
            RIGHT.replace("shop/frontend:", "frontend:"),
            ":4:1: error: no pod or outside host 'frontend' in the scenario; "
            "did you mean shop/frontend?",
        ),
        (
            RIGHT.replace("shop/frontend:", "dev/frontend:"),
            "dev/frontend is not a row of this table; the rows are monitoring/prometheus,",
        ),
        (
            RIGHT.replace("shop/frontend:", "shop/api:"),
            "shop/api is a column (a destination), not a row: write it under a source",
        ),
        (
            RIGHT.replace("{shop/api: denied, shop/db: allowed}", "{shop/api: denied}"),
            ":3: error: row dev/prometheus has no answer for shop/db",
        ),
        (
            "".join(line + "\n" for line in RIGHT.splitlines() if not line.startswith("dev/")),
            "error: no row for dev/prometheus (its cells: shop/api, shop/db)",
        ),
        (
            RIGHT.replace("{shop/api: denied}", "{shop/api: denied, shop/dbb: allowed}"),
            "row shop/db: no pod or outside host 'shop/dbb' in the scenario; did you mean shop/db?",
        ),
        (
            RIGHT.replace("{shop/api: denied}", "[shop/api]"),
            ":5: error: the cells of row shop/db are a mapping `<to>: allowed|denied`, not a list",
        ),
        (RIGHT + "shop/db: {shop/api: denied}\n", ":6:1: error: duplicate key 'shop/db'"),
        (RIGHT + "---\nshop/db: {shop/api: denied}\n", "holds 2 YAML documents; a table is one"),
        ("a: [\n", "YAML syntax error"),
    ],
)
def test_a_table_that_cannot_be_graded_is_a_located_usage_error(tmp_path, home, text, expected):
    path = write(tmp_path, text)
    result = run("check", EXERCISE, path)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert f"{path}: the table cannot be graded" in result.output
    assert "Traceback" not in result.output
    assert not (home / "progress.sqlite3").exists()  # nothing graded, nothing recorded


def test_usage_around_the_table(tmp_path, home):
    missing = run("check", EXERCISE)
    assert missing.exit_code == 2 and "Missing argument 'ANSWER_FILE'" in missing.output
    assert run("check", EXERCISE, str(tmp_path / "nope.yaml")).exit_code == 2
    namespaced = run("check", EXERCISE, write(tmp_path, RIGHT), "-n", "shop")
    assert namespaced.exit_code == 2 and "no meaning for a predict exercise" in namespaced.output
    from_stdin = CliRunner().invoke(main, ["check", EXERCISE, "-", "--no-record"], input=RIGHT)
    assert from_stdin.exit_code == 0, from_stdin.output


def test_template_of_a_build_exercise_is_its_starter(library, home):
    with_starter = next(ex for ex in library.exercises() if ex.starter.strip())
    result = run("check", with_starter.qualified_id, "--template")
    assert result.exit_code == 0 and result.output.strip() == with_starter.starter.strip()
    without = next(ex for ex in library.exercises() if ex.kind == "build" and not ex.starter)
    result = run("check", without.qualified_id, "--template")
    assert result.exit_code == 2 and "has no starter" in result.output
