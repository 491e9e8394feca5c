"""REST routes of results: supervision reports, bulletins, accountability, urging notices.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query, Response, status

from app.documents import docx
from app.engine import EngineDep, SessionDep, run_step
from app.identity.policy import permission, scope_of
from app.identity.principal import Principal
from app.kit.bounds import Day, Limit, Offset, Text
from app.kit.errors import InvalidData
from app.kit.paging import page
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page
from app.results import accountability, bulletins, documents, queries, use_cases
from app.results.details import bulletin_detail, case_detail, report_detail
from app.results.models import AccountabilityCase, Bulletin, SupervisionReport
from app.results.schemas import (
    AccountabilityDetail,
    AccountabilityIn,
    AccountabilityOut,
    BulletinDetail,
    BulletinIn,
    BulletinOut,
    ReportDetail,
    ReportIn,
    ReportOut,
    Suggestion,
)
from app.supervision.models import Matter, Urging

reports_router = Router(
    prefix="/api/v1/supervision-reports", tags=["supervision reports"], responses=ERRORS
)
bulletins_router = Router(prefix="/api/v1/bulletins", tags=["bulletins"], responses=ERRORS)
accountability_router = Router(
    prefix="/api/v1/accountability", tags=["accountability"], responses=ERRORS
)
notices_router = Router(prefix="/api/v1/matters", tags=["matters"], responses=ERRORS)
routers: list[Router] = [reports_router, bulletins_router, accountability_router, notices_router]

ReportReader = Annotated[Principal, Depends(permission("reports.read"))]
ReportDrafter = Annotated[Principal, Depends(permission("reports.draft"))]
BulletinReader = Annotated[Principal, Depends(permission("bulletins.read"))]
BulletinDrafter = Annotated[Principal, Depends(permission("bulletins.draft"))]
CaseReader = Annotated[Principal, Depends(permission("accountability.read"))]
Proposer = Annotated[Principal, Depends(permission("accountability.propose"))]
MatterReader = Annotated[Principal, Depends(permission("matters.read"))]


def readable_report(
    report_id: uuid.UUID, s: SessionDep, principal: ReportReader
) -> SupervisionReport:
    """The report of the path, if the caller may read it; 404 otherwise (unseen = absent)."""
    report: SupervisionReport = queries.REPORTS.readable_one(s, principal, report_id)
    return report


def readable_bulletin(bulletin_id: uuid.UUID, s: SessionDep, principal: BulletinReader) -> Bulletin:
    """The bulletin of the path, if the caller may read it; 404 otherwise."""
    bulletin: Bulletin = queries.BULLETINS.readable_one(s, principal, bulletin_id)
    return bulletin


def readable_case(case_id: uuid.UUID, s: SessionDep, principal: CaseReader) -> AccountabilityCase:
    """The accountability case of the path, if the caller may read it; 404 otherwise."""
    case: AccountabilityCase = queries.CASES.readable_one(s, principal, case_id)
    return case


def readable_urging(
    matter_id: uuid.UUID, urging_id: uuid.UUID, s: SessionDep, principal: MatterReader
) -> tuple[Matter, Urging]:
    """The urging of the path with its matter, if the caller may read the matter; 404 otherwise."""
    return queries.readable_urging(s, principal, matter_id, urging_id)


ReadableReport = Annotated[SupervisionReport, Depends(readable_report)]
ReadableBulletin = Annotated[Bulletin, Depends(readable_bulletin)]
ReadableCase = Annotated[AccountabilityCase, Depends(readable_case)]
ReadableUrging = Annotated[tuple[Matter, Urging], Depends(readable_urging)]


def _period(period_start: date, period_end: date) -> None:
    if period_end < period_start:
        raise InvalidData(
            "the period ends before it starts",
            errors=[{"field": "period_end", "message": "before period_start"}],
        )


# --- supervision reports -------------------------------------------------------------------


@reports_router.post("", response_model=ReportDetail, status_code=status.HTTP_201_CREATED)
def create_report(body: ReportIn, engine: EngineDep, principal: ReportDrafter) -> ReportDetail:
    """督查报告 / 专报: assemble the draft from the period's matters and activities; the office
    edits it in its task, the office head reviews, a leader reads a special report."""
    return run_step(engine, use_cases.create_report, engine=engine, actor=principal, body=body)


@reports_router.get("", response_model=Page[ReportOut])
def list_reports(
    s: SessionDep,
    principal: ReportReader,
    kind: Literal["report", "special"] | None = None,
    status_: Annotated[Text | None, Query(alias="status", max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReportOut]:
    """Reports in your scope (drafts of your office's government; approved ones sent to you)."""
    query = queries.filtered_reports(s, principal, kind=kind, status=status_)
    return page(s, query, SupervisionReport.created_at.desc(), ReportOut, limit, offset)


@reports_router.get("/{report_id}", response_model=ReportDetail)
def get_report(report: ReadableReport, s: SessionDep) -> ReportDetail:
    """One report with its situation, analysis, recommendations, matters and instruction."""
    return report_detail(s, report)


@reports_router.get("/{report_id}/document.docx", response_class=Response)
def report_document(report: ReadableReport, s: SessionDep) -> Response:
    """The report as a Word document."""
    content = documents.report(s, report)
    return docx.response(content, f"{report.title}.docx", f"{report.code}.docx")


# --- bulletins -----------------------------------------------------------------------------


@bulletins_router.get("/suggestions", response_model=list[Suggestion])
def suggest_bulletin_entries(
    period_start: Day,
    period_end: Day,
    s: SessionDep,
    engine: EngineDep,
    principal: BulletinDrafter,
) -> list[Suggestion]:
    """seed 三(二), domain.md §7: whom to commend and whom to criticise in a period, and why."""
    _period(period_start, period_end)
    return bulletins.suggestions(engine, s, scope_of(s, principal), period_start, period_end)


@bulletins_router.post("", response_model=BulletinDetail, status_code=status.HTTP_201_CREATED)
def create_bulletin(
    body: BulletinIn, engine: EngineDep, principal: BulletinDrafter
) -> BulletinDetail:
    """通报: the office's draft goes to the office head, then to the leader for approval
    (条例 Art. 21); only then can it be issued."""
    return run_step(engine, use_cases.create_bulletin, engine=engine, actor=principal, body=body)


@bulletins_router.get("", response_model=Page[BulletinOut])
def list_bulletins(
    s: SessionDep,
    principal: BulletinReader,
    status_: Annotated[Text | None, Query(alias="status", max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[BulletinOut]:
    """Bulletins in your scope: drafts of your office's government, issued ones that reach you."""
    query = queries.filtered_bulletins(s, principal, status=status_)
    return page(s, query, Bulletin.created_at.desc(), BulletinOut, limit, offset)


@bulletins_router.get("/{bulletin_id}", response_model=BulletinDetail)
def get_bulletin(bulletin: ReadableBulletin, s: SessionDep) -> BulletinDetail:
    """One bulletin with its entries."""
    return bulletin_detail(s, bulletin)


@bulletins_router.get("/{bulletin_id}/document.docx", response_class=Response)
def bulletin_document(bulletin: ReadableBulletin, s: SessionDep) -> Response:
    """The bulletin as a Word document."""
    content = documents.bulletin(s, bulletin)
    return docx.response(content, f"{bulletin.title}.docx", f"{bulletin.code}.docx")


# --- accountability ------------------------------------------------------------------------


@accountability_router.get("/suggestions", response_model=list[Suggestion])
def suggest_accountability(
    s: SessionDep,
    engine: EngineDep,
    principal: Proposer,
    threshold: Annotated[int | None, Query(ge=1, le=100)] = None,
    period_start: Day | None = None,
    period_end: Day | None = None,
) -> list[Suggestion]:
    """domain.md §7: units with repeated reds and the measure to propose, as the escalation
    ladder's table decides (as shipped: 3 reds); `threshold` overrides its count of reds."""
    if period_start and period_end:
        _period(period_start, period_end)
    return accountability.suggestions(
        engine,
        s,
        scope_of(s, principal),
        threshold=threshold,
        start=period_start,
        end=period_end,
    )


@accountability_router.post(
    "", response_model=AccountabilityDetail, status_code=status.HTTP_201_CREATED
)
def propose_accountability(
    body: AccountabilityIn, engine: EngineDep, principal: Proposer
) -> AccountabilityDetail:
    """问责建议: the office proposes, the office head reviews, the leader decides (条例 Art. 21);
    clues go to the supervisory authority after approval (条例 Art. 23)."""
    return run_step(
        engine, use_cases.propose_accountability, engine=engine, actor=principal, body=body
    )


@accountability_router.get("", response_model=Page[AccountabilityOut])
def list_accountability(
    s: SessionDep,
    principal: CaseReader,
    measure: Annotated[Text | None, Query(max_length=30)] = None,
    status_: Annotated[Text | None, Query(alias="status", max_length=20)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AccountabilityOut]:
    """Accountability cases in your scope."""
    query = queries.filtered_cases(s, principal, measure=measure, status=status_)
    return page(s, query, AccountabilityCase.created_at.desc(), AccountabilityOut, limit, offset)


@accountability_router.get("/{case_id}", response_model=AccountabilityDetail)
def get_accountability(case: ReadableCase, s: SessionDep) -> AccountabilityDetail:
    """One case with its facts, basis, proposal, persons and matters."""
    return case_detail(s, case)


@accountability_router.get("/{case_id}/document.docx", response_class=Response)
def accountability_document(case: ReadableCase, s: SessionDep) -> Response:
    """The decision (or, before it, the proposal) as a Word document."""
    content = documents.accountability(s, case)
    return docx.response(content, f"问责决定-{case.code}.docx", f"{case.code}.docx")


# --- urging notices ------------------------------------------------------------------------


@notices_router.get("/{matter_id}/urgings/{urging_id}/notice.docx", response_class=Response)
def urging_notice(found: ReadableUrging, s: SessionDep, engine: EngineDep) -> Response:
    """催办通知 / 督办单 (blue, orange, red by the order of escalation) as a Word document."""
    matter, urging = found
    content = documents.notice(engine, s, matter, urging)
    return docx.response(content, f"督办通知-{matter.code}.docx", f"notice-{matter.code}.docx")
