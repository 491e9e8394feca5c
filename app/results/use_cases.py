"""The office's acts on results, one function each: `fn(session, *, engine, actor, …)` run by a
route in one transaction (`app.engine.run_step`). Each drafts its result in the caller's scope,
starts its process, writes the audit record and answers with the detail the route returns."""

from sqlalchemy.orm import Session

from app.engine import Engine, Outcome
from app.identity import audit
from app.identity.policy import scope_of
from app.identity.principal import Principal
from app.results import accountability, bulletins, reports
from app.results.details import bulletin_detail, case_detail, report_detail
from app.results.schemas import (
    AccountabilityDetail,
    AccountabilityIn,
    BulletinDetail,
    BulletinIn,
    ReportDetail,
    ReportIn,
)


def create_report(
    s: Session, *, engine: Engine, actor: Principal, body: ReportIn
) -> tuple[Outcome, ReportDetail | None]:
    """督查报告 / 专报: assemble the draft from the period's matters and activities."""
    row, outcome = reports.create(
        engine, s, scope_of(s, actor), body, actor=actor.sub, owner_unit=actor.unit
    )
    audit.record_change(
        s,
        actor,
        "report.draft",
        row,
        object_type="supervision_report",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else report_detail(s, row)


def create_bulletin(
    s: Session, *, engine: Engine, actor: Principal, body: BulletinIn
) -> tuple[Outcome, BulletinDetail | None]:
    """通报: the office's draft, on its way to the office head and the leader (条例 Art. 21)."""
    row, outcome = bulletins.create(
        engine, s, scope_of(s, actor), body, actor=actor.sub, owner_unit=actor.unit
    )
    audit.record_change(
        s,
        actor,
        "bulletin.draft",
        row,
        object_type="bulletin",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else bulletin_detail(s, row)


def propose_accountability(
    s: Session, *, engine: Engine, actor: Principal, body: AccountabilityIn
) -> tuple[Outcome, AccountabilityDetail | None]:
    """问责建议: the office proposes, the office head reviews, the leader decides (条例 Art. 21)."""
    row, outcome = accountability.create(
        engine, s, scope_of(s, actor), body, actor=actor.sub, owner_unit=actor.unit
    )
    audit.record_change(
        s,
        actor,
        "accountability.propose",
        row,
        object_type="accountability",
        data=body.model_dump(mode="json"),
        unit_code=actor.unit,
    )
    return outcome, None if outcome.failure else case_detail(s, row)
