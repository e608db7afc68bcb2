"""Progress in one SQLite file: attempts, drafts, shown solutions and hints.

The app and the command line share it, so `k8slearn check` and F5 in the app
add to the same history. It lives in the user data directory (platformdirs),
or in `$K8SLEARN_HOME` when set. The schema carries a version; `MIGRATIONS`
brings an older file up to date. A store that cannot be opened or written
never stops a learner: `open_store` falls back to an in-memory store and says
why in `Store.warning`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "K8SLEARN_HOME"
DB_NAME = "progress.sqlite3"

# Each entry upgrades the schema from version i to i + 1; never edit a shipped one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        exercise TEXT NOT NULL,
        at REAL NOT NULL,
        passed INTEGER NOT NULL,
        failed_checks TEXT NOT NULL DEFAULT '[]',
        seconds REAL,
        hints_used INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL DEFAULT 'cli'
    );
    CREATE INDEX attempts_by_exercise ON attempts (exercise, at);
    CREATE TABLE drafts (
        exercise TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        updated REAL NOT NULL
    );
    CREATE TABLE solutions_shown (
        exercise TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE cards (
        exercise TEXT PRIMARY KEY,
        card TEXT NOT NULL,
        due REAL NOT NULL
    );
    CREATE TABLE concept_reviews (
        tag TEXT NOT NULL,
        at REAL NOT NULL,
        passed INTEGER NOT NULL
    );
    CREATE TABLE drills (
        id INTEGER PRIMARY KEY,
        started REAL NOT NULL,
        finished REAL,
        score REAL NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        items TEXT NOT NULL DEFAULT '[]'
    );
    """,
    # Which exercise a concept was reviewed on, so a class pack's weak concepts are its own.
    """
    ALTER TABLE concept_reviews ADD COLUMN exercise TEXT;
    """,
]


def home() -> Path:
    """Where k8slearn keeps its data."""
    override = os.environ.get(ENV_HOME)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("k8slearn", appauthor=False))


@dataclass(frozen=True)
class Attempt:
    exercise: str
    at: float
    passed: bool
    failed_checks: list[str]
    seconds: float | None
    hints_used: int
    source: str


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path | None, warning: str = ""):
        self.db = connection
        self.path = path
        self.warning = warning

    # -- attempts --------------------------------------------------------------------

    def record_attempt(
        self,
        exercise: str,
        passed: bool,
        failed_checks: Iterable[str] = (),
        seconds: float | None = None,
        hints_used: int = 0,
        source: str = "cli",
    ) -> None:
        self._write(
            "INSERT INTO attempts (exercise, at, passed, failed_checks, seconds, hints_used, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                exercise,
                time.time(),
                int(passed),
                json.dumps(list(failed_checks)),
                seconds,
                hints_used,
                source,
            ),
        )

    def attempts(self, exercise: str | None = None) -> list[Attempt]:
        sql = (
            "SELECT exercise, at, passed, failed_checks, seconds, hints_used, source FROM attempts"
        )
        args: tuple = ()
        if exercise is not None:
            sql += " WHERE exercise = ?"
            args = (exercise,)
        rows = self.db.execute(sql + " ORDER BY at, id", args).fetchall()
        return [Attempt(r[0], r[1], bool(r[2]), json.loads(r[3]), r[4], r[5], r[6]) for r in rows]

    def status(self, exercise: str) -> str:
        """`passed`, `attempted` or `new`, for the progress marks."""
        row = self.db.execute(
            "SELECT MAX(passed), COUNT(*) FROM attempts WHERE exercise = ?", (exercise,)
        ).fetchone()
        if not row or not row[1]:
            return "new"
        return "passed" if row[0] else "attempted"

    # -- drafts ------------------------------------------------------------------------

    def save_draft(self, exercise: str, text: str) -> None:
        self._write(
            "INSERT INTO drafts (exercise, text, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(exercise) DO UPDATE SET text = excluded.text, updated = excluded.updated",
            (exercise, text, time.time()),
        )

    def draft(self, exercise: str) -> str | None:
        row = self.db.execute("SELECT text FROM drafts WHERE exercise = ?", (exercise,)).fetchone()
        return row[0] if row else None

    def delete_draft(self, exercise: str) -> None:
        self._write("DELETE FROM drafts WHERE exercise = ?", (exercise,))

    # -- solutions and state ----------------------------------------------------------------

    def record_solution_shown(self, exercise: str) -> None:
        self._write(
            "INSERT INTO solutions_shown (exercise, at) VALUES (?, ?)", (exercise, time.time())
        )

    def solution_shown(self, exercise: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM solutions_shown WHERE exercise = ? LIMIT 1", (exercise,)
        ).fetchone()
        return row is not None

    # -- spaced repetition and drills -----------------------------------------------------

    def save_card(self, exercise: str, card_json: str, due: float) -> None:
        self._write(
            "INSERT INTO cards (exercise, card, due) VALUES (?, ?, ?) "
            "ON CONFLICT(exercise) DO UPDATE SET card = excluded.card, due = excluded.due",
            (exercise, card_json, due),
        )

    def card(self, exercise: str) -> str | None:
        row = self.db.execute("SELECT card FROM cards WHERE exercise = ?", (exercise,)).fetchone()
        return row[0] if row else None

    def cards_due(self, now: float) -> dict[str, float]:
        """Exercise id → due time, for every card due at `now` or earlier."""
        rows = self.db.execute("SELECT exercise, due FROM cards WHERE due <= ?", (now,)).fetchall()
        return dict(rows)

    def scheduled(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT exercise FROM cards")}

    def record_concepts(
        self, tags: Iterable[str], passed: bool, exercise: str | None = None
    ) -> None:
        now = time.time()
        for tag in tags:
            self._write(
                "INSERT INTO concept_reviews (tag, at, passed, exercise) VALUES (?, ?, ?, ?)",
                (tag, now, int(passed), exercise),
            )

    def concept_stats(self, exercises: Iterable[str] | None = None) -> dict[str, tuple[int, int]]:
        """Tag → (passed, reviews), over every graded outcome recorded for that concept; with
        `exercises`, only the outcomes on those (reviews older than that record are left out)."""
        rows = self.db.execute(
            "SELECT tag, exercise, passed FROM concept_reviews"
            if exercises is not None
            else "SELECT tag, NULL, passed FROM concept_reviews"
        ).fetchall()
        wanted = set(exercises) if exercises is not None else None
        out: dict[str, tuple[int, int]] = {}
        for tag, exercise, passed in rows:
            if wanted is not None and exercise not in wanted:
                continue
            p, n = out.get(tag, (0, 0))
            out[tag] = (p + int(passed), n + 1)
        return out

    def save_drill(
        self, started: float, finished: float, score: float, total: int, items: list
    ) -> int:
        self._write(
            "INSERT INTO drills (started, finished, score, total, items) VALUES (?, ?, ?, ?, ?)",
            (started, finished, score, total, json.dumps(items)),
        )
        return int(self.db.execute("SELECT MAX(id) FROM drills").fetchone()[0])

    def drills(self) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, started, finished, score, total, items FROM drills ORDER BY started, id"
        ).fetchall()
        return [
            {
                "id": r[0],
                "started": r[1],
                "finished": r[2],
                "score": r[3],
                "total": r[4],
                "items": json.loads(r[5]),
            }
            for r in rows
        ]

    def set_state(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_state(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _write(self, sql: str, args: tuple) -> None:
        try:
            with self.db:
                self.db.execute(sql, args)
        except sqlite3.Error as exc:
            # A full disk or a file made read-only mid-session: keep going in memory.
            self.warning = f"progress could not be saved ({exc}); continuing without saving"
            self._fall_back()
            with self.db:
                self.db.execute(sql, args)

    def _fall_back(self) -> None:
        memory = sqlite3.connect(":memory:", check_same_thread=False)
        try:
            self.db.backup(memory)
        except sqlite3.Error:
            _migrate(memory)
        self.db = memory
        self.path = None

    def close(self) -> None:
        self.db.close()


def schema_version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date, safely when several processes open a new file at once:
    one migrates under a write lock, the others wait for it and find nothing left to do."""
    if schema_version(db) == len(MIGRATIONS):
        return
    db.isolation_level = None  # transactions by hand: BEGIN IMMEDIATE takes the write lock
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(db)  # read again under the lock
            if version > len(MIGRATIONS):
                raise sqlite3.DatabaseError(
                    f"the progress file is from a newer k8slearn (schema {version}); "
                    "upgrade k8slearn"
                )
            for i in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[i].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {i + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    finally:
        db.isolation_level = ""


def open_store(path: Path | None = None, *, threads: bool = False) -> Store:
    """Open (creating or upgrading) the progress store; never raises for a bad file.

    `threads=True` lets other threads use the connection; the caller then makes sure
    only one uses it at a time (the practice cluster saves from its server's threads).
    """
    path = path or home() / DB_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=5, check_same_thread=not threads)
        db.execute("PRAGMA journal_mode=WAL")
        _migrate(db)
        db.execute("SELECT COUNT(*) FROM attempts").fetchone()
        return Store(db, path)
    except (sqlite3.Error, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in reason:
            reason = "the file is damaged (not an SQLite database)"
        memory = sqlite3.connect(":memory:", check_same_thread=not threads)
        _migrate(memory)
        return Store(
            memory,
            None,
            f"progress store {path} cannot be used ({reason}); progress is kept only until you quit. "
            f"Move the file away or set {ENV_HOME} to another folder.",
        )
