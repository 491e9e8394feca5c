"""督查报告 and 专报 (seed 三(二), 三(四)): the server assembles the draft — situation from the
matters' progress and the activities' findings, a first analysis and recommendations — which
the office then edits in its task."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.activities.models import Activity
from app.activities.service import findings
from app.engine import Engine, Outcome
from app.identity.policy import Scope
from app.kit.clock import clock
from app.kit.errors import InvalidData
from app.kit.timezone import CHINA
from app.results.common import (
    check_units,
    next_code,
    readable_matters,
    start_process,
    unit_names,
)
from app.results.models import SupervisionReport
from app.results.schemas import ReportIn
from app.supervision import queries as matter_queries
from app.supervision.matters import today
from app.supervision.models import Matter, MatterDeadline, ProgressReport

PROCESS_KEY = "supervision_report"
STATUS_NAMES = {
    "planning": "制定方案",
    "handling": "办理中",
    "reviewing": "审核中",
    "evaluating": "评价中",
    "closed": "已办结",
}
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


@dataclass
class Draft:
    """The assembled parts of a report."""

    situation: str
    analysis: str
    recommendations: str
    matter_rows: list[dict[str, Any]]
    matter_ids: list[str]
    activity_ids: list[str]


def create(
    engine: Engine, session: Session, scope: Scope, body: ReportIn, *, actor: str, owner_unit: str
) -> tuple[SupervisionReport, Outcome]:
    """Assemble the draft and start the `supervision_report` process at the office's edit."""
    check_units(session, scope, body.recipients, "recipients")
    draft = assemble(session, scope, body)
    report = SupervisionReport(
        id=uuid.uuid4(),
        code=next_code(
            session, SupervisionReport, "ZB" if body.kind == "special" else "BG", today()
        ),
        kind=body.kind,
        title=body.title,
        period_start=body.period_start,
        period_end=body.period_end,
        owner_unit=owner_unit,
        recipients=list(dict.fromkeys(body.recipients)),
        matter_ids=draft.matter_ids,
        activity_ids=draft.activity_ids,
        situation=draft.situation,
        analysis=draft.analysis,
        recommendations=draft.recommendations,
        matter_rows=draft.matter_rows,
        status="drafting",
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(report)
    session.flush()
    outcome = start_process(
        engine,
        session,
        PROCESS_KEY,
        object_id=report.id,
        variables={"code": report.code, "kind": report.kind},
        actor=actor,
        owner_unit=owner_unit,
    )
    report.instance_id = outcome.instance_id
    return report, outcome


def assemble(session: Session, scope: Scope, body: ReportIn) -> Draft:
    """情况、分析、建议 from the matters and activities of the period."""
    matters = (
        readable_matters(session, scope, body.matter_ids, "matter_ids")
        if body.matter_ids is not None
        else _active_matters(session, scope, body.period_start, body.period_end)
    )
    activities = _activities(session, scope, body)
    ids = [m.id for m in matters]
    latest = _latest_reports(session, ids)
    names = unit_names(
        session, [*(m.lead_unit for m in matters), *(r.unit_code for r in latest.values())]
    )
    figures = _deadline_figures(session, ids, body.period_start, body.period_end)
    found = findings(session, [a.id for a in activities]) if activities else []
    situation = [
        _overview(body, matters, figures),
        *_matter_lines(matters, names, latest),
        *_activity_lines(found),
    ]
    rows = [
        {
            "no": i,
            "code": m.code,
            "title": m.title,
            "lead": names.get(m.lead_unit, m.lead_unit),
            "status": f"{_status(m)}（{_light(m)}）",
            "due": m.final_due.isoformat(),
        }
        for i, m in enumerate(matters, 1)
    ]
    return Draft(
        situation="\n".join(situation),
        analysis=_analysis(matters, names, figures),
        recommendations=_recommendations(matters),
        matter_rows=rows,
        matter_ids=[str(i) for i in ids],
        activity_ids=[str(a.id) for a in activities],
    )


def _status(matter: Matter) -> str:
    return STATUS_NAMES.get(matter.status, matter.status)


def _light(matter: Matter) -> str:
    return LIGHT_NAMES.get(matter.light, matter.light)


def _active_matters(session: Session, scope: Scope, start: date, end: date) -> list[Matter]:
    """Matters assigned by the end of the period and not closed before it began."""
    began = datetime.combine(start, time(), CHINA)
    return list(
        session.scalars(
            matter_queries.readable(session, scope)
            .where(
                Matter.assigned_on <= end,
                or_(Matter.closed_at.is_(None), Matter.closed_at >= began),
            )
            .order_by(Matter.code)
        )
    )


def _activities(session: Session, scope: Scope, body: ReportIn) -> list[Activity]:
    query = select(Activity).where(scope.clause(Activity.owner_unit))
    if body.activity_ids is None:
        rows = session.scalars(
            query.where(
                Activity.period_start <= body.period_end, Activity.period_end >= body.period_start
            ).order_by(Activity.code)
        )
        return list(rows)
    found = {a.id: a for a in session.scalars(query.where(Activity.id.in_(body.activity_ids)))}
    missing = [
        {"field": f"activity_ids/{i}", "message": f"no activity {a} in your scope"}
        for i, a in enumerate(body.activity_ids)
        if a not in found
    ]
    if missing:
        raise InvalidData("unknown activities", errors=missing)
    return [found[a] for a in body.activity_ids]


def _latest_reports(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, ProgressReport]:
    latest: dict[uuid.UUID, ProgressReport] = {}
    for chunk in _chunks(ids):
        rows = session.scalars(
            select(ProgressReport)
            .where(ProgressReport.matter_id.in_(chunk))
            .order_by(ProgressReport.submitted_at)
        )
        latest.update({r.matter_id: r for r in rows})
    return latest


def _deadline_figures(
    session: Session, ids: list[uuid.UUID], start: date, end: date
) -> Counter[str]:
    """Deadlines due in the period: how many, met on time, late, still open past due."""
    figures: Counter[str] = Counter()
    now = today()
    for chunk in _chunks(ids):
        rows = session.scalars(
            select(MatterDeadline).where(
                MatterDeadline.matter_id.in_(chunk),
                MatterDeadline.due >= start,
                MatterDeadline.due <= end,
            )
        )
        for d in rows:
            figures["due"] += 1
            if d.outcome:
                figures[d.outcome] += 1
            elif d.due < now:
                figures["overdue"] += 1
    return figures


def _chunks(ids: list[uuid.UUID], size: int = 500) -> list[list[uuid.UUID]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _overview(body: ReportIn, matters: list[Matter], figures: Counter[str]) -> str:
    statuses = Counter(m.status for m in matters)
    lights = Counter(m.light for m in matters)
    by_status = "，".join(f"{STATUS_NAMES[s]}{statuses[s]}项" for s in STATUS_NAMES if statuses[s])
    by_light = "、".join(f"{LIGHT_NAMES[k]}{lights[k]}项" for k in LIGHT_NAMES if lights[k])
    due = figures["due"]
    rate = f"{figures['on_time'] * 100 / due:.1f}%" if due else "—"
    return (
        f"{body.period_start.isoformat()}至{body.period_end.isoformat()}，共督查事项{len(matters)}项"
        + (f"，其中{by_status}" if by_status else "")
        + (f"；{by_light}" if by_light else "")
        + f"。期内到期办理时限{due}个，按时完成{figures['on_time']}个，"
        f"逾期完成{figures['late']}个，逾期未完成{figures['overdue']}个，按时完成率{rate}。"
    )


def _matter_lines(
    matters: list[Matter], names: dict[str, str], latest: dict[uuid.UUID, ProgressReport]
) -> list[str]:
    lines = []
    for i, m in enumerate(matters, 1):
        report = latest.get(m.id)
        progress = (
            f"最新进展（{report.submitted_at.astimezone(CHINA).date().isoformat()}，"
            f"{names.get(report.unit_code, report.unit_code)}）：{report.content.get('report', '')}"
            if report is not None
            else "尚未报送进展"
        )
        lines.append(
            f"{i}. 《{m.title}》（{m.code}，牵头单位：{names.get(m.lead_unit, m.lead_unit)}）："
            f"{_status(m)}，{_light(m)}。{progress}"
        )
    return lines


def _activity_lines(found: list[dict[str, Any]]) -> list[str]:
    if not found:
        return []
    lines = [f"期内开展督查活动{len(found)}次。"]
    for f in found:
        lines.append(f"{f['code']}《{f['title']}》（{f['method_name']}）：{f['summary']}")
    return lines


def _analysis(matters: list[Matter], names: dict[str, str], figures: Counter[str]) -> str:
    red = [m for m in matters if m.light == "red" and m.status != "closed"]
    units = Counter(names.get(m.lead_unit, m.lead_unit) for m in red)
    if not red:
        return "从总体看，各项督查事项按计划推进，未发现超期未办结事项。"
    worst = "、".join(u for u, _ in units.most_common(5))
    return (
        f"从总体看，多数事项按计划推进，但仍有{len(red)}项事项亮红灯、超期未办结，"
        f"主要涉及{worst}；逾期未完成的办理时限{figures['overdue']}个。"
        "个别单位存在重部署轻落实、进展缓慢等问题。"
    )


def _recommendations(matters: list[Matter]) -> str:
    red = sum(1 for m in matters if m.light == "red" and m.status != "closed")
    lines = ["一是继续加强跟踪督办，对临近时限的事项及时提醒。"]
    if red:
        lines.append(f"二是对亮红灯的{red}项事项发督办单，限期办结，并视情予以通报批评。")
    lines.append(
        f"{'三' if red else '二'}是对按时办结、成效明显的单位予以通报表扬，督查结果纳入绩效考评。"
    )
    return "\n".join(lines)
