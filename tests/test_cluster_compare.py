"""Observed against predicted: agreeing, differing and not verifiable cells."""

from __future__ import annotations

import json

from k8slearn.cluster.compare import AGREE, DIFFER, UNVERIFIABLE, compare

A = ("x/a", "x/b", 80, "TCP")
B = ("x/b", "x/a", 80, "TCP")
C = ("x/a", "web.x.svc.cluster.local", 80, "TCP")
D = ("x/a", "internet", 443, "TCP")
E = ("x/b", "x/c", 53, "UDP")


def test_cells_are_sorted_into_agree_differ_and_not_verifiable():
    result = compare(
        {A: True, B: False, C: True, D: False, E: True},
        {A: True, B: True, C: False, E: None},
        reasons={D: "internet (1.2.3.4): a host outside the cluster"},
    )
    status = {c.key: c.status for c in result.cells}
    assert status == {A: AGREE, B: DIFFER, C: DIFFER, D: UNVERIFIABLE, E: UNVERIFIABLE}
    assert [c.key for c in result.agreeing] == [A]
    assert [c.key for c in result.differing] == [B, C]
    assert {c.key for c in result.unverifiable} == {D, E}
    assert not result.ok
    reasons = {c.key: c.reason for c in result.unverifiable}
    assert reasons[D].startswith("internet")
    assert reasons[E] == "the probe could not run"
    assert result.summary() == "cluster vs model: 1 agree, 2 differ, 2 not verifiable"


def test_all_agree_is_ok_and_has_no_report():
    result = compare({A: True, B: False}, {A: True, B: False})
    assert result.ok
    assert result.report_message() == ""
    assert "report" not in result.to_json()
    assert "differs" not in result.render()


def test_observations_nobody_predicted_are_ignored_and_missing_ones_not_verifiable():
    result = compare({A: True}, {B: True})
    assert len(result.cells) == 1
    assert result.cells[0].status == UNVERIFIABLE
    assert result.cells[0].reason == "not probed"


def test_differing_cells_say_the_model_may_be_wrong_and_how_to_report_it():
    result = compare({A: False}, {A: True})
    cell = result.differing[0]
    message = cell.message()
    assert "predicted denied" in message and "cluster allowed" in message
    assert "model may be wrong" in message
    assert "report" in message and "-o json" in message
    report = result.report_message()
    assert "bug worth reporting" in report and "k8slearn --version" in report


def test_json_shape():
    result = compare(
        {A: True, B: False, D: False},
        {A: True, B: True},
        reasons={D: "internet: outside"},
        wanted={A: True, B: False},
    )
    data = json.loads(json.dumps(result.to_json()))
    assert data["agree"] == 1 and data["differ"] == 1 and data["not_verifiable"] == 1
    cells = {(c["from"], c["to"], c["port"], c["protocol"]): c for c in data["cells"]}
    assert cells[A] == {
        "from": "x/a",
        "to": "x/b",
        "port": 80,
        "protocol": "TCP",
        "predicted": True,
        "observed": True,
        "status": "agree",
        "wanted": True,
    }
    assert cells[B]["status"] == "differ" and "model may be wrong" in cells[B]["message"]
    assert cells[D]["observed"] is None and cells[D]["message"] == "internet: outside"
    assert "bug worth reporting" in data["report"]


def test_render_marks_differing_cells_in_a_table():
    result = compare(
        {A: True, B: False, D: False},
        {A: True, B: True},
        reasons={D: "internet (1.2.3.4): a host outside the cluster"},
        wanted={B: False},
    )
    text = result.render()
    lines = text.splitlines()
    header = lines[0]
    assert "from" in header and "predicted" in header and "observed" in header
    assert "exercise wants" in header
    row_a = next(line for line in lines if line.lstrip().startswith("x/a") and "x/b" in line)
    row_b = next(line for line in lines if "x/b" in line and "x/a " in line and "≠" in line)
    assert not row_a.startswith("≠")
    assert row_b.startswith("≠") and "differs" in row_b
    assert "allowed" in row_b and "denied" in row_b
    assert "not verifiable (1):" in text
    assert "a host outside the cluster (1)" in text
    assert "x/a → internet:443/TCP" in text
    assert "0 of the 1 connections" in text  # the wanted cell came out wrong on the cluster
    assert "bug worth reporting" in text


def test_render_uses_the_style_hook():
    result = compare({A: True, B: False}, {A: True, B: True})
    seen = []

    def style(text: str, role: str) -> str:
        seen.append(role)
        return f"<{role}>{text}"

    text = result.render(style)
    assert "<differ>≠" in text
    assert {"heading", "agree", "differ"} <= set(seen)


def test_many_unverifiable_cells_are_counted_not_listed():
    predicted = {("x/a", f"ext-{i}", 80, "TCP"): False for i in range(20)}
    reasons = {
        k: f"{k[1]} (1.2.3.{i}): a host outside the cluster" for i, k in enumerate(predicted)
    }
    result = compare(predicted, {}, reasons=reasons)
    text = result.render()
    assert "a host outside the cluster (20)" in text
    assert "ext-7" not in text
    assert "ext-7" in result.render(all_unverifiable=True)
    assert "no connection could be probed" in text


def test_wanted_failures_need_an_observation():
    result = compare({A: True, B: True}, {A: False, B: None}, wanted={A: True, B: True})
    assert [c.key for c in result.wanted_failures()] == [A]
    assert [c.key for c in result.wanted_cells()] == [A]
