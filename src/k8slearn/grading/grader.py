"""Grade a learner's answer to an exercise: refused, or judged check by check.

An answer the API server would refuse (invalid manifest, unknown namespace)
fails with those problems and no behaviour check runs. Otherwise the answer's
manifests are applied to the exercise's scenario and every expected check is
judged on what the manifests *do*, so any answer that behaves right passes,
however it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from k8slearn.grading.checks import (
    Answer,
    CheckResult,
    check_connectivity,
    check_dns,
    check_reachability,
    check_resource,
    check_service,
    reachability_scope,
)
from k8slearn.grading.lints import Lint, lint
from k8slearn.manifests.validate import Manifest, validate_text
from k8slearn.model.reachability import PortKey
from k8slearn.model.scenario import Scenario, load_scenario
from k8slearn.model.world import World
from k8slearn.packs.model import Exercise
from k8slearn.problems import Problem

if TYPE_CHECKING:
    from k8slearn.grading.mistakes import KnownMistake


@dataclass
class Grade:
    exercise_id: str
    passed: bool
    checks: list[CheckResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # why the answer was refused
    warnings: list[Problem] = field(default_factory=list)  # lints that teach
    lints: list[Lint] = field(default_factory=list)  # the same, with what each one is
    world: World | None = None
    ports: list[PortKey] = field(default_factory=list)
    # the exercise's wrong answer this one repeats (grading.mistakes), when a face asked
    known_mistake: KnownMistake | None = None

    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise_id,
            "passed": self.passed,
            "checks": [
                {"name": c.name, "passed": c.passed, "message": c.message, "line": c.line}
                for c in self.checks
            ],
            "warnings": [
                {"field": w.field, "line": w.line, "message": w.text()} for w in self.warnings
            ],
            **({"known_mistake": self.known_mistake.to_dict()} if self.known_mistake else {}),
        }


class ExerciseError(Exception):
    """The exercise itself is broken (its scenario or solution): the instructor's problem."""


def exercise_scenario(exercise: Exercise) -> Scenario:
    """The world the exercise is set in; ExerciseError when its scenario is invalid."""
    scenario, problems = load_scenario(exercise.scenario)
    if scenario is None:
        text = "; ".join(p.text() for p in problems[:3])
        raise ExerciseError(f"the scenario of {exercise.qualified_id} is invalid: {text}")
    return scenario


class Grader:
    """Grades answers to one exercise; the scenario and solution are built once."""

    def __init__(
        self, exercise: Exercise, namespace: str | None = None, scenario: Scenario | None = None
    ):
        """`namespace` overrides the exercise's current namespace, as `kubectl -n` does;
        `scenario` the exercise's world, as a practice cluster changed it (pods relabelled,
        objects it held edited or deleted)."""
        self.exercise = exercise
        self.namespace = namespace or exercise.namespace
        self.namespace_given = namespace is not None
        self.scenario: Scenario = exercise_scenario(exercise) if scenario is None else scenario
        self._solution: World | None = None

    @property
    def solution(self) -> World:
        if self._solution is None:
            report = validate_text(
                self.exercise.solution, self.exercise.namespace, self.scenario.objects
            )
            if not report.valid:
                first = report.all_problems()[0]
                raise ExerciseError(
                    f"the solution of {self.exercise.qualified_id} is invalid: "
                    f"line {first.line}: {first.text()}"
                )
            self._solution = World(self.scenario, report.manifests)
        return self._solution

    @cached_property
    def _probe_ports(self) -> list[PortKey]:
        ports = set(self.scenario.declared_ports())
        for check in self.exercise.expect:
            for entry in check.get("connectivity") or []:
                ports.add((entry["port"], entry.get("protocol", "TCP")))
        return sorted(ports)

    def probe_ports(self) -> list[PortKey]:
        """Declared container ports plus every port a connectivity check names."""
        return list(self._probe_ports)

    def grade(self, text: str | bytes, explain_misfits: bool = True) -> Grade:
        """`explain_misfits=False`: an answer whose shape does not fit the API's schema is
        refused with one problem that does not say why (jsonschema is not asked)."""
        grade = Grade(self.exercise.qualified_id, passed=False)
        report = validate_text(text, self.namespace, self.scenario.objects, explain=explain_misfits)
        grade.warnings.extend(p for p in report.all_problems() if not p.is_error)
        errors = [p for p in report.all_problems() if p.is_error]
        errors += self.missing_namespaces(report.manifests)
        errors += self._namespace_mismatches(report.manifests)
        if not report.manifests and not errors:
            errors.append(Problem("the answer holds no manifest", line=1))
        if errors:
            grade.problems = errors
            count = len(errors)
            grade.checks.append(
                CheckResult(
                    "valid manifests",
                    False,
                    f"the API server would refuse this answer ({count} problem{'s' * (count != 1)}): "
                    + "; ".join(
                        f"line {p.line}: {p.text()}" if p.line else p.text() for p in errors[:5]
                    ),
                    errors[0].line,
                )
            )
            return grade
        grade.checks.append(CheckResult("valid manifests", True, "the API server would accept it"))
        world = World(self.scenario, report.manifests)
        answer = Answer(world, [m for m in report.manifests if m.valid])
        grade.world = world
        grade.ports = self.probe_ports()
        for check in self.exercise.expect:
            grade.checks.extend(self._run(check, answer))
        grade.lints = lint(answer.manifests, world)
        grade.warnings.extend(self._teaching(found) for found in grade.lints)
        grade.passed = all(c.passed for c in grade.checks)
        return grade

    def _teaching(self, found: Lint) -> Problem:
        """A lint as the learner reads it: one the task asks for is no advice to undo it."""
        if found.code not in self.exercise.expected_lints:
            return found.problem
        p = found.problem
        return Problem(
            f"{p.message} — as this exercise asks",
            p.field,
            p.line,
            p.column,
            p.severity,
            "",
            p.file,
        )

    def _run(self, check: dict[str, Any], answer: Answer) -> list[CheckResult]:
        if "resource" in check:
            return [check_resource(check, answer)]
        if "service" in check:
            solution = self.solution if check.get("compare") == "solution" else None
            return [check_service(check, answer, solution)]
        if "connectivity" in check:
            return check_connectivity(check, answer)
        if "lookup" in check:
            return [check_dns(check, answer)]
        return [
            check_reachability(answer, self.solution, self.probe_ports(), reachability_scope(check))
        ]

    def _namespace_mismatches(self, manifests: list[Manifest]) -> list[Problem]:
        """What `kubectl apply -n NS` refuses: an object that names another namespace."""
        if not self.namespace_given:
            return []
        out = []
        for m in manifests:
            written = m.written_namespace
            if written is not None and written != self.namespace and m.kind != "Namespace":
                out.append(
                    m.doc.problem(
                        ("metadata", "namespace"),
                        f'the namespace from the provided object "{written}" does not match the '
                        f'namespace "{self.namespace}"',
                        hint=f"pass `-n {written}`, or remove `metadata.namespace`",
                    )
                )
        return out

    def missing_namespaces(self, manifests: list[Manifest]) -> list[Problem]:
        created = {m.name for m in manifests if m.kind == "Namespace" and m.valid}
        known = set(self.scenario.namespaces) | created
        out = []
        for m in manifests:
            ns = m.namespace
            if m.valid and ns is not None and ns not in known:
                out.append(
                    m.doc.problem(
                        ("metadata", "namespace"),
                        f'namespaces "{ns}" not found',
                        hint="the scenario has " + ", ".join(sorted(self.scenario.namespaces)),
                    )
                )
        return out


def grade_answer(exercise: Exercise, text: str | bytes) -> Grade:
    return Grader(exercise).grade(text)
