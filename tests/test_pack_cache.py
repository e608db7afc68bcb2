"""Parsed packs and installed packs' entry points are kept between runs, and never stale."""

from __future__ import annotations

import os
import shutil
import sys
from importlib.metadata import entry_points

import pytest

import k8slearn.packs.cache as cache
from k8slearn.packs.format import load_pack
from k8slearn.packs.library import ENTRY_POINT_GROUP, builtin_pack_dirs
from k8slearn.packs.scaffold import new_pack


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("K8SLEARN_NO_CACHE", raising=False)
    return tmp_path / "home"


@pytest.fixture
def reads(monkeypatch):
    """How many times the pack was really read."""
    count = [0]

    def counting(root):
        count[0] += 1
        return load_pack(root)

    monkeypatch.setattr(cache, "load_pack", counting)
    return count


def test_second_load_comes_from_the_cache_and_equals_a_fresh_read(home, reads):
    root = builtin_pack_dirs()[0]
    _, problems = cache.load_pack_cached(root)
    again, again_problems = cache.load_pack_cached(root)
    assert reads[0] == 1
    fresh, _ = load_pack(root)
    assert again is not None and fresh is not None
    assert [e.qualified_id for e in again.exercises()] == [
        e.qualified_id for e in fresh.exercises()
    ]
    assert [e.solution for e in again.exercises()] == [e.solution for e in fresh.exercises()]
    assert again_problems == problems
    assert list((home / "cache" / "packs").glob("*.pickle"))


def test_a_changed_added_or_removed_file_is_read_again(home, reads, tmp_path):
    root = tmp_path / "course"
    new_pack(root)
    cache.load_pack_cached(root)
    exercise = next(root.glob("*/exercises/*.yaml"))
    text = exercise.read_text()
    exercise.write_text(text.replace("title:", "title: Changed", 1))
    st = exercise.stat()
    os.utime(exercise, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # even within one tick
    pack, _ = cache.load_pack_cached(root)
    assert reads[0] == 2 and pack.exercises()[0].title.startswith("Changed")
    (root / "notes.md").write_text("x")
    cache.load_pack_cached(root)
    (root / "notes.md").unlink()
    cache.load_pack_cached(root)
    assert reads[0] == 4


def test_a_damaged_cache_file_or_no_cache_falls_back_to_reading(home, reads, monkeypatch):
    root = builtin_pack_dirs()[0]
    cache.load_pack_cached(root)
    [file] = (home / "cache" / "packs").glob("*.pickle")
    file.write_bytes(b"not a pickle")
    pack, _ = cache.load_pack_cached(root)
    assert pack is not None and reads[0] == 2
    monkeypatch.setenv("K8SLEARN_NO_CACHE", "1")
    cache.load_pack_cached(root)
    cache.load_pack_cached(root)
    assert reads[0] == 4


def test_an_unwritable_cache_only_costs_speed(home, reads):
    home.mkdir(parents=True)
    (home / "cache").write_text("a file where the folder would be")
    pack, _ = cache.load_pack_cached(builtin_pack_dirs()[0])
    assert pack is not None and reads[0] == 1


def test_entry_points_follow_installs_and_removals(home, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = cache.entry_points_cached(ENTRY_POINT_GROUP)
    dist = site / "k8slearn_pack_demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: k8slearn-pack-demo\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ndemo = k8slearn_pack_demo\n")
    after = cache.entry_points_cached(ENTRY_POINT_GROUP)
    assert ("demo", "k8slearn_pack_demo") in after and after != before
    assert after == sorted((e.name, e.value) for e in entry_points(group=ENTRY_POINT_GROUP))
    assert cache.entry_points_cached(ENTRY_POINT_GROUP) == after  # from the cache now
    shutil.rmtree(dist)
    assert cache.entry_points_cached(ENTRY_POINT_GROUP) == before
    assert str(site) in sys.path


def test_saving_an_answer_next_to_installed_packages_asks_no_rescan(home, tmp_path, monkeypatch):
    """The current folder is on sys.path: a learner's files there must not cost a rescan."""
    import importlib.metadata

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    first = cache.entry_points_cached(ENTRY_POINT_GROUP)
    (site / "answer.yaml").write_text("kind: Service\n")

    def no_rescan(**kwargs):
        raise AssertionError("importlib.metadata was asked again")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_rescan)
    assert cache.entry_points_cached(ENTRY_POINT_GROUP) == first
