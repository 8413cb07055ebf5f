"""Changes to Rasa's internals, installed on purpose by ``install()``.

Each patch replaces one function of Rasa 3.6 with one that does the same work
faster (the module of each says what it replaces and why). They are written
against Rasa 3.6's internals, so ``install`` checks the installed Rasa first
and refuses any other release line with a message that says what to do.
Nothing is patched at import time: the Rasa server installs them through the
``RasaPatches`` entry of credentials.yml (``channel.py``), and the plugin's
NLU server when it starts.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib import metadata

#: Rasa release lines (major.minor) whose internals the patches are written for.
SUPPORTED_RASA = ("3.6",)
#: Every patch, by module name under ``rasa_hybrid.patches``.
PATCHES = ("action_calls", "action_validation", "feature_stacking", "nlu_calls")


class UnsupportedRasaError(RuntimeError):
    """The installed Rasa is not one the patches were written for."""


def rasa_version() -> str:
    """The installed Rasa's version, or "" when Rasa is not installed."""
    try:
        return metadata.version("rasa")
    except metadata.PackageNotFoundError:
        return ""


def check_rasa_version(version: str | None = None) -> str:
    """``version`` (the installed Rasa's by default), when it is supported.

    Raises:
        UnsupportedRasaError: it is not, or Rasa is not installed.
    """
    version = rasa_version() if version is None else version
    line = ".".join(version.split(".")[:2])
    if line not in SUPPORTED_RASA:
        found = f"Rasa {version}" if version else "no Rasa"
        raise UnsupportedRasaError(
            f"rasa-hybrid's patches are written for Rasa {', '.join(SUPPORTED_RASA)}.x"
            f" and this environment has {found}. Install a supported Rasa"
            ' (pip install "rasa-hybrid[rasa]") or remove'
            " rasa_hybrid.patches.RasaPatches from credentials.yml."
        )
    return version


def install(names: Iterable[str] = PATCHES, version: str | None = None) -> None:
    """Installs the named patches (all by default); idempotent.

    Raises:
        UnsupportedRasaError: the installed Rasa is not a supported one.
        ValueError: a name is not one of ``PATCHES``.
    """
    check_rasa_version(version)
    names = tuple(names)
    unknown = sorted(set(names) - set(PATCHES))
    if unknown:
        raise ValueError(f"No patch {', '.join(unknown)}; the patches: {PATCHES}")
    for name in names:
        importlib.import_module(f"rasa_hybrid.patches.{name}").install()


def installed() -> dict[str, bool]:
    """Whether each patch is in place."""
    return {
        name: importlib.import_module(f"rasa_hybrid.patches.{name}").installed()
        for name in PATCHES
    }
