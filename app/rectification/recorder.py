"""What a step of a rectification process means for its records (step handlers: app.engine.steps).

The diagrams mark the elements this module reads: `rectificationStep` on user tasks (`plan`,
`plan_sign_off`, `plan_review`, `report`, `verify`) and `rectificationEvent` on end events
(`remind`, `urge`, `escalate`, `escalate_leader` after the timers; `accepted` per unit;
`closed` at the end).
"""

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.engine import CompletedElement, ElementHandler, StepContext, StepRegistry
from app.kit.clock import clock
from app.rectification.models import Rectification, RectificationPart, RectificationUrging
from app.rectification.service import CLOSED, PROCESS_KEY, note, refresh_light
from app.supervision import lights
from app.supervision.calendar import default_calendar
from app.supervision.matters import today
from app.supervision.urgings import NoticeNotDue

# A handler of one unit's part (the step's `part_id`); the rectification's own end is `_closed`.
Handler = Callable[[Session, Rectification, RectificationPart, dict[str, Any], str | None], None]


PROPERTIES = ("rectificationStep", "rectificationEvent")


def register(steps: StepRegistry) -> None:
    """This domain's step handlers: one per marker of the rectification diagram; lights after."""
    domain = steps.domain("rectification", PROPERTIES, (PROCESS_KEY,))
    for (prop, value), handler in HANDLERS.items():
        domain.on(prop, value, _on_part(handler))
    domain.on("rectificationEvent", "closed", _on_closed)
    domain.after.append(_refresh_lights)


def _rectification(context: StepContext, element: CompletedElement) -> Rectification | None:
    """The rectification an element is about (its `rectification_id`), loaded once per step."""
    return context.row(Rectification, element.data.get("rectification_id"))


def _on_part(handler: Handler) -> ElementHandler:
    def run(context: StepContext, element: CompletedElement) -> None:
        rectification = _rectification(context, element)
        if rectification is None:
            return
        on_site = handler is _verified and element.element_id == "verify_on_site"
        found = _verified_on_site if on_site else handler
        part_id = element.data.get("part_id")
        part = context.session.get(RectificationPart, uuid.UUID(part_id)) if part_id else None
        if part is not None:
            found(context.session, rectification, part, element.data, context.actor)

    return run


def _on_closed(context: StepContext, element: CompletedElement) -> None:
    rectification = _rectification(context, element)
    if rectification is not None:
        _closed(context.session, rectification, context.actor)


def _refresh_lights(context: StepContext) -> None:
    """Every rectification the step touched gets its light refreshed."""
    for rectification in context.rows(Rectification):
        refresh_light(context.session, rectification)


def _plan(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
) -> None:
    part.plan = {
        "plan": data.get("plan"),
        "responsible": data.get("responsible"),
        "planned_finish": data.get("planned_finish"),
        "submitted_by": actor,
        "submitted_at": clock.now().isoformat(),
    }
    part.status = "plan_sign_off" if rectification.head_sign_off else "plan_review"
    note(
        session,
        rectification,
        "plan_submitted",
        f"{part.unit_code} 报送整改方案",
        part=part,
        actor=actor,
    )


def _plan_signed_off(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
) -> None:
    if data.get("decision") == "approve":
        part.status = "plan_review"
        note(
            session,
            rectification,
            "plan_signed_off",
            f"{part.unit_code} 单位负责人审签同意整改方案",
            part=part,
            actor=actor,
        )
        return
    part.status = "plan"
    note(
        session,
        rectification,
        "plan_returned_by_head",
        f"{part.unit_code} 单位负责人退回整改方案：{data.get('comment', '')}",
        part=part,
        actor=actor,
        data={"comment": data.get("comment")},
    )


def _plan_reviewed(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
) -> None:
    if data.get("decision") == "confirm":
        part.status = "rectifying"
        note(
            session,
            rectification,
            "plan_confirmed",
            f"督查室确认 {part.unit_code} 整改方案",
            part=part,
            actor=actor,
        )
        return
    part.status = "plan"
    part.plan_returns += 1
    note(
        session,
        rectification,
        "plan_sent_back",
        f"督查室退回 {part.unit_code} 整改方案：{data.get('comment', '')}",
        part=part,
        actor=actor,
        data={"comment": data.get("comment")},
    )


def _reported(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
) -> None:
    day = today()
    outcome, days_late = lights.closed_outcome(part.due, day)
    part.report = {
        "report": data.get("report"),
        "submitted_by": actor,
        "submitted_at": clock.now().isoformat(),
    }
    part.done_on, part.outcome, part.days_late = day, outcome, days_late
    part.status = "verifying"
    timing = "按期报送" if outcome == "on_time" else f"逾期 {days_late} 天报送"
    note(
        session,
        rectification,
        "reported",
        f"{part.unit_code} 报送整改报告（{timing}）",
        part=part,
        actor=actor,
    )


def _verify(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
    *,
    on_site: bool,
) -> None:
    accepted = data.get("decision") == "accept"
    verification: dict[str, Any] = {
        "decision": data.get("decision"),
        "on_site": on_site,
        "findings": data.get("findings"),
        "verified_by": actor,
        "verified_at": clock.now().isoformat(),
    }
    if on_site:
        verification.update({k: data.get(k) for k in ("visited_on", "site", "inspectors")})
    if not accepted:
        verification["comment"] = data.get("comment")
    part.verification = verification
    how = "实地核查" if on_site else "核查"
    if accepted:
        part.status, part.accepted_at = "accepted", clock.now()
        note(
            session,
            rectification,
            "accepted",
            f"{how}：{part.unit_code} 整改到位",
            part=part,
            actor=actor,
            data=verification,
        )
        return
    # Sent back: the report is due again, by the same deadline (closed on time or late anew).
    part.status = "rectifying"
    part.send_backs += 1
    part.done_on = part.outcome = part.days_late = None
    note(
        session,
        rectification,
        "sent_back",
        f"{how}：{part.unit_code} 整改未到位，退回重新整改：{data.get('comment', '')}",
        part=part,
        actor=actor,
        data=verification,
    )


def _verified(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
) -> None:
    _verify(session, rectification, part, data, actor, on_site=False)


def _verified_on_site(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
) -> None:
    _verify(session, rectification, part, data, actor, on_site=True)


NOTICES = {
    "remind": ("提醒", "【整改提醒】《{title}》整改时限为{due}，请抓紧整改，按时报送整改报告。"),
    "urge": (
        "催办",
        "【催办通知】《{title}》已超过整改时限（{due}），请立即完成整改并报送整改报告，说明逾期原因。",
    ),
    "escalate": (
        "督办（单位负责人）",
        "【督办通知】《{title}》超过整改时限{days}个工作日仍未报送整改报告，已报单位负责人督办，请负责同志督促整改。",
    ),
    "escalate_leader": (
        "督办（分管领导）",
        "【督办通知】《{title}》超过整改时限{days}个工作日仍未报送整改报告，已报分管领导督办，请单位主要负责同志亲自过问。",
    ),
}


def _urged(kind: str) -> Handler:
    def handler(
        session: Session,
        rectification: Rectification,
        part: RectificationPart,
        data: dict[str, Any],
        actor: str | None,
    ) -> None:
        # A part that has reported (or was accepted) is not urged; the timers of the whole
        # part keep running while the office verifies.
        if part.done_on is not None or part.status == "accepted":
            return
        if kind != "remind" and today() <= part.due:
            # A timer fired by hand before the part is late: "已超过整改时限" would be false.
            raise NoticeNotDue(
                f"the rectification part is due {part.due}: an urging is not true before then",
                errors=[{"field": "early", "message": f"not late before {part.due}"}],
                deadline_due=part.due.isoformat(),
            )
        label, template = NOTICES[kind]
        days = default_calendar().workdays_between(part.due, today())
        notice = template.format(title=rectification.title, due=part.due, days=days)
        session.add(
            RectificationUrging(
                rectification_id=rectification.id,
                part_id=part.id,
                unit_code=part.unit_code,
                kind=kind,
                notice=notice,
                at=clock.now(),
            )
        )
        note(
            session,
            rectification,
            kind,
            f"{label}：{part.unit_code}",
            part=part,
            data={"notice": notice},
        )

    return handler


def _part_done(
    session: Session,
    rectification: Rectification,
    part: RectificationPart,
    data: dict[str, Any],
    actor: str | None,
) -> None:
    if part.status != "accepted":
        part.status, part.accepted_at = "accepted", clock.now()


def _closed(session: Session, rectification: Rectification, actor: str | None) -> None:
    rectification.status, rectification.closed_at = CLOSED, clock.now()
    note(session, rectification, "closed", "各单位整改全部到位，整改事项办结", actor=actor)


HANDLERS: dict[tuple[str, str], Handler] = {
    ("rectificationStep", "plan"): _plan,
    ("rectificationStep", "plan_sign_off"): _plan_signed_off,
    ("rectificationStep", "plan_review"): _plan_reviewed,
    ("rectificationStep", "report"): _reported,
    ("rectificationStep", "verify"): _verified,
    ("rectificationEvent", "remind"): _urged("remind"),
    ("rectificationEvent", "urge"): _urged("urge"),
    ("rectificationEvent", "escalate"): _urged("escalate"),
    ("rectificationEvent", "escalate_leader"): _urged("escalate_leader"),
    ("rectificationEvent", "accepted"): _part_done,
}
