"""`k8slearn pack new`: a pack that passes `pack validate` as it is, commented to teach the format.

The template is data (the `template/` folder next to this module); only the
pack's id and title are filled in. With `--package` the pack goes inside a
Python project (`package_template/`) whose entry point in the group
`k8slearn.packs` lets k8slearn find the installed pack by itself.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from k8slearn.packs.library import BUILTIN_PACK_ID
from k8slearn.packs.model import resolved


class ScaffoldError(Exception):
    pass


def pack_id_for(folder: Path) -> str:
    """A valid pack id from a folder name: lowercase, digits and '-'."""
    real = resolved(folder) or folder
    text = re.sub(r"[^a-z0-9]+", "-", real.name.lower()).strip("-")
    return text[:63] or "my-pack"


PACKAGE_PREFIX = "k8slearn-pack-"


def new_pack(folder: Path, package: bool = False) -> list[Path]:
    """Write the template into `folder` (which must not exist or be empty); return the files.

    With `package`, `folder` becomes a Python project and the pack lives in its
    package `src/k8slearn_pack_<id>/`.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(
            f"{folder} already exists and is not an empty folder; choose a new path"
        )
    pack_id = pack_id_for(folder)
    if pack_id == BUILTIN_PACK_ID:  # a pack with the built-in id would be skipped at load
        pack_id += "-course"
    if package and pack_id.startswith(PACKAGE_PREFIX) and len(pack_id) > len(PACKAGE_PREFIX):
        pack_id = pack_id[len(PACKAGE_PREFIX) :]  # k8slearn-pack-netpol -> netpol
    module = "k8slearn_pack_" + pack_id.replace("-", "_")
    names = {
        "__PACK_ID__": pack_id,
        "__PACK_TITLE__": pack_id.replace("-", " ").capitalize(),
        "__MODULE__": module,
        "__DIST_NAME__": PACKAGE_PREFIX + pack_id,
    }
    templates = resources.files("k8slearn.packs")
    written: list[Path] = []

    def fill(text: str) -> str:
        for key, value in names.items():
            text = text.replace(key, value)
        return text

    def copy(node, target: Path) -> None:
        for child in node.iterdir():
            dest = target / fill(child.name).removesuffix(".tmpl")
            if child.is_dir():
                copy(child, dest)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(fill(child.read_text(encoding="utf-8")), encoding="utf-8")
                written.append(dest)

    try:
        folder.mkdir(parents=True, exist_ok=True)
        if package:
            copy(templates / "package_template", folder)
            copy(templates / "template", folder / "src" / module)
        else:
            copy(templates / "template", folder)
    except OSError as exc:
        raise ScaffoldError(f"cannot write the pack to {folder}: {exc.strerror or exc}") from None
    return sorted(written)
