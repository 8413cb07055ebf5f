"""scripts/quiet_warnings.py and scripts/quiet.py: third-party notices, precisely."""

import os
import subprocess
import sys
import warnings

import pytest

from scripts import quiet_warnings
from scripts.quiet_warnings import QuietWarning
from tests.conftest import PROJECT_ROOT


def emitted(category: type[Warning], module: str) -> list[str]:
    """The warnings shown when ``module`` warns with ``category``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        quiet_warnings.install([QuietWarning("DeprecationWarning", r"noisy\..*")])
        warnings.warn_explicit("old API", category, "noisy.py", 1, module=module)
    return [str(w.message) for w in caught]


def test_only_the_listed_category_from_the_listed_module_is_ignored():
    assert emitted(DeprecationWarning, "noisy.part") == []
    assert emitted(DeprecationWarning, "ours.module") == ["old API"]
    assert emitted(DeprecationWarning, "noisy") == ["old API"]  # the pattern is whole
    assert emitted(UserWarning, "noisy.part") == ["old API"]


def test_every_listed_category_exists():
    entries = quiet_warnings.load()
    assert entries
    for entry in entries:
        assert issubclass(entry.category_class(), Warning), entry


def test_verbose_means_any_value_but_empty_or_0():
    assert quiet_warnings.verbose_requested({"VERBOSE": "1"})
    assert not quiet_warnings.verbose_requested({"VERBOSE": "0"})
    assert not quiet_warnings.verbose_requested({})


VALIDATE = ["--domain", "domain.yml", "--config", "config.yml"]
VALIDATE += ["--data", "data/nlu", "data/rules", "data/stories"]


def rasa_stderr(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.quiet", "rasa", "data", "validate", *VALIDATE],
        cwd=PROJECT_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stderr


@pytest.mark.parametrize("verbose", ["", "0", "1"])
def test_rasa_starts_without_deprecation_notices_unless_verbose(verbose):
    stderr = rasa_stderr({"VERBOSE": verbose})
    if verbose == "1":
        assert "DeprecationWarning: " in stderr
        assert "is not used in any story or rule" in stderr  # Rasa's false alarm
    else:
        assert "Warning" not in stderr, stderr


def test_rasa_learns_the_entries_with_a_message_as_expected_warnings():
    from rasa.utils import common

    entry = QuietWarning("UserWarning", r"rasa\..*", "The thing '\\w+' is unused")
    before = list(common.EXPECTED_WARNINGS)
    try:
        quiet_warnings.register_with_rasa([entry])
        quiet_warnings.register_with_rasa([entry])  # once only
        assert [*before, (UserWarning, entry.message)] == common.EXPECTED_WARNINGS
    finally:
        common.EXPECTED_WARNINGS[:] = before
