"""Who may read which results (supervision reports, bulletins, accountability cases): the
readable statements their lists, details and documents (.docx) start from."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.identity import readable as base
from app.identity.policy import Scope
from app.kit.errors import NotFound
from app.results.models import AccountabilityCase, Bulletin, ResultRecipient, SupervisionReport
from app.supervision import queries as matter_queries
from app.supervision.models import Matter, Urging


@dataclass(frozen=True)
class Kind:
    """One kind of result: drafts are read in the owner office's scope; once published, also
    by the units it reached (its recipients and the units it names)."""

    model: Any
    name: str  # the object type of its recipients
    published: tuple[str, ...]  # the statuses in which it has reached its recipients
    label: str

    def clause(self, scope: Scope) -> ColumnElement[bool]:
        m = self.model
        reached = select(ResultRecipient.object_id).where(
            ResultRecipient.object_type == self.name, scope.clause(ResultRecipient.unit_code)
        )
        owned: ColumnElement[bool] = base.any_unit(scope, m.owner_unit)
        return owned | (m.status.in_(self.published) & m.id.in_(reached))

    def readable(self, session: Session, who: base.Who) -> Select[Any]:
        """The rows of this kind `who` may read."""
        return select(self.model).where(self.clause(base.scope(session, who)))

    def readable_one(self, session: Session, who: base.Who, object_id: uuid.UUID) -> Any:
        """One row of this kind `who` may read, or 404."""
        statement = self.readable(session, who).where(self.model.id == object_id)
        return base.one(session, statement, self.label, object_id)


REPORTS = Kind(SupervisionReport, "report", ("approved",), "supervision report")
BULLETINS = Kind(Bulletin, "bulletin", ("issued",), "bulletin")
CASES = Kind(
    AccountabilityCase, "accountability", ("decided", "transferred"), "accountability case"
)


def filtered_reports(
    session: Session, who: base.Who, *, kind: str | None, status: str | None
) -> Select[Any]:
    """The reports `who` may read, of a kind (report, special) and status when given."""
    query = REPORTS.readable(session, who)
    if kind:
        query = query.where(SupervisionReport.kind == kind)
    if status:
        query = query.where(SupervisionReport.status == status)
    return query


def filtered_bulletins(session: Session, who: base.Who, *, status: str | None) -> Select[Any]:
    """The bulletins `who` may read, of a status when given."""
    query = BULLETINS.readable(session, who)
    if status:
        query = query.where(Bulletin.status == status)
    return query


def filtered_cases(
    session: Session, who: base.Who, *, measure: str | None, status: str | None
) -> Select[Any]:
    """The accountability cases `who` may read, of a measure and status when given."""
    query = CASES.readable(session, who)
    if measure:
        query = query.where(AccountabilityCase.measure == measure)
    if status:
        query = query.where(AccountabilityCase.status == status)
    return query


def readable_urging(
    session: Session, who: base.Who, matter_id: uuid.UUID, urging_id: uuid.UUID
) -> tuple[Matter, Urging]:
    """An urging (催办) of a matter `who` may read, with its matter; 404 otherwise."""
    matter = session.scalars(
        matter_queries.readable(session, who).where(Matter.id == matter_id)
    ).first()
    urging = session.get(Urging, urging_id)
    if matter is None or urging is None or urging.matter_id != matter.id:
        raise NotFound(f"urging {urging_id} of matter {matter_id} not found")
    return matter, urging
