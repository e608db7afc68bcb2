"""Does `k8slearn reach` scale like its engine? Whole processes on a small and a large cluster.

    python benchmarks/bench_reach_scaling.py [--runs 3] [--stretch]

Writes two seeded random clusters as files a user would pass (a scenario and a
multi-document policy file, the generator of bench_truth_table.py): 200 pods ×
40 policies and 2,000 pods × 400 policies (with --stretch also 10,000 pods ×
2,000 policies), then runs `k8slearn reach --scenario S -f P --port 80 --port
53/UDP -o matrix` on each as a fresh process, alternating, output discarded.
Prints each run's wall time and peak memory, the medians, and the large/small
ratio (the goal is at most 2, under 300 MB; stretch: under 5 s and 500 MB).

Each size runs twice per round: first with an empty data folder (`first`: the
YAML is read and checked, and, being big, kept by content in the read cache),
then again with that folder (`again`: the kept read is used, as when a user asks
a second question of the same export). The small files are below the cache's
threshold, so both of its runs read them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_truth_table import make_policies, make_scenario

SIZES = {"small": (200, 40), "large": (2000, 400), "stretch": (10000, 2000)}


def write_cluster(folder: Path, pods: int, policies: int) -> tuple[Path, Path]:
    rng = random.Random(7)
    namespaces = max(5, pods // 40)
    scenario = folder / f"scenario-{pods}.yaml"
    manifests = folder / f"policies-{pods}.yaml"
    scenario.write_text(
        yaml.safe_dump(make_scenario(rng, pods, namespaces), sort_keys=False), encoding="utf-8"
    )
    manifests.write_text(
        yaml.safe_dump_all(make_policies(rng, policies, namespaces), sort_keys=False),
        encoding="utf-8",
    )
    return scenario, manifests


def run_reach(scenario: Path, manifests: Path, home: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one whole `reach` process."""
    argv = [sys.executable, "-m", "k8slearn", "reach", "--scenario", str(scenario)]
    argv += ["-f", str(manifests), "--port", "80", "--port", "53/UDP", "-o", "matrix"]
    # As installed k8slearn runs: pip compiles its bytecode, so let Python cache ours too.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["K8SLEARN_HOME"] = home
    env.pop("K8SLEARN_NO_CACHE", None)
    began = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"reach failed on {scenario.name}: {child.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stretch", action="store_true", help="also 10,000 pods x 2,000 policies")
    parser.add_argument("--write-only", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = ["small", "large"] + (["stretch"] if args.stretch else [])
    folder = Path(tempfile.mkdtemp(prefix="k8slearn-bench-"))
    if args.write_only:
        for name in names:
            write_cluster(Path(args.write_only), *SIZES[name])
        return
    # Written by a child process: a child forked from a parent holding the generated
    # clusters would count the parent's pages in its own peak memory.
    writer = [sys.executable, __file__, "--write-only", str(folder)]
    subprocess.run(writer + (["--stretch"] if args.stretch else []), check=True)
    files = {
        name: (
            folder / f"scenario-{SIZES[name][0]}.yaml",
            folder / f"policies-{SIZES[name][0]}.yaml",
        )
        for name in names
    }
    for name in names:
        size = sum(f.stat().st_size for f in files[name]) / 1e6
        print(f"{name}: {SIZES[name][0]} pods, {SIZES[name][1]} policies, {size:.1f} MB of YAML")
    run_reach(*files["small"], tempfile.mkdtemp(dir=folder))  # writes the bytecode caches
    runs = [(name, when) for name in names for when in ("first", "again")]
    times: dict[tuple[str, str], list[float]] = {r: [] for r in runs}
    peaks: dict[tuple[str, str], list[float]] = {r: [] for r in runs}
    for run in range(args.runs):
        for name in names:
            home = tempfile.mkdtemp(dir=folder)  # an empty data folder: nothing kept yet
            for when in ("first", "again"):
                elapsed, peak = run_reach(*files[name], home)
                times[name, when].append(elapsed)
                peaks[name, when].append(peak)
                print(f"run {run + 1} {name} {when}: {elapsed:.2f} s, peak {peak:.0f} MB")
    median = {r: statistics.median(times[r]) for r in runs}
    for name, when in runs:
        print(
            f"median {name} {when}: {median[name, when]:.2f} s, peak {max(peaks[name, when]):.0f} MB"
        )
    for when in ("first", "again"):
        ratio = median["large", when] / median["small", when]
        print(f"large / small, {when} run: {ratio:.2f} (goal <= 2)")


if __name__ == "__main__":
    main()
