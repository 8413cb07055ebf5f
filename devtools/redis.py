"""A throwaway Redis server for tests, from Debian's ``redis-server`` package.

Listens on a free loopback port, keeps nothing on disk, and is removed on stop.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from devtools.servers import free_port


def redis_server_binary() -> str | None:
    """The path of ``redis-server``, if it is installed."""
    return shutil.which("redis-server")


class RedisServer:
    """One Redis server on 127.0.0.1."""

    def __init__(self) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("Redis is not installed: apt-get install redis-server")
        self.binary = binary
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="acme-redis-"))
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """A redis:// URL for database 1 of this server."""
        return f"redis://127.0.0.1:{self.port}/1"

    def ping(self) -> bool:
        """Whether the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 30) -> RedisServer:
        """Starts the server; returns when it answers."""
        self._process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.folder),
                "--logfile", str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self.folder / "redis.log"
                raise RuntimeError(
                    "redis-server did not start:\n"
                    + (log.read_text() if log.exists() else "")
                )
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        """Stops the server and deletes its folder."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)
