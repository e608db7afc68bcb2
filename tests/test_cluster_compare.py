"""Observed against predicted: agreeing, differing and not verifiable cells."""

from __future__ import annotations

import json

from k8slearn.cluster.compare import (
    AGREE,
    DIFFER,
    UNVERIFIABLE,
    Comparison,
    compare,
    compare_lookups,
)

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


# -- DNS names -------------------------------------------------------------------------------

HEADLESS = ("", "db.data.svc.cluster.local", "A")
MEMBER = ("data", "db-0.db", "A")
GONE = ("", "db-2.db.data.svc.cluster.local", "A")
ALIAS = ("", "billing-db.shop.svc.cluster.local", "CNAME")
NAMES = {"10.244.0.12": "data/db-0", "10.244.0.13": "data/db-1"}


def lookups(observed, wanted=None, reasons=None):
    return compare_lookups(
        {
            HEADLESS: ("10.244.0.13", "10.244.0.12"),
            MEMBER: ("10.244.0.12",),
            GONE: (),
            ALIAS: ("CNAME db.billing.example.com",),
        },
        observed,
        reasons=reasons,
        wanted=wanted,
        names=NAMES,
    )


def test_names_are_compared_as_sets_of_records():
    cells = lookups(
        {
            HEADLESS: ("10.244.0.12", "10.244.0.13"),  # another order: the same answer
            MEMBER: (),  # no such name, though the model has one
            GONE: (),
            ALIAS: None,  # the lookup could not run
        }
    )
    status = {c.key: c.status for c in cells}
    assert status == {HEADLESS: AGREE, MEMBER: DIFFER, GONE: AGREE, ALIAS: UNVERIFIABLE}
    alias = next(c for c in cells if c.key == ALIAS)
    assert alias.reason == "the lookup could not run"
    assert alias.predicted == ("CNAME db.billing.example.com",)


def test_a_differing_name_says_both_answers_with_whose_addresses_they_are():
    cells = lookups({HEADLESS: ("10.244.0.12",), MEMBER: ("10.244.0.12",), GONE: ("10.244.0.14",)})
    headless = next(c for c in cells if c.key == HEADLESS)
    message = headless.message()
    assert "predicted data/db-0 (10.244.0.12), data/db-1 (10.244.0.13)" in message
    assert "answered data/db-0 (10.244.0.12)" in message
    assert "model may be wrong" in message
    gone = next(c for c in cells if c.key == GONE)
    assert "predicted no such name" in gone.message() and "10.244.0.14" in gone.message()
    assert next(c for c in cells if c.key == ALIAS).reason == "not looked up"


def test_a_differing_name_fails_the_comparison_and_is_reported():
    result = Comparison(
        compare({A: True}, {A: True}).cells,
        lookups({HEADLESS: ("10.244.0.12",), MEMBER: ("10.244.0.12",), GONE: (), ALIAS: None}),
    )
    assert not result.ok
    assert len(result.agreeing) == 3  # one connection, two names
    assert [c.key for c in result.differing] == [HEADLESS]
    assert result.summary() == "cluster vs model: 3 agree, 1 differ, 1 not verifiable"
    assert "disagree on 1 DNS name" in result.report_message()
    data = json.loads(json.dumps(result.to_json()))
    assert (data["agree"], data["differ"], data["not_verifiable"]) == (3, 1, 1)
    by_name = {c["name"]: c for c in data["lookups"]}
    headless = by_name["db.data.svc.cluster.local"]
    assert headless["status"] == "differ" and headless["search"] is None
    assert headless["predicted"] == ["10.244.0.12", "10.244.0.13"]
    assert headless["observed"] == ["10.244.0.12"]
    assert headless["addresses"] == NAMES
    assert by_name["db-0.db"]["search"] == "data"
    assert by_name["billing-db.shop.svc.cluster.local"]["observed"] is None


def test_names_an_exercise_asks_about_count_towards_what_it_wants():
    wanted = {MEMBER: ("10.244.0.12",), GONE: ()}
    agreeing = Comparison([], lookups({MEMBER: ("10.244.0.12",), GONE: ()}, wanted=wanted))
    assert agreeing.ok and not agreeing.wanted_failures()
    assert len(agreeing.wanted_cells()) == 2
    # the model and the cluster agree that db-0.db does not resolve, but the exercise wants it
    wrong = compare_lookups({MEMBER: ()}, {MEMBER: ()}, wanted={MEMBER: ("10.244.0.12",)})
    result = Comparison([], wrong)
    assert result.ok
    assert [c.key for c in result.wanted_failures()] == [MEMBER]
    assert "0 of the 1 DNS names its checks name" in result.render()
    assert "(the exercise wants 10.244.0.12)" in result.render()


def test_render_has_no_square_brackets_the_app_would_take_for_markup():
    result = Comparison(
        compare(
            {D: False}, {}, reasons={D: "internet (1.2.3.4): a host outside the cluster"}
        ).cells,
        lookups({MEMBER: ("10.244.0.12",)}, wanted={MEMBER: ("10.244.0.12",)}),
    )
    text = result.render(all_unverifiable=True)
    assert "(internet (1.2.3.4))" in text and "(as the exercise wants)" in text
    assert "[" not in text and "]" not in text


def test_render_shows_names_in_their_own_table():
    result = Comparison(
        compare({A: True}, {A: True}).cells,
        lookups(
            {HEADLESS: ("10.244.0.12",), MEMBER: ("10.244.0.12",), GONE: (), ALIAS: None},
            reasons={ALIAS: "billing-db.shop.svc.cluster.local: no CoreDNS pod was found"},
        ),
    )
    text = result.render()
    lines = text.splitlines()
    assert any("DNS name" in line and "predicted → observed" in line for line in lines)
    row = next(line for line in lines if "A db.data.svc.cluster.local" in line)
    assert row.startswith("≠") and "differs" in row
    assert "data/db-0 (10.244.0.12), data/db-1 (10.244.0.13) → data/db-0 (10.244.0.12)" in row
    member = next(line for line in lines if "A db-0.db (search path of data)" in line)
    assert not member.startswith("≠")
    assert "no such name → no such name" in text
    assert "no CoreDNS pod was found (1)" in text
    assert "CNAME billing-db.shop.svc.cluster.local" in text
    assert "no connection could be probed" not in text


def test_only_names_is_not_a_table_without_connections():
    result = Comparison([], lookups({HEADLESS: ("10.244.0.12", "10.244.0.13")}))
    text = result.render()
    assert "no connection could be probed" not in text
    assert text.splitlines()[0].lstrip().startswith("DNS name")
