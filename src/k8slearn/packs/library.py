"""Which packs a learner has: the built-in one, `--pack PATH`s and `K8SLEARN_PACKS`.

Exercises are addressed as `<pack id>/<exercise id>`, or by the bare exercise
id when only one pack has it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from k8slearn.packs.format import Exercise, Pack, is_dir, load_pack, resolved
from k8slearn.problems import Problem

ENV_VAR = "K8SLEARN_PACKS"


def builtin_pack_dirs() -> list[Path]:
    """The packs shipped inside the package (the repository's lessons/ folder)."""
    root = Path(str(resources.files("k8slearn") / "lessons"))
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "pack.yaml").is_file())


def pack_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Built-in packs, then `extra`, then those named in K8SLEARN_PACKS."""
    dirs = builtin_pack_dirs()
    dirs += [Path(p) for p in extra]
    env = os.environ.get(ENV_VAR, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    out: list[Path] = []
    for d in dirs:
        real = resolved(d) or d
        if real not in {resolved(o) or o for o in out}:
            out.append(d)
    return out


@dataclass
class Library:
    packs: list[Pack] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def exercises(self) -> list[Exercise]:
        return [ex for pack in self.packs for ex in pack.exercises()]

    def find(self, ref: str) -> tuple[Exercise | None, str]:
        """The exercise `ref` names, or None and a message saying why not."""
        if "/" in ref:
            pack_id, _, ex_id = ref.partition("/")
            matches = [e for e in self.exercises() if e.pack_id == pack_id and e.id == ex_id]
        else:
            matches = [e for e in self.exercises() if e.id == ref]
        if len(matches) == 1:
            return matches[0], ""
        if len(matches) > 1:
            names = ", ".join(e.qualified_id for e in matches)
            return None, f"{ref!r} is in several packs ({names}); name it as <pack>/<exercise>"
        import difflib

        ids = [e.id for e in self.exercises()] + [e.qualified_id for e in self.exercises()]
        close = difflib.get_close_matches(ref, list(dict.fromkeys(ids)), n=3, cutoff=0.6)
        hint = (
            f"; did you mean {', '.join(close)}?" if close else "; `k8slearn list` shows them all"
        )
        return None, f"no exercise {ref!r}{hint}"

    def neighbour(self, exercise: Exercise, step: int) -> Exercise | None:
        """The exercise `step` places after (or before) `exercise`, across lessons and packs."""
        all_exercises = self.exercises()
        for i, ex in enumerate(all_exercises):
            if ex is exercise:
                j = i + step
                return all_exercises[j] if 0 <= j < len(all_exercises) else None
        return None


def load_library(extra: Iterable[str | Path] = ()) -> Library:
    """Load every pack; a broken pack is reported and skipped, never fatal."""
    library = Library()
    seen_ids: dict[str, Path] = {}
    for folder in pack_dirs(extra):
        if not is_dir(folder):
            library.problems.append(
                Problem(f"pack folder {folder} does not exist", file=str(folder))
            )
            continue
        pack, problems = load_pack(folder)
        library.problems.extend(problems)
        if pack is None:
            continue
        if pack.id in seen_ids:
            library.problems.append(
                Problem(
                    f"pack id {pack.id!r} is already used by {seen_ids[pack.id]}; this copy is skipped",
                    file=str(folder / "pack.yaml"),
                )
            )
            continue
        seen_ids[pack.id] = folder
        library.packs.append(pack)
    return library
