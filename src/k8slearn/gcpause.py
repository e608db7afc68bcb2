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
