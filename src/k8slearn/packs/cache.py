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
the progress store is. Writing, the code fingerprint and the switch are shared
with the cache of big inputs (`k8slearn.readcache`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from k8slearn.packs.model import Pack, resolved
from k8slearn.problems import Problem
from k8slearn.readcache import (
    MISSING,
    cache_folder,
    code_fingerprint,
    disabled,
    kept,
    store_pickle,
    tree_stats,
)

_FORMAT = 2  # bump when what is stored changes shape


def load_pack(root: Path) -> tuple[Pack | None, list[Problem]]:
    """The pack read afresh; the reader (YAML, the loader, the schemas) is imported only then."""
    from k8slearn.packs.format import load_pack as read

    return read(root)


def load_pack_cached(root: Path) -> tuple[Pack | None, list[Problem]]:
    """`load_pack(root)`, from the cache when nothing it depends on changed."""
    if disabled():
        return load_pack(root)
    real = resolved(root) or root
    try:
        key = (_FORMAT, code_fingerprint(), tree_stats(real))
        name = hashlib.sha256(str(real).encode()).hexdigest()[:24]
        file = cache_folder("packs") / f"{name}.pickle"
    except OSError:
        return load_pack(root)
    value = kept(file, key)
    if value is not MISSING:
        return value
    value = load_pack(root)
    _drop_positions(value[0])
    store_pickle(file, (key, value))
    return value


def _drop_positions(pack: Pack | None) -> None:
    """Where each field of an exercise file was written is for `pack validate` (which reads
    packs afresh); learners' faces never ask. Dropped on a fresh read as on a cached one,
    so both give the same objects, and the cache is a third of the size to load."""
    for ex in pack.exercises() if pack is not None else ():
        ex.doc = None


def entry_points_cached(group: str) -> list[tuple[str, str]]:
    """(name, value) of every entry point in `group`, sorted by name."""
    key = (_FORMAT, group, _path_fingerprint())
    file = cache_folder("packs") / "entry-points.pickle"
    value = kept(file, key)
    if value is not MISSING:
        return value
    from importlib.metadata import entry_points

    value = sorted((ep.name, ep.value) for ep in entry_points(group=group))
    store_pickle(file, (key, value))
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
