"""Pausing Python's cycle collector while big, acyclic data is built.

Reading a 2,000-pod scenario allocates tens of thousands of dicts, lists and
dataclasses, and the cycle collector rescans every live object again and
again as they pile up: half the time of reading such a file. What k8slearn
builds from an input holds no reference cycles, so reference counting frees
it all the same; the collector is paused for the build and resumed after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block (nesting is fine); restore it after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# A long-lived program (the app) builds most of what it will ever hold while it starts:
# imported modules, parsed packs, the first screen's widgets. Collecting during that build
# only rescans it; collecting after it, each full collection rescans it again (a visible
# pause), and so does the last collection when the program quits.
_held_for_start_up = False


def hold_collector_for_start_up() -> None:
    """Pause the cycle collector until `settle_after_start_up()`."""
    global _held_for_start_up
    if gc.isenabled():
        gc.disable()
        _held_for_start_up = True


def settle_after_start_up() -> None:
    """Start-up is over: what it built lives until exit, so take it out of the collector's
    sight (`gc.freeze`) and resume collecting what the session makes.

    A program that runs the app and then goes on (a test run) should `gc.unfreeze()` after.
    """
    global _held_for_start_up
    if _held_for_start_up:
        _held_for_start_up = False
        gc.freeze()
        gc.enable()


_skipping_last_collection = False


def skip_last_collection() -> None:
    """When this process ends, skip the interpreter's last full collection.

    A command's objects die with its process, and the system takes the memory back; what
    the last collection would find is garbage nobody waits for (~40 ms of a `check`).
    So everything alive is frozen at exit: other exit handlers still run and see every
    object as before; only the last collection has nothing left to scan. Our files are
    written inside `with` blocks and the progress store commits each write, so nothing
    waits on that collection.
    """
    global _skipping_last_collection
    if not _skipping_last_collection:
        import atexit

        _skipping_last_collection = True
        atexit.register(gc.freeze)
