"""Mutation testing of an exercise: can its checks tell the solution from near misses?

Every mutant of the solution (`mutants.py`) that the API server accepts is
compared with the solution semantically — its policies over the scenario and
everything the two sides can tell apart, its Services field by field and pod
by pod. A mutant that behaves the same is *equivalent* and proves nothing. A
different one is graded with the exercise's own checks: failing, it is
*killed*; passing, it *survives* — a wrong answer a learner would be told is
right. An instructor may accept a survivor the prompt allows, with the reason
(`accept_mutants` in the exercise file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from k8slearn.grading.grader import Grader
from k8slearn.manifests.loader import expand_lists, load_manifests
from k8slearn.manifests.validate import validate_text
from k8slearn.model.equivalence import compare_policies, compare_services, routing
from k8slearn.model.world import World
from k8slearn.packs.model import AcceptedMutant
from k8slearn.packs.mutants import Mutant, mutants


@dataclass
class MutationResult:
    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    accepted: list[tuple[Mutant, AcceptedMutant]] = field(default_factory=list)
    equivalent: list[Mutant] = field(default_factory=list)
    refused: int = 0  # mutants the API server would not accept

    @property
    def different(self) -> int:
        """Mutants that behave differently from the solution and are not accepted."""
        return len(self.killed) + len(self.survived)

    def score(self) -> str:
        if not self.different:
            return "no mutant differs"
        return f"{len(self.killed)}/{self.different} ({100 * len(self.killed) // self.different}%)"


def mutation_test(grader: Grader) -> MutationResult:
    """Generate, compare and grade every mutant of the exercise's solution."""
    exercise = grader.exercise
    result = MutationResult()
    loaded = load_manifests(exercise.solution)
    if not loaded.ok:
        return result
    docs = [d.data for d in expand_lists(loaded.documents)[0]]
    solution = grader.solution
    ports = grader.probe_ports()
    for mutant in mutants(docs, grader.scenario):
        report = validate_text(mutant.text, exercise.namespace, grader.scenario.objects)
        if not report.valid or grader.missing_namespaces(report.manifests):
            result.refused += 1
            continue
        world = World(grader.scenario, report.manifests)
        if not _differs(world, solution, ports):
            result.equivalent.append(mutant)
            continue
        if not grader.grade(mutant.text).passed:
            result.killed.append(mutant)
            continue
        accepted = next((a for a in exercise.accept_mutants if a.matches(mutant)), None)
        if accepted is not None:
            result.accepted.append((mutant, accepted))
        else:
            result.survived.append(mutant)
    return result


def _differs(mutant: World, solution: World, ports) -> bool:
    mine = set(mutant.services.services)
    theirs = set(solution.services.services)
    if mine != theirs:
        return True
    for key in theirs:
        # Sticky sessions added where the solution has none change no path a connection may
        # take: a harmless extra, unless the task is about affinity (the solution sets it).
        sticky = solution.services.get(key).session_affinity != "None"
        if any(
            d.aspect != "sessionAffinity" or sticky for d in compare_services(mutant, solution, key)
        ):
            return True
    if routing(mutant) != routing(solution):
        return True
    return compare_policies(mutant, solution, ports).counterexample is not None
