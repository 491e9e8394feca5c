"""A background worker: a thread that runs one round of work again and again until stopped."""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Worker:
    """Runs `round()` (returning how much it did) in a loop; idles `interval` after a no-op."""

    def __init__(self, name: str, round_: Callable[[], int], interval: float) -> None:
        self.name = name
        self.round = round_
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"ducha-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the round in hand."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.round()
            except Exception:  # keep the loop alive whatever one round hits
                log.exception("%s round failed", self.name)
                done = 0
            if done == 0:
                self._wake.wait(self.interval)
                self._wake.clear()
