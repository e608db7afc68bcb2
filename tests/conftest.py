"""Shared helpers: build a World from a scenario and manifest text, as the CLI does."""

from __future__ import annotations

import pytest

from k8slearn.manifests.validate import validate_text
from k8slearn.model.scenario import load_scenario
from k8slearn.model.world import World


def make_world(scenario: dict | str, manifests: str = "") -> World:
    scn, problems = load_scenario(scenario)
    assert scn is not None, problems
    report = validate_text(manifests) if manifests.strip() else None
    if report is not None:
        assert report.valid, [p.text() for p in report.all_problems()]
    return World(scn, report.manifests if report else [])


@pytest.fixture
def world():
    return make_world


@pytest.fixture(autouse=True, scope="session")
def _private_home(tmp_path_factory):
    """Tests never write progress or caches into the real user's data folder."""
    import os

    if "K8SLEARN_HOME" not in os.environ:
        os.environ["K8SLEARN_HOME"] = str(tmp_path_factory.mktemp("k8slearn-home"))
    yield


@pytest.fixture(autouse=True)
def _collector_restored():
    """An app run in a test holds the cycle collector while it starts and then freezes what
    it built (k8slearn.gcpause); the test run goes on, so hand everything back after."""
    import gc

    from k8slearn import gcpause

    yield
    gcpause._held_for_start_up = False
    gc.unfreeze()
    gc.enable()
