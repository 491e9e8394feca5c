"""The audit trail's process steps (审计对象): a task's row named by its element's display names."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.parser.names import split_bilingual
from app.engine.persist.models import ProcessInstance, TaskRecord
from app.engine.runtime import names


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def task_steps(session: Session, rows: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """{audit row id: {"step_names": …}} for the rows about a task (one query per page)."""
    wanted = {r.id: _uuid(r.object_id) for r in rows if r.object_type == "task"}
    task_ids = {t for t in wanted.values() if t is not None}
    if not task_ids:
        return {}
    found = session.execute(
        select(TaskRecord.id, TaskRecord.element_id, TaskRecord.name, ProcessInstance.definition_id)
        .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
        .where(TaskRecord.id.in_(task_ids))
    ).all()
    by_definition = names.element_names(session, {f.definition_id for f in found})
    steps: dict[uuid.UUID, dict[str, str]] = {}
    for task_id, element_id, name, definition_id in found:
        shown = by_definition.get(definition_id, {}).get(element_id)
        steps[task_id] = shown or split_bilingual(name or element_id)
    return {
        row_id: {"step_names": steps[t]}
        for row_id, t in wanted.items()
        if t is not None and t in steps
    }
