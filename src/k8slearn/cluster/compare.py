"""What the cluster did, beside what the offline model predicted, cell by cell.

A cell is one connection: `(from, to, port, protocol)`. It *agrees* when the
cluster did what the model predicted, *differs* when it did not — the model
being wrong is a bug worth reporting, and every differing cell says so — and
is *not verifiable* when no probe could settle it (the reason comes from the
plan, or the probe itself could not run).

A lookup cell is one DNS name: `(search namespace or "", name, record type)`,
compared as the set of records the model predicted against the set cluster
DNS answered (addresses, or `CNAME target`; empty: no such name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ProbeKey = tuple[str, str, int, str]
LookupKey = tuple[
    str, str, str
]  # (namespace whose search path completes the name or "", name, type)

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


def _records(values: tuple[str, ...] | None, names: Mapping[str, str]) -> str:
    if values is None:
        return "?"
    if not values:
        return "no such name"
    return ", ".join(f"{names[v]} ({v})" if v in names else v for v in values)


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

    def meets_wanted(self) -> bool:
        return self.observed == self.wanted

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


@dataclass(frozen=True)
class LookupCell:
    """One DNS name: the records the model predicted beside those cluster DNS answered.

    Values are canonical (`10.244.0.7`, `CNAME db.example.com`; `()` is no such
    name); `names` says whose an address is (`data/db-0`), for people.
    """

    key: LookupKey
    predicted: tuple[str, ...]
    observed: tuple[str, ...] | None
    status: str
    reason: str = ""
    wanted: tuple[str, ...] | None = None
    names: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return self.key[1]

    @property
    def record(self) -> str:
        return self.key[2]

    def label(self) -> str:
        where = f" (search path of {self.key[0]})" if self.key[0] else ""
        return f"{self.record} {self.name}{where}"

    def meets_wanted(self) -> bool:
        return self.observed is not None and set(self.observed) == set(self.wanted or ())

    def message(self) -> str:
        if self.status == DIFFER:
            return (
                f"lookup {self.label()}: the model predicted "
                f"{_records(self.predicted, self.names)}, cluster DNS answered "
                f"{_records(self.observed, self.names)}. The offline model may be wrong here, "
                f"a bug worth reporting: {REPORT_HOWTO}"
            )
        if self.status == UNVERIFIABLE:
            return f"lookup {self.label()}: not verifiable: {self.reason}"
        return f"lookup {self.label()}: {_records(self.observed, self.names)}, as predicted"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "search": self.key[0] or None,
            "type": self.record,
            "predicted": list(self.predicted),
            "observed": None if self.observed is None else list(self.observed),
            "status": self.status,
        }
        if self.wanted is not None:
            out["wanted"] = list(self.wanted)
        whose = {
            v: self.names[v] for v in [*self.predicted, *(self.observed or ())] if v in self.names
        }
        if whose:
            out["addresses"] = whose
        if self.status != AGREE:
            out["message"] = self.reason if self.status == UNVERIFIABLE else self.message()
        return out


AnyCell = Cell | LookupCell


@dataclass
class Comparison:
    cells: list[Cell] = field(default_factory=list)
    lookups: list[LookupCell] = field(default_factory=list)

    def _all(self) -> list[AnyCell]:
        return [*self.cells, *self.lookups]

    @property
    def agreeing(self) -> list[AnyCell]:
        return [c for c in self._all() if c.status == AGREE]

    @property
    def differing(self) -> list[AnyCell]:
        return [c for c in self._all() if c.status == DIFFER]

    @property
    def unverifiable(self) -> list[AnyCell]:
        return [c for c in self._all() if c.status == UNVERIFIABLE]

    @property
    def ok(self) -> bool:
        """The cluster agrees with the model on every cell it could verify."""
        return not self.differing

    def wanted_cells(self) -> list[AnyCell]:
        """Cells (connections and names) an exercise check names that the cluster settled."""
        return [c for c in self._all() if c.wanted is not None and c.observed is not None]

    def wanted_failures(self) -> list[AnyCell]:
        return [c for c in self.wanted_cells() if not c.meets_wanted()]

    def summary(self) -> str:
        parts = [
            f"{len(self.agreeing)} agree",
            f"{len(self.differing)} differ",
            f"{len(self.unverifiable)} not verifiable",
        ]
        return "cluster vs model: " + ", ".join(parts)

    def report_message(self) -> str:
        """What to say when cells differ; empty when none does."""
        n = len([c for c in self.cells if c.status == DIFFER])
        m = len([c for c in self.lookups if c.status == DIFFER])
        if not n and not m:
            return ""
        parts = []
        if n:
            parts.append(f"{n} connection{'s' * (n != 1)}")
        if m:
            parts.append(f"{m} DNS name{'s' * (m != 1)}")
        proof = (
            "The canary proved this cluster enforces policies"
            if n
            else "Cluster DNS answered otherwise than the model predicts"
        )
        return (
            f"The cluster and the offline model disagree on {' and '.join(parts)}. {proof}, "
            "so the model may be wrong here: that is a bug worth reporting. To report it: "
            f"{REPORT_HOWTO}."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "agree": len(self.agreeing),
            "differ": len(self.differing),
            "not_verifiable": len(self.unverifiable),
            "cells": [c.to_json() for c in self.cells],
            "lookups": [c.to_json() for c in self.lookups],
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
        elif self.cells or not self.lookups:
            lines.append("no connection could be probed")
        asked = [c for c in self.lookups if c.status != UNVERIFIABLE]
        if asked:
            if probed:
                lines.append("")
            w_name = max(len("DNS name"), *(len(c.label()) for c in asked))
            head = f"  {'DNS name':<{w_name}}  predicted → observed"
            lines.append(st(head, "heading"))
            for c in asked:
                mark = "≠" if c.status == DIFFER else " "
                row = (
                    f"{mark} {c.label():<{w_name}}  {_records(c.predicted, c.names)} → "
                    f"{_records(c.observed, c.names)}"
                )
                if c.wanted is not None and c.meets_wanted():
                    row += "  (as the exercise wants)"
                elif c.wanted is not None:
                    row += f"  (the exercise wants {_records(c.wanted, c.names)})"
                if c.status == DIFFER:
                    row += "  ← differs: the model may be wrong"
                lines.append(st(row, "differ" if c.status == DIFFER else "agree"))
        unverifiable = self.unverifiable
        if unverifiable:
            lines.append("")
            lines.append(st(f"not verifiable ({len(unverifiable)}):", "heading"))
            groups: dict[str, list[AnyCell]] = {}
            for c in unverifiable:
                general = c.reason.split(": ", 1)[1] if ": " in c.reason else c.reason
                groups.setdefault(general, []).append(c)
            for general, cells in groups.items():
                lines.append(st(f"  {general} ({len(cells)})", "unverifiable"))
                named = [c for c in cells if c.wanted is not None]
                shown = cells if all_unverifiable or len(cells) <= 3 else named[:10]
                for c in shown:
                    subject = c.reason.split(": ", 1)[0] if ": " in c.reason else ""
                    # no square brackets: the app shows this text with markup on
                    extra = f"  ({subject})" if subject and subject not in c.label() else ""
                    lines.append(st(f"    {c.label()}{extra}", "dim"))
        wanted = self.wanted_cells()
        if wanted:
            failures = self.wanted_failures()
            counts = []
            for kind, noun in ((Cell, "connections"), (LookupCell, "DNS names")):
                total = [c for c in wanted if isinstance(c, kind)]
                if total:
                    good = len([c for c in total if c not in failures])
                    counts.append(f"{good} of the {len(total)} {noun}")
            lines.append("")
            lines.append(
                f"On the cluster your answer does what the exercise asks for {' and '.join(counts)} "
                "its checks name that could be probed."
            )
        lines.append("")
        lines.append(st(self.summary(), "differ" if self.differing else "agree"))
        if self.differing:
            lines.append(self.report_message())
        return "\n".join(lines)


def compare_lookups(
    predicted: Mapping[LookupKey, tuple[str, ...]],
    observed: Mapping[LookupKey, tuple[str, ...] | None],
    reasons: Mapping[LookupKey, str] | None = None,
    wanted: Mapping[LookupKey, tuple[str, ...]] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[LookupCell]:
    """Judge every predicted name against cluster DNS's answer, as sets of records.

    `predicted` and `wanted` hold canonical values (the cluster's addresses, not the
    scenario's); a name with no observation, or an observation of None, is not
    verifiable, with its reason from `reasons`.
    """
    reasons = reasons or {}
    wanted = wanted or {}
    names = dict(names or {})
    cells = []
    for key, expect in predicted.items():
        expect = tuple(sorted(expect))
        want = tuple(sorted(wanted[key])) if key in wanted else None
        seen = observed.get(key)
        if seen is None:
            reason = reasons.get(key) or (
                "the lookup could not run" if key in observed else "not looked up"
            )
            cells.append(LookupCell(key, expect, None, UNVERIFIABLE, reason, want, names))
            continue
        seen = tuple(sorted(seen))
        status = AGREE if set(seen) == set(expect) else DIFFER
        cells.append(LookupCell(key, expect, seen, status, "", want, names))
    return cells


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
