"""One result with everything about it (report, bulletin, case): the answer of a read and of a
draft, with the process's ready tasks."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import TaskOut, task_outs
from app.results.common import ready_tasks
from app.results.models import AccountabilityCase, Bulletin, BulletinEntry, SupervisionReport
from app.results.schemas import (
    AccountabilityDetail,
    AccountabilityOut,
    BulletinDetail,
    BulletinOut,
    EntryOut,
    ReportDetail,
    ReportOut,
)


def _tasks(s: Session, instance_id: uuid.UUID | None) -> list[TaskOut]:
    return task_outs(s, ready_tasks(s, instance_id))


def report_detail(s: Session, row: SupervisionReport) -> ReportDetail:
    """督查报告 / 专报 with its situation, analysis, recommendations, matters and instruction."""
    return ReportDetail(
        **ReportOut.model_validate(row).model_dump(),
        matter_ids=row.matter_ids,
        activity_ids=row.activity_ids,
        situation=row.situation,
        analysis=row.analysis,
        recommendations=row.recommendations,
        matter_rows=row.matter_rows,
        comment=row.comment,
        instruction=row.instruction,
        instructed_by=row.instructed_by,
        instructed_at=row.instructed_at,
        ready_tasks=_tasks(s, row.instance_id),
    )


def bulletin_detail(s: Session, row: Bulletin) -> BulletinDetail:
    """通报 with its entries, the commended and the criticised."""
    entries = s.scalars(
        select(BulletinEntry)
        .where(BulletinEntry.bulletin_id == row.id)
        .order_by(BulletinEntry.verdict, BulletinEntry.unit_code)
    )
    return BulletinDetail(
        **BulletinOut.model_validate(row).model_dump(),
        body=row.body,
        comment=row.comment,
        entries=[EntryOut.model_validate(e) for e in entries],
        ready_tasks=_tasks(s, row.instance_id),
    )


def case_detail(s: Session, row: AccountabilityCase) -> AccountabilityDetail:
    """问责 case with its facts, basis, proposal, persons and matters."""
    return AccountabilityDetail(
        **AccountabilityOut.model_validate(row).model_dump(),
        persons=row.persons,
        matter_ids=row.matter_ids,
        facts=row.facts,
        basis=row.basis,
        proposal=row.proposal,
        comment=row.comment,
        ready_tasks=_tasks(s, row.instance_id),
    )
