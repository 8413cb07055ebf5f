"""A circuit breaker: stop calling a provider that keeps failing, for a while."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class CircuitBreaker:
    """Refuses calls to a provider after repeated failures, for a cool-down.

    Opens after ``failures`` failures in a row; lets one trial call through
    after ``cooldown_s`` seconds; closes again on the first success.
    """

    def __init__(
        self,
        name: str,
        failures: int = 3,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._threshold = failures
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        """Whether calls are refused right now (cooling down)."""
        return self._opened_at is not None and not self._cooled_down()

    def _cooled_down(self) -> bool:
        return (
            self._opened_at is not None
            and self._clock() - self._opened_at >= self._cooldown_s
        )

    def allow(self) -> bool:
        """Whether a call may go to the provider now.

        After the cool-down exactly one trial call is allowed until it reports
        back; others are refused meanwhile.
        """
        if self._opened_at is None:
            return True
        if not self._cooled_down() or self._trial_running:
            return False
        self._trial_running = True
        logger.info("LLM provider %s: cool-down over, trying one call", self._name)
        return True

    def record_success(self) -> None:
        """A call succeeded: the breaker closes."""
        if self._opened_at is not None:
            logger.warning("LLM provider %s answers again; breaker closed", self._name)
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self, reason: str) -> None:
        """A call failed; the breaker opens at the threshold or after a failed trial."""
        self._failures += 1
        trial = self._trial_running
        self._trial_running = False
        if trial or (self._opened_at is None and self._failures >= self._threshold):
            self._opened_at = self._clock()
            logger.warning(
                "LLM provider %s failed %d time(s) in a row (last: %s); "
                "not calling it for %g s",
                self._name,
                self._failures,
                reason,
                self._cooldown_s,
            )

    def release(self) -> None:
        """A call ended without a verdict (nothing to judge the provider by)."""
        self._trial_running = False
