"""What does the semantic comparison add to grading an answer?

    python benchmarks/bench_semantic.py [--pack PATH] [--repeat 5]

For every build exercise with a `reachability` check, grades the solution and
each wrong answer twice — comparing over the scenario only and over the
scenario plus its invented pods, namespaces, addresses and ports — and prints
the size of the invented universe and the time the comparison takes each way
(best of `--repeat`), then the pack's median and worst added time per answer.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from k8slearn.grading.checks import Answer, check_reachability
from k8slearn.grading.grader import Grader
from k8slearn.manifests.validate import validate_text
from k8slearn.model.decoys import Vocabulary, invent
from k8slearn.model.world import World
from k8slearn.packs.format import load_pack
from k8slearn.packs.library import builtin_pack_dirs


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pack, problems = load_pack(args.pack or builtin_pack_dirs()[0])
    if pack is None:
        raise SystemExit("; ".join(p.text() for p in problems))
    added: list[float] = []
    print(
        f"{'exercise':34} {'answers':>7} {'pods+':>5} {'hosts+':>6} {'ports':>5} "
        f"{'scenario':>9} {'semantic':>9} {'added':>8}"
    )
    for ex in pack.exercises():
        if ex.kind != "build" or not any("reachability" in c for c in ex.expect):
            continue
        grader = Grader(ex)
        solution = grader.solution
        ports = grader.probe_ports()
        answers = [ex.solution, *(w.answer for w in ex.wrong_answers)]
        worlds = []
        for text in answers:
            report = validate_text(text)
            if report.valid:
                worlds.append(Answer(World(grader.scenario, report.manifests), report.manifests))
        vocab = Vocabulary.of_policies(
            [*solution.policies, *(p for a in worlds for p in a.world.policies)]
        )
        universe = invent([solution.scenario], vocab, ports)
        per_scenario, per_semantic = [], []
        for answer in worlds:
            per_scenario.append(
                best_of(
                    args.repeat,
                    lambda a=answer, s=solution, p=ports: check_reachability(a, s, p, "scenario"),
                )
            )
            per_semantic.append(
                best_of(
                    args.repeat, lambda a=answer, s=solution, p=ports: check_reachability(a, s, p)
                )
            )
        extra = [b - a for a, b in zip(per_scenario, per_semantic, strict=True)]
        added.extend(extra)
        print(
            f"{ex.id:34} {len(worlds):7} {len(universe.pods):5} {len(universe.externals):6} "
            f"{len(universe.ports):5} {statistics.median(per_scenario) * 1000:7.1f}ms "
            f"{statistics.median(per_semantic) * 1000:7.1f}ms {statistics.median(extra) * 1000:6.1f}ms"
        )
    print(
        f"\nadded per answer: median {statistics.median(added) * 1000:.1f} ms, "
        f"worst {max(added) * 1000:.1f} ms over {len(added)} answers"
    )


if __name__ == "__main__":
    main()
