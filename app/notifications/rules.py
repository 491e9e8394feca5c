"""Pure rules of notifications: who hears of what, how urgently, when quiet hours end, retries.

seed 三(一)–(二) (跟踪督办) and domain.md §7 (the escalation ladder): a reminder goes to the
unit's handlers; an urging notice is urgent; 督办 goes to the unit head (with the handlers),
then to the leaders of the government above the unit (with the unit head).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from app.identity.principal import Role
from app.kit.timezone import CHINA


class Target(StrEnum):
    """Whose people a message goes to."""

    UNIT = "unit"  # the unit the event is about
    GOVERNMENT_ABOVE = "government_above"  # the nearest government above that unit
    OWNER = "owner"  # the supervision office that owns the matter


@dataclass(frozen=True)
class Rule:
    """A kind of message: its Chinese label, urgency and audience."""

    label: str
    urgent: bool
    audience: tuple[tuple[Target, Role], ...]


HANDLERS = ((Target.UNIT, Role.UNIT_HANDLER),)

# Message kinds, one template set each (app/notifications/templates/<kind>.*).
RULES: dict[str, Rule] = {
    "remind": Rule("督查提醒", False, HANDLERS),
    "urge": Rule("催办通知", True, HANDLERS),
    "sign_overdue": Rule("催办通知", True, HANDLERS),
    "early_urge": Rule("提前催办", False, HANDLERS),  # before the deadline: not urgent
    "escalate": Rule("督办通知", True, ((Target.UNIT, Role.UNIT_HEAD), *HANDLERS)),
    "escalate_leader": Rule(
        "督办通知",
        True,
        ((Target.GOVERNMENT_ABOVE, Role.LEADER), (Target.UNIT, Role.UNIT_HEAD)),
    ),
    "assigned": Rule("交办通知", False, HANDLERS),
    "report_sent_back": Rule("报告退回通知", False, HANDLERS),
    "returned": Rule("退回交办提示", False, ((Target.OWNER, Role.SUPERVISION_OFFICE),)),
}

# Event types (without the `ducha.` prefix) that become messages: the message kind is fixed,
# or comes from the event's `data.kind` (None).
EVENT_KINDS: dict[str, str | None] = {
    "matter.urged": None,
    "matter.escalated": None,
    "rectification.urged": None,
    "matter.assigned": "assigned",
    "matter.report_sent_back": "report_sent_back",
    "matter.returned": "returned",
}


def message_kind(event_type: str, data: dict[str, object]) -> str | None:
    """The kind of message an event becomes, or None when it is none of ours."""
    short = event_type.removeprefix("ducha.")
    if short not in EVENT_KINDS:
        return None
    kind = EVENT_KINDS[short] or str(data.get("kind") or "")
    return kind if kind in RULES else None


def quiet_until(moment: datetime, start: time | None, end: time | None) -> datetime | None:
    """When quiet hours (China time, e.g. 22:00–07:00) hold `moment` back, the instant they
    end (UTC); None outside them, or when the contact keeps none."""
    if start is None or end is None or start == end:
        return None
    local = moment.astimezone(CHINA)
    now = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= now < end
        end_day = local.date()
    else:  # across midnight
        inside = now >= start or now < end
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, CHINA).astimezone(UTC)


def retry_at(now: datetime, attempts: int, first_delay_seconds: float) -> datetime:
    """The next attempt after `attempts` failures: the delay doubles each time."""
    return now + timedelta(seconds=first_delay_seconds * 2 ** max(attempts - 1, 0))
