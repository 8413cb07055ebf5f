"""Where the sentence encoder is found: its package, else the project's copy."""

from pathlib import Path

import pytest
from rasa_hybrid.encoders.location import (
    EXPORT_DIR,
    EncoderUnavailable,
    encoder_folder,
    export,
    packaged_folder,
)


def test_the_package_comes_first(tmp_path: Path):
    assert encoder_folder(tmp_path) == packaged_folder()


def test_without_the_package_the_projects_copy_is_used(tmp_path: Path):
    copy = export(tmp_path, packaged_folder())
    assert copy == tmp_path / EXPORT_DIR
    assert encoder_folder(tmp_path, package="no_such_package") == copy
    source = packaged_folder() / "model.safetensors"
    assert (copy / "model.safetensors").stat().st_size == source.stat().st_size


def test_export_keeps_a_complete_copy(tmp_path: Path):
    first = export(tmp_path, packaged_folder())
    stamp = (first / "config.json").stat().st_mtime_ns
    export(tmp_path, packaged_folder())
    assert (first / "config.json").stat().st_mtime_ns == stamp


def test_neither_says_how_to_fix_it(tmp_path: Path):
    with pytest.raises(EncoderUnavailable, match="rasa-hybrid init"):
        encoder_folder(tmp_path, package="no_such_package")
