"""`k8slearn pack validate`: is this pack fit to teach from?

Beyond the format (schema, ids, files, paths that stay inside the pack), every
exercise is graded against itself: its solution must pass, and each of its
wrong answers must fail — a wrong answer that passes means the checks do not
catch the mistake the instructor meant to teach. Then every build exercise is
mutation-tested (`mutation.py`): each near miss of the solution that behaves
differently must fail too, and the share that does is the exercise's
mutation score.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from k8slearn.grading.fieldpath import FieldPathError, parse
from k8slearn.grading.grader import ExerciseError, Grader
from k8slearn.manifests.loader import load_manifests
from k8slearn.packs.format import Pack, load_pack, resolved
from k8slearn.packs.mutation import MutationResult, mutation_test
from k8slearn.problems import Problem


@dataclass
class PackReport:
    root: Path
    pack: Pack | None
    problems: list[Problem] = field(default_factory=list)
    exercises: int = 0
    solutions_passed: int = 0
    wrong_answers: int = 0
    wrong_answers_failed: int = 0
    mutation: dict[str, MutationResult] = field(default_factory=dict)  # by exercise id

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def summary(self) -> str:
        errors = sum(p.is_error for p in self.problems)
        if self.pack is None:
            return f"{self.root}: not a usable pack ({errors} problem{'s' * (errors != 1)})"
        state = "OK" if self.ok else f"{errors} problem{'s' * (errors != 1)}"
        mutation = ""
        if self.mutation:
            killed = sum(len(r.killed) for r in self.mutation.values())
            different = sum(r.different for r in self.mutation.values())
            share = f" ({100 * killed // different}%)" if different else ""
            mutation = f", mutants killed {killed}/{different}{share}"
        return (
            f"pack {self.pack.id} {self.pack.version}: {len(self.pack.lessons)} lessons, "
            f"{self.exercises} exercises; solutions passing {self.solutions_passed}/{self.exercises}, "
            f"wrong answers failing {self.wrong_answers_failed}/{self.wrong_answers}"
            f"{mutation}: {state}"
        )

    def mutation_lines(self) -> list[str]:
        """One line per mutation-tested exercise: its score and what else was found."""
        out = []
        for exercise_id, r in self.mutation.items():
            extra = [f"{len(r.survived)} surviving"] if r.survived else []
            if r.accepted:
                extra.append(f"{len(r.accepted)} accepted")
            extra.append(f"{len(r.equivalent)} equivalent")
            out.append(f"  {exercise_id}: mutation score {r.score()} ({', '.join(extra)})")
        return out


def validate_pack(root: Path, *, mutate: bool = True, strict: bool = False) -> PackReport:
    """Check a pack; with `mutate`, mutation-test every build exercise (`--strict`: survivors
    are errors, not warnings)."""
    pack, problems = load_pack(root)
    report = PackReport(root=root, pack=pack, problems=list(problems))
    if pack is None:
        return report
    shown = (resolved(root) or root).parent
    for ex in pack.exercises():
        report.exercises += 1
        file = str((resolved(ex.file) or ex.file).relative_to(shown))
        if ex.kind == "predict":
            found = _check_predict(ex, file)
            report.problems.extend(found)
            report.solutions_passed += not found  # a predict exercise's "solution" is the engine
            continue
        report.problems.extend(_positional_paths(ex, file))
        report.problems.extend(_first_hint_gives_away(ex, file))
        try:
            grader = Grader(ex)
            grade = grader.grade(ex.solution)
        except ExerciseError as exc:
            report.problems.append(Problem(str(exc), file=file, line=ex.line_of("scenario")))
            continue
        if ex.namespace not in grader.scenario.namespaces:
            report.problems.append(
                Problem(
                    f"exercise {ex.id}: the current namespace {ex.namespace!r} is not in the "
                    "scenario",
                    file=file,
                    line=ex.line_of("namespace"),
                    hint="add it under the scenario's `namespaces:`, or name one that is there",
                )
            )
        report.problems.extend(_contradicting_lints(ex, grade, file))
        if grade.passed:
            report.solutions_passed += 1
        else:
            failed = "; ".join(f"{c.name}: {c.message}" for c in grade.failed_checks()[:3])
            report.problems.append(
                Problem(
                    f"exercise {ex.id}: the solution does not pass: {failed}",
                    file=file,
                    line=ex.line_of("solution"),
                )
            )
        for i, wrong in enumerate(ex.wrong_answers):
            report.wrong_answers += 1
            try:
                wrong_passes = grader.grade(wrong.answer).passed
            except ExerciseError:
                continue  # the broken solution is reported above; this answer cannot be judged
            if wrong_passes:
                report.problems.append(
                    Problem(
                        f"exercise {ex.id}: wrong answer {i + 1} passes every check, so the mistake it "
                        f"shows ({wrong.why.strip()[:80]}) goes unnoticed",
                        file=file,
                        line=wrong.line,
                        hint="add a check that catches it (a connectivity cell, endpoints, or "
                        "`reachability: solution`)",
                    )
                )
            else:
                report.wrong_answers_failed += 1
        if mutate and grade.passed:
            _mutation_test(report, grader, file, strict)
    return report


_BOILERPLATE = {"apiVersion", "kind", "name", "namespace"}


def _first_hint_gives_away(ex, file: str) -> list[Problem]:
    """Hints go from gentle to explicit: the first must not hand over a line of the solution.

    A line gives the answer away when the prompt does not already say it: a
    `key: value` of the solution (`type: ExternalName`, `podSelector: {}`), a
    value the prompt never names, written as code in the hint, or a field the
    answer must leave out (`absent`).
    """
    if not ex.hints or ex.kind != "build":
        return []
    hint = ex.hints[0]
    code = " ".join(re.findall(r"`([^`]*)`", hint))
    prompt = ex.prompt
    found: list[str] = []
    for document in load_manifests(ex.solution).documents:
        for key, value in _leaves(document.data):
            if key in _BOILERPLATE:
                continue
            shown = _inline(value)
            if shown in prompt:
                continue  # the prompt says it already: repeating it gives nothing away
            literal = f"{key}: {shown}" in hint
            named = (
                isinstance(value, str)
                and len(value) > 2
                and re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w.-])", code)
            )
            if literal or named:
                found.append(f"{key}: {shown}")
    for check in ex.expect:
        for path in check.get("absent") or []:
            field = re.split(r"[.\[\]]", path.rstrip("]"))[-1] or path
            if re.search(rf"(?<![\w]){re.escape(field)}(?![\w])", code):
                found.append(f"no {field}")
    if not found:
        return []
    return [
        Problem(
            f"exercise {ex.id}: the first hint gives the answer away ({', '.join(dict.fromkeys(found))})",
            file=file,
            line=ex.line_of("hints", 0),
            severity="warning",
            hint="make the first hint point at the idea, and keep the answer's lines for the last",
        )
    ]


def _leaves(data, key: str = ""):
    """(key, value) for every field of a manifest, containers of values included."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield str(k), v
            if isinstance(v, dict | list):
                yield from _leaves(v, str(k))
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict | list):
                yield from _leaves(item, key)
            else:
                yield key, item


def _inline(value) -> str:
    """A value as it is written inline in YAML: `{}`, `[Egress]`, `None`."""
    if isinstance(value, dict):
        return "{}" if not value else "{…}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _contradicting_lints(ex, grade, file: str) -> list[Problem]:
    """A warning on the model solution tells learners to undo what the task asks: declare it."""
    out = []
    for found in grade.lints:
        if found.code not in ex.expected_lints:
            out.append(
                Problem(
                    f'exercise {ex.id}: the solution gets the warning "{found.problem.text()}", '
                    "which tells a learner who solved it to change it",
                    file=file,
                    line=ex.line_of("solution"),
                    hint=f"fix the solution, or declare it: `expected_lints: [{found.code}]`",
                )
            )
    fired = {found.code for found in grade.lints}
    for code in ex.expected_lints:
        if code not in fired:
            out.append(
                Problem(
                    f"exercise {ex.id}: expected_lints names {code!r}, but the solution does not "
                    "get that warning",
                    file=file,
                    line=ex.line_of("expected_lints"),
                    severity="warning",
                    hint="remove it from expected_lints",
                )
            )
    return out


# Lists whose order means nothing to the API server: a check that picks an item by its
# position fails a right answer that lists the items in another order.
ORDER_FREE = {
    "ports",
    "ingress",
    "egress",
    "from",
    "to",
    "policyTypes",
    "except",
    "matchExpressions",
    "values",
    "externalIPs",
    "loadBalancerSourceRanges",
    "containers",
    "initContainers",
}


def _positional_paths(ex, file: str) -> list[Problem]:
    out = []
    for i, check in enumerate(ex.expect):
        paths = [*(check.get("fields") or {}), *(check.get("absent") or [])]
        for path in paths:
            try:
                segments = parse(path)
            except FieldPathError:
                continue  # reported when the check runs
            for (kind, key), (next_kind, index) in itertools.pairwise(segments):
                if kind == "key" and key in ORDER_FREE and next_kind == "index":
                    example = "port=80" if key == "ports" else "name=…"
                    out.append(
                        Problem(
                            f"exercise {ex.id}: `{path}` picks an item of `{key}` by its "
                            f"position ([{index}]), so a right answer that lists them in another "
                            "order fails",
                            file=file,
                            line=ex.line_of("expect", i),
                            severity="warning",
                            hint=f"pick the item by a field instead, e.g. `{key}[{example}]`",
                        )
                    )
                    break
    return out


def _mutation_test(report: PackReport, grader: Grader, file: str, strict: bool) -> None:
    ex = grader.exercise
    result = mutation_test(grader)
    report.mutation[ex.id] = result
    for mutant in result.survived:
        report.problems.append(
            Problem(
                f"exercise {ex.id}: mutant '{mutant.name}' passes every check, so a learner who "
                "makes this mistake is told the answer is right",
                file=file,
                line=ex.line_of("expect"),
                severity="error" if strict else "warning",
                hint="add a check that catches it (`reachability: solution`, a `service` check "
                "with `compare: solution`, `absent:`, a connectivity cell), narrow the prompt, "
                "or accept it under `accept_mutants` with the reason the prompt allows it",
            )
        )
    used = {a for _, a in result.accepted}
    for accepted in ex.accept_mutants:
        if accepted not in used:
            report.problems.append(
                Problem(
                    f"exercise {ex.id}: accept_mutants names {accepted.mutant!r}, but no mutant "
                    "of that name survives",
                    file=file,
                    line=accepted.line,
                    severity="warning",
                    hint="remove the entry, or correct the mutant's name (pack validate prints "
                    "the names of survivors)",
                )
            )


def _check_predict(ex, file: str) -> list[Problem]:
    """A predict exercise needs valid manifests and cells naming pods or hosts of its scenario."""
    from k8slearn.drills.predict import PredictError, make_task
    from k8slearn.manifests.validate import validate_text

    problems = []
    report = validate_text(ex.manifests, ex.namespace)
    for p in report.all_problems():
        if p.is_error:
            problems.append(
                Problem(
                    f"exercise {ex.id}: manifests line {p.line}: {p.text()}",
                    file=file,
                    line=ex.line_of("manifests"),
                )
            )
    if not problems:
        try:
            make_task(ex)
        except PredictError as exc:
            problems.append(Problem(str(exc), file=file, line=ex.line_of("predict")))
    return problems
