"""A pack handed out the Python way: `pack new --package`, built into a wheel, installed, found.

The wheel is built and installed into a private folder; a fresh interpreter
with only that folder added to its path must find the pack through its entry
point — after the project folder it was built from is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from click.testing import CliRunner

from k8slearn.cli import main

SOLUTION = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner(env=env).invoke(main, list(args))


def test_pack_new_package_makes_a_project_that_validates(tmp_path):
    project = tmp_path / "k8slearn-pack-netpol-class"
    made = run("pack", "new", "--package", str(project))
    assert made.exit_code == 0, made.output
    package = project / "src" / "k8slearn_pack_netpol_class"
    assert (package / "pack.yaml").is_file() and (package / "__init__.py").is_file()
    pyproject = (project / "pyproject.toml").read_text()
    assert '[project.entry-points."k8slearn.packs"]' in pyproject
    assert 'netpol-class = "k8slearn_pack_netpol_class"' in pyproject
    assert "id: netpol-class" in (package / "pack.yaml").read_text()
    # The project folder stands for its pack, in validate and in --pack.
    checked = run("pack", "validate", "--no-mutants", str(project))
    assert checked.exit_code == 0, checked.output
    assert f"is {package}" in checked.output and checked.output.strip().endswith("OK")
    listed = run("list", "--no-builtin", "--pack", str(project))
    assert listed.exit_code == 0, listed.output
    assert "netpol-class/expose-web" in listed.output


def test_a_folder_named_like_the_builtin_pack_gets_another_id(tmp_path):
    made = run("pack", "new", str(tmp_path / "services-networking"))
    assert made.exit_code == 0, made.output
    pack_yaml = (tmp_path / "services-networking" / "pack.yaml").read_text()
    assert "id: services-networking-course" in pack_yaml


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_installed_pack_package_is_found_by_its_entry_point(tmp_path):
    project = tmp_path / "k8slearn-pack-netpol-class"
    assert run("pack", "new", "--package", str(project)).exit_code == 0
    dist = tmp_path / "dist"
    built = _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(project))
    if built.returncode != 0:  # setuptools>=68 may be missing here: let pip fetch it
        built = _pip("wheel", "--no-deps", "-w", str(dist), str(project))
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [wheel] = dist.glob("k8slearn_pack_netpol_class-0.1.0-*.whl")
    site = tmp_path / "site"
    installed = _pip("install", "--no-deps", "--no-index", "--target", str(site), str(wheel))
    assert installed.returncode == 0, installed.stderr
    shutil.rmtree(project)  # only the installed copy is left

    env = {k: v for k, v in os.environ.items() if k not in ("K8SLEARN_PACKS", "PYTHONPATH")}
    env |= {"PYTHONPATH": str(site), "K8SLEARN_HOME": str(tmp_path / "home")}
    answer = tmp_path / "answer.yaml"
    answer.write_text(SOLUTION)

    def k8slearn(*args: str) -> subprocess.CompletedProcess:
        code = "from k8slearn.cli import main; main()"
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )

    listed = k8slearn("list", "--no-builtin")
    assert listed.returncode == 0, listed.stderr
    assert "netpol-class/expose-web" in listed.stdout
    assert "services-networking" not in listed.stdout
    checked = k8slearn("check", "--no-builtin", "expose-web", str(answer), "-o", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    data = json.loads(checked.stdout)
    assert data["passed"] and data["pack"] == {"id": "netpol-class", "version": "0.1.0"}
    exported = json.loads(k8slearn("progress", "--no-builtin", "-o", "json").stdout)
    assert [(p["id"], p["version"]) for p in exported["packs"]] == [("netpol-class", "0.1.0")]
    assert exported["results"][0]["passed"] is True


def test_the_printed_wheel_command_names_the_folder_as_a_path(tmp_path, monkeypatch):
    """`pip wheel … name` looks `name` up on PyPI; a local folder must read as a path."""
    monkeypatch.chdir(tmp_path)
    made = run("pack", "new", "--package", "k8slearn-pack-course")
    assert made.exit_code == 0, made.output
    assert "`pip wheel --no-deps -w dist ./k8slearn-pack-course`" in made.output
