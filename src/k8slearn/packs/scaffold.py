"""`k8slearn pack new`: a pack that passes `pack validate` as it is, commented to teach the format.

The template is data (the `template/` folder next to this module); only the
pack's id and title are filled in.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from k8slearn.packs.format import resolved


class ScaffoldError(Exception):
    pass


def pack_id_for(folder: Path) -> str:
    """A valid pack id from a folder name: lowercase, digits and '-'."""
    real = resolved(folder) or folder
    text = re.sub(r"[^a-z0-9]+", "-", real.name.lower()).strip("-")
    return text[:63] or "my-pack"


def new_pack(folder: Path) -> list[Path]:
    """Write the template into `folder` (which must not exist or be empty); return the files."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(
            f"{folder} already exists and is not an empty folder; choose a new path"
        )
    pack_id = pack_id_for(folder)
    title = pack_id.replace("-", " ").capitalize()
    template = resources.files("k8slearn.packs") / "template"
    written: list[Path] = []

    def copy(node, target: Path) -> None:
        for child in node.iterdir():
            dest = target / child.name
            if child.is_dir():
                copy(child, dest)
            else:
                text = child.read_text(encoding="utf-8")
                text = text.replace("__PACK_ID__", pack_id).replace("__PACK_TITLE__", title)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(text, encoding="utf-8")
                written.append(dest)

    try:
        folder.mkdir(parents=True, exist_ok=True)
        copy(template, folder)
    except OSError as exc:
        raise ScaffoldError(f"cannot write the pack to {folder}: {exc.strerror or exc}") from None
    return sorted(written)
