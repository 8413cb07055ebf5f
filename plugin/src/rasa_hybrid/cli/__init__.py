"""The ``rasa-hybrid`` command: ``init`` and ``check`` in a Rasa project folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasa_hybrid import __version__


def _init(root: Path, with_models: bool) -> int:
    from rasa_hybrid.cli import init

    if not init.is_rasa_project(root):
        print(
            f"{root} is not a Rasa project (no config.yml and domain): run `rasa init`"
        )
        return 2
    changes = init.project_files(root)
    if with_models:
        changes += init.model_files(root)
    for change in changes:
        print(f"  {change.action:<10}{change.path}")
    print("Next: rasa-hybrid check, then rasa train (README: plugin/README.md).")
    return 0


def _check(root: Path) -> int:
    from rasa_hybrid.cli.check import check_project, report

    findings = check_project(root)
    print(report(findings))
    return 1 if any(item.level == "error" for item in findings) else 0


def main(argv: list[str] | None = None) -> int:
    """Runs ``rasa-hybrid init`` or ``rasa-hybrid check``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="rasa-hybrid", description="The rasa-hybrid plugin in a Rasa project."
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="add what the plugin needs (idempotent)")
    init.add_argument(
        "--no-models",
        action="store_true",
        help="skip installing the model packages and copying the encoder",
    )
    check = commands.add_parser("check", help="report what the project still misses")
    for command in (init, check):
        command.add_argument(
            "project", nargs="?", type=Path, default=Path("."), help="default: here"
        )
    args = parser.parse_args(argv)
    root = args.project.resolve()
    if args.command == "init":
        return _init(root, with_models=not args.no_models)
    return _check(root)


if __name__ == "__main__":
    sys.exit(main())
