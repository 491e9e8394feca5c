"""REST routes of results: supervision reports, bulletins, accountability, urging notices."""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents import docx
from app.engine import EngineDep, Outcome, TaskOut, stepped
from app.identity import audit
from app.identity.policy import permission, scope_of
from app.identity.principal import Principal
from app.kit.bounds import Day, Limit, Offset, Text
from app.kit.errors import InvalidData, NotFound
from app.kit.paging import page
from app.kit.shared import ERRORS, Page
from app.results import accountability, bulletins, documents, queries, reports
from app.results.common import ready_tasks
from app.results.models import AccountabilityCase, Bulletin, BulletinEntry, SupervisionReport
from app.results.schemas import (
    AccountabilityDetail,
    AccountabilityIn,
    AccountabilityOut,
    BulletinDetail,
    BulletinIn,
    BulletinOut,
    EntryOut,
    ReportDetail,
    ReportIn,
    ReportOut,
    Suggestion,
)
from app.supervision import queries as matter_queries
from app.supervision.models import Matter, Urging

reports_router = APIRouter(
    prefix="/api/v1/supervision-reports", tags=["supervision reports"], responses=ERRORS
)
bulletins_router = APIRouter(prefix="/api/v1/bulletins", tags=["bulletins"], responses=ERRORS)
accountability_router = APIRouter(
    prefix="/api/v1/accountability", tags=["accountability"], responses=ERRORS
)
notices_router = APIRouter(prefix="/api/v1/matters", tags=["matters"], responses=ERRORS)
routers: list[APIRouter] = [reports_router, bulletins_router, accountability_router, notices_router]

ReportReader = Annotated[Principal, Depends(permission("reports.read"))]
BulletinReader = Annotated[Principal, Depends(permission("bulletins.read"))]
CaseReader = Annotated[Principal, Depends(permission("accountability.read"))]


def _tasks(s: Session, instance_id: uuid.UUID | None) -> list[TaskOut]:
    return [TaskOut.model_validate(t) for t in ready_tasks(s, instance_id)]


# --- supervision reports -------------------------------------------------------------------


def _report_detail(s: Session, row: SupervisionReport) -> ReportDetail:
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


@reports_router.post("", response_model=ReportDetail, status_code=status.HTTP_201_CREATED)
def create_report(
    body: ReportIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("reports.draft"))],
) -> ReportDetail:
    """督查报告 / 专报: assemble the draft from the period's matters and activities; the office
    edits it in its task, the office head reviews, a leader reads a special report."""

    def work(s: Session) -> tuple[Outcome, ReportDetail | None]:
        row, outcome = reports.create(
            engine, s, scope_of(s, principal), body, actor=principal.sub, owner_unit=principal.unit
        )
        audit.record_change(
            s,
            principal,
            "report.draft",
            row,
            object_type="supervision_report",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return outcome, None if outcome.failure else _report_detail(s, row)

    return stepped(engine, work)


@reports_router.get("", response_model=Page[ReportOut])
def list_reports(
    engine: EngineDep,
    principal: ReportReader,
    kind: Literal["report", "special"] | None = None,
    status_: Annotated[Text | None, Query(alias="status", max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReportOut]:
    """Reports in your scope (drafts of your office's government; approved ones sent to you)."""
    with engine.db.session() as s:
        query = queries.REPORTS.readable(s, principal)
        if kind:
            query = query.where(SupervisionReport.kind == kind)
        if status_:
            query = query.where(SupervisionReport.status == status_)
        return page(s, query, SupervisionReport.created_at.desc(), ReportOut, limit, offset)


@reports_router.get("/{report_id}", response_model=ReportDetail)
def get_report(report_id: uuid.UUID, engine: EngineDep, principal: ReportReader) -> ReportDetail:
    """One report with its situation, analysis, recommendations, matters and instruction."""
    with engine.db.session() as s:
        return _report_detail(s, queries.REPORTS.readable_one(s, principal, report_id))


@reports_router.get("/{report_id}/document.docx", response_class=Response)
def report_document(report_id: uuid.UUID, engine: EngineDep, principal: ReportReader) -> Response:
    """The report as a Word document."""
    with engine.db.session() as s:
        row = queries.REPORTS.readable_one(s, principal, report_id)
        content = documents.report(s, row)
    return docx.response(content, f"{row.title}.docx", f"{row.code}.docx")


# --- bulletins -----------------------------------------------------------------------------


def _bulletin_detail(s: Session, row: Bulletin) -> BulletinDetail:
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


def _period(period_start: date, period_end: date) -> None:
    if period_end < period_start:
        raise InvalidData(
            "the period ends before it starts",
            errors=[{"field": "period_end", "message": "before period_start"}],
        )


@bulletins_router.get("/suggestions", response_model=list[Suggestion])
def suggest_bulletin_entries(
    period_start: Day,
    period_end: Day,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("bulletins.draft"))],
) -> list[Suggestion]:
    """seed 三(二), domain.md §7: whom to commend and whom to criticise in a period, and why."""
    _period(period_start, period_end)
    with engine.db.session() as s:
        return bulletins.suggestions(s, scope_of(s, principal), period_start, period_end)


@bulletins_router.post("", response_model=BulletinDetail, status_code=status.HTTP_201_CREATED)
def create_bulletin(
    body: BulletinIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("bulletins.draft"))],
) -> BulletinDetail:
    """通报: the office's draft goes to the office head, then to the leader for approval
    (条例 Art. 21); only then can it be issued."""

    def work(s: Session) -> tuple[Outcome, BulletinDetail | None]:
        row, outcome = bulletins.create(
            engine, s, scope_of(s, principal), body, actor=principal.sub, owner_unit=principal.unit
        )
        audit.record_change(
            s,
            principal,
            "bulletin.draft",
            row,
            object_type="bulletin",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return outcome, None if outcome.failure else _bulletin_detail(s, row)

    return stepped(engine, work)


@bulletins_router.get("", response_model=Page[BulletinOut])
def list_bulletins(
    engine: EngineDep,
    principal: BulletinReader,
    status_: Annotated[Text | None, Query(alias="status", max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[BulletinOut]:
    """Bulletins in your scope: drafts of your office's government, issued ones that reach you."""
    with engine.db.session() as s:
        query = queries.BULLETINS.readable(s, principal)
        if status_:
            query = query.where(Bulletin.status == status_)
        return page(s, query, Bulletin.created_at.desc(), BulletinOut, limit, offset)


@bulletins_router.get("/{bulletin_id}", response_model=BulletinDetail)
def get_bulletin(
    bulletin_id: uuid.UUID, engine: EngineDep, principal: BulletinReader
) -> BulletinDetail:
    """One bulletin with its entries."""
    with engine.db.session() as s:
        return _bulletin_detail(s, queries.BULLETINS.readable_one(s, principal, bulletin_id))


@bulletins_router.get("/{bulletin_id}/document.docx", response_class=Response)
def bulletin_document(
    bulletin_id: uuid.UUID, engine: EngineDep, principal: BulletinReader
) -> Response:
    """The bulletin as a Word document."""
    with engine.db.session() as s:
        row = queries.BULLETINS.readable_one(s, principal, bulletin_id)
        content = documents.bulletin(s, row)
    return docx.response(content, f"{row.title}.docx", f"{row.code}.docx")


# --- accountability ------------------------------------------------------------------------


def _case_detail(s: Session, row: AccountabilityCase) -> AccountabilityDetail:
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


@accountability_router.get("/suggestions", response_model=list[Suggestion])
def suggest_accountability(
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("accountability.propose"))],
    threshold: Annotated[int, Query(ge=1, le=100)] = accountability.REPEATED_REDS,
    period_start: Day | None = None,
    period_end: Day | None = None,
) -> list[Suggestion]:
    """domain.md §7: units with repeated reds (default 3) and the measure to propose."""
    if period_start and period_end:
        _period(period_start, period_end)
    with engine.db.session() as s:
        return accountability.suggestions(
            s, scope_of(s, principal), threshold=threshold, start=period_start, end=period_end
        )


@accountability_router.post(
    "", response_model=AccountabilityDetail, status_code=status.HTTP_201_CREATED
)
def propose_accountability(
    body: AccountabilityIn,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("accountability.propose"))],
) -> AccountabilityDetail:
    """问责建议: the office proposes, the office head reviews, the leader decides (条例 Art. 21);
    clues go to the supervisory authority after approval (条例 Art. 23)."""

    def work(s: Session) -> tuple[Outcome, AccountabilityDetail | None]:
        row, outcome = accountability.create(
            engine, s, scope_of(s, principal), body, actor=principal.sub, owner_unit=principal.unit
        )
        audit.record_change(
            s,
            principal,
            "accountability.propose",
            row,
            object_type="accountability",
            data=body.model_dump(mode="json"),
            unit_code=principal.unit,
        )
        return outcome, None if outcome.failure else _case_detail(s, row)

    return stepped(engine, work)


@accountability_router.get("", response_model=Page[AccountabilityOut])
def list_accountability(
    engine: EngineDep,
    principal: CaseReader,
    measure: Annotated[Text | None, Query(max_length=30)] = None,
    status_: Annotated[Text | None, Query(alias="status", max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AccountabilityOut]:
    """Accountability cases in your scope."""
    with engine.db.session() as s:
        query = queries.CASES.readable(s, principal)
        if measure:
            query = query.where(AccountabilityCase.measure == measure)
        if status_:
            query = query.where(AccountabilityCase.status == status_)
        return page(
            s, query, AccountabilityCase.created_at.desc(), AccountabilityOut, limit, offset
        )


@accountability_router.get("/{case_id}", response_model=AccountabilityDetail)
def get_accountability(
    case_id: uuid.UUID, engine: EngineDep, principal: CaseReader
) -> AccountabilityDetail:
    """One case with its facts, basis, proposal, persons and matters."""
    with engine.db.session() as s:
        return _case_detail(s, queries.CASES.readable_one(s, principal, case_id))


@accountability_router.get("/{case_id}/document.docx", response_class=Response)
def accountability_document(
    case_id: uuid.UUID, engine: EngineDep, principal: CaseReader
) -> Response:
    """The decision (or, before it, the proposal) as a Word document."""
    with engine.db.session() as s:
        row = queries.CASES.readable_one(s, principal, case_id)
        content = documents.accountability(s, row)
    return docx.response(content, f"问责决定-{row.code}.docx", f"{row.code}.docx")


# --- urging notices ------------------------------------------------------------------------


@notices_router.get("/{matter_id}/urgings/{urging_id}/notice.docx", response_class=Response)
def urging_notice(
    matter_id: uuid.UUID,
    urging_id: uuid.UUID,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("matters.read"))],
) -> Response:
    """催办通知 / 督办单 (blue, orange, red by the order of escalation) as a Word document."""
    with engine.db.session() as s:
        matter = s.scalars(
            matter_queries.readable(s, principal).where(Matter.id == matter_id)
        ).first()
        urging = s.get(Urging, urging_id)
        if matter is None or urging is None or urging.matter_id != matter.id:
            raise NotFound(f"urging {urging_id} of matter {matter_id} not found")
        content = documents.notice(engine, s, matter, urging)
    return docx.response(content, f"督办通知-{matter.code}.docx", f"notice-{matter.code}.docx")
