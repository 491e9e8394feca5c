"""Results events integrators read: bulletin.issued (督查通报) and accountability.decided (问责)."""

from sqlalchemy.orm import Session

from app.events.outbox import emit, optional_id
from app.results.models import AccountabilityCase, Bulletin


def bulletin_issued(session: Session, bulletin: Bulletin, *, actor: str | None) -> None:
    """督查通报 印发 (条例 Art. 21), to its recipients."""
    emit(
        session,
        "bulletin.issued",
        subject=str(bulletin.id),
        data={
            "bulletin_id": str(bulletin.id),
            "code": bulletin.code,
            "title": bulletin.title,
            "doc_number": bulletin.doc_number,
            "instance_id": optional_id(bulletin.instance_id),
            "owner_unit": bulletin.owner_unit,
            "recipients": list(bulletin.recipients),
            "actor": actor,
        },
        units=[bulletin.owner_unit, *bulletin.recipients],
        instance_id=bulletin.instance_id,
    )


def accountability_decided(
    session: Session, case: AccountabilityCase, *, actor: str | None
) -> None:
    """问责 decided (条例 Art. 21). The persons concerned stay out of the event: integrators
    learn that a unit was held to account, and read the case through the API if allowed."""
    emit(
        session,
        "accountability.decided",
        subject=str(case.id),
        data={
            "case_id": str(case.id),
            "code": case.code,
            "measure": case.measure,
            "doc_number": case.doc_number,
            "instance_id": optional_id(case.instance_id),
            "owner_unit": case.owner_unit,
            "units": list(case.unit_codes),
            "matter_ids": list(case.matter_ids),
            "actor": actor,
        },
        units=[case.owner_unit, *case.unit_codes],
        instance_id=case.instance_id,
    )
