import os

import yaml

from scripts.fingerprint import fingerprint
from scripts.render_endpoints import render


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_fingerprint_follows_content_not_modification_times(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "config.yml", "language: en\n")
    write(tmp_path / "data" / "nlu" / "a.yml", "nlu: []\n")
    first = fingerprint(["config.yml", "data"])

    os.utime(tmp_path / "config.yml", (0, 0))
    assert fingerprint(["data", "config.yml"]) == first

    write(tmp_path / "data" / "nlu" / "a.yml", "nlu: [x]\n")
    assert fingerprint(["config.yml", "data"]) != first


def test_fingerprint_notices_new_and_renamed_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "a.yml", "x\n")
    first = fingerprint(["data"])
    (tmp_path / "data" / "a.yml").rename(tmp_path / "data" / "b.yml")
    renamed = fingerprint(["data"])
    write(tmp_path / "data" / "c.yml", "")
    assert len({first, renamed, fingerprint(["data"])}) == 3


def test_render_sets_the_action_url_and_keeps_the_rest():
    source = (
        "action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n"
        "tracker_store:\n  type: SQL\n"
    )
    rendered = yaml.safe_load(render(source, "http://127.0.0.1:6000/webhook"))
    assert rendered == {
        "action_endpoint": {"url": "http://127.0.0.1:6000/webhook"},
        "tracker_store": {"type": "SQL"},
    }


def test_render_works_on_the_project_endpoints_file():
    from tests.conftest import PROJECT_ROOT

    source = (PROJECT_ROOT / "endpoints.yml").read_text()
    rendered = yaml.safe_load(render(source, "http://127.0.0.1:6000/webhook"))
    assert rendered["action_endpoint"]["url"] == "http://127.0.0.1:6000/webhook"
