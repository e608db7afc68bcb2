"""A failing answer that repeats one of the exercise's wrong answers gets that answer's `why`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.grading.grader import Grader
from k8slearn.grading.mistakes import MistakeFinder
from k8slearn.packs.library import load_library
from k8slearn.progress.store import open_store
from k8slearn.tui.app import K8sLearnApp

# Wrong answer 1 of netpol-and-vs-or (two peers, ORed), written another way: matchExpressions,
# the peers in the other order, the port by protocol default, no policyTypes.
OR_PEERS_REWRITTEN = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-allow-prometheus, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: In, values: [api]}]
  ingress:
    - ports: [{port: 9100}]
      from:
        - podSelector: {matchLabels: {app: prometheus}}
        - namespaceSelector: {matchLabels: {team: ops}}
"""

# Wrong answer 2 (every namespace) with the empty selector spelled out.
ALL_NAMESPACES_REWRITTEN = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-allow-prometheus, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {}}
          podSelector: {matchLabels: {app: prometheus}}
      ports: [{protocol: TCP, port: 9100}]
"""

# Wrong on the port: no wrong answer of the exercise makes this mistake.
WRONG_PORT = ALL_NAMESPACES_REWRITTEN.replace(
    "matchLabels: {}", "matchLabels: {team: ops}"
).replace("port: 9100", "port: 9101")

RIGHT = ALL_NAMESPACES_REWRITTEN.replace("matchLabels: {}", "matchLabels: {team: ops}")


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def finder(library):
    return MistakeFinder(Grader(library.find("netpol-and-vs-or")[0]))


def test_an_answer_that_behaves_like_a_wrong_answer_gets_its_why(finder):
    exercise = finder.grader.exercise
    for text, index in ((OR_PEERS_REWRITTEN, 0), (ALL_NAMESPACES_REWRITTEN, 1)):
        grade = finder.grader.grade(text)
        assert not grade.passed
        found = finder.find(grade)
        assert found is not None and found.index == index, text
        assert found.why == exercise.wrong_answers[index].why.strip()
        assert found.how == "behaves like"


def test_a_different_mistake_or_a_pass_gets_none(finder):
    wrong_port = finder.grader.grade(WRONG_PORT)
    assert not wrong_port.passed
    assert finder.find(wrong_port) is None
    right = finder.grader.grade(RIGHT)
    assert right.passed and finder.find(right) is None


def test_a_refused_answer_matches_the_same_refusal(library):
    exercise = library.find("nodeport-change-type")[0]
    finder = MistakeFinder(Grader(exercise))
    # The same misspelt type, in a much shorter manifest than the wrong answer's.
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec:\n  type: Nodeport\n  selector: {app: web}\n  ports: [{port: 80}]\n"
    )
    grade = finder.grader.grade(text)
    assert grade.world is None
    found = finder.find(grade)
    assert found is not None and "case sensitive" in found.why and found.how == "fails like"


def test_every_wrong_answer_is_recognised_when_reformatted(library):
    """A comment and a blank line change no behaviour: each wrong answer must still get its
    own why — when two fail alike, the text written most like it decides."""
    for exercise in library.exercises():
        if exercise.kind != "build" or not exercise.wrong_answers:
            continue
        finder = MistakeFinder(Grader(exercise))
        for i, wrong in enumerate(exercise.wrong_answers):
            text = "# my answer\n\n" + wrong.answer
            found = finder.find(finder.grader.grade(text), text)
            assert found is not None and found.index == i, (exercise.id, i, found)


def test_check_prints_the_why_and_json_carries_it(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path))
    answer = tmp_path / "answer.yaml"
    answer.write_text(OR_PEERS_REWRITTEN)
    text = CliRunner().invoke(main, ["check", "netpol-and-vs-or", str(answer)])
    assert text.exit_code == 1, text.output
    assert "A known mistake: The extra `-` before `podSelector` makes two peers" in text.output
    out = CliRunner().invoke(main, ["check", "netpol-and-vs-or", str(answer), "-o", "json"])
    data = json.loads(out.output)
    assert data["known_mistake"]["why"].startswith("The extra `-` before `podSelector`")
    assert data["known_mistake"]["wrong_answer"] == 1
    answer.write_text(WRONG_PORT)
    out = CliRunner().invoke(main, ["check", "netpol-and-vs-or", str(answer), "-o", "json"])
    assert out.exit_code == 1 and "known_mistake" not in json.loads(out.output)


async def test_the_app_shows_the_why_above_the_checks(library, tmp_path):
    store = open_store(tmp_path / "progress.sqlite3")
    app = K8sLearnApp(library, store, library.find("netpol-and-vs-or")[0], ALL_NAMESPACES_REWRITTEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        checks = str(app.screen.query_one("#checks").render())
        assert checks.startswith("A known mistake: namespaceSelector: {} matches all namespaces")
    store.close()


def test_an_accepted_answer_is_matched_as_if_every_refusal_were_worded(library):
    """An answer the API server accepts is compared only with accepted wrong answers, graded
    without wording refusals; the matches are those of a finder that words them all."""
    for exercise in library.exercises():
        if not exercise.wrong_answers:
            continue
        finder = MistakeFinder(Grader(exercise))
        worded = MistakeFinder(Grader(exercise))
        worded._accepted = [k for k in worded._known if not k[2].problems]  # the reference
        for wrong in exercise.wrong_answers:
            grade = finder.grader.grade(wrong.answer)
            if grade.problems or grade.passed:
                continue
            assert finder.matches(grade) == worded.matches(grade), (exercise.id, wrong.answer)


def test_checking_an_accepted_wrong_answer_does_not_ask_jsonschema(tmp_path):
    """jsonschema (a tenth of a second to import) only words refusals; a learner whose
    answer the API server accepts, failing or not, never waits for it."""
    import subprocess
    import sys

    answer = tmp_path / "a.yaml"
    answer.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {selector: {app: web}, ports: [{port: 80, targetPort: 80}]}\n"
    )
    code = (
        "import sys\nfrom k8slearn.cli import main\n"
        "try:\n    main(['check', 'clusterip-expose-web', sys.argv[1], '--no-record'])\n"
        "except SystemExit as exit:\n    print('exit', exit.code)\n"
        "print('jsonschema' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(answer)], capture_output=True, text=True, check=True
    )
    assert "A known mistake" in out.stdout  # the wrong targetPort, matched
    assert out.stdout.splitlines()[-2:] == ["exit 1", "False"]
