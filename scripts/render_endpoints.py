"""Writes a copy of endpoints.yml with the action server and the stores set.

Usage: python scripts/render_endpoints.py SOURCE DESTINATION ACTION_URL
           [--tracker-store URL] [--lock-store URL]
           [--nlu-url URL --nlu-token-file FILE]

endpoints.yml itself stays usable by plain `rasa shell`; `make` passes Rasa
this copy so that ACTIONS_PORT can move the action server and
TRACKER_STORE_URL / LOCK_STORE_URL can move the conversations:

  sqlite:///var/conversations.db              SQL tracker store on a SQLite file
  postgresql://user:password@host:5432/rasa   SQL tracker store on PostgreSQL
  redis://:password@host:6379/1               Redis lock store (several instances)

``make serve`` also points Rasa at its NLU server (--nlu-url) with a token
drawn afresh into --nlu-token-file, which the NLU server reads.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

SQL_SCHEMES = {"sqlite", "postgresql", "postgres", "mysql", "oracle", "mssql"}


def _userinfo(parts: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if parts.username:
        found["username"] = unquote(parts.username)
    if parts.password:
        found["password"] = unquote(parts.password)
    return found


def tracker_store_config(url: str) -> dict[str, Any]:
    """Rasa's ``tracker_store`` section for a database URL."""
    parts = urlsplit(url)
    dialect = parts.scheme.split("+", 1)[0]
    if dialect not in SQL_SCHEMES:
        raise ValueError(
            f"Not a SQL database URL: {url!r} (sqlite:///…, postgresql://…)"
        )
    if dialect == "sqlite":
        # sqlite:///relative.db or sqlite:////absolute.db, as SQLAlchemy reads them
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path:
            raise ValueError(f"No file in {url!r}: sqlite:///var/conversations.db")
        return {"type": "SQL", "dialect": "sqlite", "db": path}
    config: dict[str, Any] = {
        "type": "SQL",
        "dialect": "postgresql" if dialect == "postgres" else dialect,
        # Rasa passes `url` to the store as its host.
        "url": parts.hostname or "localhost",
        "db": parts.path.lstrip("/") or "rasa",
        **_userinfo(parts),
    }
    if parts.port:
        config["port"] = parts.port
    if parts.query:
        config["query"] = dict(parse_qsl(parts.query))
    return config


def lock_store_config(url: str) -> dict[str, Any]:
    """Rasa's ``lock_store`` section for a Redis URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        raise ValueError(f"Not a Redis URL: {url!r} (redis://host:6379/1)")
    config: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 1),
        **_userinfo(parts),
    }
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    return config


def render(
    source: str,
    action_url: str,
    tracker_store: str | None = None,
    lock_store: str | None = None,
    nlu: tuple[str, str] | None = None,
) -> str:
    """The endpoints YAML of ``source`` with the action URL and stores set.

    ``nlu`` (URL, token) sends parsing to an NLU server (rasa_hybrid.server.nlu_server).
    """
    endpoints = yaml.safe_load(source) or {}
    endpoints.setdefault("action_endpoint", {})
    endpoints["action_endpoint"]["url"] = action_url
    if tracker_store:
        # The file's store class and its own options stay; the database moves.
        current = endpoints.get("tracker_store") or {}
        kept = {key: current[key] for key in ("type", "max_turns") if key in current}
        endpoints["tracker_store"] = {**tracker_store_config(tracker_store), **kept}
    if lock_store:
        endpoints["lock_store"] = lock_store_config(lock_store)
    if nlu:
        endpoints["nlu"] = {"url": nlu[0], "token": nlu[1]}
    return yaml.safe_dump(endpoints, sort_keys=False)


def main(argv: list[str] | None = None) -> None:
    """Reads SOURCE, writes DESTINATION."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("destination")
    parser.add_argument("action_url")
    parser.add_argument("--tracker-store", default="")
    parser.add_argument("--lock-store", default="")
    parser.add_argument("--nlu-url", default="", help="an NLU server's URL")
    parser.add_argument(
        "--nlu-token-file", default="", help="where to write its fresh token"
    )
    args = parser.parse_args(argv)
    nlu = None
    if args.nlu_url:
        if not args.nlu_token_file:
            parser.error("--nlu-url needs --nlu-token-file")
        nlu = (args.nlu_url, new_token(Path(args.nlu_token_file)))
    rendered = render(
        Path(args.source).read_text(encoding="utf-8"),
        args.action_url,
        args.tracker_store,
        args.lock_store,
        nlu,
    )
    # It may hold the NLU server's token and database passwords.
    write_private(Path(args.destination), rendered)


def write_private(path: Path, text: str) -> None:
    """Writes ``text`` to ``path``, readable and writable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


def new_token(path: Path) -> str:
    """Writes a fresh random token to ``path`` (owner-only) and returns it."""
    token = secrets.token_urlsafe(32)
    write_private(path, token + "\n")
    return token


if __name__ == "__main__":
    main()
