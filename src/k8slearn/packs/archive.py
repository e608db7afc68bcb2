"""A pack handed out as an archive (`.zip`, `.tar.gz`, `.tgz`, `.tar`): unpacked once, safely.

An instructor may mail a class `net-course.zip` instead of a folder. `--pack
net-course.zip` unpacks it under `<home>/cache/archives/<hash of its bytes>/`
(again only when the archive's content changes) and uses the pack inside: at
the top of the archive, in its one top-level folder, or in the Python project
it holds. An archive is untrusted input, so nothing in it may land outside
that folder: absolute paths, `..`, links and device files are refused, and so
are archives that unpack to more than 64 MiB or 10,000 files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
MAX_TOTAL = 64 * 1024 * 1024
MAX_FILES = 10_000


class ArchiveError(Exception):
    """The archive cannot be used as a pack; the message says why and what to do."""


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES) and path.is_file()


def unpack_pack(archive: Path) -> Path:
    """The folder of the pack in `archive`, unpacking it when needed."""
    from k8slearn.packs.library import pack_folder_of
    from k8slearn.progress.store import home

    try:
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:24]
    except OSError as exc:
        raise ArchiveError(f"{archive}: cannot be read ({exc.strerror or exc})") from None
    target = home() / "cache" / "archives" / digest
    if not (target / ".complete").is_file():
        _unpack_fresh(archive, target)
    top = [p for p in target.iterdir() if p.name != ".complete"]
    if (target / "pack.yaml").is_file():
        return target
    if len(top) == 1 and top[0].is_dir():
        folder, _ = pack_folder_of(top[0])
        if (folder / "pack.yaml").is_file():
            return folder
    raise ArchiveError(
        f"{archive} holds no pack: put pack.yaml at the top of the archive or in its one "
        "top-level folder (e.g. `zip -r net-course.zip net-course`)"
    )


def _unpack_fresh(archive: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpacking-"))
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                _extract(archive, _zip_entries(zf), work)
        else:
            with tarfile.open(archive) as tf:
                _extract(archive, _tar_entries(tf), work)
        (work / ".complete").write_text("", encoding="utf-8")
        try:
            work.rename(target)
        except OSError:  # another process unpacked the same archive first
            if not (target / ".complete").is_file():
                raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise ArchiveError(f"{archive}: not a readable archive ({exc})") from None
    except OSError as exc:
        raise ArchiveError(f"{archive}: cannot be unpacked ({exc.strerror or exc})") from None
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _safe_member(archive: Path, name: str) -> PurePosixPath:
    member = PurePosixPath(name.replace("\\", "/"))
    if member.is_absolute() or ".." in member.parts or not member.parts:
        raise ArchiveError(
            f"{archive}: the entry {name!r} would land outside the pack's folder; "
            "an archive of a pack holds only relative paths"
        )
    return member


def _check_totals(archive: Path, count: int, total: int) -> None:
    if count > MAX_FILES or total > MAX_TOTAL:
        raise ArchiveError(
            f"{archive} unpacks to {count} files, {total} bytes; a pack is far smaller "
            f"(limits: {MAX_FILES} files, {MAX_TOTAL // (1024 * 1024)} MiB)"
        )


# An entry: its name, "file", "dir" or "other" (a link, a device), its size, and how to
# open a file's content.
Entry = tuple[str, str, int, Callable[[], IO[bytes] | None]]


def _zip_entries(zf: zipfile.ZipFile) -> list[Entry]:
    out: list[Entry] = []
    for info in zf.infolist():
        if stat.S_ISLNK(info.external_attr >> 16):
            kind = "other"
        else:
            kind = "dir" if info.is_dir() else "file"
        out.append((info.filename, kind, info.file_size, partial(zf.open, info)))
    return out


def _tar_entries(tf: tarfile.TarFile) -> list[Entry]:
    return [
        (
            m.name,
            "dir" if m.isdir() else "file" if m.isfile() else "other",
            m.size,
            partial(tf.extractfile, m),
        )
        for m in tf.getmembers()
    ]


def _extract(archive: Path, entries: list[Entry], work: Path) -> None:
    """Write the entries under `work`, refusing whatever could land outside it."""
    _check_totals(archive, len(entries), sum(size for _, _, size, _ in entries))
    for name, kind, _size, open_content in entries:
        member = _safe_member(archive, name)
        if kind == "other":
            raise ArchiveError(f"{archive}: {name!r} is a link or a device; packs hold only files")
        dest = work.joinpath(*member.parts)
        if kind == "dir":
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = open_content()
        if src is None:
            continue
        with src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)
        os.chmod(dest, 0o644)
