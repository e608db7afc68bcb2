"""How long from `k8slearn` starting to an interactive home screen, against a bare Textual app?

    python benchmarks/bench_startup.py [--runs 7]

Each run is a fresh Python process (cold imports, as a learner starting the
app) that loads the packs, opens the progress store and runs the app headless
until the home screen is mounted and idle, then exits. The yardstick is a bare
Textual app with the same kinds of widgets (Header, Tree, Markdown, Footer),
run the same way; the two alternate so that a busy machine slows both alike.
Prints each pair, the medians and their ratio (the goal is at most 1.2).

"To an idle home screen" is from the moment the process is started to the moment
the screen is idle (the child prints the clock's time then): what a learner
waits for. The whole process, which also counts quitting (the interpreter's
last collection and teardown), is printed beside it. Also times
`k8slearn --version`, the CLI's floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

APP = r"""
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
        print(f"{time.perf_counter() - start:.3f} {time.time():.6f}")

asyncio.run(main())
"""

BARE = r"""
import asyncio, time
start = time.perf_counter()
from textual.app import App
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Markdown, Tree

class Bare(App):
    def compose(self):
        yield Header()
        with Horizontal():
            tree = Tree("packs")
            for i in range(9):
                lesson = tree.root.add(f"lesson {i}", expand=True)
                for j in range(8):
                    lesson.add_leaf(f"exercise {i}.{j}")
            yield tree
            yield Markdown("# Lesson\n\nSome *text* and a list:\n\n- one\n- two\n")
        yield Footer()

async def main():
    app = Bare()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        print(f"{time.perf_counter() - start:.3f} {time.time():.6f}")

asyncio.run(main())
"""


def _run(code: str, env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds from starting the process to an idle screen, to the process's end, and
    from the first import to an idle screen (in-process)."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    ended = time.time()
    inner, idle_at = (float(x) for x in out.stdout.split())
    return idle_at - started, ended - started, inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ, K8SLEARN_HOME=tempfile.mkdtemp(prefix="k8slearn-bench-"))
    # As installed k8slearn runs: pip compiles its bytecode, so let Python cache ours too.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    _run(APP, env)  # first use creates the store: not what a returning learner waits for
    times: dict[str, list[tuple[float, float, float]]] = {"k8slearn": [], "bare Textual": []}
    cli_times = []
    for _ in range(args.runs):
        for name, code in (("k8slearn", APP), ("bare Textual", BARE)):
            times[name].append(_run(code, env))
        print(
            ", ".join(
                f"{name} {idle * 1000:.0f} ms (whole process {whole * 1000:.0f} ms, "
                f"in-process {inner * 1000:.0f} ms)"
                for name, (idle, whole, inner) in ((n, t[-1]) for n, t in times.items())
            )
        )
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "k8slearn", "--version"],
            env=env,
            capture_output=True,
            check=True,
        )
        cli_times.append(time.perf_counter() - began)
    app, bare = ([statistics.median(t[i] for t in times[n]) for i in (0, 1)] for n in times)
    print(
        f"median to an idle home screen: k8slearn {app[0] * 1000:.0f} ms, "
        f"bare Textual app {bare[0] * 1000:.0f} ms, ratio {app[0] / bare[0]:.2f} (goal <= 1.2)"
    )
    print(
        f"median whole process: k8slearn {app[1] * 1000:.0f} ms, bare Textual app "
        f"{bare[1] * 1000:.0f} ms, ratio {app[1] / bare[1]:.2f}; "
        f"`k8slearn --version` {statistics.median(cli_times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
