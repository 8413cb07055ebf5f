"""Prints a fingerprint of the files a Rasa model is trained from.

Usage: python scripts/fingerprint.py PATH...  (files or folders)

`make train` retrains only when this changes. Content, not modification
times, counts: a fresh clone or a `touch` does not force a retrain.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path


def training_files(paths: Iterable[str]) -> Iterator[Path]:
    """Yields every file under the given paths, in a stable order."""
    for name in sorted(paths):
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def fingerprint(paths: Iterable[str]) -> str:
    """Hashes the names and contents of the files under ``paths``."""
    digest = hashlib.sha256()
    for path in training_files(paths):
        digest.update(path.as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(fingerprint(sys.argv[1:]))
