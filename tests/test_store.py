"""The progress store: schema and migrations, round trips, and never stopping a learner."""

from __future__ import annotations

import random
import sqlite3

import pytest

from k8slearn.progress import store as store_module
from k8slearn.progress.store import (
    DB_NAME,
    ENV_HOME,
    MIGRATIONS,
    _migrate,
    home,
    open_store,
    schema_version,
)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / DB_NAME


def test_new_store_is_created_with_the_current_schema(path):
    s = open_store(path)
    assert s.warning == ""
    assert s.path == path and path.is_file()
    assert schema_version(s.db) == len(MIGRATIONS) >= 1
    tables = {r[0] for r in s.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"attempts", "drafts", "solutions_shown", "state"} <= tables
    s.close()


def test_migrations_are_idempotent(path):
    s = open_store(path)
    s.record_attempt("p/a", True)
    _migrate(s.db)  # already current: nothing to do, nothing lost
    assert schema_version(s.db) == len(MIGRATIONS)
    s.close()
    again = open_store(path)
    assert again.warning == ""
    assert schema_version(again.db) == len(MIGRATIONS)
    assert [a.exercise for a in again.attempts()] == ["p/a"]
    again.close()


def test_an_older_file_is_upgraded(path, monkeypatch):
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    _migrate(db)
    db.execute("INSERT INTO state (key, value) VALUES ('theme', 'dark')")
    db.commit()
    db.close()
    extra = "CREATE TABLE notes (exercise TEXT PRIMARY KEY, text TEXT NOT NULL);"
    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, extra])
    s = open_store(path)
    assert s.warning == ""
    assert schema_version(s.db) == len(MIGRATIONS) + 1
    assert s.get_state("theme") == "dark"
    s.db.execute("INSERT INTO notes VALUES ('p/a', 'hi')")
    s.close()


def test_attempts_round_trip_and_status(path):
    s = open_store(path)
    assert s.status("p/a") == "new"
    s.record_attempt(
        "p/a", False, ["Service x/web", "whole truth table"], seconds=12.5, hints_used=2
    )
    assert s.status("p/a") == "attempted"
    s.record_attempt("p/a", True, source="app")
    s.record_attempt("p/b", False)
    assert s.status("p/a") == "passed"
    assert s.status("p/b") == "attempted"
    first, second = s.attempts("p/a")
    assert (first.passed, first.failed_checks, first.seconds, first.hints_used, first.source) == (
        False,
        ["Service x/web", "whole truth table"],
        12.5,
        2,
        "cli",
    )
    assert (second.passed, second.failed_checks, second.source) == (True, [], "app")
    assert first.at <= second.at
    assert [a.exercise for a in s.attempts()] == ["p/a", "p/a", "p/b"]
    s.record_attempt("p/a", False)  # failing after a pass keeps it passed
    assert s.status("p/a") == "passed"
    s.close()
    reopened = open_store(path)
    assert len(reopened.attempts()) == 4 and reopened.status("p/a") == "passed"
    reopened.close()


def test_drafts_solutions_and_state_round_trip(path):
    s = open_store(path)
    assert s.draft("p/a") is None
    s.save_draft("p/a", "kind: Service\n")
    s.save_draft("p/a", "kind: NetworkPolicy\n")
    assert s.draft("p/a") == "kind: NetworkPolicy\n"
    s.save_draft("p/b", "x")
    s.delete_draft("p/b")
    assert s.draft("p/b") is None
    assert not s.solution_shown("p/a")
    s.record_solution_shown("p/a")
    assert s.solution_shown("p/a") and not s.solution_shown("p/b")
    assert s.get_state("last") is None
    s.set_state("last", "p/a")
    s.set_state("last", "p/b")
    assert s.get_state("last") == "p/b"
    s.close()
    reopened = open_store(path)
    assert reopened.draft("p/a") == "kind: NetworkPolicy\n"
    assert reopened.solution_shown("p/a")
    assert reopened.get_state("last") == "p/b"
    reopened.close()


def test_home_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "elsewhere"))
    assert home() == tmp_path / "elsewhere"
    s = open_store()
    assert s.path == tmp_path / "elsewhere" / DB_NAME
    assert s.warning == ""
    s.close()


def assert_works_in_memory(s) -> None:
    assert s.path is None
    s.record_attempt("p/a", True)
    s.save_draft("p/a", "draft")
    s.set_state("k", "v")
    assert s.status("p/a") == "passed"
    assert s.draft("p/a") == "draft"
    assert s.get_state("k") == "v"
    assert schema_version(s.db) == len(MIGRATIONS)


def test_corrupt_file_gives_a_warning_and_a_working_store(path):
    path.parent.mkdir(parents=True)
    garbage = random.Random(7).randbytes(8192)
    path.write_bytes(garbage)
    s = open_store(path)
    assert "the file is damaged (not an SQLite database)" in s.warning
    assert str(path) in s.warning
    assert f"set {ENV_HOME}" in s.warning
    assert_works_in_memory(s)
    assert path.read_bytes() == garbage  # the learner's file is left alone
    s.close()


def test_unwritable_home_gives_a_warning_and_a_working_store(tmp_path, monkeypatch):
    blocker = tmp_path / "home"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv(ENV_HOME, str(blocker))
    s = open_store()
    assert s.warning.startswith(f"progress store {blocker / DB_NAME} cannot be used (")
    assert "progress is kept only until you quit" in s.warning
    assert_works_in_memory(s)
    assert blocker.read_text() == "a file where the folder should be"
    s.close()


def test_file_from_a_newer_schema_gives_a_clear_warning(path):
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE attempts (id INTEGER PRIMARY KEY, future TEXT)")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    s = open_store(path)
    assert "from a newer k8slearn (schema 99); upgrade k8slearn" in s.warning
    assert_works_in_memory(s)
    s.close()
    db = sqlite3.connect(path)
    assert schema_version(db) == 99  # not downgraded or overwritten
    assert [r[1] for r in db.execute("PRAGMA table_info(attempts)")] == ["id", "future"]
    db.close()


def test_write_failure_mid_session_falls_back_to_memory_and_keeps_history(path):
    s = open_store(path)
    s.record_attempt("p/a", False)
    s.db.execute("PRAGMA query_only = ON")  # every later write on this connection fails
    s.record_attempt("p/a", True)
    assert "progress could not be saved" in s.warning
    assert s.path is None
    assert [a.passed for a in s.attempts("p/a")] == [False, True]
    s.close()
    on_disk = open_store(path)
    assert [a.passed for a in on_disk.attempts("p/a")] == [False]
    on_disk.close()
