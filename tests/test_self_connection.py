"""A pod cannot block access to itself: the engine, the oracle, explanations, checks and drills."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import make_world
from k8slearn.cli import main
from k8slearn.drills.predict import grade_prediction, make_task
from k8slearn.manifests.validate import validate_text
from k8slearn.model.oracle import oracle_allowed
from k8slearn.packs.model import Exercise

SCENARIO = {
    "namespaces": [{"name": "prod"}],
    "pods": [
        {
            "name": "web",
            "namespace": "prod",
            "labels": {"app": "web"},
            "ports": [{"containerPort": 80}],
        },
        {"name": "api", "namespace": "prod", "labels": {"app": "api"}},
    ],
    "externals": [{"name": "internet", "ip": "93.184.216.34"}],
}

DENY_ALL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""


def test_deny_all_still_lets_a_pod_reach_itself():
    world = make_world(SCENARIO, DENY_ALL)
    table = world.table([(80, "TCP"), (53, "UDP")])
    for port in table.ports:
        assert table.allowed("prod/web", "prod/web", *port)
        assert table.allowed("prod/api", "prod/api", *port)
        assert not table.allowed("prod/web", "prod/api", *port)
        assert not table.allowed("internet", "prod/web", *port)
    web = world.scenario.pod("prod/web")
    raw = [m.obj for m in validate_text(DENY_ALL).manifests]
    assert oracle_allowed(world.scenario, raw, web, web, 80, "TCP")


def test_explanation_says_why():
    world = make_world(SCENARIO, DENY_ALL)
    explanation = world.explain("prod/web", "prod/web", 80)
    assert explanation.allowed and explanation.to_itself
    text = "\n".join(explanation.lines())
    assert "ALLOWED" in text
    assert "a pod cannot block access to itself" in text
    # The sides still say what the policies alone would do, for the curious.
    assert not explanation.ingress.allowed


def test_reach_explain_and_matrix(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(json.dumps(SCENARIO))
    policy = tmp_path / "p.yaml"
    policy.write_text(DENY_ALL)
    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "reach",
            "--scenario",
            str(scenario),
            "-f",
            str(policy),
            "--explain",
            "prod/api",
            "prod/api",
            "80",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "ALLOWED" in out.output and "cannot block access to itself" in out.output
    out = runner.invoke(
        main,
        ["reach", "--scenario", str(scenario), "-f", str(policy), "--port", "80", "-o", "matrix"],
    )
    rows = json.loads(out.output)["tables"]["80/TCP"]
    assert rows[0][0] == "1" and rows[1][1] == "1"  # the diagonal of the pods
    assert rows[0][1] == "0" and rows[1][0] == "0"


def test_predict_never_asks_or_grades_a_pod_to_itself(tmp_path):
    exercise = Exercise(
        id="p",
        title="p",
        prompt="p",
        scenario=SCENARIO,
        expect=[],
        solution="",
        file=tmp_path / "p.yaml",
        kind="predict",
        manifests=DENY_ALL,
        predict={"port": 80, "from": ["prod/web", "prod/api"], "to": ["prod/web", "prod/api"]},
    )
    task = make_task(exercise)
    assert task.cells() == [("prod/web", "prod/api"), ("prod/api", "prod/web")]
    # Marking nothing is right: both asked cells are denied; the diagonal is not graded.
    result = grade_prediction(task, {})
    assert result.passed and len(result.cells) == 2
