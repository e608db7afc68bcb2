"""Parsed packs (and where installed packs are) kept between runs, so a start or a
`check` does not re-read every file.

Reading and checking the built-in pack's 68 exercise files costs about a third
of a second, on every start of the app and every `k8slearn check`. What a pack
reads to is the same as long as none of its files and none of k8slearn's own
code changed, so the result is kept, pickled, under `<home>/cache/packs/` and
used again when its key still matches:

- every file of the pack folder: its path, size and modification time;
- the same for every code and schema file of the k8slearn package (another
  version may read packs differently).

Finding installed pack packages means importing `importlib.metadata` and
reading every installed distribution's metadata (~70 ms). Their entry points
(group `k8slearn.packs`) are kept too, keyed by the names and times of the
distributions' metadata folders on `sys.path`: installing, upgrading or removing
a package changes them.

The cache is an optimisation only: any error reading or writing it falls back
to reading the pack. `pack validate` never uses it. `K8SLEARN_NO_CACHE=1`
turns it off. The files are the learner's own, in their own data folder, as
the progress store is.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path

from k8slearn.packs.format import Pack, load_pack, resolved
from k8slearn.problems import Problem

NO_CACHE_VAR = "K8SLEARN_NO_CACHE"
_FORMAT = 2  # bump when what is stored changes shape


def load_pack_cached(root: Path) -> tuple[Pack | None, list[Problem]]:
    """`load_pack(root)`, from the cache when nothing it depends on changed."""
    if os.environ.get(NO_CACHE_VAR, "").strip().lower() not in ("", "0", "false", "no"):
        return load_pack(root)
    real = resolved(root) or root
    try:
        key = (_FORMAT, _code_fingerprint(), _folder_fingerprint(real))
        file = _cache_folder() / f"{hashlib.sha256(str(real).encode()).hexdigest()[:24]}.pickle"
    except OSError:
        return load_pack(root)
    try:
        with open(file, "rb") as f:
            stored_key, value = pickle.load(f)
        if stored_key == key:
            return value
    except Exception:  # missing, stale, from another Python, damaged: read the pack again
        pass
    value = load_pack(root)
    _drop_positions(value[0])
    _store(file, (key, value))
    return value


def _drop_positions(pack: Pack | None) -> None:
    """Where each field of an exercise file was written is for `pack validate` (which reads
    packs afresh); learners' faces never ask. Dropped on a fresh read as on a cached one,
    so both give the same objects, and the cache is a third of the size to load."""
    for ex in pack.exercises() if pack is not None else ():
        ex.doc = None


def _cache_folder() -> Path:
    from k8slearn.progress.store import home

    return home() / "cache" / "packs"


def _store(file: Path, item: object) -> None:
    """Write atomically (a reader never sees half a file); a failure only costs speed."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(item, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, file)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        pass


def _folder_fingerprint(root: Path) -> tuple:
    return _tree_stats(root)


@cache
def _code_fingerprint() -> tuple:
    import k8slearn

    package = Path(k8slearn.__file__).parent
    return _tree_stats(package, suffixes=(".py", ".json"), skip=("lessons", "__pycache__"))


def _tree_stats(root: Path, suffixes: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> tuple:
    """(path under `root`, size, modification time) of every file (ending in `suffixes`),
    in a stable order, leaving out the folders named in `skip`."""
    entries = []
    prefix = len(os.path.join(str(root), ""))  # the part of each path that is `root/`
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(files):
            if suffixes and not name.endswith(suffixes):
                continue
            path = os.path.join(folder, name)
            st = os.stat(path)
            entries.append((path[prefix:], st.st_size, st.st_mtime_ns))
    return tuple(entries)


def entry_points_cached(group: str) -> list[tuple[str, str]]:
    """(name, value) of every entry point in `group`, sorted by name."""
    key = (_FORMAT, group, _path_fingerprint())
    file = _cache_folder() / "entry-points.pickle"
    try:
        with open(file, "rb") as f:
            stored_key, value = pickle.load(f)
        if stored_key == key:
            return value
    except Exception:  # missing, stale or damaged: ask importlib.metadata
        pass
    from importlib.metadata import entry_points

    value = sorted((ep.name, ep.value) for ep in entry_points(group=group))
    _store(file, (key, value))
    return value


def _path_fingerprint() -> tuple:
    """The installed distributions on sys.path: each metadata folder's name and time.

    Not the folders' own times: the current folder is on sys.path, and a learner
    saving an answer there would make every run ask importlib.metadata again.
    """
    import sys

    out = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                found = sorted(
                    (e.name, e.stat().st_mtime_ns)
                    for e in it
                    if e.name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth"))
                )
        except OSError:
            found = []
        out.append((entry, tuple(found)))
    return tuple(out)
