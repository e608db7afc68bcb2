"""The cycle collector is paused, frozen and skipped only where nothing waits on it."""

from __future__ import annotations

import gc
import subprocess
import sys

from k8slearn.gcpause import cycle_collector_paused


def test_paused_blocks_nest_and_restore_the_collector():
    assert gc.isenabled()
    with cycle_collector_paused():
        assert not gc.isenabled()
        with cycle_collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds it
    assert gc.isenabled()


def test_a_command_skips_the_last_collection_once_after_other_exit_handlers():
    """Everything alive at exit is frozen, so the interpreter's last collection has
    nothing to scan; an exit handler that runs after ours still finds the objects it
    uses; asking twice registers one handler."""
    code = """
import atexit, gc
atexit.register(lambda: print("at exit:", gc.get_freeze_count() > 1000))
from k8slearn.gcpause import skip_last_collection
before = atexit._ncallbacks()
skip_last_collection()
skip_last_collection()
print("handlers added:", atexit._ncallbacks() - before)
print("frozen while running:", gc.get_freeze_count())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "handlers added: 1",
        "frozen while running: 0",
        "at exit: True",
    ]
