"""Drills: scheduling, choosing, scoring, predicting, kubectl, reports, progress."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.drills import kubectl as kubectl_drill
from k8slearn.drills.predict import grade_prediction, make_task, predictable
from k8slearn.drills.session import Drill, DrillItem, choose_exercises, junit_xml, write_report
from k8slearn.packs.library import load_library
from k8slearn.progress.report import progress_report, streak
from k8slearn.progress.schedule import rating_for, review, weak_concepts
from k8slearn.progress.store import open_store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "p.sqlite3")
    yield s
    s.close()


def test_ratings_follow_the_outcome():
    from fsrs import Rating

    assert rating_for(False) == Rating.Again
    assert rating_for(True, solution_shown=True) == Rating.Again
    assert rating_for(True, hints_used=2) == Rating.Hard
    assert rating_for(True, seconds=600) == Rating.Good
    assert rating_for(True, seconds=30) == Rating.Easy


def test_a_failed_card_comes_back_sooner_than_a_passed_one(store):
    failed = review(store, "p/a", ["x"], passed=False, when=T0)
    hard = review(store, "p/b", ["x"], passed=True, hints_used=1, when=T0)
    good = review(store, "p/c", ["x"], passed=True, seconds=600, when=T0)
    easy = review(store, "p/d", ["x"], passed=True, seconds=20, when=T0)
    assert failed < hard < good < easy
    # a second success pushes a card further out than the first
    again = review(store, "p/c", ["x"], passed=True, seconds=600, when=good)
    assert again - good > good - T0


def test_choose_due_first_then_new_and_tags(library, store):
    exercises = library.exercises()
    first, second = exercises[5], exercises[9]
    review(store, first.qualified_id, first.tags, False, when=T0 - timedelta(days=2))
    review(store, second.qualified_id, second.tags, False, when=T0 - timedelta(days=3))
    chosen = choose_exercises(library, store, 4, now=T0)
    assert chosen[:2] == [second, first]  # most overdue first
    assert all(store.card(e.qualified_id) is None for e in chosen[2:])  # then new ones
    tagged = choose_exercises(library, store, 50, tags=("dns-egress",), now=T0)
    assert tagged and all("dns-egress" in e.tags for e in tagged)


def test_points_and_summary(library, store):
    exs = library.exercises()[:3]
    drill = Drill([DrillItem(exs[0]), DrillItem(exs[1]), DrillItem(exs[2])], minutes=10)
    drill.items[0].passed, drill.items[0].hints = True, 1
    drill.complete(store, drill.items[0])
    drill.advance()
    drill.items[1].passed, drill.items[1].solution_shown = False, True
    drill.complete(store, drill.items[1])
    drill.advance()
    summary = drill.finish(store)
    assert [i.points for i in drill.items] == [0.75, 0.0, 0.0]
    assert summary.score == 0.75
    assert drill.items[2].note == "not reached"
    assert [i.exercise for i in summary.to_review()] == exs
    assert "first drill" in summary.comparison()
    second = Drill([DrillItem(exs[0])], minutes=10)
    second.items[0].passed = True
    second.complete(store, second.items[0])
    later = second.finish(store)
    assert later.comparison() == "100% this time, 25% last time (up 75 points)"
    assert [a.source for a in store.attempts(exs[0].qualified_id)] == ["drill", "drill"]


def test_junit_and_json_reports(library, store, tmp_path):
    exs = library.exercises()[:3]
    drill = Drill([DrillItem(e) for e in exs], minutes=5)
    drill.items[0].passed, drill.items[0].seconds = True, 42.0
    drill.items[1].passed, drill.items[1].failed_checks = False, ["whole truth table"]
    drill.current = 2
    summary = drill.finish(store)
    root = ET.fromstring(junit_xml(summary).split("?>", 1)[1])
    suite = root.find("testsuite")
    assert (
        suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    )
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [e.id for e in exs]
    assert cases[0].get("time") == "42.0"
    assert cases[1].find("failure").text == "whole truth table"
    assert cases[2].find("skipped") is not None
    path = tmp_path / "report.json"
    write_report(path, summary)
    data = json.loads(path.read_text())
    assert data["score"] == 1.0 and data["total"] == 3
    assert [i["passed"] for i in data["items"]] == [True, False, False]
    write_report(tmp_path / "r.xml", summary)
    assert ET.parse(tmp_path / "r.xml").getroot().tag == "testsuites"


def test_predict_task_and_grading(library):
    ex = library.find("predict-and-or-peers")[0]
    task = make_task(ex)
    assert task.source == "given" and task.port == 9100
    truth = {(s, d): task.actual(s, d) for s, d in task.cells()}
    # two ORed peers: every pod of a team=ops namespace, and shop's frontend
    assert truth[("monitoring/grafana", "shop/api")] is True
    assert truth[("dev/prometheus", "shop/api")] is False
    assert truth[("shop/frontend", "shop/api")] is True
    assert truth[("dev/prometheus", "shop/db")] is True  # db is not isolated
    perfect = grade_prediction(task, truth)
    assert perfect.passed and perfect.right == len(task.cells())
    flipped = dict(truth)
    flipped[("monitoring/grafana", "shop/api")] = False
    result = grade_prediction(task, flipped)
    assert not result.passed
    [wrong] = result.wrong()
    assert "ingress rule 1 of shop/api-metrics" in " ".join(wrong.explanation.lines())


def test_predict_from_build_exercises_uses_valid_answers_only(library):
    ex = library.find("netpol-and-vs-or")[0]
    assert predictable(ex)
    sources = {make_task(ex, random.Random(seed)).source for seed in range(30)}
    assert "solution" in sources and any(s.startswith("wrong answer") for s in sources)
    assert not predictable(library.find("clusterip-expose-web")[0])


def test_kubectl_drill_grades_the_state_a_create_service_line_leaves(library):
    from k8slearn.cli.packs import _practice_cluster

    if kubectl_drill.find_kubectl() is None:
        pytest.skip("no kubectl (install the `kubectl` extra)")
    ex = library.find("clusterip-expose-web")[0]
    with _practice_cluster(ex) as cluster:
        cluster.run("kubectl create service clusterip web --tcp=80:8080")
        assert cluster.grade().passed
    with _practice_cluster(ex) as cluster:
        cluster.run("k create svc clusterip web --tcp=8080:80")
        assert not cluster.grade().passed
    with _practice_cluster(ex) as cluster:
        # the trap: the selector is always app=<name>
        cluster.run("kubectl create service clusterip site --tcp=80:8080")
        made = cluster.run("kubectl get service site -o jsonpath={.spec.selector}")
    assert made.output == '{"app":"site"}'


def test_kubectl_exercises_are_ones_kubectl_lines_can_solve(library):
    found = {e.id for e in kubectl_drill.kubectl_exercises(library)}
    assert {"clusterip-expose-web", "externalname-basic"} <= found
    # and the exercises with `kubectl:` lines: expose, set selector, patch
    assert {"clusterip-deploy-and-expose", "troubleshoot-deployment-labels"} <= found
    # named ports, named target ports and NetworkPolicies are beyond `kubectl create service`
    assert not found & {"clusterip-multi-port", "clusterip-named-targetport", "netpol-and-vs-or"}


def test_progress_report_and_streak(library, store):
    ex = library.exercises()[0]
    store.record_attempt(ex.qualified_id, True)
    review(store, ex.qualified_id, ex.tags, False, when=T0)
    data = progress_report(library, store, now=T0 + timedelta(days=1))
    assert data["exercises"] == {"done": 1, "total": len(library.exercises())}
    assert data["due"] == 1
    assert {"pack", "lesson", "done", "total"} <= set(data["lessons"][0])
    assert streak({"2026-01-05", "2026-01-04"}, T0) == 2
    assert streak({"2026-01-04", "2026-01-03"}, T0) == 2  # yesterday still counts
    assert streak({"2026-01-02"}, T0) == 0
    assert weak_concepts(store)[0][1] == 0.0


def test_progress_command_json(monkeypatch, tmp_path):
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["progress", "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"exercises", "due", "lessons", "drills"}
    assert set(data["exercises"]) == {"done", "total"}


def test_drill_command_rejects_unknown_tags_and_report_folders(tmp_path):
    result = CliRunner().invoke(main, ["drill", "--tags", "no-such-tag"])
    assert result.exit_code == 2 and "no exercise has tag 'no-such-tag'" in result.output
    result = CliRunner().invoke(main, ["drill", "--report", str(tmp_path / "nope" / "r.xml")])
    assert result.exit_code == 2 and "no such folder" in result.output


def test_check_command_feeds_spaced_repetition(monkeypatch, tmp_path):
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path))
    answer = tmp_path / "a.yaml"
    answer.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
        "  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n"
    )
    result = CliRunner().invoke(main, ["check", "clusterip-expose-web", str(answer)])
    assert result.exit_code == 0, result.output
    store = open_store(tmp_path / "progress.sqlite3")
    assert store.card("services-networking/clusterip-expose-web") is not None
    # a predict exercise is answered with a table: manifests are refused, pointing at --template
    predict = CliRunner().invoke(main, ["check", "predict-and-or-peers", str(answer)])
    assert predict.exit_code == 2 and "asks you to predict a table" in predict.output
    assert "--template" in predict.output


@pytest.mark.parametrize(
    ("exercise", "command"),
    [
        (
            "nodeport-imperative",
            "kubectl create service nodeport dashboard --tcp=443:8443 --node-port=30443",
        ),
        ("loadbalancer-imperative", "kubectl create service loadbalancer mqtt --tcp=1883:1883"),
        ("externalname-basic", None),
    ],
)
def test_imperative_exercises_are_solvable_with_one_command(library, exercise, command):
    from k8slearn.cli.packs import _practice_cluster

    ex = library.find(exercise)[0]
    assert ex in kubectl_drill.kubectl_exercises(library)
    if command is None or kubectl_drill.find_kubectl() is None:
        return
    assert ex.kubectl == [command]  # the exercise's own fastest way says the same
    with _practice_cluster(ex) as cluster:
        proof = kubectl_drill.prove_commands(cluster, [command])
    assert proof.passed, proof.message


def test_a_seeded_drill_samples_new_exercises_across_lessons(library, store):
    plain = choose_exercises(library, store, 6, now=T0)
    shuffled = choose_exercises(library, store, 6, now=T0, rng=random.Random(3))
    again = choose_exercises(library, store, 6, now=T0, rng=random.Random(3))
    assert shuffled == again  # the same seed, the same drill
    assert len({e.lesson_id for e in plain}) == 1  # pack order: the first lesson only
    assert len({e.lesson_id for e in shuffled}) > 2
