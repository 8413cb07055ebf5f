"""`make run` in a pseudo-terminal: the real rasa shell with the action server."""

import io
import os
import re
import sys

import pexpect

from devtools.servers import PROJECT_ROOT, Servers, port_in_use
from tests.integration.replies import RESPONSES

PROMPT = "Your input ->"


ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[=>]")
# What a newcomer must never see on the screen.
NOISE = re.compile(
    r"Traceback \(most recent call last\)|\bERROR\b|\bWARNING\b|\b\w*Warning\b"
)
READY_LINE = "The assistant is ready"
TRANSCRIPT = PROJECT_ROOT / "results/make-run.txt"  # what the screen showed


def screen_text(raw: str) -> str:
    """What the terminal showed, without colours and cursor movements."""
    return ANSI.sub("", raw).replace("\r", "\n")


def spawn_make_run(ports: Servers, env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(
        "make",
        ["--no-print-directory", "run", *ports.make_args],
        cwd=str(PROJECT_ROOT),
        encoding="utf-8",
        timeout=300,
        dimensions=(40, 200),
        env={**os.environ, **ports.env, **env, "TERM": "xterm"},
    )


CURSOR_REQUEST = "\x1b[6n"


def expect(child: pexpect.spawn, patterns, timeout: float = 60) -> int:
    """``child.expect``, answering the shell's cursor requests as a terminal does.

    prompt_toolkit asks where the cursor is before each prompt and menu; a
    terminal that never answers gets a warning printed on its screen.
    """
    patterns = patterns if isinstance(patterns, list) else [patterns]
    while True:
        index = child.expect_exact([CURSOR_REQUEST, *patterns], timeout=timeout)
        if index == 0:
            child.send("\x1b[1;1R")
            continue
        return index - 1


def say(child: pexpect.spawn, text: str) -> None:
    """Types a message once the shell shows its prompt."""
    expect(child, PROMPT)
    child.sendline(text)


def test_a_newcomer_sees_the_banner_one_ready_line_and_the_conversation(tmp_path):
    """`make run` as a newcomer runs it: the real local model, loaded first."""
    ports = Servers(run_dir=tmp_path)  # only borrows free ports; starts nothing
    screen = io.StringIO()
    child = spawn_make_run(ports, {"LLM_PROVIDER": "local", "LLM_PRELOAD": "1"})
    child.logfile_read = screen
    try:
        expect(child, READY_LINE, timeout=300)
        say(child, "hi")
        expect(child, [text[:40] for text in _texts("utter_greet")])

        say(child, "my washer is leaking water from the bottom, what can I do?")
        # The guide's answer offers a repair visit as a button: pick it.
        expect(child, "(Use arrow keys)", timeout=120)
        child.send("\r")
        # The visit is a repair; the washer may be known from the question.
        if expect(child, ["Which appliance is it", "email address"]) == 0:
            expect(child, "(Use arrow keys)")
            child.send("\r")  # Washer, the first button
            expect(child, "email address")

        say(child, "/stop")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
    shown = screen_text(screen.getvalue())
    TRANSCRIPT.parent.mkdir(exist_ok=True)
    TRANSCRIPT.write_text(shown, encoding="utf-8")
    assert child.exitstatus == 0, shown[-3000:]
    assert shown.count(READY_LINE) == 1, shown[-3000:]
    noise = [line for line in shown.splitlines() if NOISE.search(line)]
    assert noise == [], "\n".join(noise)
    # The model was loaded before the prompt: no open question got the apology.
    for text in _texts("utter_llm_unavailable"):
        assert text[:40] not in shown
    # The action server started by `make run` is gone with the shell.
    assert not port_in_use(ports.actions_port)
    assert not (ports.run_dir / "actions.pid").exists()
    assert ports.log_errors() == []


def _texts(response: str) -> list[str]:
    return [variant["text"] for variant in RESPONSES[response]]


def test_ctrl_c_in_the_shell_also_stops_the_action_server(tmp_path):
    ports = Servers(run_dir=tmp_path)
    child = spawn_make_run(ports, {})
    child.logfile_read = sys.stdout
    try:
        expect(child, READY_LINE, timeout=300)
        say(child, "agent")
        assert port_in_use(ports.actions_port)
        expect(child, "1-800-555-0142")  # only handoff replies give it
        expect(child, PROMPT)
        child.sendintr()
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert not port_in_use(ports.actions_port)
    assert not (ports.run_dir / "actions.pid").exists()
    assert ports.log_errors() == []
