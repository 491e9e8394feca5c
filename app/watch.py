"""`ducha serve --watch` (what `make run` runs): a diagram, decision table or form of `processes/`
that changes is deployed at once as a new version, and deploy's messages go to the log as
`ducha lint` prints them.

Deploy is idempotent by content: every file of the folder is offered again on a change (a form
may serve several diagrams), and only those whose bytes or forms changed become new versions.
"""

import logging
import threading
from pathlib import Path

from watchfiles import watch

from app.engine import DeploymentOut, Engine
from app.lint import Message, deploy_all, process_files, read_forms

log = logging.getLogger("ducha.watch")
WATCHED = frozenset({".bpmn", ".dmn", ".json"})  # diagrams, decision tables, forms


def redeploy(
    engine: Engine, directory: Path, max_bytes: int
) -> tuple[list[DeploymentOut], list[Message]]:
    """Offer every diagram of `directory` to deploy again; log the new versions and messages."""
    files = process_files([directory])
    deployed, messages = deploy_all(engine, files, read_forms(files, []), max_bytes)
    for result in deployed:
        if result.created:
            log.info("deployed %s v%d from %s", result.key, result.version, result.file_name)
    for message in messages:
        level = logging.ERROR if message.severity == "error" else logging.WARNING
        log.log(level, "%s", message.text())
    return deployed, messages


class ProcessWatcher:
    """A thread that redeploys `directory` whenever a file under it changes."""

    def __init__(self, engine: Engine, directory: Path, max_bytes: int) -> None:
        self.engine = engine
        self.directory = directory
        self.max_bytes = max_bytes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Watch from now on (changes before this call were deployed at start-up)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ducha-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching after the redeploy in hand."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        log.info("watching %s: a changed diagram is deployed as a new version", self.directory)
        for changes in watch(self.directory, stop_event=self._stop, raise_interrupt=False):
            # Editors' temporary files come and go beside the diagrams: only these count.
            names = sorted({Path(p).name for _, p in changes if Path(p).suffix in WATCHED})
            if not names:
                continue
            log.info("changed: %s", ", ".join(names))
            try:
                redeploy(self.engine, self.directory, self.max_bytes)
            except Exception:  # a database fault, a file gone mid-read: logged with its cause;
                # the watcher keeps watching for the next change
                log.exception("redeploying %s failed", self.directory)
