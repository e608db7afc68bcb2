"""`k8slearn class report`: real learners' exports and drill reports merged into one class,
rendered as a terminal table, CSV, JSON and an HTML page checked in a headless browser."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import time
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.drills.session import Drill, DrillItem
from k8slearn.packs.library import load_library
from k8slearn.progress.classreport import load_class
from k8slearn.progress.store import open_store

EX = "services-networking/clusterip-expose-web"
OTHER = "services-networking/clusterip-named-targetport"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def klass(tmp_path_factory, library) -> dict[str, Path]:
    """A class of three, each with their own progress store, as on their own machines:
    ana fails then passes clusterip-expose-web, bo only fails it, cy passes another one.
    Every attempt is graded and recorded by `k8slearn check`; exports by `progress -o json`."""
    root = tmp_path_factory.mktemp("class")
    good, bad = {}, {}
    for qid in (EX, OTHER):
        ex, why = library.find(qid)
        assert ex is not None, why
        good[qid] = root / f"{ex.id}.good.yaml"
        good[qid].write_text(ex.solution)
        bad[qid] = root / f"{ex.id}.bad.yaml"
        bad[qid].write_text(ex.wrong_answers[0].answer)
    plan = {
        "ana": [(EX, bad, 1), (EX, good, 0)],
        "bo": [(EX, bad, 1)],
        "cy": [(OTHER, good, 0)],
    }
    files = {}
    for learner, attempts in plan.items():
        env = {
            "K8SLEARN_HOME": str(root / "homes" / learner),
            "K8SLEARN_LEARNER": None,
            "K8SLEARN_PACKS": None,
            "K8SLEARN_NO_BUILTIN": None,
        }
        for qid, answers, code in attempts:
            result = run("check", qid, str(answers[qid]), env=env)
            assert result.exit_code == code, result.output
        export = run("progress", "--learner", learner, "-o", "json", env=env)
        assert export.exit_code == 0, export.output
        files[learner] = root / f"{learner}.json"
        files[learner].write_text(export.stdout)
    files["root"] = root
    return files


def report(*args: str):
    return run("class", "report", *args)


def by_pair(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["learner"], r["exercise"]): r for r in rows}


def test_exports_from_the_real_cli_are_aggregated(klass):
    result = report(str(klass["ana"]), str(klass["bo"]), str(klass["cy"]), "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [lr["learner"] for lr in data["learners"]] == ["ana", "bo", "cy"]
    assert {(lr["learner"], lr["passed"], lr["attempted"]) for lr in data["learners"]} == {
        ("ana", 1, 1),
        ("bo", 0, 1),
        ("cy", 1, 1),
    }
    cells = by_pair(data["results"])
    assert (cells["ana", EX]["passed"], cells["ana", EX]["attempts"]) == (True, 2)
    assert (cells["bo", EX]["passed"], cells["bo", EX]["attempts"]) == (False, 1)
    assert (cells["cy", EX]["status"], cells["cy", OTHER]["status"]) == ("untried", "passed")
    # every exercise of the pack is a column, in the pack's order, with its lesson
    exercises = {e["exercise"]: e for e in data["exercises"]}
    assert len(exercises) == len(data["results"]) / 3 > 60
    assert data["exercises"][0]["exercise"] == EX
    assert exercises[EX]["lesson"] == "clusterip"
    assert (exercises[EX]["passed"], exercises[EX]["attempted"]) == (1, 2)
    assert exercises[EX]["rate"] == pytest.approx(1 / 3, abs=0.001)
    # bo's failure on a target-port exercise makes it a class weak concept; exam labels never are
    weak = {w["tag"]: w for w in data["weakConcepts"]}
    assert weak["target-port"]["not_passed"] == ["bo"]
    # ana passed it and cy passed another target-port exercise: 2 of 3 tries passed
    assert (weak["target-port"]["tried"], weak["target-port"]["passed"]) == (3, 2)
    assert not {"ckad", "cka"} & set(weak)
    assert data["warnings"] == []


def test_the_terminal_table_marks_who_passed_what(klass):
    result = report(str(klass["cy"]), str(klass["bo"]), str(klass["ana"]))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    grid = {
        line.split()[0]: line for line in lines if line.split()[:1] in (["ana"], ["bo"], ["cy"])
    }
    header = next(line for line in lines if line.startswith("learner "))
    first = header.index("1")  # the column of exercise 1 (clusterip-expose-web)
    assert (grid["ana"][first], grid["bo"][first], grid["cy"][first]) == ("✓", "✗", "·")
    assert grid["ana"].split()[-2:] == ["1", "1"]  # passed, tried
    assert grid["bo"].split()[-2:] == ["0", "1"]
    key = next(line for line in lines if "clusterip-expose-web" in line)
    assert "33%" in key and "passed 1/3, tried 2" in key
    assert any(line.strip().startswith("target-port") for line in lines)
    # 68 exercises fit 100 columns in one block (numbered columns, grouped by lesson)
    assert max(len(line) for line in lines) <= 100
    assert sum(1 for line in lines if line.startswith("learner ")) == 1


def test_narrow_terminals_get_the_grid_in_blocks(klass):
    data = load_class([klass["ana"], klass["bo"]])
    from k8slearn.progress.classreport import render_text

    text = render_text(data, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    blocks = [line for line in text.splitlines() if line.startswith("learner ")]
    assert len(blocks) >= 2
    assert sum(line.startswith("ana ") for line in text.splitlines()) == len(blocks)


def test_csv_is_long_form(klass):
    result = report(str(klass["ana"]), str(klass["bo"]), str(klass["cy"]), "-o", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:4] == ["learner", "exercise", "passed", "attempts"]
    assert {"hints", "solution_shown", "seconds", "last"} <= set(rows[0])
    records = by_pair(list(csv.DictReader(io.StringIO(result.stdout))))
    assert len(records) == len(rows) - 1 and len(records) % 3 == 0
    assert (records["ana", EX]["passed"], records["ana", EX]["attempts"]) == ("true", "2")
    assert (records["bo", EX]["passed"], records["bo", EX]["attempts"]) == ("false", "1")
    assert (records["cy", EX]["passed"], records["cy", EX]["attempts"]) == ("false", "0")
    assert records["ana", EX]["last"].startswith("20") and records["cy", EX]["last"] == ""


def _drill(library, store, learner: str | None, started: float, outcome: bool, **extra) -> dict:
    """A drill as the app runs it: items completed on the learner's store, then summarised."""
    ex, _ = library.find(EX)
    item = DrillItem(ex, passed=outcome, seconds=30.0, hints=1)
    drill = Drill([item], minutes=5, started=started)
    drill.complete(store, item)
    data = drill.finish(store).to_dict()
    if learner is None:  # a report from before drills named the learner and the packs
        for key in ("learner", "packs", "abandoned"):
            data.pop(key, None)
    else:
        data["learner"] = learner
    data.update(extra)
    return data


def test_drills_merge_with_the_export_without_counting_twice(klass, library, tmp_path):
    home = tmp_path / "dee"
    env = {"K8SLEARN_HOME": str(home), "K8SLEARN_LEARNER": None, "K8SLEARN_PACKS": None}
    store = open_store(home / "progress.sqlite3")  # the file `progress` reads for dee
    before = _drill(library, store, "dee", time.time() - 60, outcome=False)
    store.close()
    export = run("progress", "--learner", "dee", "-o", "json", env=env)
    assert export.exit_code == 0, export.output
    (tmp_path / "dee.json").write_text(export.stdout)
    (tmp_path / "dee-drill-1.json").write_text(json.dumps(before))
    # a later drill, on another machine: not in the export, so it adds an attempt and a pass
    later = _drill(
        library, open_store(tmp_path / "elsewhere.sqlite3"), "dee", time.time() + 60, True
    )
    (tmp_path / "dee-drill-2.json").write_text(json.dumps(later))
    (tmp_path / "dee-drill-2-copy.json").write_text(json.dumps(later))

    only_export = report(str(tmp_path / "dee.json"), "-o", "json")
    assert by_pair(json.loads(only_export.stdout)["results"])["dee", EX]["attempts"] == 1

    both = report(str(tmp_path / "dee.json"), str(tmp_path / "dee-drill-1.json"), "-o", "json")
    cell = by_pair(json.loads(both.stdout)["results"])["dee", EX]
    assert (cell["attempts"], cell["passed"]) == (1, False)  # the drill is in the export already

    result = report(*(str(p) for p in sorted(tmp_path.glob("dee*.json"))), "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [lr["learner"] for lr in data["learners"]] == ["dee"]
    assert data["learners"][0]["drills"] == 2  # the copy is counted once
    cell = by_pair(data["results"])["dee", EX]
    assert (cell["attempts"], cell["passed"], cell["hints"]) == (2, True, 1)
    assert any("same drill" in w and "counted once" in w for w in data["warnings"])


def test_older_drill_reports_are_named_after_the_file(library, tmp_path, klass):
    data = _drill(library, open_store(tmp_path / "s.sqlite3"), None, time.time(), True)
    assert "learner" not in data
    path = tmp_path / "gus.json"
    path.write_text(json.dumps(data))
    result = report(str(path), str(klass["bo"]), "-o", "csv")
    assert result.exit_code == 0, result.output
    assert "gus.json" in result.stderr and "'gus'" in result.stderr
    assert "learner name" in result.stderr
    records = by_pair(list(csv.DictReader(io.StringIO(result.stdout))))
    assert (records["gus", EX]["passed"], records["gus", EX]["attempts"]) == ("true", "1")
    assert records["bo", EX]["passed"] == "false"


def test_mixed_pack_versions_are_warned(klass, tmp_path):
    newer = json.loads(klass["cy"].read_text())
    newer["packs"][0]["version"] = "1.1.0"
    path = tmp_path / "cy.json"
    path.write_text(json.dumps(newer))
    result = report(str(klass["ana"]), str(path))
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "versions" in line)
    assert "services-networking" in warning and "1.1.0: cy" in warning and "ana" in warning
    same = report(str(klass["ana"]), str(klass["cy"]))
    assert "versions" not in same.stderr
    data = json.loads(report(str(klass["ana"]), str(path), "-o", "json").stdout)
    assert data["packs"] == [{"id": "services-networking", "versions": ["1.0.0", "1.1.0"]}]


def test_only_graded_drill_items_are_attempts(tmp_path):
    """Newer reports say each item's outcome; older ones only whether it was reached."""
    item = {"exercise": "net-101/expose-web", "passed": False, "tags": ["clusterip"]}
    drill = {
        "learner": "ada",
        "started": "2025-03-01T10:00:00+00:00",
        "items": [
            {**item, "outcome": "failed", "reached": True},
            {**item, "exercise": "net-101/b", "outcome": "skipped", "reached": True},
            {**item, "exercise": "net-101/c", "outcome": "not reached", "reached": False},
            {**item, "exercise": "net-101/d", "reached": False},  # an older report
            {**item, "exercise": "net-101/e", "reached": True, "passed": True},
        ],
    }
    path = tmp_path / "ada-drill.json"
    path.write_text(json.dumps(drill))
    data = json.loads(report(str(path), "-o", "json").stdout)
    status = {r["exercise"]: (r["status"], r["attempts"]) for r in data["results"]}
    assert status["net-101/expose-web"] == ("attempted", 1)
    assert status["net-101/e"] == ("passed", 1)
    assert set(status) == {"net-101/expose-web", "net-101/e"}  # the others were never answered


def test_an_export_without_lessons_groups_by_pack(klass, tmp_path):
    bare = json.loads(klass["ana"].read_text())
    del bare["lessons"]
    for result in bare["results"]:  # an export from before results named their lesson
        del result["lesson"]
    path = tmp_path / "ana.json"
    path.write_text(json.dumps(bare))
    result = report(str(path), "-o", "json")
    assert result.exit_code == 0, result.output
    assert {e["lesson"] for e in json.loads(result.stdout)["exercises"]} == {None}
    text = report(str(path)).stdout
    assert "\n  services-networking\n" in text and "\n  clusterip\n" not in text


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not json at all", "not valid JSON"),
        (b'{"hello": "world"}', "not a k8slearn report"),
        (b"[1, 2, 3]", "not a k8slearn report"),
        (b"\x80\x81 binary", "not text"),
        (b'<?xml version="1.0"?><testsuites/>', "XML"),
        (b'{"learner": "x", "lessons": [], "accuracy": 0.5}', "export it again"),
        (b'{"exported": "2025-01-01T00:00:00+00:00", "results": [{"passed": true}]}', "results[0]"),
        (
            b'{"started": "2025-01-01T00:00:00+00:00", "items": [{"exercise": "p/e", '
            b'"passed": "yes"}]}',
            "items[0].passed",
        ),
    ],
)
def test_a_file_that_is_no_report_is_a_clear_error(tmp_path, content, says, klass):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = report(str(klass["ana"]), str(bad))
    assert result.exit_code == 2, result.output
    assert "bad.json" in result.output and says in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    if "export it again" not in says and "[0]" not in says:
        assert "expected a progress export" in result.output


def test_every_unreadable_file_is_named(tmp_path, klass):
    result = report(str(tmp_path / "missing.json"), str(tmp_path), str(klass["ana"]))
    assert result.exit_code == 2
    assert "missing.json: no such file" in result.output
    assert "is a folder" in result.output
    assert "Traceback" not in result.output


def test_utf16_export_from_powershell_is_read(klass, tmp_path):
    path = tmp_path / "ana.json"
    path.write_bytes(klass["ana"].read_text(encoding="utf-8").encode("utf-16"))
    result = report(str(path), "-o", "json")
    assert result.exit_code == 0, result.output
    assert by_pair(json.loads(result.stdout)["results"])["ana", EX]["passed"] is True


def test_out_writes_a_file_and_a_missing_folder_is_an_error(klass, tmp_path):
    target = tmp_path / "class.csv"
    result = report(str(klass["ana"]), "-o", "csv", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("learner,exercise,passed,attempts,")
    missing = report(str(klass["ana"]), "--out", str(tmp_path / "nope" / "class.html"))
    assert missing.exit_code == 2
    assert "no such folder" in missing.output and "Traceback" not in missing.output
    folder = report(str(klass["ana"]), "--out", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.output


def test_the_class_command_is_listed():
    result = run("--help")
    assert result.exit_code == 0
    assert re.search(r"^\s+class\s", result.output, re.M)
    assert re.search(r"^\s+progress\s", result.output, re.M)


# ---------------------------------------------------------------- the HTML page

HOSTILE = '<img src=x onerror="alert(1)">&'


@pytest.fixture
def page(klass, library, tmp_path) -> Path:
    """The class's page, with a learner whose name is HTML from a drill report."""
    drill = _drill(library, open_store(tmp_path / "h.sqlite3"), HOSTILE, time.time(), False)
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(drill))
    out = tmp_path / "class.html"
    result = report(
        str(klass["ana"]), str(klass["bo"]), str(klass["cy"]), str(hostile), "-o", "html",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_the_page_is_self_contained_and_escaped(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", text, re.I)
    assert "@import" not in text and "url(" not in text
    assert "<img" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in text


class Cells(HTMLParser):
    """Each heat-map row's cells: learner -> {exercise: (class, title, text)}; and the names."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, list[str]]] = {}
        self.learner: str | None = None
        self.cell: list[str] | None = None
        self.in_name = False
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-learner" in a:
            self.learner = a["data-learner"]
            self.rows[self.learner] = {}
        elif tag == "td" and self.learner and "cell" in (a.get("class") or "").split():
            self.cell = [a["class"], a.get("title") or "", ""]
            self.rows[self.learner][a["data-exercise"]] = self.cell
        elif tag == "span" and self.learner and a.get("class") == "name":
            self.in_name = True

    def handle_data(self, data):
        if self.in_name:
            self.names.append(data)
            self.in_name = False
        elif self.cell is not None:
            self.cell[2] += data

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None
        elif tag == "tr":
            self.learner = None


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium in its own process group, killed whole if it outlives 20 s."""
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("chromium did not finish within 20 s")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _png_colours(data: bytes) -> tuple[int, int, Counter[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) without an imaging
    library: width, height and how many pixels have each RGB colour."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    n = width * bpp
    low, high = int("7f" * n, 16), int("80" * n, 16)
    counts: Counter[bytes] = Counter()
    prev = bytes(n)
    for y in range(height):
        kind, line = raw[y * (n + 1)], bytearray(raw[y * (n + 1) + 1 : (y + 1) * (n + 1)])
        if kind == 2:  # Up: add the row above, byte by byte without carries (SWAR)
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = bytearray((((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(n, "big"))
        elif kind == 1:  # Sub
            for i in range(bpp, n):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 3:  # Average
            for i in range(n):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + prev[i]) // 2) & 255
        elif kind == 4:  # Paeth
            for i in range(bpp):
                line[i] = (line[i] + prev[i]) & 255
            for i in range(bpp, n):
                a, b, c = line[i - bpp], prev[i], prev[i - bpp]
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        row = bytes(line)
        counts.update(row[x : x + 3] for x in range(0, n, bpp))
        prev = row
    return width, height, counts


def _count_near(counts: Counter[bytes], colour: str, tolerance: int = 12) -> int:
    target = bytes.fromhex(colour.lstrip("#"))
    return sum(
        n
        for rgb, n in counts.items()
        if all(abs(rgb[i] - target[i]) <= tolerance for i in range(3))
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium on PATH")
def test_the_page_in_a_headless_browser(page, tmp_path):
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    cells = Cells()
    cells.feed(dom.stdout.decode("utf-8"))
    assert set(cells.rows) == {"ana", "bo", "cy", HOSTILE}
    assert HOSTILE in cells.names  # shown as text, not run as markup
    # the class says passed / tried / untried; the text says it too, not the colour alone
    ana, bo, cy = (cells.rows[name][EX] for name in ("ana", "bo", "cy"))
    assert "pass" in ana[0].split() and ana[2] == "✓passed"
    assert "fail" in bo[0].split() and bo[2] == "✗tried, not passed"
    assert "untried" in cy[0].split() and cy[2] == "·not tried"
    assert "pass" in cells.rows["cy"][OTHER][0].split()
    assert "ana" in ana[1] and "2 attempt(s)" in ana[1] and "passed" in ana[1]
    assert all(title for row in cells.rows.values() for _, title, _ in row.values())
    assert len(cells.rows["ana"]) > 60
    assert "<img" not in dom.stdout.decode("utf-8")

    shot = tmp_path / "class.png"
    run_ = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,800", page.as_uri())
    assert run_.returncode == 0, run_.stderr.decode(errors="replace")[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    width, height, colours = _png_colours(shot.read_bytes())
    assert (width, height) == (1200, 800)
    assert len(colours) > 50  # text, lines and cells, not a blank page
    # The heat map is on screen: more green (passed) and orange (tried) than the legend's
    # swatch alone (~550 pixels each) holds: the cells of ana and cy, of bo and the 4th.
    assert _count_near(colours, "#1b7f3b") > 1000
    assert _count_near(colours, "#e8871e") > 1000
