"""NumPy arrays in a component's model storage: plain ``.npz``, never pickles."""

from __future__ import annotations

import numpy as np
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def save_arrays(
    storage: ModelStorage, resource: Resource, name: str, arrays: dict[str, np.ndarray]
) -> None:
    """Writes ``arrays`` to the file ``name`` of ``resource``."""
    with storage.write_to(resource) as folder:
        np.savez(folder / name, **arrays)


def load_arrays(
    storage: ModelStorage, resource: Resource, name: str
) -> dict[str, np.ndarray] | None:
    """The arrays ``save_arrays`` wrote, or None when there are none."""
    try:
        with (
            storage.read_from(resource) as folder,
            np.load(folder / name, allow_pickle=False) as stored,
        ):
            return {key: stored[key] for key in stored.files}
    except (ValueError, FileNotFoundError):
        return None
