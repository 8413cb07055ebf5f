"""Starts and stops the assistant's servers through `make serve` / `make stop`.

Tests and benchmarks drive the same commands a user types, on ports of their
own and with their own run folder, so they never collide with a `make serve`
or `make run` that is already up.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.server_logs import LogError, error_lines, unexpected

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something accepts connections on the loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run_make(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Runs `make ARGS` in the project folder and captures its output."""
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Servers:
    """The Rasa server and the action server, as `make serve` starts them."""

    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    nlu_port: int = field(default_factory=free_port)
    run_dir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="acme-run-"))
    )
    env: dict[str, str] = field(default_factory=dict)
    #: Patterns of the error lines this configuration is meant to log (a dead
    #: LLM server, a killed instance); any other error fails ``stop()``.
    expected_errors: tuple[str, ...] = ()

    @property
    def make_args(self) -> list[str]:
        """The make variables that put these servers on their own ports."""
        return [
            f"RASA_PORT={self.rasa_port}",
            f"ACTIONS_PORT={self.actions_port}",
            f"NLU_PORT={self.nlu_port}",
            f"RUN_DIR={self.run_dir}",
        ]

    @property
    def base_url(self) -> str:
        """The Rasa server's root URL."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rest_url(self) -> str:
        """The REST channel's webhook."""
        return f"{self.base_url}/webhooks/rest/webhook"

    def __post_init__(self) -> None:
        # Tests and benchmarks get a store of their own, not the project's,
        # and the scripted LLM unless they ask for another: starting the
        # real model costs ~20 s of CPU per server start.
        self.env.setdefault("STORE_URL", f"sqlite:///{self.run_dir / 'store.db'}")
        # ...and conversations of their own (sqlite:////absolute/path).
        self.env.setdefault(
            "TRACKER_STORE_URL", f"sqlite:///{self.run_dir / 'conversations.db'}"
        )
        self.env.setdefault("LLM_PROVIDER", "fake")
        self.env.setdefault("LLM_AUDIT_LOG", "off")

    def start(self) -> None:
        """Runs `make serve`; raises with its output when it fails."""
        result = run_make("serve", *self.make_args, env=self.env)
        if result.returncode != 0:
            raise RuntimeError(f"make serve failed:\n{result.stdout}\n{result.stderr}")

    def start_rasa_only(self) -> None:
        """Runs `make serve-rasa`: one more Rasa instance, same action server."""
        result = run_make("serve-rasa", *self.make_args, env=self.env)
        if result.returncode != 0:
            raise RuntimeError(
                f"make serve-rasa failed:\n{result.stdout}\n{result.stderr}"
            )

    def pid(self, name: str = "rasa") -> int | None:
        """The process id `make serve` recorded for a server, if it runs."""
        path = self.run_dir / f"{name}.pid"
        return int(path.read_text()) if path.exists() else None

    def log(self, name: str = "actions") -> str:
        """What a server (``actions`` or ``rasa``) has logged so far."""
        path = self.run_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_log(
        self, text: str, name: str = "actions", timeout: float = 120
    ) -> None:
        """Waits until a server's log shows ``text``; raises with the log if not."""
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{text!r} not in {name}.log:\n{self.log(name)[-3000:]}"
                )
            time.sleep(0.5)

    def stop(self) -> subprocess.CompletedProcess:
        """Runs `make stop` for these servers, then checks their logs.

        Raises:
            AssertionError: a log holds an error line ``expected_errors`` does
                not account for (the run folder is kept for a look).
        """
        result = run_make("stop", *self.make_args, env=self.env, timeout=120)
        self.check_logs()
        return result

    def log_errors(self) -> list[LogError]:
        """The error lines in the servers' logs that nobody expected."""
        found = [
            error
            for path in sorted(self.run_dir.glob("*.log"))
            for error in error_lines(path.name, path.read_text(errors="replace"))
        ]
        return unexpected(found, self.expected_errors)

    def check_logs(self) -> None:
        """Raises if a log holds an error line nobody expected."""
        errors = self.log_errors()
        if errors:
            listed = "\n".join(str(error) for error in errors[:20])
            raise AssertionError(
                f"unexpected errors in the server logs of {self.run_dir}:\n{listed}"
            )

    def __enter__(self) -> Servers:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)
