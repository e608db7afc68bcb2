"""What the cluster did, beside what the offline model predicted, cell by cell.

A cell is one connection: `(from, to, port, protocol)`. It *agrees* when the
cluster did what the model predicted, *differs* when it did not — the model
being wrong is a bug worth reporting, and every differing cell says so — and
is *not verifiable* when no probe could settle it (the reason comes from the
plan, or the probe itself could not run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ProbeKey = tuple[str, str, int, str]

AGREE = "agree"
DIFFER = "differ"
UNVERIFIABLE = "not verifiable"

REPORT_HOWTO = (
    "run verify once more first (a policy can take a moment to be enforced); if the "
    "difference stays, report it on k8slearn's issue tracker with the exercise id, your "
    "answer file, the output of `k8slearn --version` and `kind version`, and what "
    "`k8slearn verify EXERCISE ANSWER_FILE -o json` prints"
)

# style(text, role) -> text; roles: "agree", "differ", "unverifiable", "heading", "dim"
Style = Callable[[str, str], str]


def _plain(text: str, role: str) -> str:
    return text


def _word(value: bool | None) -> str:
    if value is None:
        return "?"
    return "allowed" if value else "denied"


@dataclass(frozen=True)
class Cell:
    key: ProbeKey
    predicted: bool
    observed: bool | None
    status: str
    reason: str = ""
    wanted: bool | None = None  # what the exercise asks for, when a check names this cell

    @property
    def source(self) -> str:
        return self.key[0]

    @property
    def target(self) -> str:
        return self.key[1]

    @property
    def port(self) -> int:
        return self.key[2]

    @property
    def protocol(self) -> str:
        return self.key[3]

    def label(self) -> str:
        return f"{self.source} → {self.target}:{self.port}/{self.protocol}"

    def message(self) -> str:
        if self.status == DIFFER:
            return (
                f"{self.label()}: the model predicted {_word(self.predicted)}, the cluster "
                f"{'allowed' if self.observed else 'denied'} it. The offline model may be "
                f"wrong here, a bug worth reporting: {REPORT_HOWTO}"
            )
        if self.status == UNVERIFIABLE:
            return f"{self.label()}: not verifiable: {self.reason}"
        return f"{self.label()}: {_word(self.observed)}, as predicted"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.source,
            "to": self.target,
            "port": self.port,
            "protocol": self.protocol,
            "predicted": self.predicted,
            "observed": self.observed,
            "status": self.status,
        }
        if self.wanted is not None:
            out["wanted"] = self.wanted
        if self.status != AGREE:
            out["message"] = self.reason if self.status == UNVERIFIABLE else self.message()
        return out


@dataclass
class Comparison:
    cells: list[Cell] = field(default_factory=list)

    @property
    def agreeing(self) -> list[Cell]:
        return [c for c in self.cells if c.status == AGREE]

    @property
    def differing(self) -> list[Cell]:
        return [c for c in self.cells if c.status == DIFFER]

    @property
    def unverifiable(self) -> list[Cell]:
        return [c for c in self.cells if c.status == UNVERIFIABLE]

    @property
    def ok(self) -> bool:
        """The cluster agrees with the model on every cell it could verify."""
        return not self.differing

    def wanted_cells(self) -> list[Cell]:
        """Cells an exercise check names that the cluster settled."""
        return [c for c in self.cells if c.wanted is not None and c.observed is not None]

    def wanted_failures(self) -> list[Cell]:
        return [c for c in self.wanted_cells() if c.observed != c.wanted]

    def summary(self) -> str:
        parts = [
            f"{len(self.agreeing)} agree",
            f"{len(self.differing)} differ",
            f"{len(self.unverifiable)} not verifiable",
        ]
        return "cluster vs model: " + ", ".join(parts)

    def report_message(self) -> str:
        """What to say when cells differ; empty when none does."""
        n = len(self.differing)
        if not n:
            return ""
        return (
            f"The cluster and the offline model disagree on {n} connection{'s' * (n != 1)}. "
            "The canary proved this cluster enforces policies, so the model may be wrong "
            f"here: that is a bug worth reporting. To report it: {REPORT_HOWTO}."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "agree": len(self.agreeing),
            "differ": len(self.differing),
            "not_verifiable": len(self.unverifiable),
            "cells": [c.to_json() for c in self.cells],
            **({"report": self.report_message()} if self.differing else {}),
        }

    def render(self, style: Style | None = None, all_unverifiable: bool = False) -> str:
        """A table of predicted vs observed, differing cells marked, then the rest."""
        st = style or _plain
        lines: list[str] = []
        probed = [c for c in self.cells if c.status != UNVERIFIABLE]
        if probed:
            w_from = max(len("from"), *(len(c.source) for c in probed))
            w_to = max(len("to"), *(len(c.target) for c in probed))
            w_port = max(len("port"), *(len(f"{c.port}/{c.protocol}") for c in probed))
            head = f"  {'from':<{w_from}}  {'to':<{w_to}}  {'port':<{w_port}}  predicted  observed"
            if any(c.wanted is not None for c in probed):
                head += "  exercise wants"
            lines.append(st(head, "heading"))
            for c in probed:
                mark = "≠" if c.status == DIFFER else " "
                row = (
                    f"{mark} {c.source:<{w_from}}  {c.target:<{w_to}}  "
                    f"{f'{c.port}/{c.protocol}':<{w_port}}  {_word(c.predicted):<9}  "
                    f"{_word(c.observed):<8}"
                )
                if c.wanted is not None:
                    row += f"  {_word(c.wanted)}"
                if c.status == DIFFER:
                    row += "  ← differs: the model may be wrong"
                lines.append(st(row.rstrip(), "differ" if c.status == DIFFER else "agree"))
        else:
            lines.append("no connection could be probed")
        unverifiable = self.unverifiable
        if unverifiable:
            lines.append("")
            lines.append(st(f"not verifiable ({len(unverifiable)}):", "heading"))
            groups: dict[str, list[Cell]] = {}
            for c in unverifiable:
                general = c.reason.split(": ", 1)[1] if ": " in c.reason else c.reason
                groups.setdefault(general, []).append(c)
            for general, cells in groups.items():
                lines.append(st(f"  {general} ({len(cells)})", "unverifiable"))
                named = [c for c in cells if c.wanted is not None]
                shown = cells if all_unverifiable or len(cells) <= 3 else named[:10]
                for c in shown:
                    subject = c.reason.split(": ", 1)[0] if ": " in c.reason else ""
                    extra = f"  [{subject}]" if subject and subject not in c.label() else ""
                    lines.append(st(f"    {c.label()}{extra}", "dim"))
        wanted = self.wanted_cells()
        if wanted:
            failures = self.wanted_failures()
            lines.append("")
            lines.append(
                f"On the cluster your answer does what the exercise asks for "
                f"{len(wanted) - len(failures)} of the {len(wanted)} connections its checks name "
                "that could be probed."
            )
        lines.append("")
        lines.append(st(self.summary(), "differ" if self.differing else "agree"))
        if self.differing:
            lines.append(self.report_message())
        return "\n".join(lines)


def compare(
    predicted: Mapping[ProbeKey, bool],
    observed: Mapping[ProbeKey, bool | None],
    reasons: Mapping[ProbeKey, str] | None = None,
    wanted: Mapping[ProbeKey, bool] | None = None,
) -> Comparison:
    """Judge every predicted cell against what was observed.

    A cell with no observation, or an observation of None, is not verifiable;
    its reason comes from `reasons` (or says the probe did not run). Observed
    cells nobody predicted are ignored: there is nothing to compare them with.
    """
    reasons = reasons or {}
    wanted = wanted or {}
    cells = []
    for key, expect in predicted.items():
        seen = observed.get(key)
        if seen is None:
            reason = reasons.get(key) or (
                "the probe could not run" if key in observed else "not probed"
            )
            cells.append(Cell(key, expect, None, UNVERIFIABLE, reason, wanted.get(key)))
        else:
            status = AGREE if seen == expect else DIFFER
            cells.append(Cell(key, expect, seen, status, "", wanted.get(key)))
    return Comparison(cells)
