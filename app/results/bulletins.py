"""通报 (seed 三(二)): drafts with their entries, issue to the units in scope, and suggestions
of whom to commend or criticise drawn from the deadlines and urgings of a period."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import Engine, Outcome
from app.identity.policy import Scope
from app.kit.clock import clock
from app.kit.errors import InvalidData
from app.kit.timezone import CHINA
from app.results.common import (
    check_units,
    next_code,
    office_scope,
    publish,
    readable_matters,
    start_process,
    unit_names,
)
from app.results.ladder import ESCALATIONS, urging_steps
from app.results.models import Bulletin, BulletinEntry
from app.results.schemas import BulletinIn, EntryIn, Suggestion
from app.supervision import queries as matter_queries
from app.supervision.matters import today
from app.supervision.models import Matter, MatterDeadline, Urging
from app.supervision.timeline import note

PROCESS_KEY = "bulletin"
VERDICTS = {"commend": "表扬", "criticise": "批评"}
URGINGS = ("urge", "sign_overdue", *ESCALATIONS)


def create(
    engine: Engine, session: Session, scope: Scope, body: BulletinIn, *, actor: str, owner_unit: str
) -> tuple[Bulletin, Outcome]:
    """Record the draft and its entries and start the `bulletin` process at the office's draft."""
    check_units(session, scope, body.recipients, "recipients")
    _check_entries(session, scope, body.entries, "entries")
    bulletin = Bulletin(
        id=uuid.uuid4(),
        code=next_code(session, Bulletin, "TB", today()),
        title=body.title,
        body=body.body,
        period_start=body.period_start,
        period_end=body.period_end,
        owner_unit=owner_unit,
        recipients=list(dict.fromkeys(body.recipients)),
        status="drafting",
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(bulletin)
    _replace_entries(session, bulletin, body.entries)
    session.flush()
    outcome = start_process(
        engine,
        session,
        PROCESS_KEY,
        object_id=bulletin.id,
        variables={"code": bulletin.code, "title": bulletin.title},
        actor=actor,
        owner_unit=owner_unit,
    )
    bulletin.instance_id = outcome.instance_id
    return bulletin, outcome


def _check_entries(session: Session, scope: Scope, entries: list[EntryIn], field: str) -> None:
    check_units(session, scope, [e.unit_code for e in entries], f"{field}/unit_code")
    for i, entry in enumerate(entries):
        readable_matters(session, scope, entry.matter_ids, f"{field}/{i}/matter_ids")


def _replace_entries(session: Session, bulletin: Bulletin, entries: list[EntryIn]) -> None:
    for old in session.scalars(
        select(BulletinEntry).where(BulletinEntry.bulletin_id == bulletin.id)
    ):
        session.delete(old)
    for entry in entries:
        session.add(
            BulletinEntry(
                bulletin_id=bulletin.id,
                unit_code=entry.unit_code,
                verdict=entry.verdict,
                reason=entry.reason,
                matter_ids=[str(m) for m in entry.matter_ids],
            )
        )


_ENTRIES = TypeAdapter(list[EntryIn])


def apply_edits(session: Session, bulletin: Bulletin, data: dict[str, Any]) -> None:
    """The office's edits in its draft task: title, body, recipients, entries (checked again,
    against the owner office's scope)."""
    scope = office_scope(session, bulletin.owner_unit)
    for name in ("title", "body"):
        if isinstance(data.get(name), str):
            setattr(bulletin, name, data[name])
    if data.get("recipients"):
        check_units(session, scope, data["recipients"], "recipients")
        bulletin.recipients = list(dict.fromkeys(data["recipients"]))
    if "entries" in data:
        try:
            entries = _ENTRIES.validate_python(data["entries"])
        except ValidationError as exc:
            errors = [
                {"field": "/".join(["entries", *map(str, e["loc"])]), "message": e["msg"]}
                for e in exc.errors()
            ]
            raise InvalidData("invalid entries", errors=errors) from exc
        _check_entries(session, scope, entries, "entries")
        _replace_entries(session, bulletin, entries)


def issued(session: Session, bulletin: Bulletin, actor: str | None) -> None:
    """Issued: the recipients and the named units may read it; each matter's timeline says so."""
    entries = list(
        session.scalars(select(BulletinEntry).where(BulletinEntry.bulletin_id == bulletin.id))
    )
    publish(
        session, "bulletin", bulletin.id, [*bulletin.recipients, *(e.unit_code for e in entries)]
    )
    names = unit_names(session, [e.unit_code for e in entries])
    ids = {uuid.UUID(m) for e in entries for m in e.matter_ids}
    matters = {m.id: m for m in session.scalars(select(Matter).where(Matter.id.in_(ids)))}
    for entry in entries:
        for matter_id in entry.matter_ids:
            matter = matters.get(uuid.UUID(matter_id))
            if matter is None:
                continue
            note(
                session,
                matter,
                "bulletin",
                f"{bulletin.doc_number}通报{VERDICTS[entry.verdict]}"
                f"{names.get(entry.unit_code, entry.unit_code)}：{entry.reason}",
                unit=entry.unit_code,
                actor=actor,
                data={"bulletin_id": str(bulletin.id), "verdict": entry.verdict},
            )


# --- suggestions ----------------------------------------------------------------------------


@dataclass
class _Record:
    """What one unit did in a period."""

    deadlines: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    urged: int = 0
    escalated: int = 0
    ladder_entries: int = 0  # urgings the escalation ladder says deserve a bulletin entry
    matters: dict[str, None] = field(default_factory=dict)
    bad_matters: dict[str, None] = field(default_factory=dict)


def suggestions(
    engine: Engine, session: Session, scope: Scope, start: date, end: date
) -> list[Suggestion]:
    """seed 三(二), domain.md §7: commend units whose deadlines in the period were all met on
    time with no urging; criticise units with late or overdue deadlines, an urging the
    escalation ladder's table says deserves a bulletin entry (as shipped: every 督办, still red
    N working days after the deadline) or repeated urgings. Criticisms first."""
    records: dict[str, _Record] = defaultdict(_Record)
    now = today()
    deadlines = session.execute(
        select(MatterDeadline, Matter.id)
        .join(Matter, Matter.id == MatterDeadline.matter_id)
        .where(
            matter_queries.readable_clause(scope),
            scope.clause(MatterDeadline.unit_code),
            MatterDeadline.due >= start,
            MatterDeadline.due <= end,
        )
    )
    for deadline, matter_id in deadlines:
        record, key = records[deadline.unit_code or ""], str(matter_id)
        record.deadlines += 1
        record.matters[key] = None
        if deadline.outcome == "on_time":
            record.on_time += 1
            continue
        if deadline.outcome == "late":
            record.late += 1
        elif deadline.due < now:
            record.overdue += 1
        else:
            continue
        record.bad_matters[key] = None
    _count_urgings(engine, session, scope, start, end, records)
    names = unit_names(session, records)
    out = [
        s
        for code, record in sorted(records.items())
        if code and (s := _suggest(code, names.get(code, code), record)) is not None
    ]
    return sorted(out, key=lambda s: (s.verdict != "criticise", s.unit_code))


def _count_urgings(
    engine: Engine,
    session: Session,
    scope: Scope,
    start: date,
    end: date,
    records: dict[str, _Record],
) -> None:
    since = datetime.combine(start, time(), CHINA)
    until = datetime.combine(end + timedelta(days=1), time(), CHINA)
    urgings = session.scalars(
        select(Urging)
        .join(Matter, Matter.id == Urging.matter_id)
        .where(
            matter_queries.readable_clause(scope),
            scope.clause(Urging.unit_code),
            Urging.kind.in_(URGINGS),
            Urging.at >= since,
            Urging.at < until,
        )
    ).all()
    steps = urging_steps(engine, session, urgings)
    for urging in urgings:
        record = records[urging.unit_code]
        record.matters[str(urging.matter_id)] = None
        record.bad_matters[str(urging.matter_id)] = None
        if urging.kind in ESCALATIONS:
            record.escalated += 1
        else:
            record.urged += 1
        if steps[urging.id].bulletin_entry:
            record.ladder_entries += 1


def _suggest(code: str, name: str, record: _Record) -> Suggestion | None:
    figures = {
        "deadlines": record.deadlines,
        "on_time": record.on_time,
        "late": record.late,
        "overdue": record.overdue,
        "urged": record.urged,
        "escalated": record.escalated,
        "ladder_entries": record.ladder_entries,
    }
    faults = []
    if record.overdue:
        faults.append(f"{record.overdue}个时限逾期未完成")
    if record.late:
        faults.append(f"{record.late}个时限逾期完成")
    if record.ladder_entries:
        faults.append(f"超期亮红灯、经催办督办仍未报送{record.ladder_entries}次")
    if record.urged >= 2:
        faults.append(f"被催办{record.urged}次")
    if faults:
        return Suggestion(
            unit_code=code,
            unit_name=name,
            verdict="criticise",
            reason="工作进展缓慢、落实不力：" + "，".join(faults),
            matter_ids=list(record.bad_matters),
            figures=figures,
        )
    punctual = record.on_time == record.deadlines and not (record.urged or record.escalated)
    if record.deadlines and punctual:
        return Suggestion(
            unit_code=code,
            unit_name=name,
            verdict="commend",
            reason=f"期内{record.deadlines}个办理时限全部按时完成，成效明显",
            matter_ids=list(record.matters),
            figures=figures,
        )
    return None
