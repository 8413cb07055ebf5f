import json
import os

import yaml

from scripts.fingerprint import fingerprint
from scripts.render_endpoints import lock_store_config, render, tracker_store_config


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


def test_render_points_the_tracker_store_at_a_sqlite_file():
    source = "tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: var/x.db\n"
    for url, path in [
        ("sqlite:///run/conversations.db", "run/conversations.db"),
        ("sqlite:////tmp/run/conversations.db", "/tmp/run/conversations.db"),
    ]:
        rendered = yaml.safe_load(render(source, "http://a/webhook", url))
        assert rendered["tracker_store"] == {
            "type": "SQL",
            "dialect": "sqlite",
            "db": path,
        }


def test_render_points_the_stores_at_postgresql_and_redis():
    rendered = yaml.safe_load(
        render(
            "",
            "http://a/webhook",
            "postgresql+psycopg://rasa:p%40ss@db.internal:5433/conversations"
            "?sslmode=require",
            "redis://:secret@cache.internal:6380/2",
        )
    )
    assert rendered["tracker_store"] == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 5433,
        "db": "conversations",
        "username": "rasa",
        "password": "p@ss",
        "query": {"sslmode": "require"},
    }
    assert rendered["lock_store"] == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6380,
        "db": 2,
        "password": "secret",
    }


def test_render_defaults_of_store_urls():
    assert lock_store_config("redis://127.0.0.1") == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6379,
        "db": 1,
    }
    assert lock_store_config("rediss://h:1/0")["use_ssl"] is True
    assert tracker_store_config("postgres://h/rasa")["dialect"] == "postgresql"


def test_render_refuses_urls_it_cannot_use():
    import pytest

    for bad in ["mongodb://h/db", "sqlite://", "http://h"]:
        with pytest.raises(ValueError):
            tracker_store_config(bad)
    with pytest.raises(ValueError):
        lock_store_config("postgresql://h/db")


def test_render_without_store_urls_keeps_the_file_s_stores():
    from tests.conftest import PROJECT_ROOT

    source = (PROJECT_ROOT / "endpoints.yml").read_text()
    rendered = yaml.safe_load(render(source, "http://a/webhook"))
    assert rendered["tracker_store"] == {
        "type": "rasa_hybrid.trackers.windowed.WindowedSQLTrackerStore",
        "dialect": "sqlite",
        "db": "var/conversations.db",
        "max_turns": 12,
    }
    assert "lock_store" not in rendered


def test_render_keeps_the_file_s_store_class_and_options():
    from tests.conftest import PROJECT_ROOT

    source = (PROJECT_ROOT / "endpoints.yml").read_text()
    rendered = yaml.safe_load(
        render(source, "http://a/webhook", "postgresql://u@h:5432/conversations")
    )
    assert rendered["tracker_store"] == {
        "type": "rasa_hybrid.trackers.windowed.WindowedSQLTrackerStore",
        "dialect": "postgresql",
        "url": "h",
        "port": 5432,
        "db": "conversations",
        "username": "u",
        "max_turns": 12,
    }


def test_render_points_rasa_at_an_nlu_server_with_a_fresh_private_token(tmp_path):
    from scripts.render_endpoints import main

    source = tmp_path / "endpoints.yml"
    source.write_text("action_endpoint:\n  url: http://old/webhook\n")
    out, token_file = tmp_path / "run" / "endpoints.yml", tmp_path / "run" / "t"
    args = [str(source), str(out), "http://a/webhook"]
    main(
        [
            *args,
            "--nlu-url",
            "http://127.0.0.1:6006",
            "--nlu-token-file",
            str(token_file),
        ]
    )
    first = yaml.safe_load(out.read_text())["nlu"]
    assert first["url"] == "http://127.0.0.1:6006"
    assert first["token"] == token_file.read_text().strip()
    assert len(first["token"]) >= 32
    assert out.stat().st_mode & 0o777 == token_file.stat().st_mode & 0o777 == 0o600
    main(
        [
            *args,
            "--nlu-url",
            "http://127.0.0.1:6006",
            "--nlu-token-file",
            str(token_file),
        ]
    )
    assert yaml.safe_load(out.read_text())["nlu"]["token"] != first["token"]
    main(args)  # rasa shell: parses in process
    assert "nlu" not in yaml.safe_load(out.read_text())


def test_the_routing_development_report_counts_the_misses(tmp_path, capsys):
    from scripts.routing_dev_report import main

    report = {
        "track_order": {"support": 2, "f1-score": 0.6},
        "product_question": {"support": 1, "f1-score": 0.7},
        "list_appointments": {"support": 0, "f1-score": 0.0},
        "accuracy": 0.667,
        "macro avg": {"support": 3, "f1-score": 0.4},
    }
    errors = [
        {
            "text": "still no fridge",
            "intent": "track_order",
            "intent_prediction": {"name": "product_question", "confidence": 0.41},
        }
    ]
    write(tmp_path / "intent_report.json", json.dumps(report))
    write(tmp_path / "intent_errors.json", json.dumps(errors))
    assert main([str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Routed right: 2 of 3",
        "  track_order -> product_question (0.41): still no fridge",
    ]
    (tmp_path / "intent_errors.json").unlink()  # rasa writes none without misses
    main([str(tmp_path)])
    assert capsys.readouterr().out.splitlines() == ["Routed right: 3 of 3"]
