"""rasa_hybrid.patches: installed on purpose, for Rasa 3.6 only."""

from __future__ import annotations

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.http_interpreter import RasaNLUHttpInterpreter
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import EndpointConfig
from rasa_hybrid import patches
from rasa_hybrid.patches import (
    action_calls,
    action_validation,
    feature_stacking,
    nlu_calls,
)
from rasa_hybrid.patches.channel import RasaPatches

from tests.conftest import PROJECT_ROOT


@pytest.fixture(autouse=True)
def rasa_as_it_was():
    """Each test starts from Rasa's own functions and leaves them so."""
    modules = (action_calls, action_validation, feature_stacking, nlu_calls)
    for module in modules:
        module.uninstall()
    yield
    for module in modules:
        module.uninstall()


def test_nothing_is_patched_until_install_is_called():
    assert patches.installed() == dict.fromkeys(patches.PATCHES, False)
    assert EndpointConfig.session is action_calls._ORIGINAL


def test_install_puts_every_patch_in_place_once():
    patches.install()
    patches.install()
    assert patches.installed() == dict.fromkeys(patches.PATCHES, True)
    assert (
        RemoteAction._validate_action_result is action_validation.validate_action_result
    )
    assert Message._combine_features is feature_stacking.combine_features
    assert RasaNLUHttpInterpreter._rasa_http_parse is nlu_calls.parse_over_http


@pytest.mark.parametrize("version", ["3.7.0", "3.5.15", "4.0.0", ""])
def test_another_rasa_is_refused_with_what_to_do(version):
    with pytest.raises(
        patches.UnsupportedRasaError, match=r"written for Rasa 3\.6\.x"
    ) as error:
        patches.install(version=version)
    assert "credentials.yml" in str(error.value)
    assert not any(patches.installed().values())


def test_the_installed_rasa_is_supported():
    assert patches.check_rasa_version().startswith("3.6.")


def test_an_unknown_patch_is_named():
    with pytest.raises(ValueError, match="No patch speedup"):
        patches.install(["speedup"])


def test_the_credentials_entry_installs_what_it_names():
    RasaPatches.from_credentials({"only": ["action_calls"]})
    assert patches.installed() == {
        "action_calls": True,
        "action_validation": False,
        "feature_stacking": False,
        "nlu_calls": False,
    }


def test_rasa_installs_them_from_the_projects_credentials():
    from rasa.core.run import create_http_input_channels

    channels = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    assert any(isinstance(channel, RasaPatches) for channel in channels)
    assert all(patches.installed().values())
