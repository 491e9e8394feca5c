"""What reports, bulletins and accountability share: units and matters checked against the
caller's scope, who may read a result, document numbers (文号), the process they run in."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import sequences
from app.engine import Engine, Outcome, TaskRecord, start_instance
from app.identity.policy import Forbidden, Scope
from app.kit.errors import InvalidData
from app.org import service as units
from app.org.models import Unit
from app.results.models import ResultRecipient
from app.sequences import next_number
from app.supervision import queries as matter_queries
from app.supervision.models import Matter

# The short names document numbers start with (苏督通〔2026〕3号), by the government's code.
SHORT_NAMES = {
    "320000": "苏", "320100": "宁", "320200": "锡", "320300": "徐", "320400": "常",
    "320500": "苏", "320600": "通", "320700": "连", "320800": "淮", "320900": "盐",
    "321000": "扬", "321100": "镇", "321200": "泰", "321300": "宿",
}  # fmt: skip


def unit_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """code → name of the units that exist among `codes`."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(wanted)))
    return {code: name for code, name in rows}


def check_units(session: Session, scope: Scope, codes: Sequence[str], field: str) -> None:
    """422 naming the field for an unknown unit; 403 for one outside the caller's scope."""
    names = unit_names(session, codes)
    unknown = [
        {"field": f"{field}/{i}", "message": f"unknown unit '{c}'"}
        for i, c in enumerate(codes)
        if c not in names
    ]
    if unknown:
        raise InvalidData("unknown units", errors=unknown)
    for i, code in enumerate(codes):
        if not scope.contains(session, code):
            raise Forbidden(
                f"unit '{code}' is outside your scope", errors=[{"field": f"{field}/{i}"}]
            )


def readable_matters(
    session: Session, scope: Scope, ids: Sequence[uuid.UUID], field: str
) -> list[Matter]:
    """The matters of `ids`, in order; 422 naming the field for one you cannot see."""
    if not ids:
        return []
    found = {
        m.id: m
        for m in session.scalars(matter_queries.readable(session, scope).where(Matter.id.in_(ids)))
    }
    missing = [
        {"field": f"{field}/{i}", "message": f"no matter {m} in your scope"}
        for i, m in enumerate(ids)
        if m not in found
    ]
    if missing:
        raise InvalidData("unknown matters", errors=missing)
    return [found[m] for m in ids]


def government_of(session: Session, unit_code: str) -> str:
    """The government an office serves (its leaders approve its results, 条例 Art. 21)."""
    path = units.government_path(session, unit_code)
    return path.rstrip("/").split("/")[-1] if path else unit_code


def office_scope(session: Session, office_unit: str) -> Scope:
    """What an office sees: its government's subtree (used where no caller is at hand)."""
    path = units.government_path(session, office_unit)
    own = frozenset({office_unit})
    scope = Scope(everything=False, subtrees=(path,) if path else (), units=own)
    return scope.expanded(session)


def publish(session: Session, object_type: str, object_id: uuid.UUID, codes: Iterable[str]) -> None:
    """Let `codes` read the result from now on."""
    for code in sorted(set(codes)):
        session.add(ResultRecipient(object_type=object_type, object_id=object_id, unit_code=code))


def doc_number(session: Session, model: Any, owner_unit: str, word: str, on: date) -> str:
    """The next 文号 of an office for one kind of document, e.g. 苏督通〔2026〕3号."""
    government = government_of(session, owner_unit)
    prefix = f"{SHORT_NAMES.get(government.split('-')[0], '')}{word}〔{on.year}〕"

    def existing() -> int:
        return (
            session.scalar(
                select(func.count()).where(
                    model.owner_unit == owner_unit,
                    model.doc_number.startswith(prefix, autoescape=True),
                )
            )
            or 0
        )

    return f"{prefix}{next_number(session, f'{owner_unit}:{prefix}', existing)}号"


def next_code(session: Session, model: Any, prefix: str, on: date) -> str:
    """An internal code: TB-2026-0001 (an atomic sequence: concurrent drafts never share one)."""
    return sequences.next_code(session, model.code, f"{prefix}-{on.year}-")


def start_process(
    engine: Engine,
    session: Session,
    process_key: str,
    *,
    object_id: uuid.UUID,
    variables: dict[str, Any],
    actor: str,
    owner_unit: str,
) -> Outcome:
    """Start a result's process: the office's unit works it, its government's leader approves."""
    return start_instance(
        engine,
        session,
        process_key=process_key,
        version=None,
        business_key=str(object_id),
        variables={
            "result_id": str(object_id),
            "owner_unit": owner_unit,
            "leader_unit": government_of(session, owner_unit),
            "withdraw": False,
            **variables,
        },
        actor=actor,
        unit_code=owner_unit,
    )


def ready_tasks(session: Session, instance_id: uuid.UUID | None) -> list[TaskRecord]:
    """The instance's ready tasks, oldest first."""
    if instance_id is None:
        return []
    return list(
        session.scalars(
            select(TaskRecord)
            .where(TaskRecord.instance_id == instance_id, TaskRecord.state == "ready")
            .order_by(TaskRecord.created_at)
        )
    )
