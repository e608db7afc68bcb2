"""The packaged lessons are found when k8slearn is installed as a wheel, not only from a checkout.

The wheel is built from a copy of the repository (without `build/`, caches or
`.git`), so a stale `build/lib` cannot smuggle files into it and the checkout
is not written to. It is installed into a private folder with `--target`, and
a fresh interpreter imports k8slearn from there only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

IGNORED = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".venv",
    ".ci-venv",
    "tests",
)

PROBE = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path

    site = Path(sys.argv[1]).resolve()
    import k8slearn
    assert Path(k8slearn.__file__).resolve().is_relative_to(site), k8slearn.__file__

    from k8slearn.packs.library import builtin_pack_dirs, load_library
    dirs = builtin_pack_dirs()
    assert [d.name for d in dirs] == ["services-networking"], dirs
    assert dirs[0].resolve().is_relative_to(site), dirs
    library = load_library()
    assert not library.problems, [p.located() for p in library.problems]
    [pack] = library.packs
    assert pack.id == "services-networking", pack.id
    assert len(pack.exercises()) >= 30, len(pack.exercises())
    assert all(lesson.body.strip() for lesson in pack.lessons)

    from k8slearn.packs.scaffold import new_pack
    from k8slearn.packs.validate import validate_pack
    with tempfile.TemporaryDirectory() as tmp:
        files = new_pack(Path(tmp) / "fresh")
        assert len(files) == 4, files
        fresh = validate_pack(Path(tmp) / "fresh")
        assert fresh.ok, [p.located() for p in fresh.problems]
        packaged = new_pack(Path(tmp) / "packaged", package=True)  # its templates ship too
        assert {"pyproject.toml", "README.md", "__init__.py", "pack.yaml"} <= {
            f.name for f in packaged
        }, packaged

    report = validate_pack(dirs[0])
    assert report.ok, [p.located() for p in report.problems]
    assert report.solutions_passed == report.exercises >= 30
    assert report.wrong_answers_failed == report.wrong_answers >= 30

    from k8slearn.manifests.schema import check_shape  # vendored OpenAPI shapes are data too
    print("OK", len(pack.exercises()), report.wrong_answers)
    """
)


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def build_wheel(source: Path, out: Path) -> Path:
    built = pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source))
    if built.returncode != 0:
        # setuptools>=68 and wheel may be missing here: let pip fetch them in isolation.
        built = pip("wheel", "--no-deps", "-w", str(out), str(source))
    if built.returncode != 0:
        pytest.fail(f"could not build the wheel:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}")
    [wheel] = out.glob("k8slearn-*.whl")
    return wheel


def test_installed_wheel_finds_the_builtin_pack(tmp_path):
    source = tmp_path / "src-copy"
    shutil.copytree(REPO, source, symlinks=True, ignore=IGNORED)
    wheel = build_wheel(source, tmp_path / "dist")
    site = tmp_path / "site"
    installed = pip("install", "--no-deps", "--no-index", "--target", str(site), str(wheel))
    assert installed.returncode == 0, installed.stderr
    assert (site / "k8slearn" / "lessons" / "services-networking" / "pack.yaml").is_file()
    assert not (site / "k8slearn" / "lessons").is_symlink()

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "K8SLEARN_PACKS")}
    env["PYTHONPATH"] = str(site)
    env["K8SLEARN_HOME"] = str(tmp_path / "home")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(site)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.startswith("OK ")

    cli = subprocess.run(
        [
            sys.executable,
            "-c",
            "from k8slearn.cli import main; main()",
            "pack",
            "validate",
            str(site / "k8slearn" / "lessons" / "services-networking"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert cli.stdout.strip().endswith(": OK")
