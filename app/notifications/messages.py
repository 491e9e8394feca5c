"""Events become messages: who is told, over which channels, in which words (seed 三(一)–(二)).

`plan` is the outbox consumer's handler: for each urging, escalation, new assignment or returned
report it finds the active contacts of the units and roles the rule names (rules.RULES), renders
one message per contact and channel, and adds them as `pending` (or `deferred` in a contact's quiet
hours when not urgent). Nobody to reach is recorded too: a `failed` row naming unit and role, on the
matter's timeline, so the office sees it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.events.models import OutboxEvent
from app.identity.principal import Role
from app.kit.clock import clock
from app.notifications import contacts, rules
from app.notifications.channels import EMAIL, HTTP, LABELS
from app.notifications.models import Contact, Notification
from app.notifications.templates import TemplateProblem, Templates
from app.org.models import Unit
from app.rectification.models import Rectification, RectificationPart
from app.supervision.models import Matter, MatterDeadline, Urging
from app.supervision.timeline import note

ROLE_LABELS = {
    Role.UNIT_HANDLER: "承办人",
    Role.UNIT_HEAD: "单位负责人",
    Role.LEADER: "政府领导",
    Role.SUPERVISION_OFFICE: "督查室工作人员",
}
ASSIGNMENT_ROLES = {"lead": "牵头单位", "co": "配合单位"}


@dataclass(frozen=True)
class Planner:
    """What planning needs besides the session: templates, the configured channels, links."""

    templates: Templates
    channels: tuple[str, ...]
    base_url: str


@dataclass
class Occasion:
    """What one event is about, ready for the templates."""

    event: OutboxEvent
    kind: str
    rule: rules.Rule
    unit: str
    owner_unit: str
    matter: Matter | None
    rectification_id: uuid.UUID | None
    context: dict[str, Any]


def plan(session: Session, events: list[OutboxEvent], planner: Planner) -> int:
    """Add the messages of a batch of events; returns how many rows were added."""
    added = 0
    for event in events:
        if "notification_id" in (event.data or {}):
            continue  # our own timeline entries' events: never a message again
        kind = rules.message_kind(event.type, event.data or {})
        if kind is None:
            continue
        occasion = occasion_of(session, event, kind, planner.base_url)
        if occasion is not None:
            added += _messages(session, occasion, planner)
    return added


def occasion_of(session: Session, event: OutboxEvent, kind: str, base_url: str) -> Occasion | None:
    """What an event is about (a matter or a rectification), or None if that is gone."""
    data: dict[str, Any] = event.data or {}
    if event.type.endswith("rectification.urged"):
        return _rectification_occasion(session, event, kind, base_url)
    raw = data.get("matter_id") or event.subject
    matter = session.get(Matter, uuid.UUID(str(raw))) if raw else None
    if matter is None:
        return None
    unit = str(data.get("unit") or matter.lead_unit)
    context = _common(session, kind, unit, matter.owner_unit, data)
    context.update(
        object_label="督查事项",
        title=matter.title,
        code=matter.code,
        link=f"{base_url}/matters/{matter.id}",
        due=data.get("due") or _due(session, matter, unit, kind) or str(matter.final_due),
        role_label=ASSIGNMENT_ROLES.get(str(data.get("role")), "承办单位"),
    )
    return Occasion(event, kind, rules.RULES[kind], unit, matter.owner_unit, matter, None, context)


def _rectification_occasion(
    session: Session, event: OutboxEvent, kind: str, base_url: str
) -> Occasion | None:
    data: dict[str, Any] = event.data or {}
    raw = data.get("rectification_id") or event.subject
    rectification = session.get(Rectification, uuid.UUID(str(raw))) if raw else None
    unit = data.get("unit")
    if rectification is None or not unit:
        return None
    part = session.scalars(
        select(RectificationPart).where(
            RectificationPart.rectification_id == rectification.id,
            RectificationPart.unit_code == unit,
        )
    ).first()
    context = _common(session, kind, unit, rectification.owner_unit, data)
    context.update(
        object_label="整改事项",
        title=rectification.title,
        code=rectification.code,
        link=f"{base_url}/rectifications/{rectification.id}",
        due=str(part.due if part is not None else rectification.due),
        role_label="整改单位",
    )
    rule = rules.RULES[kind]
    return Occasion(
        event, kind, rule, unit, rectification.owner_unit, None, rectification.id, context
    )


def _common(
    session: Session, kind: str, unit: str, owner_unit: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "label": rules.RULES[kind].label,
        "urgent": rules.RULES[kind].urgent,
        "unit_code": unit,
        "unit_name": _unit_name(session, unit),
        "office_name": _unit_name(session, owner_unit),
        "notice": data.get("notice"),
        "comment": data.get("comment"),
        "reason": data.get("reason"),
        "data": data,
    }


def _unit_name(session: Session, code: str) -> str:
    return session.scalar(select(Unit.name).where(Unit.code == code)) or code


def _due(session: Session, matter: Matter, unit: str, kind: str) -> str | None:
    """The deadline an urging is about (the latest urging of that unit and kind)."""
    due = session.scalar(
        select(MatterDeadline.due)
        .join(Urging, Urging.deadline_id == MatterDeadline.id)
        .where(Urging.matter_id == matter.id, Urging.unit_code == unit, Urging.kind == kind)
        .order_by(Urging.at.desc())
        .limit(1)
    )
    return str(due) if due is not None else None


def _messages(session: Session, occasion: Occasion, planner: Planner) -> int:
    added = 0
    seen: set[str] = set()
    for target, role in occasion.rule.audience:
        unit = _target_unit(session, occasion, target)
        people = contacts.reachable(session, unit, role) if unit else []
        if not people:
            reason = f"no contact for unit {unit or '(' + target.value + ')'} role {role.value}"
            _unreached(session, occasion, unit or occasion.unit, role, reason)
            added += 1
            continue
        for person in people:
            if person.sub in seen:
                continue
            seen.add(person.sub)
            added += len(to_person(session, occasion, planner, person, role))
    return added


def _target_unit(session: Session, occasion: Occasion, target: rules.Target) -> str | None:
    if target is rules.Target.UNIT:
        return occasion.unit
    if target is rules.Target.OWNER:
        return occasion.owner_unit
    return contacts.government_above(session, occasion.unit)


def to_person(
    session: Session, occasion: Occasion, planner: Planner, person: Contact, role: Role
) -> list[Notification]:
    """One message per channel of the person's choice (else any configured channel they have
    an address for); a failed row when there is none."""
    addresses = {EMAIL: person.email, HTTP: person.im_id}
    chosen = [c for c in person.channels if c in planner.channels and addresses.get(c)]
    chosen = chosen or [c for c in planner.channels if addresses.get(c)]
    if not chosen:
        reason = f"contact {person.sub} has no address for a configured channel"
        return [_unreached(session, occasion, person.unit_code, role, reason, person)]
    now = clock.now()
    rows = []
    for channel in chosen:
        row = _row(occasion, person.unit_code, role, now)
        row.recipient_sub, row.recipient_name = person.sub, person.name
        row.channel, row.address = channel, addresses[channel]
        context = {
            **occasion.context,
            "recipient_name": person.name,
            "address": row.address,
            "channel": channel,
        }
        try:
            row.subject, row.body = _render(planner.templates, occasion.kind, channel, context)
        except TemplateProblem as exc:
            row.subject, row.body = occasion.context["label"], ""
            rows.append(_fail(session, row, str(exc)))
            continue
        held = (
            None
            if occasion.rule.urgent
            else rules.quiet_until(now, person.quiet_start, person.quiet_end)
        )
        row.status = "deferred" if held else "pending"
        row.next_attempt_at = held or now
        session.add(row)
        rows.append(row)
    return rows


def _render(
    templates: Templates, kind: str, channel: str, context: dict[str, Any]
) -> tuple[str, str]:
    subject = templates.subject(kind, context)
    text = templates.text(kind, context)
    if channel == EMAIL:
        return subject, text
    return subject, templates.http_body(kind, {**context, "subject": subject, "text": text})


def _row(occasion: Occasion, unit: str, role: Role, now: datetime) -> Notification:
    return Notification(
        id=uuid.uuid4(),
        event_id=occasion.event.event_id,
        event_type=occasion.event.type,
        matter_id=occasion.matter.id if occasion.matter is not None else None,
        rectification_id=occasion.rectification_id,
        unit_code=occasion.unit,
        kind=occasion.kind,
        urgent=occasion.rule.urgent,
        recipient_unit=unit,
        recipient_role=role.value,
        attempts=0,
        created_at=now,
    )


def _unreached(
    session: Session,
    occasion: Occasion,
    unit: str,
    role: Role,
    reason: str,
    person: Contact | None = None,
) -> Notification:
    row = _row(occasion, unit, role, clock.now())
    if person is not None:
        row.recipient_sub, row.recipient_name = person.sub, person.name
    row.subject = f"【{occasion.context['label']}】{occasion.context['title']}"
    row.body = ""
    return _fail(session, row, reason)


def _fail(session: Session, row: Notification, reason: str) -> Notification:
    row.status, row.last_error, row.next_attempt_at = "failed", reason, None
    session.add(row)
    session.flush()
    record(session, row)
    return row


def record(session: Session, row: Notification) -> None:
    """On the matter's timeline: a message delivered, or one that could not be (with why)."""
    if row.matter_id is None:
        return
    matter = session.get(Matter, row.matter_id)
    if matter is None:
        return
    unit_name = _unit_name(session, row.recipient_unit)
    who = row.recipient_name or ROLE_LABELS.get(Role(row.recipient_role), row.recipient_role)
    if row.status == "sent":
        channel = LABELS.get(row.channel or "", row.channel or "")
        summary = f"已通过{channel}通知 {who}（{unit_name}）：{row.subject}"
    else:
        summary = f"未能通知 {who}（{unit_name}）：{row.subject}；原因：{row.last_error}"
    note(
        session,
        matter,
        "notified" if row.status == "sent" else "notification_failed",
        summary,
        unit=row.unit_code,
        data={
            "notification_id": str(row.id),
            "status": row.status,
            "channel": row.channel,
            "recipient": row.recipient_sub,
            "address": row.address,
            "kind": row.kind,
            "reason": row.last_error,
        },
    )
