"""devtools.pytest_groups: costly session fixtures built in one worker only."""

import os
import subprocess
import sys
import textwrap

from tests.conftest import PROJECT_ROOT

CONFTEST = """
    import os
    import pytest

    pytest_plugins = ("devtools.pytest_groups",)

    def built(what):
        with open(os.environ["BUILT_LOG"], "a") as log:
            log.write(what + "\\n")

    @pytest.fixture(scope="session")
    def servers():
        built("servers")
"""
USES_SERVERS = """
    import pytest

    @pytest.mark.parametrize("n", range(8))
    def test_shared(servers, n):
        pass
"""
MODULE_FIXTURE = """
    import pytest
    from conftest import built

    @pytest.fixture(scope="module")
    def own():
        built("own")

    @pytest.mark.parametrize("n", range(8))
    def test_own(own, n):
        pass
"""


def run_suite(tmp_path, listed, *args):
    ini = "[pytest]\none_worker =\n" + "".join(f"    servers {p}\n" for p in listed)
    for name, text in {
        "pytest.ini": ini,
        "conftest.py": textwrap.dedent(CONFTEST),
        "test_a.py": textwrap.dedent(USES_SERVERS),
        "test_b.py": textwrap.dedent(USES_SERVERS),
        "test_c.py": textwrap.dedent(MODULE_FIXTURE),
    }.items():
        (tmp_path / name).write_text(text)
    log = tmp_path / "built.log"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env={**os.environ, "BUILT_LOG": str(log), "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        # Seconds when the machine is idle; a full `make test` beside it can
        # make them minutes. The limit only catches a hang.
        timeout=900,
    )
    built = sorted(log.read_text().splitlines()) if log.exists() else []
    return result, built


def test_listed_files_share_one_worker_and_other_files_stay_whole(tmp_path):
    listed = ["test_a.py", "test_b.py"]
    result, built = run_suite(tmp_path, listed, "-n", "2", "--dist", "loadfile")
    assert result.returncode == 0, result.stdout + result.stderr
    assert built == ["own", "servers"]


def test_test_by_test_both_workers_build_both_fixtures(tmp_path):
    # What the plugin prevents: --dist load spreads every file's tests.
    listed = ["test_a.py", "test_b.py"]
    result, built = run_suite(tmp_path, listed, "-n", "2", "--dist", "load")
    assert result.returncode == 0, result.stdout + result.stderr
    assert built.count("servers") == 2
    # (Where test_c's tests go is up to the workers' pace: one or both.)
    assert "own" in built


def test_a_file_using_a_listed_fixture_unlisted_fails_the_collection(tmp_path):
    result, built = run_suite(tmp_path, ["test_a.py"])
    assert result.returncode != 0
    assert "test_b.py uses servers" in result.stdout + result.stderr
    assert built == []
