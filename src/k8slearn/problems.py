"""Problems are values, not exceptions: a learner should see every mistake at once.

Every layer (loader, schema, API rules, scenario, lints) reports what it finds
as `Problem`s carrying a kubectl-style field path and the line of the
learner's text it points at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning) in a learner's input."""

    message: str
    field: str = ""
    line: int | None = None
    column: int | None = None
    severity: Severity = "error"
    hint: str = ""
    file: str = ""  # set where problems from several files are gathered (packs)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def where(self) -> str:
        """`line:column` (or `line`) for messages; empty when unknown."""
        if self.line is None:
            return ""
        return f"{self.line}:{self.column}" if self.column else str(self.line)

    def located(self) -> str:
        """`file:line:column: severity: text`, the compiler-style line the CLI prints."""
        place = ":".join(part for part in (self.file, self.where()) if part)
        prefix = f"{place}: " if place else ""
        return f"{prefix}{self.severity}: {self.text()}"

    def text(self) -> str:
        """The problem on one line, as the CLI prints it after the file name."""
        parts = []
        if self.field:
            parts.append(f"{self.field}:")
        parts.append(self.message)
        if self.hint:
            parts.append(f"({self.hint})")
        return " ".join(parts)


def format_path(path: Path) -> str:
    """Render a path the way kubectl and the API server print field paths.

    >>> format_path(("spec", "ports", 1, "name"))
    'spec.ports[1].name'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
