""" "Predict the table": the learner marks which connections some manifests allow.

The manifests come from an exercise of `kind: predict`, or from a build
exercise's solution or one of its wrong answers. The engine's truth table
grades every cell, and each wrong cell gets its explanation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from k8slearn.manifests.validate import validate_text
from k8slearn.model.explain import Explanation
from k8slearn.model.scenario import load_scenario
from k8slearn.model.world import World
from k8slearn.packs.model import Exercise

MAX_SIDE = 6  # rows and columns a learner can fill in a terminal


class PredictError(Exception):
    """The exercise cannot be turned into a prediction (broken scenario or manifests)."""


@dataclass
class PredictTask:
    exercise: Exercise
    manifests: str
    source: str  # "given", "solution" or "wrong answer N"
    world: World
    port: int
    protocol: str
    sources: list[str]
    targets: list[str]

    def cells(self) -> list[tuple[str, str]]:
        """The cells the learner predicts; a pod to itself is never asked (always allowed)."""
        return [(s, t) for s in self.sources for t in self.targets if not self.is_self(s, t)]

    def is_self(self, src: str, dst: str) -> bool:
        return src == dst and self.world.scenario.pod(src) is not None

    def actual(self, src: str, dst: str) -> bool:
        return self.world.table([(self.port, self.protocol)]).allowed(
            src, dst, self.port, self.protocol
        )


@dataclass
class CellResult:
    src: str
    dst: str
    guess: bool
    actual: bool
    explanation: Explanation

    @property
    def right(self) -> bool:
        return self.guess == self.actual


@dataclass
class PredictResult:
    task: PredictTask
    cells: list[CellResult]

    @property
    def right(self) -> int:
        return sum(c.right for c in self.cells)

    @property
    def passed(self) -> bool:
        return self.right == len(self.cells)

    def wrong(self) -> list[CellResult]:
        return [c for c in self.cells if not c.right]


def make_task(exercise: Exercise, rng: random.Random | None = None) -> PredictTask:
    """Build the prediction for an exercise (for build exercises: solution or a wrong answer)."""
    rng = rng or random.Random()
    scenario, _problems = load_scenario(exercise.scenario)
    if scenario is None:
        raise PredictError(f"the scenario of {exercise.qualified_id} is invalid")
    if exercise.kind == "predict":
        text, source = exercise.manifests, "given"
    else:
        choices = [(exercise.solution, "solution")] + [
            (w.answer, f"wrong answer {i + 1}") for i, w in enumerate(exercise.wrong_answers)
        ]
        # Only answers the API server accepts have a table to predict.
        choices = [c for c in choices if validate_text(c[0], exercise.namespace).valid]
        if not choices:
            raise PredictError(f"{exercise.qualified_id}: no valid manifest to predict from")
        text, source = rng.choice(choices)
    report = validate_text(text, exercise.namespace)
    valid = [m for m in report.manifests if m.valid]
    if not valid:
        raise PredictError(f"{exercise.qualified_id}: no valid manifest to predict from")
    world = World(scenario, valid)
    spec = exercise.predict
    keys = [e.key for e in world.model.endpoints]
    port, protocol = _port(exercise, world, spec)
    sources = spec.get("from") or _mentioned(exercise, "from") or keys
    targets = spec.get("to") or _mentioned(exercise, "to") or [p.key for p in world.scenario.pods]
    for name in [*sources, *targets]:
        if world.endpoint(name) is None:
            raise PredictError(
                f"{exercise.qualified_id}: {name!r} is not a pod or host of the scenario"
            )
    return PredictTask(
        exercise,
        text,
        source,
        world,
        port,
        protocol,
        list(sources)[:MAX_SIDE],
        list(targets)[:MAX_SIDE],
    )


def _port(exercise: Exercise, world: World, spec: dict) -> tuple[int, str]:
    if spec.get("port"):
        return spec["port"], spec.get("protocol", "TCP")
    for check in exercise.expect:
        for cell in check.get("connectivity") or []:
            if not str(cell["to"]).startswith("svc:"):
                return cell["port"], cell.get("protocol", "TCP")
    declared = world.scenario.declared_ports()
    return declared[0] if declared else (80, "TCP")


def _mentioned(exercise: Exercise, side: str) -> list[str]:
    seen: list[str] = []
    for check in exercise.expect:
        for cell in check.get("connectivity") or []:
            name = str(cell[side])
            if not name.startswith("svc:") and name not in seen:
                seen.append(name)
    return seen if len(seen) >= 2 else []


def grade_prediction(task: PredictTask, guesses: dict[tuple[str, str], bool]) -> PredictResult:
    """Every cell judged by the engine; a cell left unmarked counts as 'denied'."""
    cells = []
    for src, dst in task.cells():
        explanation = task.world.explain(src, dst, task.port, task.protocol)
        cells.append(
            CellResult(src, dst, guesses.get((src, dst), False), explanation.allowed, explanation)
        )
    return PredictResult(task, cells)


def predictable(exercise: Exercise) -> bool:
    """Worth a prediction: a predict exercise, or one whose solution holds a NetworkPolicy."""
    return exercise.kind == "predict" or "kind: NetworkPolicy" in exercise.solution
