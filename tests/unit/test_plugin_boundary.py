"""The plugin stands apart from its first user: nothing under plugin/src knows Acme."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bench.plugin import import_once
from tests.conftest import PROJECT_ROOT

PLUGIN = PROJECT_ROOT / "plugin" / "src" / "rasa_hybrid"
#: The host project's own packages, which the plugin may not import.
HOST_PACKAGES = {"actions", "bench", "devtools", "scripts", "tests", "rasa_sdk_plugins"}


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_plugin_module_imports_the_host():
    offenders = {
        str(path.relative_to(PLUGIN)): sorted(_imported(path) & HOST_PACKAGES)
        for path in PLUGIN.rglob("*.py")
        if _imported(path) & HOST_PACKAGES
    }
    assert offenders == {}


def test_no_plugin_file_names_acme():
    # The README too: it is the package's description (PKG-INFO).
    shipped = [*PLUGIN.rglob("*"), PLUGIN.parents[1] / "README.md"]
    named = [
        str(path.relative_to(PLUGIN.parents[1]))
        for path in shipped
        if path.is_file()
        and path.suffix in {".py", ".yml", ".yaml", ".md", ".txt", ".jinja"}
        and re.search(r"acme", path.read_text(encoding="utf-8"), re.IGNORECASE)
    ]
    assert named == []


def test_the_check_finds_what_it_looks_for(tmp_path: Path):
    # The control: the same checks flag a module that does what they forbid.
    bad = tmp_path / "bad.py"
    bad.write_text("from actions.store import seed\nNAME = 'Acme Appliances'\n")
    assert _imported(bad) & HOST_PACKAGES == {"actions"}
    assert re.search(r"acme", bad.read_text(), re.IGNORECASE)


def test_importing_the_action_loads_no_model():
    _, loaded = import_once()
    assert loaded == []
