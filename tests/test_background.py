"""Work done beside: in a forked child where that helps, here otherwise, the same result."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import k8slearn.background as background
import k8slearn.readcache as readcache
from k8slearn.cli import main as cli

forking = pytest.mark.skipif(
    sys.platform != "linux" or (os.cpu_count() or 1) < 2, reason="forks only on multi-core Linux"
)


@forking
def test_the_work_runs_in_a_child_and_its_result_comes_back():
    parent = os.getpid()
    result = background.beside(lambda: {"pid": os.getpid(), "items": list(range(100_000))})()
    assert result["pid"] != parent
    assert result["items"] == list(range(100_000))  # more than a pipe's buffer


@forking
def test_whatever_fails_in_the_child_is_done_again_here():
    parent = os.getpid()

    def fails_in_child():
        if os.getpid() != parent:
            raise RuntimeError("only in the child")
        return "done here"

    assert background.beside(fails_in_child)() == "done here"

    def unpicklable():
        return (lambda: None) if os.getpid() != parent else "done here"

    assert background.beside(unpicklable)() == "done here"

    def dies():
        if os.getpid() != parent:
            os._exit(3)
        return "done here"

    assert background.beside(dies)() == "done here"


def test_without_fork_the_work_runs_when_asked(monkeypatch):
    monkeypatch.setattr(background.sys, "platform", "darwin")
    calls = []
    result = background.beside(lambda: calls.append(os.getpid()) or "value")
    assert calls == []  # not yet
    assert result() == "value" and calls == [os.getpid()]


@forking
def test_the_child_leaves_without_the_parents_exit_handlers(tmp_path):
    log = tmp_path / "exits"
    code = f"""
import atexit, os
atexit.register(lambda: open({str(log)!r}, "a").write(f"{{os.getpid()}}\\n"))
from k8slearn.background import beside
print(beside(lambda: os.getpid())() != os.getpid())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    assert len(log.read_text().splitlines()) == 1  # the parent's only


def test_reach_answers_alike_with_the_manifests_read_beside(tmp_path, monkeypatch):
    """Forced on small files: the table and the problems are the same either way."""
    monkeypatch.setenv("K8SLEARN_NO_CACHE", "1")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "namespaces: [{name: x}]\npods:\n"
        + "".join(
            f"- {{name: p{i}, namespace: x, labels: {{app: a{i % 3}}}, "
            f"ports: [{{containerPort: 80}}]}}\n"
            for i in range(12)
        )
    )
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: only-a0, namespace: x}\n"
        "spec:\n  podSelector: {matchLabels: {app: a1}}\n"
        "  ingress:\n  - from: [{podSelector: {matchLabels: {app: a0}}}]\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: x}\n"
        "spec: {selector: {app: a0}, ports: [{port: 80, targetPort: http}]}\n"
    )
    args = ["reach", "--scenario", str(scenario), "-f", str(policy), "-o", "json"]
    sequential = CliRunner().invoke(cli, args)
    monkeypatch.setattr(readcache, "MIN_BYTES", 0)  # both files now count as big
    started = []
    real = background.beside
    monkeypatch.setattr(background, "beside", lambda work: started.append(work) or real(work))
    beside = CliRunner().invoke(cli, args)
    assert len(started) == 1
    assert sequential.exit_code == beside.exit_code == 0, sequential.output
    assert sequential.stdout == beside.stdout and sequential.stderr == beside.stderr
    assert '"allowed": false' in beside.stdout

    policy.write_text(  # refused: the problems are printed alike, with the file's name
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: bad, namespace: x}\nspec: {podSelector: {}, policyTypes: [Egres]}\n"
    )
    refused = CliRunner().invoke(cli, args)
    monkeypatch.setattr(readcache, "MIN_BYTES", 1 << 40)
    refused_here = CliRunner().invoke(cli, args)
    assert len(started) == 2
    assert refused.exit_code == refused_here.exit_code == 1
    assert refused.stderr == refused_here.stderr and "Egres" in refused.stderr
