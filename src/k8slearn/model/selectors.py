"""Label selectors (metav1.LabelSelector) and Service selectors.

A NetworkPolicy uses the full `LabelSelector` — `matchLabels` and
`matchExpressions`, ANDed; an *empty* selector `{}` matches everything, while
a *missing* selector is a different thing that each field documents for
itself. A Service uses a plain map of labels, equal to `matchLabels` alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Operator = Literal["In", "NotIn", "Exists", "DoesNotExist"]


@dataclass(frozen=True, slots=True)
class Requirement:
    """One `matchExpressions` entry (a `matchLabels` pair is `key In (value)`)."""

    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Follows metav1 semantics: NotIn also matches pods without the key."""
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels

    def describe(self) -> str:
        values = ",".join(sorted(self.values))
        if self.operator == "In":
            return f"{self.key}={values}" if len(self.values) == 1 else f"{self.key} in ({values})"
        if self.operator == "NotIn":
            return f"{self.key} notin ({values})"
        if self.operator == "Exists":
            return self.key
        return f"!{self.key}"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A parsed metav1.LabelSelector; no requirements means "select everything"."""

    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> LabelSelector:
        """Parse an already validated selector; `None` and `{}` both give the empty selector.

        Callers decide what a *missing* selector means before calling this.
        """
        raw = raw or {}
        reqs = [
            Requirement(str(k), "In", frozenset({str(v if v is not None else "")}))
            for k, v in sorted((raw.get("matchLabels") or {}).items())
        ]
        for expr in raw.get("matchExpressions") or []:
            reqs.append(
                Requirement(
                    str(expr.get("key")),
                    expr.get("operator"),
                    frozenset("" if v is None else str(v) for v in expr.get("values") or ()),
                )
            )
        return cls(tuple(reqs))

    @classmethod
    def from_labels(cls, labels: Mapping[str, str]) -> LabelSelector:
        """A Service-style selector: every label must be equal."""
        return cls(tuple(Requirement(k, "In", frozenset({v})) for k, v in sorted(labels.items())))

    @property
    def is_empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(req.matches(labels) for req in self.requirements)

    def describe(self) -> str:
        """Like `kubectl get -l`: `app=web,tier in (a,b)`; empty selects all."""
        if not self.requirements:
            return "(everything)"
        return ",".join(req.describe() for req in self.requirements)
