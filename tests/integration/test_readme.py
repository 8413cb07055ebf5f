"""Every command in the README runs, here or in the test named for it."""

import json
import re
import subprocess

import pytest

from devtools.servers import PROJECT_ROOT, Servers, run_make

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [
    line.strip()
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    for line in block.splitlines()
    if line.strip()
]
# Commands too long to run inside the test suite, and where they are run.
RUN_ELSEWHERE = {
    "make run": ("tests/integration/test_shell.py", '"run"'),
    "make test": (".ci/run", "make test"),
    "make bench-llm": ("tests/integration/test_bench_llm.py", "bench.llm"),
    "make redteam": ("tests/integration/test_redteam.py", "bench.redteam"),
    "make bench-load": ("tests/integration/test_bench_load.py", "bench.load"),
    # Scale-out needs PostgreSQL and Redis servers: the test starts its own.
    "export TRACKER_STORE_URL=postgresql://rasa:secret@db-host:5432/conversations": (
        "tests/integration/test_scale_out.py",
        "TRACKER_STORE_URL",
    ),
    "export LOCK_STORE_URL=redis://:secret@redis-host:6379/1": (
        "tests/integration/test_scale_out.py",
        "LOCK_STORE_URL",
    ),
    "make serve-rasa RASA_PORT=5007 NLU_PORT=5008 RUN_DIR=.run-2": (
        "tests/integration/test_scale_out.py",
        "start_rasa_only",
    ),
    (
        "make bench-routing TRAIN=../shared/data/clinc150/train.csv"
        " TEST=../shared/data/clinc150/test.csv VAL=../shared/data/clinc150/val.csv"
        " OOS_LABEL=oos"
    ): ("tests/integration/test_bench_routing.py", "bench-routing"),
}


def strip_comment(command):
    return command.split(" #")[0].strip()


def test_the_readme_starts_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.DOTALL).group(1)
    assert [strip_comment(line) for line in first_block.splitlines()] == [
        "make run",
        "make test",
    ]


def test_every_make_target_in_the_readme_exists():
    listed = run_make("help").stdout
    for command in COMMANDS:
        for target in re.findall(r"make ([a-z][\w-]*)", command):
            assert f"make {target} " in listed, command


@pytest.mark.parametrize("command", sorted(RUN_ELSEWHERE))
def test_long_commands_are_run_elsewhere(command):
    assert strip_comment(command) in [strip_comment(c) for c in COMMANDS]
    path, evidence = RUN_ELSEWHERE[command]
    assert evidence in (PROJECT_ROOT / path).read_text()


def test_every_other_command_runs_as_written(tmp_path):
    """Runs the README's commands in order, on ports and files of the test's own."""
    ports = Servers(run_dir=tmp_path / "run")
    make_args = " ".join(
        [*ports.make_args, f"OUT={tmp_path}/bench.json", "CONVERSATIONS=3"]
    )
    ran = []
    try:
        for command in map(strip_comment, COMMANDS):
            if command in RUN_ELSEWHERE:
                continue
            shell = re.sub(r"\bmake ([\w-]+)(.*)$", rf"make \1\2 {make_args}", command)
            shell = shell.replace("localhost:5005", f"localhost:{ports.rasa_port}")
            result = subprocess.run(
                shell,
                shell=True,
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, (command, result.stdout, result.stderr)
            if command.startswith("curl"):
                assert json.loads(result.stdout), command
            ran.append(command)
    finally:
        run_make("stop", *ports.make_args)
    assert any(c.startswith("curl") for c in ran)
    figures = json.loads((tmp_path / "bench.json").read_text())
    assert figures["errors"] == 0 and figures["turns"] == 18
