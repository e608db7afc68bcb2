"""`pack validate` for instructors: the feedback preview, every problem at once, positions
that are lines of the file, the traps that break a pack for learners, and messages an
instructor can act on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.grading.grader import Grader
from k8slearn.manifests.loader import MAX_BYTES, load_manifests
from k8slearn.packs.format import load_pack
from k8slearn.packs.library import ENV_VAR
from k8slearn.packs.scaffold import new_pack
from k8slearn.packs.validate import validate_pack
from k8slearn.progress.store import ENV_HOME

EXERCISE = Path("01-first-lesson") / "exercises" / "01-expose-web.yaml"
SHOWN = f"course/{EXERCISE.as_posix()}"  # how problems name the exercise file

WRONG_ANSWER = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 8080
      targetPort: 80
"""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv("K8SLEARN_NO_BUILTIN", raising=False)
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "home"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def scaffold(tmp_path: Path, name: str = "course") -> Path:
    root = tmp_path / name
    new_pack(root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    """The first line that starts with `needle` after its indentation."""
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith(needle))


def column_of(path: Path, needle: str) -> int:
    line = path.read_text().splitlines()[line_of(path, needle) - 1]
    return line.index(needle) + 1


def quick(root: Path, **kw):
    return validate_pack(root, mutate=False, **kw)


def messages(report) -> list[str]:
    return [p.located() for p in report.problems]


def only(report, needle: str):
    found = [p for p in report.problems if needle in p.message]
    assert len(found) == 1, messages(report)
    return found[0]


def add_wrong_answer(path: Path, answer: str, why: str) -> None:
    block = "".join(f"      {line}\n" for line in answer.splitlines())
    edit(
        path,
        "    why: port and targetPort are swapped; the pods listen on 8080.\n",
        "    why: port and targetPort are swapped; the pods listen on 8080.\n"
        f"  - answer: |\n{block}    why: {why}\n",
    )


# -- --feedback: what a learner who writes each wrong answer is told ----------------------------


def test_feedback_prints_what_check_prints_for_the_wrong_answer(tmp_path, monkeypatch):
    root = scaffold(tmp_path)
    result = run("pack", "validate", "--feedback", "--no-mutants", root)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines.index(
        f"── course/expose-web, wrong answer 1  ({SHOWN}:{line_of(root / EXERCISE, '- answer:')})"
    )
    block = lines[header + 1 : lines.index("", header)]
    # the learner's own run of `check` on the same answer prints exactly these lines
    monkeypatch.chdir(tmp_path)
    Path("answer.yaml").write_text(WRONG_ANSWER)
    learner = run("check", "--pack", root, "--no-record", "course/expose-web", "answer.yaml")
    assert learner.exit_code == 1
    assert block == learner.stdout.splitlines()
    assert "A known mistake: port and targetPort are swapped; the pods listen on 8080." in block
    assert any(line.startswith("✗ ") and "(answer.yaml:" in line for line in block)
    assert block[-1] == "course/expose-web: NOT YET (2 check(s) to fix)"
    assert "⚠" not in result.stdout  # the answer's own why is the one shown
    assert result.stdout.splitlines()[-1].endswith(": OK")


def test_without_feedback_nothing_is_previewed(tmp_path):
    root = scaffold(tmp_path)
    result = run("pack", "validate", "--no-mutants", root)
    assert "wrong answer 1" not in result.stdout and "A known mistake" not in result.stdout
    assert quick(root).feedback == []


def test_a_wrong_answer_that_fails_like_an_earlier_one_is_flagged(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    # the same mistake, written in another order: the learner is told the first one's why
    reordered = WRONG_ANSWER.replace(
        "- port: 8080\n      targetPort: 80", "- targetPort: 80\n      port: 8080"
    )
    add_wrong_answer(exercise, reordered, "the ports are the wrong way round.")
    report = quick(root, feedback=True)
    first, second = report.feedback
    # Each is shown its own why (the text decides between the two)...
    assert (first.flag, second.flag) == ("", "twin")
    assert second.grade.known_mistake.index == 1 and second.twin == 0
    # ...but the instructor hears that the grader cannot tell them apart.
    warning = only(report, "wrong answer 2 behaves exactly like wrong answer 1")
    assert warning.severity == "warning" and report.ok
    assert warning.line == line_of(exercise, "why: the ports are the wrong way round.") - 11
    assert "cannot tell the two apart" in warning.message
    assert warning.hint == "merge the two, or add a check that only one of them fails"
    # without --feedback the finder is not run, so nothing is said
    assert not any("behaves exactly like" in m for m in messages(quick(root)))
    text = run("pack", "validate", "--feedback", "--no-mutants", root).stdout
    assert "⚠ behaves exactly like wrong answer 1: the grader cannot tell the two apart" in text
    assert text.count("A known mistake: port and targetPort are swapped") == 1
    assert text.count("A known mistake: the ports are the wrong way round.") == 1


def test_a_wrong_answer_with_a_blank_why_is_flagged(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    add_wrong_answer(exercise, WRONG_ANSWER.replace("port: 8080", "port: 81"), "' '")
    report = quick(root, feedback=True)
    assert report.feedback[1].flag == "no why"
    assert report.feedback[1].grade.known_mistake is None
    warning = only(report, "wrong answer 2 has an empty `why`")
    assert warning.severity == "warning"
    assert warning.line == line_of(exercise, "why: ' '") - 11
    # a blank why is reported without --feedback too
    assert any("has an empty `why`" in m for m in messages(quick(root)))
    text = run("pack", "validate", "--feedback", "--no-mutants", root).stdout
    assert "⚠ no known mistake matches, so a learner is told only which checks fail" in text


def test_feedback_in_json(tmp_path):
    root = scaffold(tmp_path)
    result = run("pack", "validate", "--feedback", "--no-mutants", "-o", "json", root)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["pack"] == {"id": "course", "version": "0.1.0"}
    assert data["summary"].endswith(": OK") and data["problems"] == []
    [entry] = data["feedback"]
    assert entry["exercise"] == "course/expose-web" and entry["wrong_answer"] == 1
    assert entry["file"] == SHOWN and entry["line"] == line_of(root / EXERCISE, "- answer:")
    assert entry["passed"] is False and entry["flag"] is None
    assert entry["known_mistake"] == {
        "why": "port and targetPort are swapped; the pods listen on 8080.",
        "wrong_answer": 1,
        "match": "behaves like",
    }
    assert [c["name"] for c in entry["checks"] if not c["passed"]] == [
        "Service default/web",
        "default/client → svc:default/web:80",
    ]
    plain = json.loads(run("pack", "validate", "--no-mutants", "-o", "json", root).stdout)
    assert "feedback" not in plain


def test_json_lists_problems_with_their_place(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "    port: 80\n    endpoints", "    prt: 80\n    endpoints")
    result = run("pack", "validate", "--no-mutants", "-o", "json", root)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    [problem] = data["problems"]
    assert problem["file"] == SHOWN and problem["severity"] == "error"
    assert problem["line"] == line_of(root / EXERCISE, "- service:")
    assert problem["hint"] == "did you mean `port`?"
    assert data["ok"] is False and data["pack"] == {"id": "course", "version": "0.1.0"}


# -- every problem of every file, at once ------------------------------------------------------


def test_a_pack_yaml_syntax_error_does_not_hide_the_exercises_problems(tmp_path):
    root = scaffold(tmp_path)
    (root / "pack.yaml").write_text(
        'id: course\ntitle: Course: the basics\nversion: "1"\nlessons: [01-first-lesson]\n'
    )
    edit(root / EXERCISE, "    port: 80\n    endpoints", "    prt: 80\n    endpoints")
    result = run("pack", "validate", "--no-mutants", root)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "course/pack.yaml:2:14: error: YAML syntax error: a `key: value` is not allowed here "
        "(check this line's indentation against the line above, or quote the value: "
        "'like this')"
    )
    assert lines[1].startswith(f"{SHOWN}:{line_of(root / EXERCISE, '- service:')}:")
    assert "'prt' is not one of the keys of a `service` check" in lines[1]
    assert lines[-1] == f"{root}: not a usable pack (2 problems)"


def test_a_pack_yaml_schema_error_still_grades_every_exercise(tmp_path):
    root = scaffold(tmp_path)
    edit(root / "pack.yaml", 'version: "0.1.0"', "version: 1")
    edit(root / EXERCISE, "        targetPort: 8080\n\nwrong", "        targetPort: 9090\n\nwrong")
    report = quick(root)
    assert report.pack is None and report.exercises == 1
    version = only(report, "must be text, not a number")
    assert (version.file, version.line, version.hint) == ("course/pack.yaml", 8, 'quote it: "1"')
    failing = only(report, "the solution does not pass")
    assert failing.file == SHOWN
    # and the pack is not usable: learners never get it
    assert load_pack(root)[0] is None


def test_a_pack_yaml_that_names_no_lesson_still_has_its_lesson_folders_read(tmp_path):
    root = scaffold(tmp_path)
    (root / "pack.yaml").write_text("- not a mapping\n")
    edit(root / EXERCISE, "title: Expose the web pods", "titel: Expose the web pods")
    report = quick(root)
    assert [p.file for p in report.problems if p.is_error] == [
        "course/pack.yaml",
        SHOWN,  # unknown field 'titel'
        SHOWN,  # 'title' is a required property
    ]
    assert not any("not list" in m for m in messages(report))  # nothing to compare with


# -- positions: lines of the file, not of a block ----------------------------------------------


def test_a_problem_in_the_solution_block_points_at_its_file_line_and_column(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(
        exercise,
        "        targetPort: 8080\n\nwrong",
        "        targetPort: 8080\n    bogus: 1\n\nwrong",
    )
    [problem] = quick(root).problems
    assert problem.message.startswith(
        'exercise expose-web: the solution would be refused: spec.bogus: unknown field "bogus"'
    )
    assert (problem.line, problem.column) == (line_of(exercise, "bogus: 1"), 5)
    assert problem.located().startswith(f"{SHOWN}:{line_of(exercise, 'bogus: 1')}:5: error:")


def test_a_lint_on_the_solution_points_at_its_line_in_the_file(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(
        exercise,
        "        targetPort: 8080\n\nwrong_answers:",
        "        targetPort: 8080\n  ---\n  apiVersion: networking.k8s.io/v1\n"
        "  kind: NetworkPolicy\n  metadata:\n    name: no-egress\n  spec:\n"
        "    podSelector: {matchLabels: {app: web}}\n    policyTypes: [Egress]\n\nwrong_answers:",
    )
    problem = only(quick(root), "the solution gets the warning")
    ex = load_pack(root)[0].exercises()[0]
    [lint] = Grader(ex).grade(ex.solution).lints
    # the line the lint blames in the solution's text is the same text in the file
    blamed = ex.solution.splitlines()[lint.problem.line - 1]
    in_file = exercise.read_text().splitlines()[problem.line - 1]
    assert in_file == "  " + blamed and blamed.strip()
    assert problem.line != line_of(exercise, "solution: |")


def test_a_failing_check_is_reported_at_the_check_and_names_the_solution_line(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(exercise, "        targetPort: 8080\n\nwrong", "        targetPort: 9090\n\nwrong")
    problem = only(quick(root), "the solution does not pass")
    assert problem.line == line_of(exercise, "- service: default/web")
    # the check result blames a line of the solution's text: shown as the file's line
    ex = load_pack(root)[0].exercises()[0]
    blamed = next(c for c in Grader(ex).grade(ex.solution).checks if not c.passed).line
    assert blamed is not None
    assert problem.hint.endswith(
        f"the solution fails it at line {line_of(exercise, 'solution: |') + blamed}"
    )


def test_a_problem_in_predict_manifests_points_at_its_file_line(tmp_path):
    root = scaffold(tmp_path)
    path = root / "01-first-lesson" / "exercises" / "02-predict.yaml"
    path.write_text(PREDICT.replace("    podSelector: {}", "    podSelector: {}\n    bogus: 1"))
    problem = only(quick(root), "the manifests would be refused")
    assert (problem.line, problem.column) == (line_of(path, "bogus: 1"), 5)
    assert "unknown field" in problem.message


# -- traps that pass the format and break for learners ------------------------------------------


def test_the_builtin_packs_id_is_an_error_with_the_fix(tmp_path):
    root = scaffold(tmp_path)
    edit(root / "pack.yaml", "id: course", "id: services-networking")
    report = quick(root)
    problem = only(report, "is the built-in pack's")
    assert problem.is_error and problem.file == "course/pack.yaml"
    assert problem.line == line_of(root / "pack.yaml", "id: services-networking")
    assert problem.hint.startswith("choose your own id")
    assert "skips this one" in problem.message


def test_an_absolute_scenario_path_inside_the_pack_is_an_error(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    absolute = (root / "scenarios" / "web.yaml").resolve()
    edit(exercise, "scenario: ../../scenarios/web.yaml", f"scenario: {absolute}")
    assert load_pack(root)[0].exercises()  # it loads here, and breaks once moved
    problem = only(quick(root), "is absolute")
    assert problem.is_error and problem.line == line_of(exercise, "scenario: ")
    assert problem.hint == (
        "write it relative to this exercise file: `scenario: ../../scenarios/web.yaml`"
    )
    assert "moved" in problem.message


def test_an_absolute_lesson_folder_inside_the_pack_is_an_error(tmp_path):
    root = scaffold(tmp_path)
    absolute = (root / "01-first-lesson").resolve()
    edit(root / "pack.yaml", "  - 01-first-lesson", f"  - {absolute}")
    assert load_pack(root)[0].lessons  # it loads here, and breaks once moved
    problem = only(quick(root), "is an absolute path")
    assert problem.is_error and problem.file == "course/pack.yaml"
    assert problem.line == line_of(root / "pack.yaml", f"- {absolute}")
    assert problem.hint == "write the folder's name: `- 01-first-lesson`"


def test_a_scenario_path_with_backslashes_is_explained(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "../../scenarios/web.yaml", "..\\..\\scenarios\\web.yaml")
    problem = only(quick(root), "does not exist")
    assert problem.hint == "write `../../scenarios/web.yaml`: folders are separated by `/`"


def test_a_lesson_folder_not_listed_in_pack_yaml_is_a_warning(tmp_path):
    root = scaffold(tmp_path)
    shutil.copytree(root / "01-first-lesson", root / "02-forgotten")
    edit(root / "02-forgotten" / "lesson.md", "id: first-lesson", "id: forgotten")
    (root / "notes").mkdir()  # a folder without a lesson is no lesson
    (root / "notes" / "todo.txt").write_text("x")
    report = quick(root)
    problem = only(report, "'02-forgotten' holds a lesson")
    assert problem.severity == "warning" and report.ok
    assert problem.file == "course/pack.yaml"
    assert problem.line == line_of(root / "pack.yaml", "lessons:")
    assert problem.hint.startswith("add `- 02-forgotten` under `lessons:`")


@pytest.mark.parametrize("suffix", [".YAML", ".Yml"])
def test_an_exercise_file_with_an_upper_case_suffix_is_an_error(tmp_path, suffix):
    root = scaffold(tmp_path)
    folder = root / "01-first-lesson" / "exercises"
    text = (root / EXERCISE).read_text().replace("id: expose-web", "id: second")
    (folder / f"02-second{suffix}").write_text(text)
    pack, _ = load_pack(root)
    assert [e.id for e in pack.exercises()] == ["expose-web"]  # never read, on any system
    report = quick(root)
    problem = only(report, "is not read as an exercise")
    assert (
        problem.is_error and problem.file == f"course/01-first-lesson/exercises/02-second{suffix}"
    )
    assert problem.hint == f"rename it to 02-second{suffix.lower()}"


def test_a_misspelt_exercises_folder_is_an_error(tmp_path):
    root = scaffold(tmp_path)
    (root / "01-first-lesson" / "exercises").rename(root / "01-first-lesson" / "Exercises")
    problem = only(quick(root), "is not read")
    assert problem.file == "course/01-first-lesson/Exercises"
    assert problem.hint == "rename Exercises to exercises"


def test_a_lesson_md_in_another_case_is_named(tmp_path):
    root = scaffold(tmp_path)
    (root / "01-first-lesson" / "lesson.md").rename(root / "01-first-lesson" / "Lesson.md")
    problem = only(quick(root), "every lesson folder has a lesson.md")
    assert problem.hint == "rename Lesson.md to lesson.md: the name is case-sensitive"


PREDICT = """\
id: predict-web
kind: predict
title: Predict the web policy
prompt: |
  Which connections to the web pods does this policy allow?
scenario: ../../scenarios/web.yaml
manifests: |
  apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: web
  spec:
    podSelector: {}
    policyTypes: [Ingress]
predict:
  port: 8080
  from: [default/client, default/web-1]
  to: [default/web-1, default/web-2]
tags: [predict]
"""

SEVEN_PODS = "".join(f"  - {{name: p{i}, labels: {{app: p}}}}\n" for i in range(7))


def test_a_predict_exercise_passes_as_written(tmp_path):
    root = scaffold(tmp_path)
    (root / "01-first-lesson" / "exercises" / "02-predict.yaml").write_text(PREDICT)
    report = quick(root)
    assert report.ok and report.problems == [], messages(report)
    assert report.solutions_passed == report.exercises == 2


def test_a_predict_exercise_with_more_rows_than_the_app_shows_is_an_error(tmp_path):
    root = scaffold(tmp_path)
    (root / "scenarios" / "web.yaml").write_text(
        (root / "scenarios" / "web.yaml").read_text() + SEVEN_PODS
    )
    path = root / "01-first-lesson" / "exercises" / "02-predict.yaml"
    rows = ", ".join(f"default/p{i}" for i in range(7))
    path.write_text(
        PREDICT.replace("from: [default/client, default/web-1]", f"from:\n    [{rows}]")
    )
    problem = only(quick(root), "rows")
    assert problem.is_error
    assert problem.message == (
        "exercise predict-web: the table has 7 rows (`predict.from`), but the app shows only 6, "
        "so default/p6 is never asked"
    )
    assert problem.line == line_of(path, "[default/p0")
    assert problem.hint.startswith("name at most 6 under `predict.from`")


def test_a_predict_exercise_without_from_counts_every_pod_and_host(tmp_path):
    root = scaffold(tmp_path)
    (root / "scenarios" / "web.yaml").write_text(
        (root / "scenarios" / "web.yaml").read_text() + SEVEN_PODS
    )
    path = root / "01-first-lesson" / "exercises" / "02-predict.yaml"
    path.write_text(PREDICT.replace("  from: [default/client, default/web-1]\n", ""))
    problem = only(quick(root), "rows")
    assert "10 rows (no `predict.from`: every pod and outside host of the scenario)" in (
        problem.message
    )
    assert problem.line == line_of(path, "predict:")


def test_leftover_build_keys_on_a_predict_exercise_are_errors(tmp_path):
    root = scaffold(tmp_path)
    path = root / "01-first-lesson" / "exercises" / "02-predict.yaml"
    path.write_text(
        PREDICT
        + "expect:\n  - reachability: solution\nsolution: |\n  apiVersion: v1\n"
        + "wrong_answers:\n  - {answer: x, why: y}\n"
    )
    report = quick(root)
    found = {
        key: p
        for p in report.problems
        for key in ("expect", "solution", "wrong_answers")
        if p.message.startswith(f"exercise predict-web: `{key}` is ignored in a predict exercise")
    }
    assert set(found) == {"expect", "solution", "wrong_answers"}, messages(report)
    for key, p in found.items():
        assert p.is_error and p.line == line_of(path, f"{key}:")


def test_manifests_on_a_build_exercise_is_an_error(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "\nhints:", "\nmanifests: |\n  apiVersion: v1\nhints:")
    problem = only(quick(root), "`manifests` is read only by predict exercises")
    assert problem.line == line_of(root / EXERCISE, "manifests: |")


LESSON_MARKDOWN = """\
---
id: first-lesson
title: A first lesson
---

# A first lesson

A diagram: ![the Service and its pods](diagram.png)

Read [the notes](notes.md), jump [to the top](#a-first-lesson), or see
[Services](https://kubernetes.io/docs/concepts/services-networking/service/) and
https://kubernetes.io/docs/ (web links are fine). Code is fine too: `<service>.<ns>`.

<div align="center">centred</div>

Text with <b>bold</b> in it.
"""


def test_markdown_the_app_cannot_show_is_warned_where_it_is(tmp_path):
    root = scaffold(tmp_path)
    md = root / "01-first-lesson" / "lesson.md"
    md.write_text(LESSON_MARKDOWN)
    report = quick(root)
    assert report.ok
    found = [(p.line, p.message) for p in report.problems]
    assert found == [
        (
            line_of(md, "A diagram:"),
            "the app cannot show images: a learner sees only `🖼 the Service and its pods` "
            "for 'diagram.png'",
        ),
        (
            line_of(md, "Read [the notes]"),
            "the link 'notes.md' points at a file, which the app cannot open: a click hands "
            "it to a web browser, outside the pack",
        ),
        (
            line_of(md, "Read [the notes]"),
            "the app cannot jump to a heading: the link '#a-first-lesson' leads nowhere",
        ),
        (line_of(md, "<div"), "the app does not show HTML: this HTML block is dropped"),
        (line_of(md, "Text with"), "the app does not show HTML: '<b>' is dropped"),
    ]
    assert all(
        p.severity == "warning" and p.file == "course/01-first-lesson/lesson.md"
        for p in report.problems
    )


def test_markdown_in_a_prompt_is_warned_at_its_file_line(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(
        exercise,
        "  to port **8080** of the pods labelled `app: web`.\n",
        "  to port **8080** of the pods labelled `app: web`.\n  ![map](map.png)\n",
    )
    problem = only(quick(root), "cannot show images")
    assert problem.message.startswith("exercise expose-web: ")
    assert problem.line == line_of(exercise, "![map]")


# -- messages: a typo in a check is the check's problem -----------------------------------------


def assert_not_blamed_on_the_solution(report) -> None:
    assert not any("the solution does not pass" in m for m in messages(report)), messages(report)


def test_an_unknown_key_in_a_check_points_at_the_check_with_a_guess(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "    endpoints: [", "    endpoint: [")
    report = quick(root)
    problem = only(report, "'endpoint' is not one of the keys of a `service` check")
    assert problem.line == line_of(root / EXERCISE, "- service: default/web")
    assert problem.hint == "did you mean `endpoints`?"
    assert_not_blamed_on_the_solution(report)


def test_a_misspelt_check_kind_gets_a_guess(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "  - service: default/web", "  - servce: default/web")
    problem = only(quick(root), "a check is one of")
    assert problem.hint == "`servce` is no check kind: did you mean `service`?"
    assert problem.line == line_of(root / EXERCISE, "- servce:")


def test_a_check_of_two_kinds_is_one_problem(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "  - service: default/web", "  - service: default/web\n    lookup: web")
    report = quick(root)
    problem = only(report, "a check has one kind, and this one has 2: `service`, `lookup`")
    assert problem.hint == "split it into one check per kind"
    assert [p.is_error for p in report.problems] == [True]


def test_a_misspelt_field_path_is_reported_at_its_line(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "spec.type: ClusterIP", "spec.typ: ClusterIP")
    report = quick(root)
    problem = only(report, "a Service has no field `typ`")
    assert problem.message == "exercise expose-web: `spec.typ`: a Service has no field `typ`"
    assert problem.hint == "did you mean `type`?"
    assert problem.line == line_of(root / EXERCISE, "spec.typ:")
    assert_not_blamed_on_the_solution(report)


def test_a_misspelt_absent_path_is_caught_although_every_answer_passes_it(tmp_path):
    root = scaffold(tmp_path)
    edit(
        root / EXERCISE,
        "    fields:\n",
        '    absent: ["spec.ports[port=80].nodPort"]\n    fields:\n',
    )
    problem = only(quick(root), "has no field")
    assert problem.message == (
        "exercise expose-web: `spec.ports[port=80].nodPort`: a Service has no field `nodPort`"
    )
    assert problem.hint == "did you mean `nodePort`?"


def test_an_unreadable_field_path_is_reported_at_its_line(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "spec.type: ClusterIP", "spec.ports[port=80.nodePort: 1")
    report = quick(root)
    problem = only(report, "cannot read field path")
    assert problem.line == line_of(root / EXERCISE, "spec.ports[port=80.nodePort")
    assert "`[port=80]`" in problem.hint
    assert_not_blamed_on_the_solution(report)


def test_a_misspelt_pod_or_service_in_a_check_gets_a_guess(tmp_path):
    root = scaffold(tmp_path)
    edit(
        root / EXERCISE,
        "from: default/client, to: svc:default/web",
        "from: default/clinet, to: svc:default/wbe",
    )
    edit(root / EXERCISE, "endpoints: [default/web-1,", "endpoints: [default/web-9,")
    report = quick(root)
    assert_not_blamed_on_the_solution(report)
    pod = only(report, "`from: default/clinet` is not a pod")
    assert pod.hint == "did you mean `default/client`?"
    service = only(report, "`to: svc:default/wbe`: the solution has no Service default/wbe")
    assert service.hint == "did you mean `svc:default/web`?"
    assert pod.line == service.line == line_of(root / EXERCISE, "- {from: default/clinet")
    endpoint = only(report, "'default/web-9' is not a pod of the scenario")
    assert endpoint.line == line_of(root / EXERCISE, "endpoints: [default/web-9")


def test_a_misspelt_namespace_or_pod_in_a_lookup_gets_a_guess(tmp_path):
    root = scaffold(tmp_path)
    edit(
        root / EXERCISE,
        "  - connectivity:",
        "  - lookup: web\n    from: defualt\n    resolves_to: [default/wbe-1]\n  - connectivity:",
    )
    report = quick(root)
    asking = only(report, "`from: defualt` is not a namespace of the scenario")
    assert asking.hint == "did you mean `default`?"
    assert asking.line == line_of(root / EXERCISE, "from: defualt")
    pod = only(report, "'default/wbe-1' is not a pod of the scenario")
    assert pod.hint == "did you mean `default/web-1`?"
    assert_not_blamed_on_the_solution(report)


def test_a_schema_pattern_is_explained_in_words(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "  - service: default/web", "  - service: Default/Web")
    problem = only(quick(root), "Default/Web")
    assert problem.message == "'Default/Web' is not `namespace/name`, in lowercase (default/web)"
    assert problem.hint == "write 'default/web'"
    assert "^" not in problem.text() and "$" not in problem.text()


YAML_SLIPS = {
    "a tab": ("a:\n\tb: 1\n", "a tab character is used for indentation"),
    "key: value in a value": ("title: A: B\n", "a `key: value` is not allowed here"),
    "a key out of line": ("a:\n  b: 1\n c: 2\n", "is not indented like the other keys"),
    "an item out of line": ("- a\nb: 1\n", "is not indented like the list's items"),
    "an open {": ("a: {b: 1\nc: 2\n", "a `{…}` is not closed"),
    "an open [": ("a: [1, 2\nc: 2\n", "a `[…]` is not closed"),
    "an open quote": ('a: "abc\nb: 1\n', "a quoted value is never closed"),
    "a backtick": ("a: `x`\n", "a value cannot start with a backtick"),
    "an @": ("a: @x\n", "a value cannot start with `@`"),
    "a star": ("a: *\n", "a value cannot start with `*`"),
    "an unknown alias": ("a: *y\n", "an alias (`*name`) has no anchor"),
    "text after |": ("a: |x\n  b\n", "after `|` or `>` only"),
}


@pytest.mark.parametrize("name", list(YAML_SLIPS))
def test_yaml_syntax_errors_in_pack_files_are_in_plain_words(tmp_path, name):
    text, expected = YAML_SLIPS[name]
    root = scaffold(tmp_path)
    (root / "pack.yaml").write_text(text)
    [problem] = [p for p in quick(root).problems if p.file == "course/pack.yaml"]
    assert problem.message.startswith("YAML syntax error: ")
    assert expected in problem.message, problem.message
    assert problem.hint and problem.line is not None
    for raw in ("while parsing", "while scanning", "in this context", "could not find"):
        assert raw not in problem.text()


def test_an_unclosed_quote_points_at_where_it_opens(tmp_path):
    root = scaffold(tmp_path)
    (root / "pack.yaml").write_text('id: course\nversion: "1"\ntitle: "Course\n')
    [problem] = [p for p in quick(root).problems if p.file == "course/pack.yaml"]
    assert problem.message == "YAML syntax error: a quoted value is never closed"
    assert (problem.line, problem.column) == (3, 8)


def test_front_matter_yaml_errors_are_reported_at_their_line(tmp_path):
    root = scaffold(tmp_path)
    md = root / "01-first-lesson" / "lesson.md"
    edit(md, "title: A first lesson", "title: Services: the basics")
    problem = only(quick(root), "YAML syntax error")
    assert problem.file == "course/01-first-lesson/lesson.md"
    assert problem.line == line_of(md, "title: Services")


# -- encodings and sizes -------------------------------------------------------------------------


def test_a_cp1252_exercise_file_is_reported_at_the_byte(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    title = line_of(exercise, "title: Expose the web pods")
    raw = exercise.read_bytes()  # UTF-8, but for one word saved in Windows-1252
    exercise.write_bytes(raw.replace(b"the web pods", "the café pods".encode("cp1252"), 1))
    problem = only(quick(root), "not UTF-8")
    assert problem.file == SHOWN
    assert (problem.line, problem.column) == (title, 22)
    assert problem.message == "not UTF-8 text: byte 0xE9 here ('é' in Windows-1252?)"
    assert problem.hint == "save the file as UTF-8"


def test_a_cp1252_lesson_md_is_reported_at_the_byte(tmp_path):
    root = scaffold(tmp_path)
    md = root / "01-first-lesson" / "lesson.md"
    md.write_bytes(md.read_bytes() + "Déjà vu.\n".encode("cp1252"))
    problem = only(quick(root), "not UTF-8")
    assert problem.file == "course/01-first-lesson/lesson.md"
    assert (problem.line, problem.column) == (len(md.read_bytes().splitlines()), 2)
    assert "codec" not in problem.text()


def test_a_byte_order_mark_does_not_shift_the_column(tmp_path):
    [problem] = load_manifests(b"\xef\xbb\xbfa: 1\nb: \xe9\n").problems
    assert (problem.line, problem.column) == (2, 4)


def test_a_too_large_file_reports_its_real_size(tmp_path):
    root = scaffold(tmp_path)
    big = root / "scenarios" / "web.yaml"
    big.write_text(big.read_text() + "#" * (2 * MAX_BYTES) + "\n")
    size = big.stat().st_size
    problem = only(quick(root), "the limit is")
    assert problem.message == f"is {size} bytes; the limit is {MAX_BYTES} bytes (1 MiB) per file"
    assert problem.file == "course/scenarios/web.yaml"


def test_the_loader_counts_bytes_not_characters():
    text = "a: " + "é" * (MAX_BYTES // 2 + 10)  # fewer characters than the limit, more bytes
    [problem] = load_manifests(text).problems
    assert f"input is {len(text.encode())} bytes" in problem.message
    [whole] = load_manifests(b"a: " + b"x" * MAX_BYTES).problems  # the true size, in bytes
    assert (
        whole.message
        == f"input is {MAX_BYTES + 3} bytes; the limit is {MAX_BYTES} bytes (1 MiB) per file"
    )
    assert load_manifests(b"a: " + b"x" * MAX_BYTES, max_bytes=None).ok  # a caller's own bound
