"""Big inputs read before, kept by their content, so asking again does not read again.

A user analysing an export of a real cluster runs `reach` many times over the
same files, each time with another question (`--explain`, `--to-service`,
another port). Reading half a megabyte of YAML with positions and checking it
as the API server would costs far more than the question: libyaml's composer
alone is about as slow as the whole truth table. What reading gives depends only
on the bytes and on k8slearn's own code, so the result is pickled under
`<home>/cache/inputs/`, named by the bytes' SHA-256, and used again while both
match.

- Only inputs of at least `MIN_BYTES` are kept: a hand-written answer is read
  in milliseconds, changes at every save, and would only push the export out.
- Only results without errors are kept (the caller decides): a file with
  problems is about to be edited.
- At most `MAX_ENTRIES` results, and `MAX_TOTAL_BYTES` of them, are kept; the
  least recently used goes first.

The cache is an optimisation only: any error reading or writing it falls back
to reading the input, and `K8SLEARN_NO_CACHE=1` turns it (and the pack cache)
off. The pack cache (`packs/cache.py`) shares the pieces below.
"""

from __future__ import annotations

import contextlib
import copyreg
import hashlib
import io
import os
import pickle
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, TypeVar

NO_CACHE_VAR = "K8SLEARN_NO_CACHE"
MIN_BYTES = 128 * 1024
MAX_ENTRIES = 16
MAX_TOTAL_BYTES = 512 * 1024 * 1024
_FORMAT = 1  # bump when what is stored changes shape

T = TypeVar("T")


def disabled() -> bool:
    """Whether the user turned caching off (`K8SLEARN_NO_CACHE=1`)."""
    return os.environ.get(NO_CACHE_VAR, "").strip().lower() not in ("", "0", "false", "no")


def cache_folder(name: str) -> Path:
    """`<home>/cache/<name>`, beside the progress store."""
    from k8slearn.progress.store import home

    return home() / "cache" / name


def read_cached(kind: str, data: bytes, read: Callable[[bytes], T], keep: Callable[[T], bool]) -> T:
    """`read(data)`, or what it gave last time for the same bytes, `kind` and code.

    `kind` names the reading and its arguments (e.g. "scenario"); `keep(result)`
    says whether a fresh result is worth keeping (e.g. it has no errors).
    """
    if len(data) < MIN_BYTES or disabled():
        return read(data)
    digest = hashlib.sha256(data).hexdigest()
    try:
        key = (_FORMAT, kind, code_fingerprint(), digest)
        name = hashlib.sha256(f"{kind}\0{digest}".encode()).hexdigest()[:40]
        file = cache_folder("inputs") / f"{name}.pickle"
    except OSError:
        return read(data)
    value = kept(file, key)
    if value is not MISSING:
        with contextlib.suppress(OSError):
            os.utime(file)  # recently used: kept longest
        return value
    value = read(data)
    if keep(value):
        store_pickle(file, (key, value))
        _evict(file.parent)
    return value


MISSING = object()


def kept(file: Path, key: object) -> Any:
    """What `store_pickle` wrote to `file` as `(key, value)`: the value, or `MISSING` when
    there is none for `key` (no file, another key, another Python, a damaged file)."""
    try:
        with open(file, "rb") as f:
            stored_key, value = pickle.load(f)
    except Exception:
        return MISSING
    return value if stored_key == key else MISSING


def _evict(folder: Path) -> None:
    """Keep the most recently used results, at most `MAX_ENTRIES` and `MAX_TOTAL_BYTES`."""
    try:
        entries = sorted(
            (
                (st.st_mtime_ns, st.st_size, e.path)
                for e in os.scandir(folder)
                if e.name.endswith(".pickle") and (st := e.stat())
            ),
            reverse=True,  # newest first
        )
        total = 0
        for count, (_, size, path) in enumerate(entries, 1):
            total += size
            if count > MAX_ENTRIES or total > MAX_TOTAL_BYTES:
                os.unlink(path)
    except OSError:
        pass


def _proxy(items: dict[str, Any]) -> MappingProxyType:
    return MappingProxyType(items)


def _reduce_proxy(proxy: MappingProxyType) -> tuple:
    return _proxy, (dict(proxy),)


def dump(item: object, file: BinaryIO) -> None:
    """Pickle `item` into `file`. The model's read-only mappings (`MappingProxyType`) are
    pickled as the dicts they show, and come back read-only."""
    pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy}
    pickler.dump(item)


def dumps(item: object) -> bytes:
    """`dump` into bytes."""
    buffer = io.BytesIO()
    dump(item, buffer)
    return buffer.getvalue()


def store_pickle(file: Path, item: object) -> None:
    """Write atomically (a reader never sees half a file); a failure only costs speed."""
    import tempfile  # only when writing: most runs read

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                dump(item, f)
            os.replace(tmp, file)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PickleError, TypeError, AttributeError, RecursionError):
        pass


@cache
def code_fingerprint() -> tuple:
    """Every code and schema file of the k8slearn package: another version may read
    inputs differently."""
    import k8slearn

    package = Path(k8slearn.__file__).parent
    return tree_stats(package, suffixes=(".py", ".json"), skip=("lessons", "__pycache__"))


def tree_stats(root: Path, suffixes: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> tuple:
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
