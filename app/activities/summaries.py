"""A Chinese summary of what each activity found, for supervision reports (seed 三(四))."""

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities import surveys
from app.activities.models import (
    Activity,
    Coverage,
    Evaluation,
    Finding,
    InspectionOpinion,
    LookBack,
    SurveyImport,
)
from app.activities.schemas import METHOD_NAMES
from app.org.models import Unit
from app.supervision.models import Matter

TONES = {"positive": "正面", "neutral": "中性", "critical": "批评"}
RESULTS = {"passed": "落实到位", "failed": "未落实到位"}


def findings(session: Session, activity_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Code, title, method (with its Chinese name) and the summary of each activity."""
    rows = {a.id: a for a in session.scalars(select(Activity).where(Activity.id.in_(activity_ids)))}
    names: dict[str, str] = {
        code: name for code, name in session.execute(select(Unit.code, Unit.name))
    }
    result = []
    for activity_id in activity_ids:
        activity = rows.get(activity_id)
        if activity is None:
            continue
        parts = SUMMARIES[activity.method](session, activity, names)
        if activity.conclusion:
            parts.append(f"督查结论：{activity.conclusion}")
        result.append(
            {
                "activity_id": str(activity.id),
                "code": activity.code,
                "title": activity.title,
                "method": activity.method,
                "method_name": METHOD_NAMES.get(activity.method, activity.method),
                "status": activity.status,
                "summary": "；".join(parts) or "尚无督查发现",
            }
        )
    return result


def _rows(session: Session, model: Any, activity: Activity, *order: Any) -> list[Any]:
    return list(
        session.scalars(select(model).where(model.activity_id == activity.id).order_by(*order))
    )


def _findings_of(session: Session, activity: Activity, step: str) -> list[Finding]:
    return [f for f in _rows(session, Finding, activity, Finding.recorded_at) if f.step == step]


def _on_site(session: Session, activity: Activity, names: dict[str, str]) -> list[str]:
    parts = []
    for f in _findings_of(session, activity, "on_site"):
        unit = names.get(f.unit_code or "", f.unit_code or "")
        text = f"{unit}：{f.findings}"
        if f.problems:
            text += f"（问题：{f.problems}）"
        parts.append(text)
    return [f"实地调查复核{len(parts)}个单位", *parts] if parts else []


def _look_back(session: Session, activity: Activity, names: dict[str, str]) -> list[str]:
    checks = _rows(session, LookBack, activity, LookBack.scheduled_at)
    query = select(Matter.id, Matter.code).where(Matter.id.in_([c.matter_id for c in checks]))
    codes = {matter_id: code for matter_id, code in session.execute(query)}
    parts = [
        f"{codes.get(c.matter_id, c.matter_id)}{RESULTS.get(c.result or '', '待复核')}"
        + (f"：{c.findings}" if c.findings else "")
        for c in checks
    ]
    summary = [f.findings for f in _findings_of(session, activity, "look_back")]
    return ([f"回头看{len(checks)}件事项", *parts] if checks else []) + summary


def _invited(session: Session, activity: Activity, names: dict[str, str]) -> list[str]:
    opinions = _rows(session, InspectionOpinion, activity, InspectionOpinion.recorded_at)
    parts = [f"{o.invitee}：{o.opinion}" for o in opinions]
    return [f"邀请代表委员视察检查，收到意见{len(opinions)}条", *parts] if opinions else []


def _third_party(session: Session, activity: Activity, names: dict[str, str]) -> list[str]:
    accepted = [
        e
        for e in _rows(session, Evaluation, activity, Evaluation.submitted_at)
        if e.decision == "accepted"
    ]
    if not accepted:
        return []
    last = accepted[-1]
    evaluator = names.get(last.unit_code, last.unit_code)
    return [f"第三方评估（{evaluator}）得分{last.score}分：{last.report}"]


def _survey(session: Session, activity: Activity, names: dict[str, str]) -> list[str]:
    imports = _rows(session, SurveyImport, activity, SurveyImport.imported_at)
    if not imports:
        return []
    aggregate = survey_aggregate(imports)
    parts = [f"民意调查{aggregate['respondents']}人"]
    parts.extend(
        f"“{q['question']}”满意率{q['satisfaction_rate']}%"
        for q in aggregate["questions"]
        if q["satisfaction_rate"] is not None
    )
    parts.extend(f.findings for f in _findings_of(session, activity, "survey_analysis"))
    return parts


def _media(session: Session, activity: Activity, names: dict[str, str]) -> list[str]:
    items = _rows(session, Coverage, activity, Coverage.published_on)
    parts = []
    if items:
        tones = Counter(c.tone for c in items)
        counts = "、".join(f"{TONES[t]}{tones[t]}篇" for t in TONES if tones[t])
        parts.append(f"媒体报道{len(items)}篇（{counts}）")
    parts.extend(f.findings for f in _findings_of(session, activity, "media_summary"))
    return parts


def survey_aggregate(imports: list[SurveyImport]) -> dict[str, Any]:
    """The aggregate over every import of an activity (questions in order of appearance)."""
    questions: list[str] = []
    responses: list[dict[str, str]] = []
    for row in imports:
        questions.extend(q for q in row.questions if q not in questions)
        responses.extend(row.responses)
    return surveys.aggregate(questions, responses)


SUMMARIES = {
    "on_site": _on_site,
    "look_back": _look_back,
    "invited_inspection": _invited,
    "third_party": _third_party,
    "survey": _survey,
    "media": _media,
}
