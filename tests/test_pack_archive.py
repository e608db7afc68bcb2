"""A pack handed out as an archive: `--pack course.zip` (or .tar.gz) works, and safely."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.packs.archive import ArchiveError, unpack_pack
from k8slearn.packs.library import load_library
from k8slearn.packs.scaffold import new_pack


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SLEARN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    new_pack(root)
    return root


def zip_folder(folder: Path, archive: Path, prefix: str) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, f"{prefix}{f.relative_to(folder).as_posix()}")
    return archive


def test_a_zip_with_one_top_folder_is_a_pack(home, tmp_path):
    archive = zip_folder(course(tmp_path), tmp_path / "course.zip", "course/")
    result = CliRunner().invoke(main, ["list", "--no-builtin", "--pack", str(archive)])
    assert result.exit_code == 0, result.output
    assert "course/expose-web" in result.output
    unpacked = list((home / "cache" / "archives").iterdir())
    assert len(unpacked) == 1 and (unpacked[0] / "course" / "pack.yaml").is_file()


def test_a_tar_gz_with_the_pack_at_its_top_and_a_changed_archive(home, tmp_path):
    root = course(tmp_path)
    archive = tmp_path / "course.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for f in sorted(root.rglob("*")):
            tf.add(f, f.relative_to(root).as_posix(), recursive=False)
    library = load_library([archive], no_builtin=True)
    assert not library.problems and [p.id for p in library.packs] == ["course"]
    first = unpack_pack(archive)
    (root / "pack.yaml").write_text((root / "pack.yaml").read_text().replace("0.1.0", "0.2.0"))
    with tarfile.open(archive, "w:gz") as tf:
        for f in sorted(root.rglob("*")):
            tf.add(f, f.relative_to(root).as_posix(), recursive=False)
    second = unpack_pack(archive)
    assert second != first  # new content, new folder: never the stale copy
    assert load_library([archive], no_builtin=True).packs[0].version == "0.2.0"


def test_entries_outside_the_folder_links_and_junk_are_refused(home, tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("course/pack.yaml", "id: x\n")
        zf.writestr("../outside.txt", "x")
    with pytest.raises(ArchiveError, match="would land outside the pack's folder"):
        unpack_pack(evil)
    assert not (tmp_path / "outside.txt").exists()

    linked = tmp_path / "linked.tar"
    with tarfile.open(linked, "w") as tf:
        info = tarfile.TarInfo("course/pack.yaml")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    with pytest.raises(ArchiveError, match="is a link or a device"):
        unpack_pack(linked)

    zipped_link = tmp_path / "linked.zip"
    with zipfile.ZipFile(zipped_link, "w") as zf:
        info = zipfile.ZipInfo("course/pack.yaml")
        info.external_attr = 0o120777 << 16  # a symbolic link, as zip -y stores it
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="is a link or a device"):
        unpack_pack(zipped_link)

    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    library = load_library([junk], no_builtin=True)
    assert not library.packs
    assert any("not a readable archive" in p.message for p in library.problems)

    empty = tmp_path / "empty.tar"
    with tarfile.open(empty, "w") as tf:
        data = b"hello"
        info = tarfile.TarInfo("notes/readme.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with pytest.raises(ArchiveError, match="holds no pack"):
        unpack_pack(empty)
