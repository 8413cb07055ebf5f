"""`make test`'s lanes and `make test-profile`'s breakdown, on runs made here."""

import json
import os
import subprocess
import sys
import textwrap

from devtools import test_profile, test_run
from devtools.servers import PROJECT_ROOT

HOOKS = "INFO     rasa.engine.training.hooks  -"
EVENTS = [
    ("06:10:30", "Starting to train", "RegexFeaturizer"),
    ("06:10:30", "Finished training", "RegexFeaturizer"),
    ("06:10:31", "Starting to train", "CountVectorsFeaturizer"),
    ("06:10:32", "Finished training", "CountVectorsFeaturizer"),
    ("06:10:32", "Starting to train", "CountVectorsFeaturizer"),
    ("06:10:35", "Finished training", "CountVectorsFeaturizer"),
    ("06:10:39", "Starting to train", "EntityDIETClassifier"),
    ("06:12:19", "Finished training", "EntityDIETClassifier"),
    ("06:12:19", "Restored", "RulePolicy"),
]
# Rasa's coloured warnings leave a reset code at the start of the next line.
TRAIN_LOG = "\x1b[0m" + "\n".join(
    [f"2026-12-03 {t} {HOOKS} {what} component '{name}'." for t, what, name in EVENTS]
    + ["Epochs: 100%|██████████| 30/30 [01:00<00:00,  2.00s/it]"]
)


def test_training_breakdown_times_each_component_and_numbers_repeats():
    seconds = test_profile.training_breakdown(TRAIN_LOG.splitlines())
    assert seconds == {
        "RegexFeaturizer": 0.0,
        "CountVectorsFeaturizer": 1.0,
        "CountVectorsFeaturizer #2": 3.0,
        "EntityDIETClassifier": 100.0,
    }


def test_the_profile_reads_steps_training_checks_and_files(tmp_path):
    profile = tmp_path / "test-profile"
    profile.mkdir()
    (profile / "started").write_text("100.0")
    (profile / "steps.tsv").write_text("setup-rasa-env\t90.5\ntrain\t130.0\n")
    train_log = tmp_path / "train.log"
    train_log.write_text(TRAIN_LOG)
    files = {
        "tests/a.py": {"seconds": 3.0, "passed": 2, "failed": 0, "skipped": 0},
        "tests/b.py": {"seconds": 9.0, "passed": 1, "failed": 1, "skipped": 1},
    }
    (profile / "pytest-actions.json").write_text(json.dumps({"files": files}))
    (profile / "checks.json").write_text(
        json.dumps(
            {
                "lanes": [["pytest-actions"], ["lint"]],
                "wall_seconds": 12.0,
                "checks": {
                    "pytest-actions": {"seconds": 12.0, "ok": False},
                    "lint": {"seconds": 2.0, "ok": True},
                },
            }
        )
    )
    built = test_profile.build(profile, train_log)
    assert built["steps"] == {"setup-rasa-env": 90.5, "train": 130.0}
    assert built["training"]["EntityDIETClassifier"] == 100.0
    assert built["training"]["(loading, featurizing, packaging)"] == 26.0
    assert list(built["pytest_files"]["pytest-actions"]) == ["tests/b.py", "tests/a.py"]
    text = "\n".join(test_profile.render(built))
    assert "pytest-actions → " not in text and "pytest-actions | lint" in text
    assert "FAILED" in text and "tests/b.py" in text
    assert test_profile.counts_line(built) == "tests: 3 passed, 1 failed, 1 skipped"


def test_the_plugin_writes_seconds_and_outcomes_per_file(tmp_path):
    (tmp_path / "test_sample.py").write_text(
        textwrap.dedent(
            """
            import time, pytest

            @pytest.fixture(scope="module")
            def slow():
                time.sleep(0.3)

            def test_one(slow):
                pass

            def test_two():
                assert False

            @pytest.mark.skip
            def test_three():
                pass
            """
        )
    )
    out = tmp_path / "profile.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "devtools.pytest_profile",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_sample.py"),
        ],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "TEST_PROFILE_OUT": str(out),
            "PYTHONPATH": str(PROJECT_ROOT),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout
    [(path, entry)] = json.loads(out.read_text())["files"].items()
    assert path.endswith("test_sample.py")
    assert (entry["passed"], entry["failed"], entry["skipped"]) == (1, 1, 1)
    assert entry["seconds"] >= 0.3  # the module fixture counts for its file


def test_a_failed_check_is_named_by_its_failed_tests_else_its_log(tmp_path):
    log = tmp_path / "x.log"
    log.write_text(
        "collected 3\n..F\nFAILED tests/x.py::test_y - assert 1\n= 1 failed =\n"
    )
    check = test_run.Check("pytest-x", log, failures=test_run.failed_tests(log))
    assert test_run.report_failure(check) == ["FAILED tests/x.py::test_y - assert 1"]
    log.write_text("line\n" * 30 + "Failed stories: 1\n")
    plain = test_run.Check("story-test", log, failures=test_run.failed_tests(log))
    reported = test_run.report_failure(plain)
    assert reported[-1] == "Failed stories: 1" and len(reported) == 25
