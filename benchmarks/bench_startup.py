"""How long from `k8slearn` starting to an interactive home screen?

    python benchmarks/bench_startup.py [--runs 5]

Each run is a fresh Python process (cold imports, as a learner starting the
app) that loads the packs, opens the progress store and runs the app headless
until the home screen is mounted and idle, then exits. Prints each run and the
median. Also times `k8slearn --version`, the CLI's floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import asyncio, time
start = time.perf_counter()
from k8slearn.packs.library import load_library
from k8slearn.progress.store import open_store
from k8slearn.tui.app import K8sLearnApp
from k8slearn.tui.screens.home import HomeScreen

async def main():
    app = K8sLearnApp(load_library(), open_store())
    async with app.run_test(size=(100, 30)) as pilot:
        while not isinstance(app.screen, HomeScreen):
            await pilot.pause()
        await pilot.pause()
        print(f"{time.perf_counter() - start:.3f}")

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, K8SLEARN_HOME=tempfile.mkdtemp(prefix="k8slearn-bench-"))
    app_times, cli_times = [], []
    for _ in range(args.runs):
        began = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
        )
        total = time.perf_counter() - began
        app_times.append(total)
        print(
            f"app: {total * 1000:.0f} ms to an idle home screen (in-process {float(out.stdout) * 1000:.0f} ms)"
        )
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "k8slearn", "--version"],
            env=env,
            capture_output=True,
            check=True,
        )
        cli_times.append(time.perf_counter() - began)
    print(
        f"median: app {statistics.median(app_times) * 1000:.0f} ms, "
        f"`k8slearn --version` {statistics.median(cli_times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
