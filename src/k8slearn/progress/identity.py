"""Who is learning: the name that reports and exports carry, so a class can be collected.

Given by `--learner NAME` or K8SLEARN_LEARNER; otherwise the login name, so a
learner on their own machine never has to say it.
"""

from __future__ import annotations

import getpass
import os

LEARNER_VAR = "K8SLEARN_LEARNER"


def learner_name(given: str | None = None) -> str:
    """`given`, else K8SLEARN_LEARNER, else the login name, else "learner"; trimmed."""
    for candidate in (given, os.environ.get(LEARNER_VAR)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser() or "learner"
    except Exception:  # no login name (some containers): still a name
        return "learner"
