"""催办 / 督办 — the notices a matter's timers send to units, and only true ones (domain.md §7).

A notice that says "已超过时限" or "超期N个工作日" goes out only when the clock says so. An operator
who fires an urging timer before its due time (`POST /jobs/{id}/execute`) is refused (409
`notice_not_due`, with the due times) unless they say why (`{"early": true, "reason": "…"}`):
the notice then says it is an early urging (提前催办), by whom and why — never that the time
limit has passed. Each notice follows the deadline's one light (`lights.deadline_light`): a
reminder when it is yellow, an urging or 督办 when it is red; a timer that fires on time for a
deadline since moved (an extension) sends nothing and says so on the timeline.
"""

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import CompletedElement, StepEvents
from app.kit.clock import clock
from app.kit.errors import DomainError
from app.kit.timezone import CHINA
from app.supervision.calendar import default_calendar
from app.supervision.lights import Light, deadline_light
from app.supervision.matter_deadlines import deadlines_of
from app.supervision.matters import today
from app.supervision.models import Matter, MatterDeadline, Urging
from app.supervision.timeline import note

NOTICES = {
    "remind": ("提醒", "【督查提醒】《{title}》{label}时限为{due}，请抓紧办理，按时报送。"),
    "urge": (
        "催办",
        "【催办通知】《{title}》已超过{label}时限（{due}），请立即办理并报送，说明逾期原因。",
    ),
    "escalate_leader": (
        "督办（分管领导）",
        "【督办通知】《{title}》超期{days}个工作日仍未报送，已报分管领导督办，请单位主要负责同志亲自过问。",
    ),
    "escalate": (
        "督办（单位负责人）",
        "【督办通知】《{title}》超期{days}个工作日仍未报送，已报单位负责人督办，请负责同志督促办理。",
    ),
    "sign_overdue": (
        "逾期未签收",
        "【催办通知】《{title}》交办后未在时限（{due}）内签收，请立即签收或说明理由退回。",
    ),
}
KINDS = frozenset(NOTICES)  # the diagrams' `matterEvent` markers handled here
OVERDUE = frozenset({"urge", "escalate", "escalate_leader", "sign_overdue"})  # "past due" notices
EARLY = "early_urge"
EARLY_NOTICE = (
    "【提前催办】《{title}》{label}时限为{due}，尚未到期。{by}提前催办：{reason}。"
    "请抓紧办理，按时报送。"
)


class NoticeNotDue(DomainError):
    """An urging timer fired before its due time with no reason given: its notice would not be
    true, so the step is refused (nothing is written)."""

    status, code = 409, "notice_not_due"


@dataclass(frozen=True)
class Early:
    """An operator fired the step's timer before its due time (from the engine's trigger)."""

    by: str | None
    reason: str | None
    due_at: str

    @staticmethod
    def of(events: StepEvents) -> "Early | None":
        """The early firing behind this step, if it is one."""
        data = events.trigger_data or {}
        if events.trigger != "timer_fired" or not data.get("before_due"):
            return None
        return Early(events.actor, data.get("early_reason"), str(data.get("due_at")))


def urge(
    session: Session, matter: Matter, element: CompletedElement, kind: str, *, early: Early | None
) -> None:
    """Send the notice of `kind` for the deadline the element is about, if it is true today."""
    unit, deadline = _urged_deadline(session, matter, element)
    if deadline is None or deadline.done_on is not None:
        return
    if early is not None and early.reason is None:
        raise NoticeNotDue(
            f"the timer is due at {early.due_at} and the deadline is {deadline.due}: fire it "
            'now only with {"early": true, "reason": "…"} (a 提前催办 says who and why)',
            errors=[{"field": "early", "message": f"not due before {early.due_at}"}],
            due_at=early.due_at,
            deadline_due=deadline.due.isoformat(),
        )
    if not _true_today(kind, deadline):
        if early is None:
            _withheld(session, matter, unit, deadline, kind)
        else:
            _early_urge(session, matter, unit, deadline, early)
        return
    if _already_urged(session, deadline, kind):
        return
    title, template = NOTICES[kind]
    days = default_calendar().workdays_between(deadline.due, today())
    notice = template.format(title=matter.title, label=deadline.label, due=deadline.due, days=days)
    if early is not None:
        notice += f"（{early.by}提前发出：{early.reason}）"
    _record(session, matter, unit, deadline, kind, f"{title}：{unit}", notice)


def _true_today(kind: str, deadline: MatterDeadline) -> bool:
    """domain.md §7 ladder by the one light: a reminder when the deadline is yellow (or red), an
    urging or 督办 when it is red (past its due day)."""
    light = deadline_light(deadline.due, deadline.done_on, today())
    return light == Light.RED if kind in OVERDUE else light != Light.GREEN


def _record(
    session: Session,
    matter: Matter,
    unit: str,
    deadline: MatterDeadline,
    kind: str,
    summary: str,
    notice: str,
    actor: str | None = None,
) -> None:
    session.add(
        Urging(
            matter_id=matter.id,
            unit_code=unit,
            kind=kind,
            notice=notice,
            at=clock.now(),
            deadline_id=deadline.id,
        )
    )
    note(session, matter, kind, summary, unit=unit, actor=actor, data={"notice": notice})


def _early_urge(
    session: Session, matter: Matter, unit: str, deadline: MatterDeadline, early: Early
) -> None:
    """提前催办: an operator urges before the deadline, on the record with who and why."""
    notice = EARLY_NOTICE.format(
        title=matter.title, label=deadline.label, due=deadline.due, by=early.by, reason=early.reason
    )
    summary = f"提前催办：{unit}（{early.by}：{early.reason}）"
    _record(session, matter, unit, deadline, EARLY, summary, notice, actor=early.by)


def _withheld(
    session: Session, matter: Matter, unit: str, deadline: MatterDeadline, kind: str
) -> None:
    """A timer fired for a deadline whose light does not call for its notice (the deadline was
    moved by an extension): no notice, on record."""
    title = NOTICES[kind][0]
    note(
        session,
        matter,
        "urging_withheld",
        f"{title}未发出：{unit} {deadline.label}时限为{deadline.due}，尚未超过",
        unit=unit,
        data={"kind": kind, "due": deadline.due.isoformat()},
    )


def _already_urged(session: Session, deadline: MatterDeadline, kind: str) -> bool:
    """A reminder once past due and urged, or the same notice twice on one day, says nothing new.

    A report sent back after its due date re-arms the report's timers, whose instants have
    passed: they fire at once, and would repeat the reminder and the urging already sent. (A
    deadline moved by an extension is not past due: its new reminder goes out.)
    """
    day = today()
    since = datetime.combine(day, time(0), CHINA)
    earlier = select(Urging.id).where(Urging.deadline_id == deadline.id).limit(1)
    same_today = earlier.where(Urging.kind == kind, Urging.at >= since)
    if session.scalar(same_today) is not None:
        return True
    if kind != "remind" or day <= deadline.due:
        return False
    urged = earlier.where(Urging.kind.in_(("urge", "escalate", "escalate_leader")))
    return session.scalar(urged) is not None


def _urged_deadline(
    session: Session, matter: Matter, element: CompletedElement
) -> tuple[str, MatterDeadline | None]:
    data: dict[str, Any] = element.data
    if element.element_id.startswith("final_"):
        rows = deadlines_of(session, matter, None, "final_report")
        return matter.lead_unit, rows[0] if rows else None
    unit = data.get("unit", matter.lead_unit)
    if element.element_id.startswith("sign_for"):
        rows = [d for d in deadlines_of(session, matter, unit, "sign_for") if d.done_on is None]
        return unit, rows[0] if rows else None
    due = data.get("period", {}).get("due")  # as computed at registration: before any extension
    rows = [
        d
        for d in deadlines_of(session, matter, unit, "quarterly_report")
        if (d.original_due or d.due).isoformat() == due
    ]
    return unit, rows[0] if rows else None
