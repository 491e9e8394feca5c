"""The pure rules of notifications, table-driven."""

from datetime import UTC, datetime, time, timedelta

import pytest

from app.identity.principal import Role
from app.notifications.rules import RULES, Target, message_kind, quiet_until, retry_at

NIGHT = (time(22, 0), time(8, 0))
LUNCH = (time(12, 0), time(14, 0))


def china(day: int, hour: int, minute: int = 0) -> datetime:
    return (
        datetime(2026, 3, day, hour - 8, minute, tzinfo=UTC)
        if hour >= 8
        else datetime(2026, 3, day - 1, hour + 16, minute, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("moment", "hours", "until"),
    [
        (china(10, 23), NIGHT, china(11, 8)),  # late evening: until tomorrow morning
        (china(11, 7, 59), NIGHT, china(11, 8)),  # early morning: until this morning
        (china(11, 8), NIGHT, None),  # the end itself is not quiet
        (china(11, 22), NIGHT, china(12, 8)),  # the start itself is
        (china(11, 12), NIGHT, None),
        (china(11, 13), LUNCH, china(11, 14)),  # a window within one day
        (china(11, 15), LUNCH, None),
        (china(11, 23), (None, None), None),  # no quiet hours kept
    ],
)
def test_quiet_hours_hold_non_urgent_messages_until_they_end(moment, hours, until):
    # issue 8: per-user quiet hours for non-urgent messages (China time).
    assert quiet_until(moment, *hours) == until


def test_retries_double_and_five_attempts_span_about_an_hour():
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    delays = [retry_at(now, attempts, 240) - now for attempts in (1, 2, 3, 4)]
    assert delays == [timedelta(minutes=m) for m in (4, 8, 16, 32)]
    assert sum(delays, timedelta()) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("event_type", "data", "kind"),
    [
        ("ducha.matter.urged", {"kind": "remind"}, "remind"),
        ("ducha.matter.urged", {"kind": "urge"}, "urge"),
        ("ducha.matter.urged", {"kind": "sign_overdue"}, "sign_overdue"),
        ("ducha.matter.escalated", {"kind": "escalate"}, "escalate"),
        ("ducha.matter.escalated", {"kind": "escalate_leader"}, "escalate_leader"),
        ("ducha.rectification.urged", {"kind": "urge"}, "urge"),
        ("ducha.matter.assigned", {"role": "lead"}, "assigned"),
        ("ducha.matter.report_sent_back", {}, "report_sent_back"),
        ("ducha.matter.returned", {"reason": "不属本单位职责"}, "returned"),
        ("ducha.matter.registered", {}, None),
        ("ducha.matter.urged", {"kind": "bogus"}, None),
        ("ducha.task.created", {}, None),
    ],
)
def test_which_events_become_which_messages(event_type, data, kind):
    assert message_kind(event_type, data) == kind


def test_the_escalation_ladder_and_its_urgency():
    # domain.md §7: yellow → reminder to the handler; red → urging notice; still red → 督办 to
    # the unit head, then to the leader in charge (the government above the unit).
    assert not RULES["remind"].urgent
    assert RULES["urge"].urgent and RULES["sign_overdue"].urgent
    assert RULES["remind"].audience == ((Target.UNIT, Role.UNIT_HANDLER),)
    assert (Target.UNIT, Role.UNIT_HEAD) in RULES["escalate"].audience
    assert (Target.GOVERNMENT_ABOVE, Role.LEADER) in RULES["escalate_leader"].audience
    assert RULES["returned"].audience == ((Target.OWNER, Role.SUPERVISION_OFFICE),)
    assert all(RULES[k].urgent for k in ("urge", "escalate", "escalate_leader"))
    assert not any(RULES[k].urgent for k in ("assigned", "report_sent_back", "returned"))
