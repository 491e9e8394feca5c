"""Migration 0021 turns the tasks already in the projection into activity instances (open ones
active, closed ones with their duration and who completed them), on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, Integer, String, Uuid, column, create_engine, insert, select, table

from app.engine.persist.activity_instances import ActivityInstance
from app.kit.columns import Json
from app.migrate import alembic_config


def test_the_migration_turns_existing_tasks_into_activity_instances(database_url: str) -> None:
    """Down to the revision before 0021, rows of the old schema, up again: every task of the
    projection is an activity instance (open ones active), with its duration."""
    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision("0021").down_revision
    command.downgrade(config, str(before))
    engine = create_engine(database_url)
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    definition_id, instance_id = uuid.uuid4(), uuid.uuid4()
    done, waiting = uuid.uuid4(), uuid.uuid4()
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(_old("process_definitions")), [_definition(definition_id, t0)]
            )
            connection.execute(
                insert(_old("process_instances")), [_instance(instance_id, definition_id, t0)]
            )
            connection.execute(
                insert(_old("tasks")),
                [
                    _task(done, instance_id, "check", t0, "completed", t0 + timedelta(minutes=90)),
                    _task(waiting, instance_id, "approve", t0 + timedelta(hours=2), "ready", None),
                ],
            )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            found = connection.execute(
                select(ActivityInstance).order_by(ActivityInstance.started_at)
            ).all()
    finally:
        engine.dispose()
    assert [
        (r.task_id, r.element_id, r.state, r.duration_ms, r.actor, r.unit, r.definition_id)
        for r in found
    ] == [
        (done, "check", "completed", 90 * 60_000, "clerk", "320000-DCS", definition_id),
        (waiting, "approve", "active", None, None, "320000-DCS", definition_id),
    ]
    assert {(r.process_key, r.version, r.instance_id) for r in found} == {
        ("backfilled", 1, instance_id)
    }


def _old(name: str) -> Any:
    """The columns of a table as revision 0019 has them (only those the test fills)."""
    columns = {
        "process_definitions": [
            ("id", Uuid()),
            ("key", String()),
            ("version", Integer()),
            ("file_name", String()),
            ("content_hash", String()),
            ("bpmn_xml", String()),
            ("forms", Json),
            ("dependencies", Json),
            ("message_starts", Json),
            ("deployed_at", DateTime(timezone=True)),
        ],
        "process_instances": [
            ("id", Uuid()),
            ("definition_id", Uuid()),
            ("process_key", String()),
            ("version", Integer()),
            ("status", String()),
            ("variables", Json),
            ("state", String()),
            ("lock_version", Integer()),
            ("created_at", DateTime(timezone=True)),
            ("updated_at", DateTime(timezone=True)),
            ("unit_code", String()),
            ("completed_elements", Json),
            ("bindings", Json),
        ],
        "tasks": [
            ("id", Uuid()),
            ("instance_id", Uuid()),
            ("process_key", String()),
            ("element_id", String()),
            ("name", String()),
            ("element_type", String()),
            ("state", String()),
            ("candidate_groups", Json),
            ("candidate_units", Json),
            ("unit_code", String()),
            ("input", Json),
            ("created_at", DateTime(timezone=True)),
            ("completed_at", DateTime(timezone=True)),
            ("completed_by", String()),
        ],
    }[name]
    return table(name, *(column(n, t) for n, t in columns))


def _definition(definition_id: uuid.UUID, t0: datetime) -> dict[str, Any]:
    return {
        "id": definition_id,
        "key": "backfilled",
        "version": 1,
        "file_name": "b.bpmn",
        "content_hash": "0" * 64,
        "bpmn_xml": "<x/>",
        "forms": {},
        "dependencies": {},
        "message_starts": [],
        "deployed_at": t0,
    }


def _instance(instance_id: uuid.UUID, definition_id: uuid.UUID, t0: datetime) -> dict[str, Any]:
    return {
        "id": instance_id,
        "definition_id": definition_id,
        "process_key": "backfilled",
        "version": 1,
        "status": "running",
        "variables": {},
        "state": "",
        "lock_version": 1,
        "created_at": t0,
        "updated_at": t0,
        "unit_code": "320000-DCS",
        "completed_elements": [],
        "bindings": {},
    }


def _task(
    task_id: uuid.UUID,
    instance_id: uuid.UUID,
    element_id: str,
    created: datetime,
    state: str,
    completed: datetime | None,
) -> dict[str, Any]:
    return {
        "id": task_id,
        "instance_id": instance_id,
        "process_key": "backfilled",
        "element_id": element_id,
        "name": element_id.title(),
        "element_type": "UserTask",
        "state": state,
        "candidate_groups": [],
        "candidate_units": [],
        "unit_code": "320000-DCS",
        "input": {},
        "created_at": created,
        "completed_at": completed,
        "completed_by": "clerk" if completed else None,
    }
