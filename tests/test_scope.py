"""Which packs a learner sees: the built-in pack left out, class packs by path or installed as
Python packages, and a learner's export scoped to them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.packs.library import load_library
from k8slearn.packs.scaffold import new_pack
from k8slearn.progress.store import open_store

BUILTIN = "services-networking"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "net-101"
    new_pack(root)
    return root


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("K8SLEARN_PACKS", raising=False)
    monkeypatch.delenv("K8SLEARN_NO_BUILTIN", raising=False)
    monkeypatch.delenv("K8SLEARN_LEARNER", raising=False)
    return tmp_path / "home"


def pack_ids(output: str) -> list[str]:
    return sorted({entry["pack"] for entry in json.loads(output)})


def test_no_builtin_leaves_only_the_class_pack(course, home, monkeypatch):
    runner = CliRunner()
    both = runner.invoke(main, ["list", "-o", "json", "--pack", str(course)])
    assert pack_ids(both.output) == ["net-101", BUILTIN]
    for args in (
        ["list", "-o", "json", "--pack", str(course), "--no-builtin"],
        ["--no-builtin", "--pack", str(course), "list", "-o", "json"],  # before the command
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        assert pack_ids(result.output) == ["net-101"]
    monkeypatch.setenv("K8SLEARN_NO_BUILTIN", "1")
    result = runner.invoke(main, ["list", "-o", "json", "--pack", str(course)])
    assert pack_ids(result.output) == ["net-101"]
    monkeypatch.setenv("K8SLEARN_NO_BUILTIN", "0")
    result = runner.invoke(main, ["list", "-o", "json", "--pack", str(course)])
    assert pack_ids(result.output) == ["net-101", BUILTIN]


def test_no_pack_at_all_is_a_clear_error(home):
    result = CliRunner().invoke(main, ["progress", "--no-builtin"])
    assert result.exit_code == 2
    assert "no lesson pack to use" in result.output and "--pack PATH" in result.output


def test_the_export_holds_only_the_class_packs_results(course, home, monkeypatch):
    store = open_store()
    from k8slearn.progress.schedule import review

    store.record_attempt(f"{BUILTIN}/clusterip-expose-web", False, ["x"])
    review(store, f"{BUILTIN}/clusterip-expose-web", ["clusterip", "selectors"], False)
    store.record_attempt("net-101/expose-web", False, ["Service default/web"], hints_used=1)
    store.record_attempt("net-101/expose-web", True, seconds=42.0)
    review(store, "net-101/expose-web", ["clusterip"], True)
    store.close()
    monkeypatch.setenv("K8SLEARN_LEARNER", "grace")
    result = CliRunner().invoke(
        main, ["progress", "-o", "json", "--no-builtin", "--pack", str(course)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["learner"] == "grace"
    assert [(p["id"], p["version"]) for p in data["packs"]] == [("net-101", "0.1.0")]
    assert data["attempts"] == 2 and data["accuracy"] == 0.5
    [entry] = data["results"]
    assert entry["exercise"] == "net-101/expose-web"
    assert (entry["passed"], entry["attempts"], entry["hints"], entry["last_passed"]) == (
        True,
        2,
        1,
        True,
    )
    assert entry["solution_shown"] is False and entry["seconds"] == 42.0
    assert entry["last"] >= entry["first"]
    # The built-in pack's failed review of `selectors` is not this class's weak concept.
    assert "selectors" not in {w["tag"] for w in data["weakConcepts"]}
    flag = CliRunner().invoke(
        main, ["progress", "-o", "json", "--no-builtin", "--pack", str(course), "--learner", "ada"]
    )
    assert json.loads(flag.output)["learner"] == "ada"


def _install_entry_point(site: Path, name: str, value: str) -> None:
    """A distribution's metadata, as pip leaves it, declaring one `k8slearn.packs` entry point."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[k8slearn.packs]\n{name} = {value}\n")


def test_a_pack_installed_as_a_package_is_found(tmp_path, home, monkeypatch):
    site = tmp_path / "site"
    package = site / "net101_pack"
    new_pack(package)
    (package / "__init__.py").write_text("")
    _install_entry_point(site, "net101-pack", "net101_pack")
    _install_entry_point(site, "broken-pack", "no_such_module_here")
    monkeypatch.syspath_prepend(str(site))
    library = load_library(no_builtin=True)
    assert [p.id for p in library.packs] == ["net101-pack"]
    [problem] = library.problems
    assert "broken-pack" in problem.message and "cannot be loaded" in problem.message


def test_first_use_by_many_processes_at_once_loses_nothing(tmp_path):
    """Twelve `check`-like processes on a new store: every attempt is recorded."""
    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from k8slearn.progress.store import open_store
        store = open_store(Path(sys.argv[1]))
        assert not store.warning, store.warning
        store.record_attempt(f"p/e{sys.argv[2]}", True)
        store.close()
        """
    )
    path = tmp_path / "fresh" / "progress.sqlite3"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(12)
    ]
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outcomes
    store = open_store(path)
    assert len(store.attempts()) == 12
    store.close()
