"""scripts/wait_ready.py: waits on the action server's /ready, says how it went."""

import io
import os

from scripts.wait_ready import progress_line, ready_line, wait
from tests.conftest import FakeClock


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


LOADING = {
    "ready": False,
    "steps": [
        {"name": "language model", "state": "loading", "seconds": 1.0},
        {"name": "knowledge index", "state": "ready", "seconds": 1.0},
    ],
}
READY = {
    "ready": True,
    "steps": [{"name": "language model", "state": "ready", "seconds": 20.0}],
}


def run_wait(reports, timeout=60, pid_file=None, log=None, out=None):
    """``wait`` on a fake clock, /ready answering ``reports`` (the last repeats).

    Returns whether it got ready, what it printed, and the time it took.
    """
    answers = list(reports)
    clock, out = FakeClock(now=0.0), out or io.StringIO()
    done = wait(
        "http://127.0.0.1:5055/ready",
        timeout,
        pid_file,
        log,
        out=out,
        get=lambda url: answers.pop(0) if len(answers) > 1 else answers[0],
        clock=clock,
        sleep=clock.sleep,
    )
    return done, out.getvalue(), clock.now


def test_a_terminal_sees_one_progress_line_replaced_by_the_ready_line():
    done, shown, _ = run_wait([None, LOADING, LOADING, READY], out=Terminal())
    assert done
    assert "Starting the action server" in shown
    assert "language model …, knowledge index done" in shown
    assert shown.count("\n") == 1  # everything else rewrote one line
    assert shown.endswith("\r\x1b[KThe assistant is ready (2 s).\n")


def test_a_log_or_pipe_gets_only_the_ready_line():
    done, shown, _ = run_wait([LOADING, READY])
    assert done
    assert shown == "The assistant is ready (0 s).\n"


def test_a_step_that_failed_is_said_and_the_wait_ends():
    failed = {
        "ready": True,
        "steps": [
            {"name": "language model", "state": "failed", "error": "OSError: gone"}
        ],
    }
    line = ready_line(failed, 3.0)
    assert "could not load language model: OSError: gone" in line
    assert "apology" in line


def test_a_server_that_exits_while_loading_fails_the_wait_with_its_log(tmp_path):
    pid_file = tmp_path / "actions.pid"
    pid_file.write_text("999999999")  # no such process
    log = tmp_path / "actions.log"
    log.write_text("starting\nImportError: no module named torch\n")
    done, shown, _ = run_wait([None], pid_file=pid_file, log=log)
    assert not done
    assert "exited while loading" in shown
    assert "no module named torch" in shown


def test_the_wait_gives_up_after_its_timeout(tmp_path):
    pid_file = tmp_path / "actions.pid"
    pid_file.write_text(str(os.getpid()))
    done, shown, waited = run_wait([LOADING], timeout=5, pid_file=pid_file)
    assert not done
    assert "not ready within 5 s" in shown
    assert waited >= 5


def test_progress_names_every_step():
    assert progress_line(LOADING, 12.4) == (
        "Loading language model …, knowledge index done  12 s"
    )
