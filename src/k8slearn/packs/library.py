"""Which packs a learner has: the built-in one, installed pack packages, `--pack PATH`s
and `K8SLEARN_PACKS`.

A class that should see only its course leaves the built-in pack out
(`--no-builtin`, or `K8SLEARN_NO_BUILTIN=1`). A pack can be installed the Python
way: a distribution that declares an entry point in the group `k8slearn.packs`,
whose object is the pack's package (its folder holds `pack.yaml`), a path, or a
function returning one.

Exercises are addressed as `<pack id>/<exercise id>`, or by the bare exercise
id when only one pack has it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from k8slearn.packs.cache import entry_points_cached, load_pack_cached
from k8slearn.packs.model import Exercise, Pack, is_dir, resolved
from k8slearn.problems import Problem

ENV_VAR = "K8SLEARN_PACKS"
NO_BUILTIN_VAR = "K8SLEARN_NO_BUILTIN"
ENTRY_POINT_GROUP = "k8slearn.packs"
BUILTIN_PACK_ID = "services-networking"


def builtin_pack_dirs() -> list[Path]:
    """The packs shipped inside the package (the repository's lessons/ folder).

    Found beside the package's own files rather than through importlib.resources,
    whose readers (zipfile among them) cost a start-up a few milliseconds for the
    same answer: packs are read from folders, so k8slearn is never run zipped."""
    import k8slearn

    root = Path(k8slearn.__file__).parent / "lessons"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "pack.yaml").is_file())


def builtin_wanted(no_builtin: bool = False) -> bool:
    """False when the flag is given or K8SLEARN_NO_BUILTIN is set to anything but 0/false/no."""
    value = os.environ.get(NO_BUILTIN_VAR, "").strip().lower()
    return not no_builtin and value in ("", "0", "false", "no")


def installed_pack_dirs(problems: list[Problem] | None = None) -> list[Path]:
    """The folders of packs installed as Python packages (entry points `k8slearn.packs`)."""
    out = []
    for name, value in entry_points_cached(ENTRY_POINT_GROUP):
        where = f"entry point {name!r} ({value}) of group {ENTRY_POINT_GROUP}"
        try:
            target = _load_entry_point(value)
            if callable(target):
                target = target()
            if hasattr(target, "__path__"):  # a package: the pack is its folder
                target = Path(next(iter(target.__path__)))
            elif hasattr(target, "__file__"):  # a module: the folder it is in
                target = Path(target.__file__).parent
            out.append(Path(target))
        except Exception as exc:  # a broken install must not stop the app
            if problems is not None:
                problems.append(
                    Problem(
                        f"{where} cannot be loaded ({type(exc).__name__}: {exc}); "
                        "reinstall the pack's package",
                        file=value,
                    )
                )
    return out


def _load_entry_point(value: str) -> object:
    """The object an entry point names: `module` or `module:attr.attr` (extras ignored)."""
    import importlib

    module, _, attrs = value.partition("[")[0].strip().partition(":")
    target: object = importlib.import_module(module.strip())
    for attr in filter(None, attrs.strip().split(".")):
        target = getattr(target, attr)
    return target


def pack_folder_of(path: Path) -> tuple[Path, str]:
    """The pack folder `path` means, and a note when it is not `path` itself.

    A pack folder holds pack.yaml. A Python project made by `pack new --package`
    holds it in `src/<package>/` (or `<package>/`): exactly one such folder is
    the pack. Anything else is returned unchanged, for the validator to report.
    """
    if (path / "pack.yaml").is_file() or not (path / "pyproject.toml").is_file():
        return path, ""
    found = sorted(p.parent for p in (*path.glob("src/*/pack.yaml"), *path.glob("*/pack.yaml")))
    if len(found) != 1:
        return path, ""
    return found[0], f"the pack of the project {path} is {found[0]}"


def pack_dirs(
    extra: Iterable[str | Path] = (),
    builtin: bool = True,
    problems: list[Problem] | None = None,
) -> list[Path]:
    """Built-in packs (unless left out), installed packs, then `extra`, then those named in
    K8SLEARN_PACKS; each folder once. A named archive is unpacked (packs.archive)."""
    dirs = builtin_pack_dirs() if builtin else []
    dirs += installed_pack_dirs(problems)
    env = os.environ.get(ENV_VAR, "")
    named = [Path(p) for p in extra] + [Path(p) for p in env.split(os.pathsep) if p.strip()]
    for path in named:
        folder = _named_pack(path, problems)
        if folder is not None:
            dirs.append(folder)
    out: list[Path] = []
    for d in dirs:
        real = resolved(d) or d
        if real not in {resolved(o) or o for o in out}:
            out.append(d)
    return out


def _named_pack(path: Path, problems: list[Problem] | None) -> Path | None:
    """The pack folder a `--pack` names: a folder, a Python project, or an archive."""
    from k8slearn.packs.archive import ArchiveError, is_archive, unpack_pack

    if not is_archive(path):
        return pack_folder_of(path)[0]
    try:
        return unpack_pack(path)
    except ArchiveError as exc:
        if problems is not None:
            problems.append(Problem(str(exc), file=str(path)))
        return None


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


def load_library(extra: Iterable[str | Path] = (), no_builtin: bool = False) -> Library:
    """Load every pack; a broken pack is reported and skipped, never fatal.

    `no_builtin` (or K8SLEARN_NO_BUILTIN=1) leaves the built-in pack out: a class
    sees only its own course.
    """
    library = Library()
    seen_ids: dict[str, Path] = {}
    for folder in pack_dirs(extra, builtin_wanted(no_builtin), library.problems):
        if not is_dir(folder):
            library.problems.append(
                Problem(f"pack folder {folder} does not exist", file=str(folder))
            )
            continue
        pack, problems = load_pack_cached(folder)
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
