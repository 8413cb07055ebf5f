"""Every command in the README and docs/ runs, here or in the test named for it."""

import json
import os
import re
import shutil
import subprocess
import textwrap

import pytest

from devtools.servers import PROJECT_ROOT, Servers, run_make

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
#: The README, then the docs it sends the reader to, in its order.
DOCS = [
    README,
    *(
        (PROJECT_ROOT / "docs" / name).read_text(encoding="utf-8")
        for name in dict.fromkeys(re.findall(r"\]\(docs/([\w-]+\.md)", README))
    ),
]
COMMANDS = [
    line.strip()
    for text in DOCS
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    for line in block.splitlines()
    if line.strip()
]
# Commands too long to run inside the test suite, and where they are run.
RUN_ELSEWHERE = {
    "make run": ("tests/integration/test_shell.py", '"run"'),
    "make test": (".ci/run", "make test"),
    # make test, then the report, whose reading is tested on a run made there.
    "make test-profile": ("tests/unit/test_test_profile.py", "test_profile.build"),
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
    # Trains on every set (about an hour): its own test runs it on small sets.
    "make bench-routing-suite": (
        "tests/rasa_server/test_routing_suite.py",
        "bench-routing-suite",
    ),
}


# `make train` commands run in a small project of their own (tiny_project):
# retraining the real model would cost minutes and replace the model file
# under the tests that run beside this one.
TRAINS_ELSEWHERE = re.compile(r"^make train\b")
TINY_FILES = {
    "config.yml": """
        recipe: default.v1
        language: en
        assistant_id: tiny
        pipeline:
          - name: WhitespaceTokenizer
          - name: CountVectorsFeaturizer
          - name: LogisticRegressionClassifier
        policies:
          - name: RulePolicy
    """,
    "domain.yml": """
        version: "3.1"
        intents: [greet, goodbye]
        responses:
          utter_greet: [{text: "Hello!"}]
          utter_goodbye: [{text: "Bye!"}]
    """,
    "data/nlu/nlu.yml": """
        version: "3.1"
        nlu:
          - intent: greet
            examples: |
              - hi
              - hello there
              - good morning
          - intent: goodbye
            examples: |
              - bye
              - see you later
              - good night
    """,
    "data/rules/rules.yml": """
        version: "3.1"
        rules:
          - rule: greet
            steps: [{intent: greet}, {action: utter_greet}]
          - rule: goodbye
            steps: [{intent: goodbye}, {action: utter_goodbye}]
    """,
    "data/stories/stories.yml": 'version: "3.1"\nstories: []\n',
}


def strip_comment(command):
    return command.split(" #")[0].strip()


def shell(command, cwd):
    """Runs a README command line in ``cwd`` as a user's shell would."""
    return subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MAKEFLAGS": ""},
    )


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    """A small Rasa project with this project's Makefile and environment."""
    root = tmp_path_factory.mktemp("tiny-project")
    shutil.copy2(PROJECT_ROOT / "Makefile", root / "Makefile")
    # copy2 keeps modification times: make must see the environment as up to date.
    for folder in ("scripts", "requirements", "plugin"):
        shutil.copytree(
            PROJECT_ROOT / folder,
            root / folder,
            ignore=shutil.ignore_patterns("*.egg-info"),
        )
    (root / ".venv-rasa").symlink_to(PROJECT_ROOT / ".venv-rasa")
    for name, text in TINY_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def test_make_train_trains_skips_when_unchanged_and_retrains_with_force(tiny_project):
    commands = [c for c in map(strip_comment, COMMANDS) if TRAINS_ELSEWHERE.match(c)]
    assert commands == ["make train", "make train FORCE=1"]

    def run(command):
        result = shell(command, tiny_project)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        return result.stdout

    model = tiny_project / "models" / "acme.tar.gz"
    assert "Training models/acme.tar.gz" in run("make train")
    built = model.stat().st_mtime_ns
    assert "is up to date" in run("make train")
    assert model.stat().st_mtime_ns == built
    assert "Training models/acme.tar.gz" in run("make train FORCE=1")
    assert model.stat().st_mtime_ns > built


def test_the_real_model_is_not_retrained_when_nothing_changed():
    result = run_make("train")
    assert result.returncode == 0, result.stderr
    assert "is up to date" in result.stdout


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
    make_args = " ".join([*ports.make_args, "CONVERSATIONS=3"])
    ran = []
    try:
        for command in map(strip_comment, COMMANDS):
            if command in RUN_ELSEWHERE or TRAINS_ELSEWHERE.match(command):
                continue
            # Sections repeat `make serve` and `make stop`: once is enough
            # (the token servers left up are stopped below).
            if command in ran:
                continue
            # Each benchmark writes its JSON to a file of its own here.
            line = re.sub(
                r"\bmake ([\w-]+)(.*)$",
                rf"make \1\2 {make_args} OUT={tmp_path}/\1.json",
                command,
            )
            line = line.replace("localhost:5005", f"localhost:{ports.rasa_port}")
            result = shell(line, PROJECT_ROOT)
            # The ends of the output: where a failing command says why.
            assert result.returncode == 0, (
                command,
                result.stdout[-3000:],
                result.stderr[-3000:],
            )
            if command.startswith("curl"):
                assert json.loads(result.stdout), command
            ran.append(command)
    finally:
        run_make("stop", *ports.make_args)
    assert any(c.startswith("curl") for c in ran)
    figures = json.loads((tmp_path / "bench-turns.json").read_text())
    assert figures["errors"] == 0 and figures["turns"] == 18
    plugin = json.loads((tmp_path / "bench-plugin.json").read_text())
    assert plugin["weights"] == [] and plugin["model_modules_loaded"] == []
