"""The plugin's wheel holds its code and data files, and no model weights."""

from __future__ import annotations

import zipfile
from pathlib import Path

from bench.plugin import build_wheel, wheel_contents


def test_the_wheel_holds_code_and_data_and_no_weights(tmp_path: Path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for needed in (
        "rasa_hybrid/py.typed",
        "rasa_hybrid/actions/llm_fallback.py",
        "rasa_hybrid/llm/prompts/fallback.yml",
        "rasa_hybrid/guards/defaults/input.yml",
        "rasa_hybrid/templates/domain/rasa_hybrid.yml",
    ):
        assert needed in names, needed
    assert wheel_contents(wheel)["weights"] == []


def test_a_weight_file_would_be_seen(tmp_path: Path):
    # The control: the same listing flags a wheel that does hold weights.
    wheel = tmp_path / "rasa_hybrid-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("rasa_hybrid/model.onnx", b"\0" * 10)
    assert wheel_contents(wheel)["weights"] == ["rasa_hybrid/model.onnx"]
