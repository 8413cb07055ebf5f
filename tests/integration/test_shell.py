"""`make run` in a pseudo-terminal: the real rasa shell with the action server."""

import os
import sys

import pexpect

from devtools.servers import PROJECT_ROOT, Servers, port_in_use
from tests.integration.replies import RESPONSES

PROMPT = "Your input ->"


def test_make_run_opens_the_shell_greets_and_stops_cleanly(tmp_path):
    ports = Servers(run_dir=tmp_path)  # only borrows free ports; starts nothing
    child = pexpect.spawn(
        "make",
        ["--no-print-directory", "run", *ports.make_args],
        cwd=str(PROJECT_ROOT),
        encoding="utf-8",
        timeout=300,
        dimensions=(40, 200),
        env={**os.environ, **ports.env, "TERM": "xterm"},
    )
    child.logfile_read = sys.stdout
    try:
        child.expect("actions is up")
        child.expect(PROMPT)
        child.sendline("hi")
        greetings = [variant["text"] for variant in RESPONSES["utter_greet"]]
        # The shell wraps long lines: match on the start of each greeting.
        child.expect([text[:40] for text in greetings], timeout=60)

        child.expect(PROMPT)
        child.sendline("agent")
        child.expect("1-800-555-0142", timeout=60)  # only handoff replies give it

        child.expect(PROMPT)
        child.sendline("/stop")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    # The action server started by `make run` is gone with the shell.
    assert not port_in_use(ports.actions_port)
    assert not (ports.run_dir / "actions.pid").exists()


def test_ctrl_c_in_the_shell_also_stops_the_action_server(tmp_path):
    ports = Servers(run_dir=tmp_path)
    child = pexpect.spawn(
        "make",
        ["--no-print-directory", "run", *ports.make_args],
        cwd=str(PROJECT_ROOT),
        encoding="utf-8",
        timeout=300,
        env={**os.environ, **ports.env, "TERM": "xterm"},
    )
    try:
        child.expect(PROMPT)
        assert port_in_use(ports.actions_port)
        child.sendintr()
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert not port_in_use(ports.actions_port)
    assert not (ports.run_dir / "actions.pid").exists()
