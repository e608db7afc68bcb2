"""One piece of work done in a second process while this one does another.

Reading a big scenario and big manifests are two independent, CPU-bound jobs
(libyaml's composer and our checks hold the GIL, so threads would take turns).
On a machine with two cores or more, `beside(work)` forks a child that does
`work()` and sends back its result, pickled, while the parent goes on; the
returned function waits for it.

Only where forking is the platform's own way of starting processes (Linux):
elsewhere, or when forking fails, `work()` simply runs when its result is asked
for. Whatever goes wrong in the child (an exception, a result that will not
pickle, a crash) also means the work is done again here, so its errors reach
the user exactly as without a child. `work` must not print: the child's output
would interleave with the parent's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def beside(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work()` in a forked child where that helps; call the result to get its value."""
    if sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        return work
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError:
        return work
    if pid == 0:  # the child: do the work, send it, leave without the parent's exit handlers
        status = 1
        try:
            os.close(read_end)
            from k8slearn.readcache import dumps

            payload = dumps(work())
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def result() -> T:
        import pickle

        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0 and payload:
            try:
                return pickle.loads(payload)
            except Exception:  # a damaged reply: do the work here instead
                pass
        return work()

    return result
