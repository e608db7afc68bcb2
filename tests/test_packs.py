"""Lesson packs: `pack validate`, `pack new`, the library, and the commands built on them."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.packs.format import load_pack
from k8slearn.packs.library import ENV_VAR, builtin_pack_dirs, load_library, pack_dirs
from k8slearn.packs.scaffold import ScaffoldError, new_pack, pack_id_for
from k8slearn.packs.validate import validate_pack
from k8slearn.progress.store import DB_NAME, ENV_HOME, open_store

EXERCISE = Path("01-first-lesson") / "exercises" / "01-expose-web.yaml"

SOLUTION = """\
apiVersion: v1
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

OUTSIDE_SCENARIO = """\
namespaces:
  - name: default
pods:
  - {name: web-1, labels: {app: web}, ports: [{containerPort: 8080, name: http}]}
  - {name: web-2, labels: {app: web}, ports: [{containerPort: 8080, name: http}]}
  - {name: client, labels: {app: client}}
"""


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No pack from the environment, progress in a private folder."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "home"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def scaffold(tmp_path: Path, name: str = "course") -> Path:
    root = tmp_path / name
    new_pack(root)
    return root


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def line_of(path: Path, needle: str) -> int:
    """The first line that starts with `needle` after its indentation (comments never do)."""
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith(needle))


def errors(report) -> list[str]:
    return [p.located() for p in report.problems if p.is_error]


# -- the built-in pack -------------------------------------------------------------------------


def builtin_root() -> Path:
    [root] = [d for d in builtin_pack_dirs() if d.name == "services-networking"]
    return root


def test_builtin_pack_validates():
    report = validate_pack(builtin_root())
    assert report.ok, errors(report)
    assert report.problems == []
    assert report.exercises >= 35
    assert report.solutions_passed == report.exercises
    assert report.wrong_answers >= report.exercises  # at least one per exercise
    assert report.wrong_answers_failed == report.wrong_answers
    assert len(report.pack.lessons) == 9
    assert all(ex.wrong_answers for ex in report.pack.exercises() if ex.kind == "build")
    # Every mutant of every solution that behaves differently fails (or is accepted with a reason).
    killed = sum(len(r.killed) for r in report.mutation.values())
    assert all(not r.survived for r in report.mutation.values())
    assert killed >= 500
    assert report.summary() == (
        f"pack services-networking {report.pack.version}: 9 lessons, {report.exercises} exercises; "
        f"solutions passing {report.exercises}/{report.exercises}, wrong answers failing "
        f"{report.wrong_answers}/{report.wrong_answers}, mutants killed {killed}/{killed} (100%): OK"
    )


def test_builtin_pack_through_the_cli():
    result = run("pack", "validate", builtin_root())
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].endswith(": OK")


def test_builtin_pack_has_the_fix_this_starter():
    pack, problems = load_pack(builtin_root())
    assert problems == []
    ex = next(e for e in pack.exercises() if e.id == "netpol-fix-classic")
    lines = ex.starter.splitlines()
    assert "  egres:" in lines
    peer = next(line for line in lines if line.lstrip().startswith("- podSelector:"))
    ports = next(line for line in lines if line.lstrip() == "ports:")
    # `ports:` sits inside the `from` peer, at the level of its podSelector
    assert len(ports) - len(ports.lstrip()) == len(peer) - len(peer.lstrip()) + 2


# -- pack new ----------------------------------------------------------------------------------


def test_pack_new_output_passes_validate(tmp_path):
    root = tmp_path / "My Course!"
    files = new_pack(root)
    assert sorted(f.relative_to(root).as_posix() for f in files) == [
        "01-first-lesson/exercises/01-expose-web.yaml",
        "01-first-lesson/lesson.md",
        "pack.yaml",
        "scenarios/web.yaml",
    ]
    assert "id: my-course\n" in (root / "pack.yaml").read_text()
    assert "__PACK" not in "".join(f.read_text() for f in files)
    report = validate_pack(root)
    assert report.ok, errors(report)
    assert (report.exercises, report.solutions_passed) == (1, 1)
    assert (report.wrong_answers, report.wrong_answers_failed) == (1, 1)


def test_pack_new_refuses_a_non_empty_folder_and_accepts_an_empty_one(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="already exists and is not an empty folder"):
        new_pack(full)
    assert [p.name for p in full.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(new_pack(empty)) == 4
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ScaffoldError):
        new_pack(a_file)


def test_pack_id_for_folder_names(tmp_path):
    assert pack_id_for(tmp_path / "Networking 101") == "networking-101"
    assert pack_id_for(tmp_path / "___") == "my-pack"
    assert len(pack_id_for(tmp_path / ("x" * 100))) == 63


def test_pack_new_cli(tmp_path):
    root = tmp_path / "course"
    result = run("pack", "new", root)
    assert result.exit_code == 0, result.output
    assert f"created {root / 'pack.yaml'}" in result.output
    assert (root / EXERCISE).is_file()
    assert f"k8slearn pack validate {root}" in result.output
    again = run("pack", "new", root)
    assert again.exit_code == 2
    assert "already exists" in again.output


# -- pack validate: what it refuses ----------------------------------------------------------


def test_schema_error_is_reported_with_file_and_line(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(exercise, "    port: 80\n    endpoints", "    prt: 80\n    endpoints")
    report = validate_pack(root)
    assert not report.ok
    [problem] = [p for p in report.problems if "prt" in p.message]
    assert problem.file == f"course/{EXERCISE.as_posix()}"
    check_line = line_of(exercise, "- service: default/web")
    assert problem.line == check_line
    assert problem.located().startswith(f"course/{EXERCISE.as_posix()}:{check_line}:")
    assert "'prt' is not one of" in problem.message


def test_missing_required_and_unknown_exercise_fields(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(exercise, "title: Expose the web pods", "titel: Expose the web pods")
    report = validate_pack(root)
    messages = [p.message for p in report.problems]
    assert any(
        "unknown field(s) 'titel'" in m and "allowed: accept_mutants, expect" in m for m in messages
    )
    assert any("'title' is a required property" in m for m in messages)
    assert report.exercises == 0  # a broken exercise is not graded


def test_wrong_answer_without_why_points_at_it(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(exercise, "    why: port and targetPort are swapped; the pods listen on 8080.\n", "")
    report = validate_pack(root)
    [problem] = report.problems
    assert "'why' is a required property" in problem.message
    assert problem.line == line_of(exercise, "- answer: |")


def test_check_of_no_known_kind_is_explained(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "expect:\n", "expect:\n  - services: default/web\n")
    report = validate_pack(root)
    assert any("a check is one of `resource`" in p.message for p in report.problems), errors(report)


def test_duplicate_exercise_ids(tmp_path):
    root = scaffold(tmp_path)
    copy = root / "01-first-lesson" / "exercises" / "02-copy.yaml"
    shutil.copy(root / EXERCISE, copy)
    report = validate_pack(root)
    [problem] = report.problems
    assert problem.file == "course/01-first-lesson/exercises/02-copy.yaml"
    assert problem.message == (
        f"exercise id 'expose-web' is also used by course/{EXERCISE.as_posix()}"
    )
    assert problem.line == line_of(copy, "id: expose-web")


def test_missing_lesson_folder_and_lesson_md(tmp_path):
    root = scaffold(tmp_path)
    edit(
        root / "pack.yaml",
        "  - 01-first-lesson\n",
        "  - 01-first-lesson\n  - 02-missing\n  - 03-empty\n",
    )
    (root / "03-empty").mkdir()
    report = validate_pack(root)
    located = errors(report)
    assert located == [
        f"course/pack.yaml:{line_of(root / 'pack.yaml', '- 02-missing')}: error: "
        "lesson folder '02-missing' does not exist",
        "course/03-empty/lesson.md: error: missing: every lesson folder has a lesson.md",
    ]
    assert "2 problems" in report.summary()


def test_lesson_md_without_front_matter(tmp_path):
    root = scaffold(tmp_path)
    (root / "01-first-lesson" / "lesson.md").write_text("# Just a heading\n")
    [problem] = validate_pack(root).problems
    assert "needs YAML front matter with `id` and `title`" in problem.message


@pytest.mark.parametrize("where", ["../../../etc/passwd", "/etc/passwd", "../../../outside.yaml"])
def test_scenario_path_leaving_the_pack_is_refused(tmp_path, where):
    (tmp_path / "outside.yaml").write_text(OUTSIDE_SCENARIO)  # valid, but not in the pack
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(exercise, "scenario: ../../scenarios/web.yaml", f"scenario: {where}")
    report = validate_pack(root)
    [problem] = report.problems
    assert problem.message == f"scenario path {where!r} leaves the pack's folder; refused"
    assert problem.line == line_of(exercise, "scenario: ")
    assert report.exercises == 0


def test_scenario_symlink_leaving_the_pack_is_refused(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(OUTSIDE_SCENARIO)
    root = scaffold(tmp_path)
    (root / "scenarios" / "link.yaml").symlink_to(outside)
    edit(root / EXERCISE, "scenarios/web.yaml", "scenarios/link.yaml")
    [problem] = validate_pack(root).problems
    assert "leaves the pack's folder; refused" in problem.message


def test_lesson_folder_symlink_leaving_the_pack_is_refused(tmp_path):
    elsewhere = scaffold(tmp_path, "elsewhere")
    root = scaffold(tmp_path)
    (root / "02-linked").symlink_to(elsewhere / "01-first-lesson")
    edit(root / "pack.yaml", "  - 01-first-lesson\n", "  - 01-first-lesson\n  - 02-linked\n")
    [problem] = validate_pack(root).problems
    assert problem.message == "lesson '02-linked' leaves the pack's folder; refused"


def test_scenario_inside_the_pack_via_dotdot_is_fine(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "../../scenarios/web.yaml", "../../01-first-lesson/../scenarios/web.yaml")
    assert validate_pack(root).ok


def test_missing_scenario_file(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "scenarios/web.yaml", "scenarios/nope.yaml")
    [problem] = validate_pack(root).problems
    assert problem.message == "scenario file '../../scenarios/nope.yaml' does not exist"


def test_invalid_scenario_is_the_instructors_problem(tmp_path):
    root = scaffold(tmp_path)
    edit(
        root / "scenarios" / "web.yaml",
        "  - {name: client, labels: {app: client}}",
        "  - {name: client, namespace: ghost}",
    )
    report = validate_pack(root)
    [problem] = report.problems
    assert "the scenario of course/expose-web is invalid" in problem.message
    assert "namespace 'ghost' is not declared" in problem.message
    assert problem.line == line_of(root / EXERCISE, "scenario: ")


def test_wrong_answer_that_passes_is_reported(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(
        exercise,
        "          - port: 8080\n            targetPort: 80",
        "          - port: 80\n            targetPort: 8080",
    )
    report = validate_pack(root)
    [problem] = report.problems
    assert problem.message.startswith(
        "exercise expose-web: wrong answer 1 passes every check, so the mistake it shows "
        "(port and targetPort are swapped"
    )
    assert problem.line == line_of(exercise, "- answer: |")
    assert "add a check that catches it" in problem.hint
    assert (report.wrong_answers, report.wrong_answers_failed) == (1, 0)
    assert "wrong answers failing 0/1" in report.summary()


def test_solution_that_fails_is_reported(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(exercise, "        targetPort: 8080\n\nwrong", "        targetPort: 9090\n\nwrong")
    report = validate_pack(root)
    [problem] = report.problems
    assert problem.message.startswith(
        "exercise expose-web: the solution does not pass: Service default/web:"
    )
    assert "it should reach 8080" in problem.message
    # at the first failing check, naming the file line where the solution fails it
    assert problem.line == line_of(exercise, "- service: default/web")
    assert problem.hint.startswith("fix the solution, or this check if it has a typo")
    assert "; the solution fails it at line " in problem.hint
    assert report.solutions_passed == 0
    assert "solutions passing 0/1" in report.summary()


def test_invalid_solution_with_reachability_is_reported_not_raised(tmp_path):
    root = scaffold(tmp_path)
    exercise = root / EXERCISE
    edit(exercise, "expect:\n", "expect:\n  - reachability: solution\n")
    edit(
        exercise,
        "        targetPort: 8080\n\nwrong",
        "        targetPort: 8080\n        bogus: 1\n\nwrong",
    )
    report = validate_pack(root)
    assert any("the solution" in p.message and "bogus" in p.message for p in report.problems)


def test_pack_yaml_that_is_not_a_mapping(tmp_path):
    root = scaffold(tmp_path)
    (root / "pack.yaml").write_text("- 01-first-lesson\n")
    report = validate_pack(root)
    assert report.pack is None
    [problem] = report.problems
    assert problem.file == "course/pack.yaml" and problem.line == 1
    assert "is a list, not a mapping" in problem.message
    assert report.summary() == f"{root}: not a usable pack (1 problem)"


def test_pack_yaml_not_a_mapping_is_not_called_a_manifest(tmp_path):
    root = scaffold(tmp_path)
    (root / "pack.yaml").write_text("- 01-first-lesson\n")
    [problem] = validate_pack(root).problems
    assert "apiVersion" not in problem.text()


def test_pack_yaml_schema_errors(tmp_path):
    root = scaffold(tmp_path)
    (root / "pack.yaml").write_text('id: Bad_Id\ntitle: T\nversion: "1"\nlessons: []\n')
    report = validate_pack(root)
    assert report.pack is None
    lines = sorted(p.line for p in report.problems)
    assert lines == [1, 4]
    # in words, not as the schema's regular expression
    [bad_id] = [p for p in report.problems if p.field == "id"]
    assert bad_id.message == "'Bad_Id' is not a lowercase name: letters a-z, digits and '-', " + (
        "starting and ending with a letter or digit"
    )
    assert bad_id.hint == "write 'bad-id'"
    assert "^" not in bad_id.text()


def test_schema_error_names_its_field_once(tmp_path):
    root = scaffold(tmp_path)
    edit(root / "pack.yaml", 'version: "0.1.0"', "version: 1")
    [problem] = validate_pack(root).problems
    assert problem.text().count("version") == 1, problem.text()


def test_no_pack_yaml(tmp_path):
    (tmp_path / "empty").mkdir()
    report = validate_pack(tmp_path / "empty")
    [problem] = report.problems
    assert "no pack.yaml" in problem.message
    assert not report.ok


def test_lesson_md_with_a_byte_order_mark(tmp_path):
    root = scaffold(tmp_path)
    md = root / "01-first-lesson" / "lesson.md"
    md.write_bytes(b"\xef\xbb\xbf" + md.read_bytes())
    report = validate_pack(root)
    assert report.ok, errors(report)


def test_exercises_are_taken_in_file_name_order(tmp_path):
    root = scaffold(tmp_path)
    folder = root / "01-first-lesson" / "exercises"
    text = (root / EXERCISE).read_text()
    (folder / "00-first.yml").write_text(text.replace("id: expose-web", "id: first"))
    (folder / "02-last.yaml").write_text(text.replace("id: expose-web", "id: last"))
    pack, _ = load_pack(root)
    assert [e.id for e in pack.exercises()] == ["first", "expose-web", "last"]


def test_exercise_order_and_bom_in_exercise_files(tmp_path):
    root = scaffold(tmp_path)
    folder = root / "01-first-lesson" / "exercises"
    text = (root / EXERCISE).read_text()
    (folder / "00-first.yaml").write_bytes(
        b"\xef\xbb\xbf" + text.replace("id: expose-web", "id: first").encode()
    )
    (folder / "02-last.yaml").write_text(text.replace("id: expose-web", "id: last"))
    (folder / "notes.txt").write_text("not an exercise")
    report = validate_pack(root)
    assert report.ok, errors(report)
    assert [e.id for e in report.pack.exercises()] == ["first", "expose-web", "last"]
    assert report.exercises == 3


def test_exercise_file_linked_from_outside_is_refused(tmp_path):
    elsewhere = scaffold(tmp_path, "elsewhere")
    root = scaffold(tmp_path)
    (root / "01-first-lesson" / "exercises" / "02-linked.yaml").symlink_to(elsewhere / EXERCISE)
    [problem] = validate_pack(root).problems
    assert "is outside the pack's folder (a link?); refused" in problem.message


def test_pack_validate_cli_exit_codes(tmp_path):
    root = scaffold(tmp_path)
    ok = run("pack", "validate", root)
    assert ok.exit_code == 0, ok.output
    assert "solutions passing 1/1, wrong answers failing 1/1, mutants killed 10/10 (100%): OK" in (
        ok.output
    )
    assert "expose-web: mutation score 10/10 (100%)" in ok.output
    edit(root / EXERCISE, "    port: 80\n    endpoints", "    prt: 80\n    endpoints")
    bad = run("pack", "validate", root)
    assert bad.exit_code == 1
    assert f"course/{EXERCISE.as_posix()}:{line_of(root / EXERCISE, '- service:')}:" in bad.output
    assert "1 problem" in bad.output.splitlines()[-1]
    missing = run("pack", "validate", tmp_path / "nowhere")
    assert missing.exit_code == 2
    assert "no such folder" in missing.output
    assert "Traceback" not in bad.output + missing.output


# -- the library -------------------------------------------------------------------------------


def two_packs(tmp_path: Path) -> tuple[Path, Path]:
    return scaffold(tmp_path, "alpha"), scaffold(tmp_path, "beta")


def test_builtin_pack_is_always_there():
    library = load_library()
    assert library.problems == []
    assert [p.id for p in library.packs] == ["services-networking"]
    assert len(library.exercises()) >= 35


def test_bare_and_qualified_ids(tmp_path):
    library = load_library([scaffold(tmp_path)])
    ex, why = library.find("clusterip-expose-web")
    assert ex is not None and ex.qualified_id == "services-networking/clusterip-expose-web", why
    ex, _ = library.find("services-networking/clusterip-expose-web")
    assert ex is not None and ex.lesson_id == "clusterip"
    ex, _ = library.find("expose-web")
    assert ex is not None and ex.qualified_id == "course/expose-web"
    assert library.find("course/expose-web")[0] is ex
    assert library.find("services-networking/expose-web")[0] is None


def test_ambiguous_bare_id(tmp_path):
    library = load_library(two_packs(tmp_path))
    ex, why = library.find("expose-web")
    assert ex is None
    assert why == (
        "'expose-web' is in several packs (alpha/expose-web, beta/expose-web); "
        "name it as <pack>/<exercise>"
    )
    assert library.find("beta/expose-web")[0].pack_id == "beta"


def test_unknown_id_with_did_you_mean():
    library = load_library()
    ex, why = library.find("clusterip-expose-wbe")
    assert ex is None
    assert why.startswith("no exercise 'clusterip-expose-wbe'; did you mean clusterip-expose-web")
    _, why = library.find("zzzzzzzz")
    assert why == "no exercise 'zzzzzzzz'; `k8slearn list` shows them all"


def test_did_you_mean_lists_each_suggestion_once(tmp_path):
    library = load_library(two_packs(tmp_path))
    _, why = library.find("expose-wbe")
    suggestions = why.split("did you mean ")[1].rstrip("?").split(", ")
    assert len(suggestions) == len(set(suggestions)), why


def test_packs_from_the_environment_and_options(tmp_path, monkeypatch):
    alpha, beta = two_packs(tmp_path)
    monkeypatch.setenv(ENV_VAR, os.pathsep.join([str(beta), "", str(alpha)]))
    dirs = pack_dirs([alpha])
    assert dirs[1:] == [
        alpha,
        beta,
    ]  # built-in first, then --pack, then the environment, no repeats
    library = load_library([alpha])
    assert [p.id for p in library.packs] == ["services-networking", "alpha", "beta"]
    assert library.problems == []


def test_duplicate_pack_id_is_skipped_with_a_problem(tmp_path):
    first = scaffold(tmp_path / "one", "course")
    second = scaffold(tmp_path / "two", "course")
    library = load_library([first, second])
    assert [p.id for p in library.packs] == ["services-networking", "course"]
    assert library.packs[1].root == first.resolve()
    [problem] = library.problems
    assert problem.message == f"pack id 'course' is already used by {first}; this copy is skipped"
    assert problem.file == str(second / "pack.yaml")


def test_broken_or_missing_pack_is_reported_never_fatal(tmp_path):
    broken = scaffold(tmp_path, "broken")
    (broken / "pack.yaml").write_text("id: [\n")
    library = load_library([broken, tmp_path / "nowhere"])
    assert [p.id for p in library.packs] == ["services-networking"]
    messages = [p.located() for p in library.problems]
    assert any(m.startswith("broken/pack.yaml:") and "YAML syntax error" in m for m in messages)
    assert f"pack folder {tmp_path / 'nowhere'} does not exist" in " ".join(messages)


def test_neighbour_walks_across_lessons():
    library = load_library()
    exercises = library.exercises()
    assert library.neighbour(exercises[0], 1) is exercises[1]
    assert library.neighbour(exercises[0], -1) is None
    assert library.neighbour(exercises[-1], 1) is None


# -- k8slearn list -----------------------------------------------------------------------------


def test_list_json_shape():
    result = run("list", "-o", "json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert len(entries) >= 35
    assert all(set(e) == {"pack", "lesson", "id", "title", "tags"} for e in entries)
    assert all(isinstance(e["tags"], list) and e["title"] for e in entries)
    first = entries[0]
    assert (first["pack"], first["lesson"], first["id"]) == (
        "services-networking",
        "clusterip",
        "clusterip-expose-web",
    )
    assert len({(e["pack"], e["id"]) for e in entries}) == len(entries)


def test_list_with_extra_packs(tmp_path, monkeypatch):
    alpha, beta = two_packs(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(beta))
    entries = json.loads(run("list", "--pack", alpha, "-o", "json").output)
    assert [e["pack"] for e in entries[-2:]] == ["alpha", "beta"]
    assert entries[-1] == {
        "pack": "beta",
        "lesson": "first-lesson",
        "id": "expose-web",
        "title": "Expose the web pods",
        "tags": ["clusterip", "ckad"],
    }
    text = run("list", "--pack", alpha).output
    assert "alpha/expose-web  Expose the web pods" in text
    assert "services-networking/clusterip-expose-web" in text


# -- k8slearn check ----------------------------------------------------------------------------


@pytest.fixture
def answer(tmp_path):
    def write(text: str, name: str = "answer.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def attempts(tmp_path: Path) -> list:
    store = open_store(tmp_path / "home" / DB_NAME)
    try:
        return store.attempts()
    finally:
        store.close()


def test_check_passes_with_exit_0_and_records_the_attempt(tmp_path, answer):
    result = run("check", "clusterip-expose-web", answer(builtin_solution("clusterip-expose-web")))
    assert result.exit_code == 0, result.output
    assert "services-networking/clusterip-expose-web: PASSED" in result.output
    [attempt] = attempts(tmp_path)
    assert attempt.exercise == "services-networking/clusterip-expose-web"
    assert attempt.passed and attempt.failed_checks == [] and attempt.source == "cli"


def builtin_solution(ex_id: str) -> str:
    ex, why = load_library().find(ex_id)
    assert ex is not None, why
    return ex.solution


def test_check_json_shape_for_a_failing_answer(tmp_path, answer):
    path = answer(SOLUTION.replace("targetPort: 8080", "targetPort: 80"))
    result = run("check", "course/expose-web", path, "--pack", scaffold(tmp_path), "-o", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert {"exercise", "passed", "checks"} <= set(data)
    assert data["exercise"] == "course/expose-web" and data["passed"] is False
    assert all(set(c) == {"name", "passed", "message"} for c in data["checks"])
    failed = [c for c in data["checks"] if not c["passed"]]
    # targetPort 80 where the pods listen on 8080: wrong by the Service check, and the
    # connection itself lands where nothing listens
    assert [c["name"] for c in failed] == [
        "Service default/web",
        "default/client → svc:default/web:80",
    ]
    assert "it should reach 8080" in failed[0]["message"]
    assert "nothing listens" in failed[1]["message"]
    [attempt] = attempts(tmp_path)
    assert not attempt.passed
    assert attempt.failed_checks == [c["name"] for c in failed]


def test_check_text_output_points_at_the_answer_line(tmp_path, answer):
    text = SOLUTION.replace("targetPort: 8080", "targetPort: 80")
    path = answer(text)
    result = run("check", "expose-web", path, "--pack", scaffold(tmp_path))
    assert result.exit_code == 1
    assert f"({path}:{text.splitlines().index('spec:') + 1})" in result.output
    assert "course/expose-web: NOT YET (2 check(s) to fix)" in result.output


def test_check_invalid_yaml_and_invalid_manifest_exit_1(tmp_path, answer):
    for text in ("kind: [\n", SOLUTION.replace("port: 80", "port: 800000")):
        result = run("check", "clusterip-expose-web", answer(text), "-o", "json")
        assert result.exit_code == 1, result.output
        data = json.loads(result.output)
        assert [c["name"] for c in data["checks"]] == ["valid manifests"]
        assert data["passed"] is False


def test_check_usage_errors_exit_2(tmp_path, answer):
    unknown = run("check", "clusterip-expose-wbe", answer(SOLUTION))
    assert unknown.exit_code == 2
    assert "did you mean clusterip-expose-web" in unknown.output
    unreadable = run("check", "clusterip-expose-web", tmp_path / "missing.yaml")
    assert unreadable.exit_code == 2
    assert "no such file" in unreadable.output
    folder = run("check", "clusterip-expose-web", tmp_path)
    assert folder.exit_code == 2
    ambiguous = run(
        "check",
        "expose-web",
        answer(SOLUTION),
        *[arg for p in two_packs(tmp_path) for arg in ("--pack", p)],
    )
    assert ambiguous.exit_code == 2
    assert "several packs" in ambiguous.output
    assert attempts(tmp_path) == []


def test_check_no_record(tmp_path, answer):
    result = run("check", "clusterip-expose-web", answer(SOLUTION), "--no-record")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "home" / "progress.sqlite3").exists()  # (the pack cache may be)
    run("check", "clusterip-expose-web", answer(SOLUTION))
    assert len(attempts(tmp_path)) == 1


def test_check_with_an_unusable_store_still_grades(tmp_path, answer, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv(ENV_HOME, str(blocker))
    result = run("check", "clusterip-expose-web", answer(builtin_solution("clusterip-expose-web")))
    assert result.exit_code == 0
    assert "warning: progress store" in result.output


# -- the instructor's guide ------------------------------------------------------------------


def test_worked_example_of_the_pack_format_guide_validates(tmp_path):
    guide = (Path(__file__).resolve().parent.parent / "docs" / "pack-format.md").read_text()
    files = re.findall(r"File `([^`]+)`:\n\n```[a-z]*\n(.*?)```", guide, re.S)
    assert len(files) == 4
    for name, body in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    report = validate_pack(tmp_path / "team-drills")
    assert report.ok, errors(report)
    assert (report.exercises, report.solutions_passed) == (1, 1)
    assert (report.wrong_answers, report.wrong_answers_failed) == (2, 2)
    assert report.summary() in guide.replace("\n  ", " ")


def test_positional_field_paths_in_order_free_lists_are_warned(tmp_path):
    root = scaffold(tmp_path)
    edit(
        root / EXERCISE,
        "      spec.type: ClusterIP          # compared after the API server's defaults\n",
        "      spec.type: ClusterIP\n      spec.ports[0].port: 80\n",
    )
    report = validate_pack(root, mutate=False)
    assert report.ok
    [warning] = report.problems
    assert warning.severity == "warning"
    assert "`spec.ports[0].port` picks an item of `ports` by its position ([0])" in warning.message
    assert warning.hint == "pick the item by a field instead, e.g. `ports[port=80]`"
    assert warning.line == line_of(root / EXERCISE, "- resource:")


def test_a_lint_on_the_solution_must_be_expected_by_the_exercise(tmp_path):
    root = scaffold(tmp_path)
    deny_egress = (
        "  ---\n  apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n"
        "  metadata:\n    name: no-egress\n  spec:\n    podSelector: {matchLabels: {app: web}}\n"
        "    policyTypes: [Egress]\n"
    )
    edit(
        root / EXERCISE,
        "        targetPort: 8080\n\nwrong_answers:",
        f"        targetPort: 8080\n{deny_egress}\nwrong_answers:",
    )
    report = validate_pack(root, mutate=False)
    [problem] = [p for p in report.problems if "the solution gets the warning" in p.message]
    assert problem.is_error and "can no longer resolve names" in problem.message
    assert problem.hint == "fix the solution, or declare it: `expected_lints: [dns-blocked]`"
    edit(root / EXERCISE, "tags: [", "expected_lints: [dns-blocked]\ntags: [")
    report = validate_pack(root, mutate=False)
    assert report.ok and not report.problems
    ex = load_pack(root)[0].exercises()[0]
    from k8slearn.grading.grader import Grader

    [warning] = Grader(ex).grade(ex.solution).warnings
    assert warning.message.endswith("— as this exercise asks") and warning.hint == ""
    edit(
        root / EXERCISE,
        "expected_lints: [dns-blocked]",
        "expected_lints: [dns-blocked, split-peers]",
    )
    [stale] = validate_pack(root, mutate=False).problems
    assert stale.severity == "warning" and "'split-peers'" in stale.message


def test_the_first_hint_must_not_give_the_answer_away(tmp_path):
    root = scaffold(tmp_path)
    ex_file = root / EXERCISE
    edit(
        ex_file,
        '  - "A Service\'s `selector` is a plain map of labels."',
        '  - "Give it `sessionAffinity: ClientIP`."',
    )
    edit(
        ex_file,
        "        targetPort: 8080\n\nwrong_answers:",
        "        targetPort: 8080\n    sessionAffinity: ClientIP\n\nwrong_answers:",
    )
    [warning] = validate_pack(root, mutate=False).problems
    assert warning.severity == "warning"
    assert "the first hint gives the answer away (sessionAffinity: ClientIP)" in warning.message
    assert warning.line == line_of(ex_file, '- "Give it `sessionAffinity')
    # What the prompt already says is no giveaway: the same hint after the prompt names it.
    edit(
        ex_file,
        "to port **8080** of the pods",
        "to port **8080** of the pods, with sessionAffinity: ClientIP,",
    )
    assert validate_pack(root, mutate=False).problems == []


def test_the_current_namespace_must_be_in_the_scenario(tmp_path):
    root = scaffold(tmp_path)
    edit(root / EXERCISE, "\nscenario:", "\nnamespace: nowhere\nscenario:")
    problems = [p for p in validate_pack(root, mutate=False).problems if p.is_error]
    assert any(
        "the current namespace 'nowhere' is not in the scenario" in p.message for p in problems
    )
    assert any(p.line == line_of(root / EXERCISE, "namespace: nowhere") for p in problems)
