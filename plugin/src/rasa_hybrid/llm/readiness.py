"""What a serving process is still loading for its first open-ended turn.

The responder's warm-up records each step here (the language model, the
entity recogniser, the knowledge index); the action server's ``/ready``
route reports them, and ``make run`` / ``make serve`` wait on that route
before they say the assistant is ready.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

logger = logging.getLogger(__name__)

State = Literal["loading", "ready", "failed"]


@dataclass(frozen=True)
class Step:
    """One thing being loaded, and how it went."""

    name: str
    state: State
    seconds: float
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        """The step as the ``/ready`` route reports it."""
        body: dict[str, Any] = {
            "name": self.name,
            "state": self.state,
            "seconds": round(self.seconds, 1),
        }
        if self.error:
            body["error"] = self.error
        return body


class WarmUp:
    """The steps of one process's warm-up; safe to use from any thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._ended: dict[str, tuple[State, float, str]] = {}

    def begin(self, name: str) -> None:
        """Marks ``name`` as loading (again, if it was done)."""
        with self._lock:
            self._started[name] = self._clock()
            self._ended.pop(name, None)

    def end(self, name: str, error: BaseException | None = None) -> None:
        """Marks ``name`` as ready, or failed with ``error``."""
        with self._lock:
            started = self._started.setdefault(name, self._clock())
            state: State = "failed" if error is not None else "ready"
            message = f"{type(error).__name__}: {error}" if error is not None else ""
            self._ended[name] = (state, self._clock() - started, message)

    def finish(self, name: str, load: Callable[[], object]) -> None:
        """Runs ``load``, then ends step ``name`` with its outcome (never raises)."""
        try:
            load()
        except Exception as error:
            logger.exception("Could not load the %s", name)
            self.end(name, error)
        else:
            self.end(name)

    def follow(self, name: str, future: concurrent.futures.Future) -> None:
        """Step ``name`` ends when ``future`` does."""
        self.begin(name)

        def ended(done: concurrent.futures.Future) -> None:
            error = done.exception()
            if error is not None:
                logger.error("Could not load the %s: %s", name, error)
            self.end(name, error)

        future.add_done_callback(ended)

    def steps(self) -> list[Step]:
        """Every step so far, in the order they began."""
        now = self._clock()
        with self._lock:
            steps = []
            for name, started in self._started.items():
                state, seconds, error = self._ended.get(
                    name, ("loading", now - started, "")
                )
                steps.append(Step(name, state, seconds, error))
            return steps

    @property
    def ready(self) -> bool:
        """Nothing is loading any more (a failed step is settled too)."""
        return all(step.state != "loading" for step in self.steps())

    def report(self) -> dict[str, Any]:
        """The body of the ``/ready`` route."""
        return {
            "ready": self.ready,
            "steps": [step.as_json() for step in self.steps()],
        }


_process_warm_up = WarmUp()


def process_warm_up() -> WarmUp:
    """This process's warm-up: what its actions load, what ``/ready`` shows."""
    return _process_warm_up
