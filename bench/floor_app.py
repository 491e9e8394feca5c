"""The hand-written completion floor, measured in the same run as the service (bench only).

What /work/shared/docs/spiffworkflow-notes.md calls the hand-written completion: HTTP (FastAPI
sync route, Pydantic body, uvicorn) + read the state + deserialize + one SpiffWorkflow step +
serialize + 3 writes + commit, on raw psycopg, with no authentication, no scoping, no audit, no
task projection and no warm cache. Run as `uvicorn bench.floor_app:app` with
`DUCHA_FLOOR_DATABASE_URL` (a libpq URL of an empty database; its tables are created here).
"""

from __future__ import annotations

import os
import queue
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI, HTTPException
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

BPMN = Path(__file__).resolve().parent.parent / "tests" / "engine" / "bpmn" / "five_steps.bpmn"
SCHEMA = """
CREATE TABLE IF NOT EXISTS floor_instances (id uuid PRIMARY KEY, state text NOT NULL,
  status varchar(20) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS floor_tasks (id uuid PRIMARY KEY, instance_id uuid NOT NULL,
  state varchar(20) NOT NULL, submitted jsonb);
CREATE TABLE IF NOT EXISTS floor_history (id bigserial PRIMARY KEY, instance_id uuid NOT NULL,
  event varchar(50) NOT NULL, data jsonb, at timestamptz NOT NULL DEFAULT now());
"""


class Body(BaseModel):
    variables: dict[str, Any] = Field(default_factory=dict)


class Pool:
    """A few raw psycopg connections, one per concurrent request."""

    def __init__(self, url: str, size: int = 10) -> None:
        self._free: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        for _ in range(size):
            self._free.put(psycopg.connect(url))

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        conn = self._free.get()
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            self._free.put(conn)


parser = SpiffBpmnParser()
parser.add_bpmn_files([str(BPMN)])
SPEC = parser.get_spec("five_steps")
serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(dict(SPIFF_CONFIG)))
pool: Pool | None = None
app = FastAPI()


def _pool() -> Pool:
    global pool
    if pool is None:
        url = os.environ["DUCHA_FLOOR_DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA)
        pool = Pool(url)
    return pool


def _answer(instance_id: uuid.UUID, workflow: Any) -> dict[str, Any]:
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    status = "completed" if workflow.completed else "running"
    return {"id": str(instance_id), "status": status, "ready_tasks": [str(t.id) for t in ready]}


@app.post("/floor/start")
def start(body: Body) -> dict[str, Any]:
    workflow = BpmnWorkflow(SPEC)
    workflow.task_tree.data.update(body.variables)
    workflow.do_engine_steps()
    instance_id = uuid.uuid4()
    with _pool().connection() as conn:
        conn.execute(
            "INSERT INTO floor_instances (id, state, status) VALUES (%s, %s, 'running')",
            (instance_id, serializer.serialize_json(workflow)),
        )
    return _answer(instance_id, workflow)


@app.post("/floor/{instance_id}/tasks/{task_id}/complete")
def complete(instance_id: uuid.UUID, task_id: uuid.UUID, body: Body) -> dict[str, Any]:
    with _pool().connection() as conn:
        row = conn.execute(
            "SELECT state FROM floor_instances WHERE id = %s FOR UPDATE", (instance_id,)
        ).fetchone()
        if row is None:
            raise HTTPException(404)
        workflow = serializer.deserialize_json(row[0])
        task = workflow.get_task_from_id(task_id)
        if not task.has_state(TaskState.READY):
            raise HTTPException(409)
        task.data.update(body.variables)
        task.run()
        workflow.do_engine_steps()
        status = "completed" if workflow.completed else "running"
        conn.execute(
            "UPDATE floor_instances SET state = %s, status = %s, updated_at = now() WHERE id = %s",
            (serializer.serialize_json(workflow), status, instance_id),
        )
        conn.execute(
            "INSERT INTO floor_tasks (id, instance_id, state, submitted) "
            "VALUES (%s, %s, 'completed', %s)",
            (task_id, instance_id, Jsonb(body.variables)),
        )
        conn.execute(
            "INSERT INTO floor_history (instance_id, event, data) "
            "VALUES (%s, 'task_completed', %s)",
            (instance_id, Jsonb(body.variables)),
        )
    return _answer(instance_id, workflow)
