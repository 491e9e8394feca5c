"""The service's clock: injectable so that tests move time instead of sleeping."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, with an offset that tests (and only tests) may move."""

    def __init__(self, source: Callable[[], datetime] | None = None) -> None:
        self._source = source or (lambda: datetime.now(UTC))
        self._offset = timedelta()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        if self._frozen is not None:
            return self._frozen
        return self._source() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward (tests and demos only)."""
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta
        return self.now()

    def freeze(self, at: datetime) -> None:
        """Stop time at `at` (tests only)."""
        self._frozen = at.astimezone(UTC)

    def reset(self) -> None:
        """Back to wall-clock time."""
        self._frozen = None
        self._offset = timedelta()


clock = Clock()
