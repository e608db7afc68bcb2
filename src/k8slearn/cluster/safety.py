"""What verify may touch: which kube contexts, which namespaces, which objects.

The rules, all pure functions over plain data so they are tested without a cluster:

* **Contexts.** By default only a context whose name starts with `kind-` (kind
  names its contexts `kind-<cluster>`); `kind-k8slearn` is preferred when it
  exists. Any other context only when it is named with `--context` *and*
  confirmed with `--yes`.
* **Namespaces.** The scenario's namespaces keep their names (answers and
  selectors name them), so verify creates them itself and refuses to run where
  one already exists without `app.kubernetes.io/managed-by=k8slearn`. The
  built-in namespaces are never created, relabelled or deleted: there verify
  only adds, and later removes, objects that carry its label.
* **Objects.** Nothing verify did not create is changed or deleted: an object
  is deleted only when it carries the label, and a planned object whose name is
  taken by an unlabelled one stops the run.
* **Leftovers.** Labelled objects found before a run are what an interrupted
  run left behind: the next run removes them first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from k8slearn.cluster import (
    BUILTIN_NAMESPACES,
    KIND_CONTEXT,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
)

KIND_PREFIX = "kind-"


class SafetyError(Exception):
    """Verify must not run here; the message says why and what to do instead."""


def is_managed(labels: Mapping[str, str] | None) -> bool:
    """Whether an object carries verify's label, so verify created it and may delete it."""
    return bool(labels) and labels.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def with_label(labels: Mapping[str, str] | None) -> dict[str, str]:
    """`labels` plus `app.kubernetes.io/managed-by: k8slearn`."""
    out = dict(labels or {})
    out[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    return out


def is_builtin(namespace: str) -> bool:
    return namespace in BUILTIN_NAMESPACES


# -- contexts ------------------------------------------------------------------------------


def choose_context(
    available: Iterable[str],
    current: str | None,
    requested: str | None = None,
    yes: bool = False,
) -> str:
    """The kube context verify may use, or SafetyError saying why none.

    `available` are the kubeconfig's context names, `current` its
    current-context, `requested` the `--context` option, `yes` the `--yes` flag.
    """
    names = list(available)
    if not names:
        raise SafetyError(
            "no kubeconfig context at all: create the cluster with `k8slearn cluster up` "
            "(it runs kind, which writes the context kind-k8slearn)"
        )
    if requested:
        if requested not in names:
            raise SafetyError(
                f"no context {requested!r} in your kubeconfig; you have: {', '.join(sorted(names))}"
            )
        if requested.startswith(KIND_PREFIX) or yes:
            return requested
        raise SafetyError(
            f"{requested!r} is not a kind context (those start with `kind-`). verify creates "
            "namespaces, pods and your answer's objects there and deletes them afterwards; "
            f"to use {requested!r} anyway, run again with `--context {requested} --yes`"
        )
    if KIND_CONTEXT in names:
        return KIND_CONTEXT
    if current and current.startswith(KIND_PREFIX):
        return current
    kinds = sorted(n for n in names if n.startswith(KIND_PREFIX))
    if kinds:
        raise SafetyError(
            f"the current context {current!r} is not a kind context; choose one of yours "
            f"with --context ({', '.join(kinds)}) or create k8slearn's with `k8slearn cluster up`"
        )
    shown = (
        f"the current context {current!r} is"
        if current
        else "there is no current context, and it is"
    )
    raise SafetyError(
        f"{shown} not a kind cluster, and verify only uses `kind-` contexts by default: "
        "run `k8slearn cluster up` to create one (needs Docker and kind), or name another "
        "context with --context NAME --yes if you really mean it"
    )


# -- namespaces ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamespaceState:
    """A namespace as the cluster has it: labels, and whether it is being deleted."""

    labels: Mapping[str, str]
    terminating: bool = False


def namespace_action(name: str, state: NamespaceState | None) -> str:
    """What verify does with a namespace it needs.

    `create` (absent), `builtin` (never touched: only labelled objects go in),
    `leftover` (labelled: a former run's, delete and recreate), `refuse`
    (exists without the label: someone else's).
    """
    if is_builtin(name):
        return "builtin"
    if state is None:
        return "create"
    if is_managed(state.labels):
        return "leftover"
    return "refuse"


def check_namespaces(
    wanted: Iterable[str], existing: Mapping[str, NamespaceState | None]
) -> list[str]:
    """Why verify may not create `wanted` where `existing` says what the cluster has."""
    problems = []
    for name in wanted:
        if namespace_action(name, existing.get(name)) == "refuse":
            problems.append(
                f"namespace {name} already exists and was not created by k8slearn (it has no "
                f"label {MANAGED_BY_KEY}={MANAGED_BY_VALUE}); verify needs its own {name}, "
                f"because the exercise's selectors name it. Use a fresh cluster "
                "(`k8slearn cluster down && k8slearn cluster up`), or delete that namespace "
                "yourself if you no longer need it"
            )
    return problems


# -- objects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


def ref_of(obj: Mapping) -> ObjectRef:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") if obj.get("kind") != "Namespace" else None
    return ObjectRef(str(obj.get("kind")), namespace, str(meta.get("name")))


def check_conflicts(
    planned: Iterable[Mapping], existing: Mapping[ObjectRef, Mapping[str, str] | None]
) -> list[str]:
    """Planned objects whose names an unlabelled object already takes (in built-in namespaces).

    `existing` maps each planned object's ref to the labels of the object the
    cluster has under that name, or None when there is none.
    """
    problems = []
    for obj in planned:
        ref = ref_of(obj)
        if ref.kind == "Namespace" or ref.namespace is None or not is_builtin(ref.namespace):
            continue
        labels = existing.get(ref)
        if labels is not None and not is_managed(labels):
            problems.append(
                f"{ref} already exists and was not created by k8slearn; verify never changes "
                "what it did not create. Rename or delete it yourself, or use a fresh cluster"
            )
    return problems


def leftovers(found: Iterable[tuple[ObjectRef, Mapping[str, str] | None]]) -> list[ObjectRef]:
    """Of the objects found on the cluster, those an earlier run left (labelled ones).

    Namespaces come last so that objects in built-in namespaces go first and a
    labelled namespace takes its own contents with it.
    """
    refs = [ref for ref, labels in found if is_managed(labels)]
    return sorted(refs, key=lambda r: (r.kind == "Namespace", r.kind, r.namespace or "", r.name))


def may_delete(ref: ObjectRef, labels: Mapping[str, str] | None) -> bool:
    """Verify deletes an object only when it carries the label, and never a built-in namespace."""
    if ref.kind == "Namespace" and is_builtin(ref.name):
        return False
    return is_managed(labels)
