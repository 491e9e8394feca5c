"""The .docx documents of results: what each template is filled with."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents import docx
from app.engine import Engine
from app.kit.timezone import CHINA
from app.results import ladder
from app.results.accountability import MEASURES
from app.results.common import government_of, unit_names
from app.results.models import AccountabilityCase, Bulletin, BulletinEntry, SupervisionReport
from app.supervision.matters import today
from app.supervision.models import Matter, MatterDeadline, Urging

NOTICE_TITLES = {
    "remind": "督查提醒",
    "urge": "催办通知",
    "sign_overdue": "催办通知",
    "early_urge": "提前催办",
    "escalate": "督办通知",
    "escalate_leader": "督办通知",
}


def _issuer(session: Session, owner_unit: str) -> str:
    return unit_names(session, [owner_unit]).get(owner_unit, owner_unit)


def _recipients(session: Session, codes: list[str]) -> str:
    names = unit_names(session, codes)
    return "，".join(names.get(c, c) for c in codes)


def _matter_codes(session: Session, ids: list[str]) -> dict[str, Matter]:
    wanted = [uuid.UUID(i) for i in ids]
    if not wanted:
        return {}
    return {str(m.id): m for m in session.scalars(select(Matter).where(Matter.id.in_(wanted)))}


def _day(when: Any) -> date:
    return when.astimezone(CHINA).date() if when is not None else today()


def bulletin(session: Session, row: Bulletin) -> bytes:
    """通报."""
    entries = list(
        session.scalars(
            select(BulletinEntry)
            .where(BulletinEntry.bulletin_id == row.id)
            .order_by(BulletinEntry.verdict, BulletinEntry.unit_code)
        )
    )
    names = unit_names(session, [e.unit_code for e in entries])
    matters = _matter_codes(session, [m for e in entries for m in e.matter_ids])

    def rows(verdict: str) -> list[dict[str, Any]]:
        chosen = [e for e in entries if e.verdict == verdict]
        return [
            {
                "no": i,
                "unit": names.get(e.unit_code, e.unit_code),
                "reason": e.reason,
                "matters": "、".join(matters[m].code if m in matters else m for m in e.matter_ids),
            }
            for i, e in enumerate(chosen, 1)
        ]

    return docx.render(
        "bulletin",
        {
            "doc_number": row.doc_number or "（未编号）",
            "title": row.title,
            "recipients": _recipients(session, row.recipients),
            "body": docx.paragraphs(row.body),
            "commended": rows("commend"),
            "criticised": rows("criticise"),
            "issuer": _issuer(session, row.owner_unit),
            "issued_on": docx.chinese_date(_day(row.issued_at)),
        },
    )


def report(session: Session, row: SupervisionReport) -> bytes:
    """督查报告 / 专报."""
    return docx.render(
        "supervision_report",
        {
            "doc_number": row.doc_number or "（未编号）",
            "title": row.title,
            "recipients": _recipients(session, row.recipients),
            "situation": docx.paragraphs(row.situation),
            "matters": row.matter_rows,
            "analysis": docx.paragraphs(row.analysis),
            "recommendations": docx.paragraphs(row.recommendations),
            "instruction": row.instruction or "",
            "issuer": _issuer(session, row.owner_unit),
            "issued_on": docx.chinese_date(_day(row.approved_at)),
        },
    )


def accountability(session: Session, row: AccountabilityCase) -> bytes:
    """问责决定 (or the proposal, before the decision)."""
    names = unit_names(session, row.unit_codes)
    units = "、".join(names.get(c, c) for c in row.unit_codes)
    matters = _matter_codes(session, row.matter_ids)
    transfer = (
        f"有关情况和线索已于{docx.chinese_date(row.transferred_on)}移送{row.receiving_authority}。"
        if row.transferred_on and row.receiving_authority
        else ""
    )
    return docx.render(
        "accountability_decision",
        {
            "doc_number": row.doc_number or "（未编号）",
            "title": f"关于对{units}予以{MEASURES[row.measure]}的决定"
            if row.status in ("decided", "transferred")
            else f"关于对{units}予以{MEASURES[row.measure]}的建议",
            "recipients": units,
            "facts": docx.paragraphs(row.facts),
            "basis": docx.paragraphs(row.basis),
            "decision": docx.paragraphs(row.proposal),
            "persons": [
                {"no": i, "name": p.get("name", ""), "post": p.get("post", "")}
                for i, p in enumerate(row.persons, 1)
            ],
            "matters": [
                {"no": i, "code": matters[m].code, "title": matters[m].title}
                for i, m in enumerate((m for m in row.matter_ids if m in matters), 1)
            ],
            "transfer": transfer,
            "issuer": _issuer(session, government_of(session, row.owner_unit)),
            "issued_on": docx.chinese_date(_day(row.decided_at)),
        },
    )


def grade(engine: Engine, session: Session, urging: Urging) -> tuple[str, str] | None:
    """The 督办单's label and colour of an escalation, as the deployed escalation ladder decides
    (`ladder.urging_steps`; as shipped: 1st blue, 2nd orange, 3rd and later red); None for
    reminders and urgings."""
    if urging.kind not in ladder.ESCALATIONS:
        return None
    colour = ladder.urging_steps(engine, session, [urging])[urging.id].grade
    return ladder.GRADES[colour] if colour is not None else None


def notice(engine: Engine, session: Session, matter: Matter, urging: Urging) -> bytes:
    """催办通知 / 督办单 of one stored urging (graded by the escalation ladder's table)."""
    graded = grade(engine, session, urging)
    deadline = session.get(MatterDeadline, urging.deadline_id) if urging.deadline_id else None
    label, colour = graded or ("", "000000")
    return docx.render(
        "urging_notice",
        {
            "doc_number": f"督查事项 {matter.code}",
            "title": NOTICE_TITLES.get(urging.kind, "催办通知"),
            "grade": docx.coloured(label, colour),
            "unit": _recipients(session, [urging.unit_code]),
            "body": docx.paragraphs(urging.notice),
            "matter_code": matter.code,
            "matter_title": matter.title,
            "due": f"{deadline.label} {deadline.due.isoformat()}"
            if deadline
            else matter.final_due.isoformat(),
            "sent_at": urging.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
            "issuer": _issuer(session, matter.owner_unit),
            "issued_on": docx.chinese_date(_day(urging.at)),
        },
    )
