"""The exercise screen's kubectl pane and Cluster tab, on the practice cluster, under Pilot.

Every command here runs the real kubectl binary against the stand-in API server, so
what the pane prints is kubectl's own output; the tests check that the app runs it,
reads the cluster back (Cluster tab, editor), grades it as `k8slearn check` does inside
`k8slearn shell`, and keeps the learner's typed YAML and the cluster from disagreeing.
"""

from __future__ import annotations

import socket
import subprocess

import pytest
from rich.console import Console

from k8slearn.packs.library import load_library
from k8slearn.practice.session import PracticeError, find_kubectl
from k8slearn.progress.store import open_store
from k8slearn.tui.app import K8sLearnApp
from k8slearn.tui.screens.exercise import EMPTY_CLUSTER, ExerciseScreen
from k8slearn.tui.screens.modals import ConfirmScreen
from k8slearn.tui.widgets.cluster_view import ClusterView, render_snapshot
from k8slearn.tui.widgets.editor import AnswerEditor
from k8slearn.tui.widgets.kubectl_pane import (
    EDIT_NEEDS_TERMINAL,
    NO_SHELL,
    NO_STDIN,
    ONE_SHOT,
    CommandLine,
    KubectlPane,
    Refused,
    WorldNames,
    completions,
    parse_line,
)

try:
    find_kubectl()
except PracticeError:  # pragma: no cover - the kubectl extra is not installed
    pytest.skip("no kubectl to run", allow_module_level=True)

SIZE = (160, 44)  # wide enough that kubectl's lines are not folded in the pane
EXERCISE = "services-networking/clusterip-expose-web"
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
"""


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture
def store(tmp_path, monkeypatch):
    # The practice cluster is kept where `k8slearn shell` and `k8slearn check` look for it.
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path))
    s = open_store()
    yield s
    s.close()


def make_app(library, store, exercise=EXERCISE):
    return K8sLearnApp(library, store, library.find(exercise)[0])


async def settle(app, pilot) -> None:
    """Wait for kubectl, reads of the cluster and grading (workers start one another)."""
    pane = app.screen.query(KubectlPane)
    for _ in range(600):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not (pane and pane.first().busy) and not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (the pane folds lines)."""
    return " ".join(text.split())


async def kubectl(app, pilot, line: str) -> str:
    """Type `line` in the pane's command line, press enter, return what the pane printed."""
    pane = app.screen.query_one(KubectlPane)
    log = pane.query_one("#kubectl-output")
    before = len(log.lines)
    command = pane.query_one(CommandLine)
    command.focus()
    command.value = line
    await pilot.press("enter")
    await settle(app, pilot)
    return "\n".join(strip.text.rstrip() for strip in log.lines[before:])


def verdict(app) -> str:
    screen = app.screen
    return str(screen.query_one("#verdict").render()) + str(screen.query_one("#checks").render())


def cluster_text(app, width: int = 200) -> str:
    view = app.screen.query_one(ClusterView)
    console = Console(width=width, record=True, color_system=None)
    console.print(render_snapshot(view.snapshot))
    return console.export_text()


def practice_state(app):
    return app.screen.practice.state


# --- reading lines ------------------------------------------------------------------------------


def test_lines_are_read_as_kubectl_gets_them():
    assert parse_line("kubectl get pods --show-labels").argv == ("get", "pods", "--show-labels")
    assert parse_line("k get po -owide").argv == ("get", "po", "-owide")  # -owide is no watch
    assert parse_line("get svc web -o jsonpath='{.spec.ports[0].port}'").argv == (
        "get",
        "svc",
        "web",
        "-o",
        "jsonpath={.spec.ports[0].port}",
    )
    run = parse_line("k run tmp --rm -it --image=busybox --restart=Never -- wget -qO- web")
    assert run.argv == (
        "run",
        "tmp",
        "--rm",
        "-i",
        "--image=busybox",
        "--restart=Never",
        "--",
        "wget",
        "-qO-",
        "web",
    )
    assert "-t left out" in run.note
    assert parse_line("kubectl edit svc web").in_terminal
    assert parse_line("exec client -- sh -c 'wget -qO- web'").argv[-1] == "wget -qO- web"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("kubectl exec -it client -- sh", ONE_SHOT),
        ("k exec client -- /bin/bash", ONE_SHOT),
        ("kubectl run tmp --rm -it --image=busybox", ONE_SHOT),
        ("kubectl get pods | grep web", NO_SHELL),
        ("kubectl get pods > pods.txt", NO_SHELL),
        ("k create deploy web --image=nginx $do", NO_SHELL),
        ("kubectl apply -f -", NO_STDIN),
        ("kubectl get pods -w", "streams until you press ctrl+c"),
        ("kubectl logs client -f", "streams until you press ctrl+c"),
        ("kubectl port-forward svc/web 8080:80", "not available in the practice cluster"),
        ("k8slearn check", "F5 checks the practice cluster"),
        ("kubectl get pods 'unclosed", "a quote left open"),
    ],
)
def test_what_the_pane_cannot_answer_is_refused_plainly(line, why):
    with pytest.raises(Refused, match=None) as refused:
        parse_line(line)
    assert why in str(refused.value)


def test_completion_offers_verbs_kinds_and_the_worlds_names(library):
    from k8slearn.practice.session import fresh_state

    state = fresh_state(library.find(EXERCISE)[0])
    world = WorldNames(lambda: state, "default")
    assert completions("k desc", world).candidates == ("describe",)
    assert completions("kubectl get po", world).candidates == ("pods", "pod")
    assert completions("k get netw", world).candidates == ("networkpolicies", "networkpolicy")
    assert completions("k get netp", world).candidates == ("netpol",)
    assert completions("k get svc", world).candidates == ()  # `svc` is complete already
    assert completions("kubectl describe pod we", world).candidates == (
        "web-1",
        "web-2",
        "web-old",
    )
    assert completions("k exec cl", world).candidates == ("client",)
    assert completions("k label po/st", world).candidates == ("po/store-1", "po/store-2")
    assert "shop" in completions("k get pods -n ", world).candidates
    found = completions("k get pods --namespace=sh", world)
    assert found.candidates == ("shop",) and found.apply("k get pods --namespace=sh", "shop") == (
        "k get pods --namespace=shop"
    )
    assert completions("k get pods -o w", world).candidates == ("wide",)
    assert completions("k create service c", world).candidates == ("clusterip",)
    # names of another namespace when -n says so
    assert completions("k get pods -n kube-system ", world).candidates == (
        "coredns-668d6bf9bc-7xk2p",
        "coredns-668d6bf9bc-q9w4m",
    )


# --- the pane and the Cluster tab ---------------------------------------------------------------


async def test_the_pane_runs_the_real_kubectl_and_the_cluster_tab_follows(library, store):
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+t")
        assert isinstance(app.focused, CommandLine)
        out = await kubectl(app, pilot, "kubectl get pods --show-labels")
        assert "$ kubectl get pods --show-labels" in out
        # kubectl's own columns (printPod's, plus --show-labels), read from the Table we serve
        assert "NAME      READY   STATUS    RESTARTS   AGE   LABELS" in out
        assert any(
            line.startswith("web-1 ") and line.endswith("app=web,tier=frontend")
            for line in out.splitlines()
        )
        assert app.screen.practice.running  # started by the first command

        await pilot.press("f8")
        await settle(app, pilot)
        state = practice_state(app)
        from k8slearn.practice.resources import resource_of_kind

        web1 = state.get(resource_of_kind("Pod"), "default", "web-1")
        text = cluster_text(app)
        assert web1["status"]["podIP"] in text
        assert "app=web,tier=frontend" in text and "8080/TCP" in text
        assert "team=shop" in text  # namespaces with their labels
        assert "web*" not in text  # nothing of the learner's yet

        out = await kubectl(app, pilot, "k create service clusterip web --tcp=80:8080")
        assert out.splitlines()[-1] == "service/web created"
        endpoints = await kubectl(app, pilot, "kubectl get endpoints web --no-headers")
        row = next(line for line in endpoints.splitlines() if line.startswith("web "))
        shown = row.split()[1]  # as kubectl prints ENDPOINTS
        assert shown.count(":8080") == 2
        text = cluster_text(app)
        assert "web*" in text and shown in text  # the Cluster tab has the change already
        # kubectl's errors are shown apart from its output (in red)
        out = await kubectl(app, pilot, "kubectl get svc nope")
        assert 'Error from server (NotFound): services "nope" not found' in out
        log = app.screen.query_one("#kubectl-output")
        last = log.lines[-1]
        assert any(seg.style is not None and seg.style.color is not None for seg in last)


async def test_the_cluster_tab_fits_a_narrow_pane(library, store):
    app = make_app(library, store, "netpol-and-vs-or")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f8")
        await settle(app, pilot)
        wide = cluster_text(app, 200)
        narrow = cluster_text(app, 44)
        assert max(len(line) for line in narrow.splitlines()) <= 44
        for namespace in ("shop", "monitoring", "dev", "logging"):
            assert f" {namespace} " in wide

        # the one-line form where it fits: every column on the pod's line; else the first
        # columns there and the others on a line below
        def pod_header(text):
            return next(
                line for line in text.splitlines() if line.startswith("NAME   ") and "READY" in line
            )

        assert pod_header(wide).split() == [
            "NAME",
            "READY",
            "STATUS",
            "IP",
            "NODE",
            "PORTS",
            "LABELS",
        ]
        assert pod_header(narrow).split() == ["NAME", "READY", "STATUS", "IP"]
        assert "NODE node-1 · PORTS" in narrow


async def test_typing_completes_and_up_down_walk_the_history(library, store):
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await kubectl(app, pilot, "get ns")  # loads the cluster: its names complete too
        line = app.screen.query_one(CommandLine)
        await pilot.press(*"k get po", "tab")
        assert line.value == "k get pod"  # as far as pods/pod agree
        await pilot.press("tab")
        assert line.value == "k get pods "
        await pilot.press(*"cl", "tab")
        assert line.value == "k get pods client "
        line.value = ""
        await kubectl(app, pilot, "get svc")
        await pilot.press(*"k get")
        await pilot.press("up")
        assert line.value == "get svc"
        await pilot.press("up")
        assert line.value == "get ns"
        await pilot.press("down", "down")
        assert line.value == "k get"  # back to what was being typed
    assert store.get_state("kubectl:history") == '["get ns", "get svc"]'


async def test_interactive_commands_are_answered_plainly(library, store):
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        assert flat(ONE_SHOT) in flat(await kubectl(app, pilot, "kubectl exec -it client -- sh"))
        # no terminal to hand over under Pilot: kubectl edit says what to do instead
        out = await kubectl(app, pilot, "kubectl edit pod client")
        assert flat(EDIT_NEEDS_TERMINAL) in flat(out)
        await kubectl(app, pilot, "kubectl create service clusterip web --tcp=80:8080")
        out = await kubectl(app, pilot, "k exec client -- wget -qO- --timeout=2 web")
        assert out.splitlines()[-1] in ("web-1", "web-2")  # answered from the model
        out = await kubectl(
            app,
            pilot,
            "kubectl run tmp --rm -it --image=busybox --restart=Never -- wget -qO- --timeout=2 web",
        )
        assert "-t left out" in out
        assert "web-1" in out or "web-2" in out
        assert 'pod "tmp" deleted' in out


# --- grading, and the editor and the cluster agreeing ---------------------------------------------


async def test_f5_grades_the_cluster_once_kubectl_has_changed_it(library, store):
    from k8slearn.practice.session import practice_answer

    exercise = library.find(EXERCISE)[0]
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        assert "NOT YET" in verdict(app)  # the starter, from the editor
        await pilot.press("ctrl+t")
        await kubectl(app, pilot, "kubectl label pod client probe=yes")
        assert app.screen.cluster_mode
        await pilot.press("f5")
        await settle(app, pilot)
        assert EMPTY_CLUSTER in verdict(app)
        await kubectl(app, pilot, "kubectl create service clusterip web --tcp=80:80")
        await pilot.press("f5")
        await settle(app, pilot)
        assert "NOT YET" in verdict(app)  # the wrong targetPort
        await kubectl(app, pilot, "kubectl delete svc web")
        await kubectl(app, pilot, "kubectl create service clusterip web --tcp=80:8080")
        editor = app.screen.query_one(AnswerEditor)
        # the editor shows what kubectl made, as YAML
        assert editor.text == practice_state(app).learner_yaml()
        assert "kind: Service" in editor.text and "targetPort: 8080" in editor.text
        await pilot.press("f5")
        await settle(app, pilot)
        assert "PASSED" in verdict(app)
        # `k8slearn check` inside `k8slearn shell` reads the very same cluster
        text, _ = practice_answer(exercise)
        assert text == editor.text
    assert [a.passed for a in store.attempts(EXERCISE)] == [False, False, True]
    assert store.draft(EXERCISE) == text  # the YAML half is kept as the draft


async def test_typed_yaml_is_never_overwritten_and_f5_applies_it(library, store):
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await kubectl(app, pilot, "kubectl label pod client probe=yes")
        editor = app.screen.query_one(AnswerEditor)
        editor.replace(SERVICE, (0, 0), editor.document.end)
        await pilot.pause(0.6)
        await kubectl(app, pilot, "kubectl label pod client probe=no --overwrite")
        assert editor.text == SERVICE  # the cluster changed; the typed work stays
        assert any("F5 applies it" in n.message for n in app._notifications)
        await pilot.press("f5")
        await settle(app, pilot)
        log = "\n".join(s.text for s in app.screen.query_one("#kubectl-output").lines)
        assert "$ kubectl apply -f -" in log and "service/web created" in log
        assert "PASSED" in verdict(app)
        state = practice_state(app)
        # the cluster's version: with what the API server defaulted
        assert editor.text == state.learner_yaml() and "protocol: TCP" in editor.text
        await pilot.press("ctrl+t")  # back to the editor
        assert app.focused is editor
        await pilot.press("ctrl+z")
        assert editor.text == SERVICE  # the learner's own text, one undo away


async def test_yaml_the_api_server_refuses_stays_in_the_editor(library, store):
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await kubectl(app, pilot, "kubectl label pod client probe=yes")
        editor = app.screen.query_one(AnswerEditor)
        bad = SERVICE.replace("port: 80", "port: 0")
        editor.replace(bad, (0, 0), editor.document.end)
        await pilot.pause(0.6)
        await pilot.press("f5")
        await settle(app, pilot)
        text = verdict(app)
        assert "not applied" in text
        # the API server's own words, as kubectl prints them
        assert (
            'The Service "web" is invalid: spec.ports[0].port: Invalid value: 0: '
            "must be between 1 and 65535, inclusive"
        ) in text
        assert editor.text == bad
    assert store.attempts(EXERCISE) == []  # nothing was graded


async def test_a_cluster_made_in_the_shell_is_the_answer_when_the_app_opens(library, store):
    from k8slearn.practice.session import PracticeSession

    exercise = library.find(EXERCISE)[0]
    threaded = open_store(threads=True)
    with PracticeSession(exercise, threaded) as session:  # as `k8slearn shell` does
        subprocess.run(
            ["kubectl", "create", "service", "clusterip", "web", "--tcp=80:8080"],
            env=session.environment(),
            check=True,
            capture_output=True,
        )
    threaded.close()
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.cluster_mode and "F5 checks the cluster" in screen.sub_title
        assert "name: web" in screen.query_one(AnswerEditor).text  # the starter gave way
        await pilot.press("f5")
        await settle(app, pilot)
        assert "PASSED" in verdict(app)
        assert not screen.practice.running  # read, graded: no server needed for that


async def test_reset_asks_then_starts_the_cluster_over(library, store):
    exercise = library.find(EXERCISE)[0]
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await kubectl(app, pilot, "kubectl create service clusterip web --tcp=80:8080")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ExerciseScreen) and not screen.cluster_mode
        assert screen.query_one(AnswerEditor).text == exercise.starter
        out = await kubectl(app, pilot, "kubectl get svc web")
        assert 'services "web" not found' in out


async def test_quitting_stops_the_server(library, store):
    app = make_app(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await kubectl(app, pilot, "kubectl get ns")
        link = app.screen.practice
        session = link.session
        port, folder = session.server.port, session.folder
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # listening
        await pilot.press("ctrl+q")
    assert link.closed.wait(10)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not folder.exists()  # the kubeconfig and its token are gone


async def test_a_drill_has_no_kubectl_pane(library, store):
    from k8slearn.tui.app import DrillOptions

    app = K8sLearnApp(library, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.start_drill(DrillOptions(count=1, kind="build", seed=1))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseScreen) and screen.practice is None
        assert not screen.query(KubectlPane) and not screen.query(ClusterView)
        await pilot.press("ctrl+t")  # nothing to switch to
        assert isinstance(app.focused, AnswerEditor)
