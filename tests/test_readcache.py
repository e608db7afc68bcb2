"""Big inputs are read once and kept by content: never stale, never wrong, never in the way."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import k8slearn.readcache as readcache
from k8slearn.cli import main as cli
from k8slearn.manifests.validate import validate_text
from k8slearn.model.scenario import load_scenario
from k8slearn.model.world import World
from test_engine_vs_oracle import PORTS, cases


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(readcache.NO_CACHE_VAR, raising=False)
    return tmp_path / "home"


def entries(home) -> list[str]:
    folder = home / "cache" / "inputs"
    return sorted(p.name for p in folder.glob("*.pickle")) if folder.exists() else []


class Counting:
    """A reading that says how often it really ran."""

    def __init__(self):
        self.calls = 0

    def __call__(self, data: bytes) -> dict:
        self.calls += 1
        return {"length": len(data), "first": data[:1].decode()}


BIG = b"x" * readcache.MIN_BYTES


def test_the_same_bytes_are_read_once(home):
    read = Counting()
    first = readcache.read_cached("k", BIG, read, keep=lambda _: True)
    again = readcache.read_cached("k", BIG, read, keep=lambda _: True)
    assert read.calls == 1 and first == again == {"length": len(BIG), "first": "x"}
    other = readcache.read_cached("k", b"y" + BIG[1:], read, keep=lambda _: True)
    assert read.calls == 2 and other["first"] == "y"
    readcache.read_cached("another kind", BIG, read, keep=lambda _: True)
    assert read.calls == 3  # the kind (what reading means) is part of the key
    assert len(entries(home)) == 3


def test_small_inputs_errors_and_the_switch_are_never_kept(home, monkeypatch):
    read = Counting()
    small = BIG[:-1]
    for _ in range(2):
        readcache.read_cached("k", small, read, keep=lambda _: True)
        readcache.read_cached("k", BIG, read, keep=lambda _: False)  # e.g. has errors
    assert read.calls == 4 and entries(home) == []
    monkeypatch.setenv(readcache.NO_CACHE_VAR, "1")
    for _ in range(2):
        readcache.read_cached("k", BIG, read, keep=lambda _: True)
    assert read.calls == 6 and entries(home) == []


def test_other_code_or_a_damaged_file_means_reading_again(home, monkeypatch):
    read = Counting()
    readcache.read_cached("k", BIG, read, keep=lambda _: True)
    [name] = entries(home)
    (home / "cache" / "inputs" / name).write_bytes(b"not a pickle")
    assert readcache.read_cached("k", BIG, read, keep=lambda _: True)["length"] == len(BIG)
    assert read.calls == 2
    monkeypatch.setattr(readcache, "code_fingerprint", lambda: (("other.py", 1, 2),))
    readcache.read_cached("k", BIG, read, keep=lambda _: True)
    assert read.calls == 3


def test_an_unwritable_home_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("K8SLEARN_HOME", str(blocker / "home"))  # under a file: cannot exist
    monkeypatch.delenv(readcache.NO_CACHE_VAR, raising=False)
    read = Counting()
    for _ in range(2):
        assert readcache.read_cached("k", BIG, read, keep=lambda _: True)["first"] == "x"
    assert read.calls == 2


def test_the_least_recently_used_goes_first(home, monkeypatch):
    monkeypatch.setattr(readcache, "MAX_ENTRIES", 2)
    read = Counting()
    inputs = [bytes([65 + i]) + BIG[1:] for i in range(3)]
    for i, data in enumerate(inputs[:2]):
        readcache.read_cached("k", data, read, keep=lambda _: True)
        os.utime(home / "cache" / "inputs" / entries(home)[-1], ns=(i, i))  # distinct times
    for name in entries(home):  # make the first input the most recently used
        os.utime(home / "cache" / "inputs" / name, ns=(0, 0))
    readcache.read_cached("k", inputs[0], read, keep=lambda _: True)  # a hit: now newest
    readcache.read_cached("k", inputs[2], read, keep=lambda _: True)  # evicts the oldest
    assert len(entries(home)) == 2 and read.calls == 3
    readcache.read_cached("k", inputs[0], read, keep=lambda _: True)
    readcache.read_cached("k", inputs[2], read, keep=lambda _: True)
    assert read.calls == 3  # both kept
    readcache.read_cached("k", inputs[1], read, keep=lambda _: True)
    assert read.calls == 4  # the one evicted


def test_the_cache_stays_within_its_size(home, monkeypatch):
    read = Counting()
    readcache.read_cached("k", BIG, read, keep=lambda _: True)
    [name] = entries(home)
    one = (home / "cache" / "inputs" / name).stat().st_size
    monkeypatch.setattr(readcache, "MAX_TOTAL_BYTES", 2 * one + one // 2)  # room for two
    for i in range(1, 4):
        readcache.read_cached("k", bytes([65 + i]) + BIG[1:], read, keep=lambda _: True)
    assert len(entries(home)) == 2
    monkeypatch.setattr(readcache, "MAX_TOTAL_BYTES", one // 2)  # too big to keep at all
    readcache.read_cached("k", b"z" + BIG[1:], read, keep=lambda _: True)
    assert entries(home) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_a_kept_scenario_and_policies_give_the_same_table(case, tmp_path_factory):
    """What comes back from the cache is the same world: every cell of the truth table."""
    scenario_data, manifests = case
    home = tmp_path_factory.mktemp("home")
    os.environ["K8SLEARN_HOME"] = str(home)
    try:
        scenario_text = yaml.safe_dump(scenario_data).encode()
        policy_text = yaml.safe_dump_all(manifests).encode() if manifests else b"{}"

        def read_both():
            scenario, _ = readcache.read_cached(
                "scenario", scenario_text, lambda d: load_scenario(d), keep=lambda r: True
            )
            report = readcache.read_cached(
                "manifests", policy_text, validate_text, keep=lambda r: True
            )
            return World(scenario, report.manifests if manifests else []).table(PORTS)

        saved = readcache.MIN_BYTES
        readcache.MIN_BYTES = 0
        try:
            fresh = read_both()
            kept = read_both()
        finally:
            readcache.MIN_BYTES = saved
        assert len(entries(home)) == 2
        assert kept.to_results() == fresh.to_results()
    finally:
        os.environ.pop("K8SLEARN_HOME")


def test_reach_answers_alike_from_a_kept_read(home, tmp_path, monkeypatch):
    """The whole command: a cold run, a warm run and an uncached run print the same,
    and an explanation still names the policy's line in the file."""
    monkeypatch.setattr(readcache, "MIN_BYTES", 0)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "namespaces: [{name: x}]\n"
        "pods:\n"
        "- {name: a, namespace: x, labels: {app: a}, ip: 10.0.0.1}\n"
        "- {name: b, namespace: x, labels: {app: b}, ip: 10.0.0.2, ports: [{containerPort: 80}]}\n"
        "- {name: c, namespace: x, labels: {app: c}, ip: 10.0.0.3}\n"
    )
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: only-a, namespace: x}\n"
        "spec:\n  podSelector: {matchLabels: {app: b}}\n"
        "  ingress:\n  - from: [{podSelector: {matchLabels: {app: a}}}]\n"
    )
    runner = CliRunner()
    base = ["reach", "--scenario", str(scenario), "-f", str(policy)]
    outputs = []
    for args in ([*base, "-o", "json"], [*base, "--explain", "x/a", "x/b", "80"]):
        cold = runner.invoke(cli, args)
        warm = runner.invoke(cli, args)
        monkeypatch.setenv(readcache.NO_CACHE_VAR, "1")
        uncached = runner.invoke(cli, args)
        monkeypatch.delenv(readcache.NO_CACHE_VAR)
        assert cold.exit_code == 0, cold.output
        assert cold.output == warm.output == uncached.output
        outputs.append(cold.output)
    assert len(entries(home)) == 2
    cell = {(r["from"], r["to"]): r["allowed"] for r in json.loads(outputs[0])["results"]}
    assert cell[("x/a", "x/b")] is True and cell[("x/c", "x/b")] is False
    assert "only-a" in outputs[1]
