"""`k8slearn pack validate`: is this pack fit to teach from?

Beyond the format (schema, ids, files, paths that stay inside the pack), every
exercise is graded against itself: its solution must pass, and each of its
wrong answers must fail — a wrong answer that passes means the checks do not
catch the mistake the instructor meant to teach. Then every build exercise is
mutation-tested (`mutation.py`): each near miss of the solution that behaves
differently must fail too, and the share that does is the exercise's
mutation score.

It also catches the traps that pass the format but break for learners (the
built-in pack's id, an absolute path, a lesson folder pack.yaml does not
list, a `.YAML` file, a predict table bigger than the app shows, keys a
predict exercise ignores, Markdown the app cannot show), reports a typo in a
check as a problem of the check, and reads on past errors so that every
problem of every file is reported at once. With `feedback`, it also previews
what a learner who writes each wrong answer is told (`Feedback`).
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from k8slearn.grading.fieldpath import FieldPathError, parse
from k8slearn.grading.grader import ExerciseError, Grade, Grader
from k8slearn.grading.mistakes import MistakeFinder
from k8slearn.manifests.loader import load_manifests
from k8slearn.manifests.schema import KNOWN_KINDS
from k8slearn.packs.format import EXERCISE_SUFFIXES, PackReader
from k8slearn.packs.model import Exercise, Lesson, Pack, is_dir, resolved
from k8slearn.packs.mutation import MutationResult, mutation_test
from k8slearn.problems import Problem

if TYPE_CHECKING:
    from k8slearn.drills.kubectl import KubectlCluster


@dataclass
class Feedback:
    """What a learner who writes one of an exercise's wrong answers is told."""

    exercise: Exercise
    index: int  # which wrong answer, 0-based
    file: str
    line: int | None
    grade: Grade  # with the known mistake it is matched to (grade.known_mistake)
    twin: int | None = None  # an earlier wrong answer the grader cannot tell this one from

    @property
    def flag(self) -> str:
        """'' when the learner reads this answer's own why; else what goes wrong."""
        known = self.grade.known_mistake
        if self.grade.passed:
            return "passes"
        if known is None:
            return "no why"
        if known.index != self.index:
            return "another why"
        if self.twin is not None:
            return "twin"
        return ""

    def to_dict(self) -> dict[str, Any]:
        data = self.grade.to_dict()
        return {
            "exercise": self.exercise.qualified_id,
            "wrong_answer": self.index + 1,
            "file": self.file,
            "line": self.line,
            "passed": data["passed"],
            "checks": data["checks"],
            "warnings": data["warnings"],
            "known_mistake": data.get("known_mistake"),
            "flag": self.flag or None,
        }


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
    feedback: list[Feedback] = field(default_factory=list)  # with `feedback=True`
    kubectl_lists: int = 0  # exercises with `kubectl:` lines
    kubectl_proven: int = 0  # … whose lines solved them on a practice cluster
    kubectl_run: bool = False  # the lines were run (a practice cluster was given)
    kubectl_unavailable: str = ""  # why no practice cluster could run here

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
        kubectl = ""
        if self.kubectl_run and self.kubectl_lists and not self.kubectl_unavailable:
            kubectl = f", kubectl lines proven {self.kubectl_proven}/{self.kubectl_lists}"
        return (
            f"pack {self.pack.id} {self.pack.version}: {len(self.pack.lessons)} lessons, "
            f"{self.exercises} exercises; solutions passing {self.solutions_passed}/{self.exercises}, "
            f"wrong answers failing {self.wrong_answers_failed}/{self.wrong_answers}"
            f"{mutation}{kubectl}: {state}"
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


def validate_pack(
    root: Path,
    *,
    mutate: bool = True,
    strict: bool = False,
    feedback: bool = False,
    practice: Callable[[Exercise], KubectlCluster] | None = None,
) -> PackReport:
    """Check a pack; with `mutate`, mutation-test every build exercise (`--strict`: survivors
    are errors, not warnings); with `feedback`, preview what each wrong answer is told;
    with `practice` (a fresh practice cluster for an exercise, made by the caller: packs/
    never starts one itself), prove every exercise's `kubectl:` lines by running them.

    A pack whose pack.yaml is wrong is still read and graded as far as it goes,
    so that every problem is reported; its report's `pack` is None.
    """
    reader = PackReader(root)
    pack = reader.read()
    report = PackReport(root=root, pack=pack, problems=list(reader.problems))
    report.kubectl_run = practice is not None
    proofs: list[tuple[Exercise, str]] = []  # exercises whose kubectl lines are to be run
    draft = reader.draft
    if draft is None:
        return report
    report.problems.extend(_pack_traps(reader, draft))
    for lesson in draft.lessons:
        md = lesson.folder / "lesson.md"
        report.problems.extend(
            _markdown_problems(
                lesson.body, reader.show(md), lambda n, lesson=lesson: lesson.body_line + n - 1
            )
        )
        report.problems.extend(_exercise_file_traps(reader, lesson))
    for ex in draft.exercises():
        report.exercises += 1
        file = reader.show(ex.file)
        report.problems.extend(_exercise_traps(ex, file))
        report.problems.extend(_exercise_markdown(ex, file))
        if ex.kind == "predict":
            found = _check_predict(ex, file)
            report.problems.extend(found)
            report.solutions_passed += not any(p.is_error for p in found)
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
        typos = _check_typos(ex, grade, file)
        report.problems.extend(p for _, p in typos)
        report.problems.extend(_contradicting_lints(ex, grade, file))
        if grade.passed:
            report.solutions_passed += 1
        else:
            report.problems.extend(_failing_solution(ex, grade, file, {i for i, _ in typos}))
        finder = MistakeFinder(grader) if feedback else None
        for i, wrong in enumerate(ex.wrong_answers):
            report.wrong_answers += 1
            if not wrong.why.strip():
                report.problems.append(
                    Problem(
                        f"exercise {ex.id}: wrong answer {i + 1} has an empty `why`, so a "
                        "learner who writes it is told only which checks fail",
                        file=file,
                        line=wrong.line,
                        severity="warning",
                        hint="say under `why` what the mistake is and how to put it right",
                    )
                )
            try:
                wrong_grade = grader.grade(wrong.answer)
                twin = None
                if finder is not None:
                    matches = finder.matches(wrong_grade)  # graded against the others once
                    wrong_grade.known_mistake = finder.closest(matches, wrong.answer)
                    if matches and matches[0].index < i:
                        twin = matches[0].index
            except ExerciseError:
                continue  # the broken solution is reported above; this answer cannot be judged
            if finder is not None:
                shown = Feedback(ex, i, file, wrong.line, wrong_grade, twin)
                report.feedback.append(shown)
                report.problems.extend(_feedback_problems(shown))
            if wrong_grade.passed:
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
        if _kubectl_lines_run(ex, file, report) and grade.passed:
            proofs.append((ex, file))  # a failing solution is reported above
    if practice is not None:
        _prove_kubectl(report, proofs, practice)
    return report


def _kubectl_lines_run(ex: Exercise, file: str, report: PackReport) -> bool:
    """Whether an exercise's `kubectl:` lines are all commands k8slearn runs (each one that
    is not is reported at its line); False when it has none."""
    if not ex.kubectl:
        return False
    from k8slearn.drills.kubectl import CommandRefused, parse_command

    report.kubectl_lists += 1
    runnable = True
    for i, line in enumerate(ex.kubectl):
        try:
            parse_command(line)
        except CommandRefused as exc:
            runnable = False
            report.problems.append(
                Problem(
                    f"exercise {ex.id}: kubectl line {i + 1} is not run: {exc}",
                    file=file,
                    line=ex.line_of("kubectl", i),
                    hint="each line is one kubectl command, run without a shell against the "
                    "exercise's practice cluster",
                )
            )
    return runnable


PROOFS_AT_ONCE = 4  # practice clusters proving lines side by side (each mostly waits on kubectl)


def _prove_kubectl(
    report: PackReport,
    pending: list[tuple[Exercise, str]],
    practice: Callable[[Exercise], KubectlCluster],
) -> None:
    """Run each exercise's `kubectl:` lines on a fresh practice cluster of it, and grade what
    they leave: a line that fails, or a cluster that fails a check, is an error at its line.
    Where no practice cluster can run (no kubectl), one warning says so."""
    from concurrent.futures import ThreadPoolExecutor

    from k8slearn.drills.kubectl import ClusterError, ClusterUnavailable, Proof, prove_commands

    if not pending:
        return
    first: KubectlCluster | ClusterError
    try:  # the first cluster also tells whether practice clusters can run here at all
        first = practice(pending[0][0])
    except ClusterUnavailable as exc:
        ex, file = pending[0]
        report.kubectl_unavailable = str(exc)
        report.problems.append(
            Problem(
                f"the `kubectl:` lines of {len(pending)} exercise(s) were not run, so they are "
                f"not proven: {exc}",
                file=file,
                line=ex.line_of("kubectl"),
                severity="warning",
            )
        )
        return
    except ClusterError as exc:
        first = exc

    def prove(index: int) -> tuple[Exercise, str, Proof | None, str]:
        ex, file = pending[index]
        try:
            cluster = first if index == 0 else practice(ex)
            if isinstance(cluster, ClusterError):
                raise cluster
        except ClusterError as exc:
            return ex, file, None, str(exc)
        with cluster:
            return ex, file, prove_commands(cluster, ex.kubectl), ""

    with ThreadPoolExecutor(max_workers=PROOFS_AT_ONCE) as pool:
        outcomes = list(pool.map(prove, range(len(pending))))
    for ex, file, proof, error in outcomes:
        if proof is None:
            report.problems.append(
                Problem(
                    f"exercise {ex.id}: no practice cluster: {error}",
                    file=file,
                    line=ex.line_of("kubectl"),
                )
            )
            continue
        if proof.passed:
            report.kubectl_proven += 1
            continue
        if proof.failed_line is not None:
            said = f"kubectl line {proof.failed_line + 1} fails on the practice cluster: "
            line = ex.line_of("kubectl", proof.failed_line)
        else:
            said = "the `kubectl:` lines run, but the cluster they leave fails the checks: "
            line = ex.line_of("kubectl")
        report.problems.append(
            Problem(
                f"exercise {ex.id}: {said}{proof.message}",
                file=file,
                line=line,
                hint="fix the lines (learners are shown them as the fastest way); try them with "
                f"`k8slearn shell {ex.id} --pack {report.root} --reset`, then `k8slearn check`",
            )
        )


def _feedback_problems(shown: Feedback) -> list[Problem]:
    """A wrong answer whose own why a learner never reads is worth a warning."""
    ex, i = shown.exercise, shown.index
    known = shown.grade.known_mistake
    if known is None or shown.flag not in ("another why", "twin"):
        return []
    j = known.index if shown.flag == "another why" else shown.twin
    assert j is not None
    other = ex.wrong_answers[j]
    alike = "behaves exactly like" if known.how == "behaves like" else "fails exactly like"
    if shown.flag == "another why":
        effect = (
            f"so a learner who writes it is shown the why of wrong answer {j + 1}, never its own"
        )
    else:
        effect = (
            "so the grader cannot tell the two apart: a learner whose answer fails this way "
            "reads the why of whichever of the two their text resembles more"
        )
    return [
        Problem(
            f"exercise {ex.id}: wrong answer {i + 1} {alike} wrong answer {j + 1} "
            f"(line {other.line}), {effect}",
            file=shown.file,
            line=shown.line,
            severity="warning",
            hint="merge the two, or add a check that only one of them fails",
        )
    ]


# -- traps: what passes the format but breaks for learners --------------------------------------


def _pack_traps(reader: PackReader, pack: Pack) -> list[Problem]:
    from k8slearn.packs.library import BUILTIN_PACK_ID, builtin_pack_dirs

    out = []
    manifest = reader.root / "pack.yaml"
    doc = reader.pack_doc
    builtin = {resolved(d) for d in builtin_pack_dirs()}
    if pack.id == BUILTIN_PACK_ID and reader.root not in builtin:
        out.append(
            Problem(
                f"pack id {pack.id!r} is the built-in pack's: a learner's k8slearn loads the "
                "built-in pack first and skips this one",
                file=reader.show(manifest),
                line=doc.line_of(("id",)) if doc else None,
                hint="choose your own id, e.g. `id: networking-class-2025`; a fork of the "
                "built-in pack needs one too",
            )
        )
    names = doc.data.get("lessons") if doc is not None else None
    for i, name in enumerate(names if isinstance(names, list) else []):
        if isinstance(name, str) and _absolute(name) and reader.inside(Path(name)):
            out.append(
                Problem(
                    f"lesson {name!r} is an absolute path, so the pack breaks once it is moved, "
                    "copied or handed out",
                    file=reader.show(manifest),
                    line=doc.line_of(("lessons", i)) if doc else None,
                    hint=f"write the folder's name: `- {Path(name).name}`",
                )
            )
    if reader.listed is not None:
        for folder in reader.lesson_folders():
            if resolved(folder) not in reader.listed:
                out.append(
                    Problem(
                        f"folder {folder.name!r} holds a lesson, but pack.yaml does not list "
                        "it, so learners never see it",
                        file=reader.show(manifest),
                        line=doc.line_of(("lessons",)) if doc else None,
                        severity="warning",
                        hint=f"add `- {folder.name}` under `lessons:` where it belongs in the "
                        "reading order, or remove the folder",
                    )
                )
    return out


def _exercise_file_traps(reader: PackReader, lesson: Lesson) -> list[Problem]:
    """Exercise files the loader never reads: `.YAML`, `.Yml`, or an `Exercises/` folder."""
    out = []
    folder = lesson.folder / "exercises"
    if not is_dir(folder):
        try:
            near = [
                p
                for p in lesson.folder.iterdir()
                if is_dir(p) and p.name.lower() in ("exercises", "exercise")
            ]
        except OSError:
            near = []
        for other in near:
            out.append(
                Problem(
                    f"the folder {other.name!r} is not read: exercises live in `exercises/`, "
                    "spelt so",
                    file=reader.show(other),
                    hint=f"rename {other.name} to exercises",
                )
            )
        return out
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return out
    for child in children:
        suffix = child.suffix
        if suffix.lower() in EXERCISE_SUFFIXES and suffix not in EXERCISE_SUFFIXES:
            out.append(
                Problem(
                    "is not read as an exercise: exercise files end in `.yaml` or `.yml`, in "
                    f"lowercase (Windows reads a {suffix} file, Linux and macOS do not)",
                    file=reader.show(child),
                    hint=f"rename it to {child.stem}{suffix.lower()}",
                )
            )
    return out


def _absolute(path: str) -> bool:
    """Absolute on any system: `/x`, `C:\\x`, `\\x`."""
    return (
        PurePosixPath(path).is_absolute()
        or PureWindowsPath(path).is_absolute()
        or path.startswith("\\")
    )


# keys a predict exercise never reads (it is graded by its truth table), and the reverse
_PREDICT_IGNORES = (
    "expect",
    "solution",
    "wrong_answers",
    "starter",
    "accept_mutants",
    "expected_lints",
    "kubectl",
)


def _exercise_traps(ex: Exercise, file: str) -> list[Problem]:
    out = []
    data = ex.doc.data if ex.doc is not None else {}
    scenario = data.get("scenario")
    if isinstance(scenario, str):
        line = ex.line_of("scenario")
        if _absolute(scenario):
            relative = ""
            if ex.scenario_file is not None:
                relative = Path(
                    os.path.relpath(ex.scenario_file.resolve(), ex.file.resolve().parent)
                ).as_posix()
            out.append(
                Problem(
                    f"exercise {ex.id}: the scenario path {scenario!r} is absolute, so the pack "
                    "breaks once it is moved, copied or handed out",
                    file=file,
                    line=line,
                    hint="write it relative to this exercise file"
                    + (
                        f": `scenario: {relative}`" if relative else ", e.g. ../../scenarios/x.yaml"
                    ),
                )
            )
        elif "\\" in scenario:
            out.append(
                Problem(
                    f"exercise {ex.id}: the scenario path {scenario!r} uses `\\`, which only "
                    "Windows reads as a folder separator",
                    file=file,
                    line=line,
                    hint=f"write `{scenario.replace(chr(92), '/')}`: `/` works everywhere",
                )
            )
    if ex.kind == "predict":
        for key in _PREDICT_IGNORES:
            if key in data:
                out.append(
                    Problem(
                        f"exercise {ex.id}: `{key}` is ignored in a predict exercise (`kind: "
                        "predict`), which is graded by the truth table of its `manifests`",
                        file=file,
                        line=ex.line_of(key),
                        hint=f"remove `{key}`, or make this a build exercise: no `kind: "
                        "predict`, no `manifests`",
                    )
                )
    elif "manifests" in data:
        out.append(
            Problem(
                f"exercise {ex.id}: `manifests` is read only by predict exercises, so this "
                "build exercise ignores it",
                file=file,
                line=ex.line_of("manifests"),
                hint="remove it, or add `kind: predict` and drop `expect` and `solution`",
            )
        )
    return out


# -- Markdown the app cannot show ----------------------------------------------------------------

_WEB = ("http", "https", "mailto")


def _exercise_markdown(ex: Exercise, file: str) -> list[Problem]:
    out = []
    for path, text in [(("prompt",), ex.prompt)] + [
        (("hints", i), hint) for i, hint in enumerate(ex.hints)
    ]:
        if isinstance(text, str):
            out.extend(
                _markdown_problems(text, file, lambda n, path=path: ex.place(path, n)[0], ex.id)
            )
    return out


def _markdown_problems(
    text: str, file: str, line_of: Callable[[int], int | None], exercise: str = ""
) -> list[Problem]:
    """Images, links to files and raw HTML: the app's Markdown view (Textual, in a terminal)
    shows an image as `🖼` and its alt text, opens links in a web browser (so a pack's own
    files lead nowhere), and drops HTML. Web links are fine."""
    from markdown_it import MarkdownIt

    if not any(c in text for c in "[<"):
        return []
    lines = text.splitlines()
    out: list[Problem] = []
    prefix = f"exercise {exercise}: " if exercise else ""

    def warn(message: str, hint: str, block: list[int] | None, needle: str) -> None:
        n = block[0] + 1 if block else 1
        if block:
            for k in range(block[0], min(block[1], len(lines))):
                if needle and needle in lines[k]:
                    n = k + 1
                    break
        out.append(
            Problem(prefix + message, file=file, line=line_of(n), severity="warning", hint=hint)
        )

    for token in MarkdownIt("gfm-like").parse(text):
        block = token.map
        if token.type == "html_block":
            warn(
                "the app does not show HTML: this HTML block is dropped",
                "write it in Markdown",
                block,
                "<",
            )
        for child in token.children or []:
            if child.type == "image":
                src = str(child.attrs.get("src", ""))
                warn(
                    f"the app cannot show images: a learner sees only `🖼 {child.content}` "
                    f"for {src!r}",
                    "describe it in words, or draw it as text in a ```text block; a link to the "
                    "picture on the web opens in a browser",
                    block,
                    src,
                )
            elif child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                scheme = href.split(":", 1)[0].lower() if ":" in href else ""
                if scheme in _WEB or (scheme and scheme != "file" and len(scheme) > 1):
                    continue
                if href.startswith("#"):
                    what = f"the app cannot jump to a heading: the link {href!r} leads nowhere"
                else:
                    what = (
                        f"the link {href!r} points at a file, which the app cannot open: a "
                        "click hands it to a web browser, outside the pack"
                    )
                warn(
                    what,
                    "put what it says in the lesson itself, or link a web page: https://…",
                    block,
                    href,
                )
            elif child.type == "html_inline" and not child.content.startswith("</"):
                warn(
                    f"the app does not show HTML: {child.content.strip()!r} is dropped",
                    "write it in Markdown: **bold**, *italic*, `code`; put a placeholder such "
                    "as `<name>` in backticks",
                    block,
                    child.content.strip(),
                )
    return out


# -- a check with a typo is the check's problem, not the solution's -------------------------------


@cache
def _shapes() -> dict[str, Any]:
    """The Kubernetes OpenAPI shapes of the kinds k8slearn knows (the manifests' schema)."""
    text = (resources.files("k8slearn") / "manifests/openapi/strict.json").read_text()
    return json.loads(text)


def _unknown_field(kind: str, path: str) -> tuple[str, str] | None:
    """(the first unknown field of `path` in a `kind`, a did-you-mean) — None when every
    field is known, or the shape cannot tell (a map of labels, an int-or-string)."""
    shapes = _shapes()
    node = shapes["kinds"].get(f"{KNOWN_KINDS.get(kind)} {kind}")
    if node is None:
        return None

    def deref(n: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in n:
            n = shapes["definitions"].get(n["$ref"].rsplit("/", 1)[-1], {})
        return n

    try:
        segments = parse(path)
    except FieldPathError:
        return None
    for seg, arg in segments:
        node = deref(node)
        if seg == "key":
            props = node.get("properties")
            if props is None:
                extra = node.get("additionalProperties")
                if isinstance(extra, dict):
                    node = extra
                    continue
                return None
            if arg not in props:
                return arg, _did_you_mean(arg, sorted(props))
            node = props[arg]
        else:
            items = node.get("items")
            if not isinstance(items, dict):
                return None
            node = items
            if seg == "select":
                props = deref(items).get("properties") or {}
                if props and arg[0] not in props:
                    return arg[0], _did_you_mean(arg[0], sorted(props))
    return None


def _did_you_mean(word: str, choices: list[str]) -> str:
    by_case = {c.lower(): c for c in choices}.get(word.lower())
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    found = by_case or (close[0] if close else None)
    return f"did you mean `{found}`?" if found else ""


def _check_typos(ex: Exercise, solution: Grade, file: str) -> list[tuple[int, Problem]]:
    """Field paths that cannot be read or name no field of the kind, and pods, hosts,
    Services, nodes and namespaces no world of this exercise has: typos in a check, each at
    its own line, with the index of its check. (A typo in an `absent` path would pass
    every answer.)"""
    out: list[tuple[int, Problem]] = []

    def problem(where: tuple, message: str, hint: str = "") -> None:
        out.append(
            (
                where[1],
                Problem(
                    f"exercise {ex.id}: {message}", file=file, line=ex.line_of(*where), hint=hint
                ),
            )
        )

    world = solution.world
    pods = [p.key for p in world.scenario.pods] if world else []
    hosts = [e.name for e in world.scenario.externals] if world else []
    services = sorted(world.services.services) if world else []
    for i, check in enumerate(ex.expect):
        if "resource" in check:
            kind = check["resource"].get("kind", "")
            paths = [(("fields", p), p) for p in check.get("fields") or {}]
            paths += [(("absent", j), p) for j, p in enumerate(check.get("absent") or [])]
            for sub, path in paths:
                where = ("expect", i, *sub)
                try:
                    parse(path)
                except FieldPathError as exc:
                    problem(
                        where,
                        f"{exc}",
                        "write keys with dots, an item as `[0]` or `[port=80]`, and a key "
                        'holding dots in quotes: `metadata.labels["app.kubernetes.io/name"]`',
                    )
                    continue
                unknown = _unknown_field(kind, path)
                if unknown is not None:
                    name, guess = unknown
                    problem(where, f"`{path}`: a {kind} has no field `{name}`", guess)
        if world is None:
            continue
        if "service" in check:
            key = check["service"]
            if world.services.get(key) is None:
                problem(
                    ("expect", i, "service"),
                    f"the solution has no Service {key}",
                    _did_you_mean(key, services) or "check the check's name and namespace",
                )
            for j, name in enumerate(check.get("endpoints") or []):
                if "/" in name and world.scenario.pod(name) is None:
                    problem(
                        ("expect", i, "endpoints", j),
                        f"{name!r} is not a pod of the scenario",
                        _did_you_mean(name, pods),
                    )
        for j, cell in enumerate(check.get("connectivity") or []):
            for side in ("from", "to"):
                name = str(cell.get(side, ""))
                if side == "to" and name.startswith("svc:"):
                    if world.services.get(name[4:]) is None:
                        problem(
                            ("expect", i, "connectivity", j, side),
                            f"`{side}: {name}`: the solution has no Service {name[4:]}",
                            _did_you_mean(name, [f"svc:{s}" for s in services]),
                        )
                elif world.endpoint(name) is None:
                    problem(
                        ("expect", i, "connectivity", j, side),
                        f"`{side}: {name}` is not a pod (namespace/name) or outside host of "
                        "the scenario",
                        _did_you_mean(name, pods + hosts),
                    )
            node = cell.get("node")
            nodes = [n.name for n in world.scenario.nodes]
            if node is not None and node not in nodes:
                problem(
                    ("expect", i, "connectivity", j, "node"),
                    f"`node: {node}` is not a node of the scenario",
                    _did_you_mean(str(node), nodes),
                )
        if "lookup" in check:
            asking = check.get("from")
            if asking is not None and asking not in world.scenario.namespaces:
                problem(
                    ("expect", i, "from"),
                    f"`from: {asking}` is not a namespace of the scenario",
                    _did_you_mean(asking, sorted(world.scenario.namespaces)),
                )
            for j, name in enumerate(check.get("resolves_to") or []):
                if "/" in str(name) and world.scenario.pod(str(name)) is None:
                    problem(
                        ("expect", i, "resolves_to", j),
                        f"{name!r} is not a pod of the scenario",
                        _did_you_mean(str(name), pods),
                    )
    return out


def _check_of_result(ex: Exercise, grade: Grade) -> list[tuple[int, int | None]]:
    """For each of grade.checks: (index of its check in `expect`, cell of a connectivity
    check); (-1, None) for "valid manifests". Empty when they do not line up."""
    owners: list[tuple[int, int | None]] = [(-1, None)]
    for i, check in enumerate(ex.expect):
        cells = check.get("connectivity")
        if cells:
            owners += [(i, j) for j in range(len(cells))]
        else:
            owners.append((i, None))
    return owners if len(owners) == len(grade.checks) else []


def _failing_solution(ex: Exercise, grade: Grade, file: str, typos: set[int]) -> list[Problem]:
    """Why the model solution fails: the API server's reasons at their lines of the file, or
    the failing checks, at the first one's line (those with a typo are reported already)."""
    if grade.problems:
        out = []
        for p in grade.problems:
            line, column = ex.place(("solution",), p.line, p.column)
            out.append(
                Problem(
                    f"exercise {ex.id}: the solution would be refused: {p.text()}",
                    file=file,
                    line=line,
                    column=column,
                    hint="fix the solution: it is what learners see as the model answer",
                )
            )
        return out
    owners = _check_of_result(ex, grade)
    failing = []  # (the check's line, the result) for checks without a reported typo
    for k, c in enumerate(grade.checks):
        i, j = owners[k] if owners else (-1, None)
        if c.passed or i in typos:
            continue  # a typo is reported at its own line
        where: tuple = ("expect", i) if j is None else ("expect", i, "connectivity", j)
        failing.append((ex.line_of(*where) if i >= 0 else ex.line_of("solution"), c))
    if not failing:
        return []
    line, first = failing[0]
    solution_line, _ = ex.place(("solution",), first.line) if first.line else (None, None)
    at = f"; the solution fails it at line {solution_line}" if solution_line else ""
    said = "; ".join(f"{c.name}: {c.message}" for _, c in failing[:3])
    more = f" (and {len(failing) - 3} more)" if len(failing) > 3 else ""
    return [
        Problem(
            f"exercise {ex.id}: the solution does not pass: {said}{more}",
            file=file,
            line=line,
            hint="fix the solution, or this check if it has a typo" + at,
        )
    ]


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
            line, column = ex.place(("solution",), found.problem.line, found.problem.column)
            out.append(
                Problem(
                    f'exercise {ex.id}: the solution gets the warning "{found.problem.text()}", '
                    "which tells a learner who solved it to change it",
                    file=file,
                    line=line,
                    column=column,
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


def _check_predict(ex: Exercise, file: str) -> list[Problem]:
    """A predict exercise needs valid manifests, cells naming pods or hosts of its scenario,
    and a table the app shows whole."""
    from k8slearn.drills.predict import MAX_SIDE, PredictError, make_task
    from k8slearn.manifests.validate import validate_text

    problems = []
    report = validate_text(ex.manifests, ex.namespace)
    for p in report.all_problems():
        if p.is_error:
            line, column = ex.place(("manifests",), p.line, p.column)
            problems.append(
                Problem(
                    f"exercise {ex.id}: the manifests would be refused: {p.text()}",
                    file=file,
                    line=line,
                    column=column,
                )
            )
    if problems:
        return problems
    try:
        task = make_task(ex)
    except PredictError as exc:
        return [Problem(str(exc), file=file, line=ex.line_of("predict"))]
    # make_task keeps the first MAX_SIDE of each side: say so before a learner misses cells
    sides = {
        "from": ex.predict.get("from") or [e.key for e in task.world.model.endpoints],
        "to": ex.predict.get("to") or [p.key for p in task.world.scenario.pods],
    }
    for side, names in sides.items():
        if len(names) <= MAX_SIDE:
            continue
        what = "rows" if side == "from" else "columns"
        given = side in ex.predict
        dropped = ", ".join(names[MAX_SIDE:])
        problems.append(
            Problem(
                f"exercise {ex.id}: the table has {len(names)} {what} ("
                + (
                    f"`predict.{side}`"
                    if given
                    else f"no `predict.{side}`: every pod"
                    + (" and outside host" if side == "from" else "")
                    + " of the scenario"
                )
                + f"), but the app shows only {MAX_SIDE}, so {dropped} "
                + ("is" if len(names) == MAX_SIDE + 1 else "are")
                + " never asked",
                file=file,
                line=ex.line_of("predict", side, MAX_SIDE) if given else ex.line_of("predict"),
                hint=f"name at most {MAX_SIDE} under `predict.{side}`, the ones that teach, "
                "or split the exercise in two",
            )
        )
    return problems
