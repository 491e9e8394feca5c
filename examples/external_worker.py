"""A sample external task worker for Ducha (外部任务执行器): copy it and replace `send_sms`.

It does the BPMN service tasks of one topic, the Camunda 7 way: fetch and lock a few tasks, do
the work, complete them with result variables. When the work raises, it reports a failure with
one retry fewer each time (the first failure leaves MAX_RETRIES - 1); at 0 Ducha raises an
incident that an operator resolves (`POST /api/v1/external-tasks/{id}/retries`). A business
problem that the diagram handles (an error boundary event) is thrown as a BPMN error instead.
Long work keeps its lock: a background thread extends it while the work runs.

Only the standard library and httpx are used.

Run it against `make run` (the service on http://127.0.0.1:8000):

    # 1. a worker token (an external system has the role `worker` only)
    export DUCHA_TOKEN=$(.venv/bin/ducha token --sub worker-1 --unit 320000-GO --roles worker)
    # 2. deploy a diagram with an external task as a designer, start an instance
    DESIGNER=$(.venv/bin/ducha token --sub designer --unit 320000-GO --roles process_designer)
    curl -s -H "Authorization: Bearer $DESIGNER" \
         -F file=@tests/external/bpmn/notify_by_sms.bpmn http://127.0.0.1:8000/api/v1/process-definitions
    OFFICE=$(.venv/bin/ducha token --sub wang --unit 320000-DCS --roles supervision_office)
    curl -s -H "Authorization: Bearer $OFFICE" -H 'Content-Type: application/json' \
         -d '{"process_key": "notify_by_sms", "variables": {"phone": "13800000000",
              "message": "请于3月31日前报送办理情况"}}' http://127.0.0.1:8000/api/v1/process-instances
    # 3. run the worker (Ctrl-C stops it; --once handles one task and exits)
    DUCHA_TOPIC=sms .venv/bin/python examples/external_worker.py

Environment:
    DUCHA_URL          the service (default http://127.0.0.1:8000)
    DUCHA_TOKEN        a bearer token with the role `worker` (required)
    DUCHA_TOPIC        the topic to work on (default sms)
    DUCHA_WORKER_ID    this worker's stable name (default worker-<host>-<pid>)
    DUCHA_LOCK_MS      how long a fetched task stays locked (default 60000)
    DUCHA_POLL_SECONDS wait between empty fetches (default 2)
"""

import argparse
import contextlib
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

MAX_RETRIES = 3
RETRY_TIMEOUT_MS = 30_000


class NoPhone(Exception):
    """A business problem the diagram handles: thrown as the BPMN error NO_PHONE."""


def send_sms(variables: dict[str, Any]) -> dict[str, Any]:
    """The work: here "send an SMS" by printing it. Returns the variables to set."""
    phone = variables.get("phone")
    if not phone:
        raise NoPhone("the unit has no mobile number on record")
    message = variables.get("message", "您有一项督查事项待办理")
    print(f"SMS to {phone}: {message}", flush=True)
    return {"sms_sent": True, "sms_sent_at": datetime.now(UTC).isoformat()}


class Worker:
    """Fetch-and-lock, work, complete or report: one topic, one handler."""

    def __init__(
        self,
        client: httpx.Client,
        worker_id: str,
        topic: str,
        handler: Callable[[dict[str, Any]], dict[str, Any]],
        lock_ms: int,
    ) -> None:
        self.client = client
        self.worker_id = worker_id
        self.topic = topic
        self.handler = handler
        self.lock_ms = lock_ms

    def fetch(self, max_tasks: int) -> list[dict[str, Any]]:
        body = {
            "worker_id": self.worker_id,
            "topics": [{"name": self.topic, "lock_duration_ms": self.lock_ms}],
            "max_tasks": max_tasks,
        }
        response = self.client.post("/api/v1/external-tasks/fetch-and-lock", json=body)
        response.raise_for_status()
        tasks: list[dict[str, Any]] = response.json()
        return tasks

    def handle(self, task: dict[str, Any]) -> str:
        """Do one task; returns what became of it."""
        url = f"/api/v1/external-tasks/{task['id']}"
        with LockKeeper(self.client, url, self.worker_id, self.lock_ms):
            try:
                result = self.handler(task["variables"])
            except NoPhone as exc:
                body = {
                    "worker_id": self.worker_id,
                    "error_code": "NO_PHONE",
                    "error_message": str(exc),
                }
                self.client.post(f"{url}/bpmn-error", json=body).raise_for_status()
                return "bpmn-error"
            except Exception as exc:
                retries = (task["retries"] if task["retries"] is not None else MAX_RETRIES) - 1
                body = {
                    "worker_id": self.worker_id,
                    "error_message": f"{type(exc).__name__}: {exc}"[:4000],
                    "error_details": traceback.format_exc()[-20_000:],
                    "retries": max(retries, 0),
                    "retry_timeout_ms": RETRY_TIMEOUT_MS,
                }
                self.client.post(f"{url}/failure", json=body).raise_for_status()
                return "failure"
        body = {"worker_id": self.worker_id, "variables": result}
        response = self.client.post(f"{url}/complete", json=body)
        if response.status_code == 409:  # our lock expired and another worker took the task
            return "lost"
        response.raise_for_status()
        return "completed"

    def run(self, *, once: bool, poll_seconds: float, max_tasks: int = 5) -> int:
        """Work until stopped (or, with `once`, until one task is done); returns tasks done."""
        done = 0
        while True:
            tasks = self.fetch(1 if once else max_tasks)
            for task in tasks:
                outcome = self.handle(task)
                print(f"{task['id']} ({task['element_id']}): {outcome}", flush=True)
                done += 1
                if once:
                    return done
            if not tasks:
                time.sleep(poll_seconds)


class LockKeeper:
    """Extends a task's lock every half lock duration while the work runs (long work)."""

    def __init__(self, client: httpx.Client, url: str, worker_id: str, lock_ms: int) -> None:
        self.client, self.url, self.worker_id, self.lock_ms = client, url, worker_id, lock_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, daemon=True)

    def __enter__(self) -> "LockKeeper":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _keep(self) -> None:
        body = {"worker_id": self.worker_id, "new_duration_ms": self.lock_ms}
        while not self._stop.wait(self.lock_ms / 2000):
            try:
                self.client.post(f"{self.url}/extend-lock", json=body).raise_for_status()
            except httpx.HTTPError as exc:  # the work goes on; completing may then answer 409
                print(f"could not extend the lock: {exc}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="handle one task, then exit")
    args = parser.parse_args()
    token = os.environ.get("DUCHA_TOKEN")
    if not token:
        print("set DUCHA_TOKEN to a token with the role `worker`", file=sys.stderr)
        return 2
    base_url = os.environ.get("DUCHA_URL", "http://127.0.0.1:8000")
    worker_id = os.environ.get("DUCHA_WORKER_ID", f"worker-{socket.gethostname()}-{os.getpid()}")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        worker = Worker(
            client,
            worker_id,
            os.environ.get("DUCHA_TOPIC", "sms"),
            send_sms,
            int(os.environ.get("DUCHA_LOCK_MS", "60000")),
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop
            worker.run(
                once=args.once, poll_seconds=float(os.environ.get("DUCHA_POLL_SECONDS", "2"))
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
