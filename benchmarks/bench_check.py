"""How long does `k8slearn check EXERCISE ANSWER` take, whole process, against importing PyYAML?

    python benchmarks/bench_check.py [--runs 9]

A learner (or a class's CI) runs `check` once per answer, so the whole process
counts: interpreter start, imports, finding the exercise, grading, recording.
The yardstick is `python -c "import yaml"`, the least any YAML-reading Python
tool pays. The two alternate so that a busy machine slows both alike. Prints
the medians and their ratio (the goal is at most 4).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSWER = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def _time(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def _k8slearn_command() -> list[str]:
    """The `k8slearn` command a user types (pip's console script beside this Python), as the
    goal names it; `python -m k8slearn` only where the project is not installed with one."""
    script = Path(sys.executable).parent / "k8slearn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "k8slearn"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--exercise", default="clusterip-expose-web")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="k8slearn-bench-")
    answer = Path(home) / "answer.yaml"
    answer.write_text(ANSWER, encoding="utf-8")
    env = dict(os.environ, K8SLEARN_HOME=home)
    # As installed k8slearn runs: pip compiles its bytecode, so let Python cache ours too.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    check = [*_k8slearn_command(), "check", args.exercise, str(answer)]
    yaml_only = [sys.executable, "-c", "import yaml"]
    _time(check, env)  # first use creates the store
    checks, yamls = [], []
    for _ in range(args.runs):
        checks.append(_time(check, env))
        yamls.append(_time(yaml_only, env))
    c, y = statistics.median(checks), statistics.median(yamls)
    shown = " ".join(Path(check[0]).name if i == 0 else a for i, a in enumerate(check[:-2]))
    print(f"runs: {args.runs}, exercise {args.exercise}, timing `{shown} ...`")
    print(
        f"median: k8slearn check {c * 1000:.0f} ms, python -c 'import yaml' {y * 1000:.0f} ms, "
        f"ratio {c / y:.1f} (goal <= 4)"
    )


if __name__ == "__main__":
    main()
