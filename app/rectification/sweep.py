"""The light sweep: lights follow the calendar even when no process steps (domain.md §7).

It keeps matters' and rectifications' lights, so it lives here, above supervision.

Timers turn a deadline yellow or red when the diagram has one for it; an obligation without a
timer (a co-operating unit's opinion, a rectification's plan) would otherwise keep its light
until the next step. The scheduler runs this chore every few minutes in whichever processes run a
scheduler; refreshing a light is idempotent, so several at once do no harm.
"""

import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.rectification import service as rectifications
from app.rectification.models import Rectification
from app.supervision import recorder
from app.supervision.models import Matter, MatterDeadline

BATCH = 200


def sweep_lights(db: Database) -> int:
    """Refresh every open matter's and rectification's light; returns how many were looked at."""
    with db.session() as session:
        matters = list(
            session.scalars(
                select(Matter.id)
                .where(Matter.status != "closed")
                .where(
                    Matter.id.in_(
                        select(MatterDeadline.matter_id).where(MatterDeadline.done_on.is_(None))
                    )
                )
            )
        )
        open_rectifications = list(
            session.scalars(
                select(Rectification.id).where(Rectification.status == rectifications.OPEN)
            )
        )
    done = _in_batches(db, matters, lambda s, i: _matter(s, i))
    return done + _in_batches(db, open_rectifications, lambda s, i: _rectification(s, i))


def _in_batches(
    db: Database, ids: Sequence[uuid.UUID], refresh: Callable[[Session, uuid.UUID], None]
) -> int:
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]

        def work(session: Session, batch: Sequence[uuid.UUID] = batch) -> None:
            for item in batch:
                refresh(session, item)

        db.transaction(work)
    return len(ids)


def _matter(session: Session, matter_id: uuid.UUID) -> None:
    matter = session.get(Matter, matter_id)
    if matter is not None:
        recorder.refresh_light(session, matter)


def _rectification(session: Session, rectification_id: uuid.UUID) -> None:
    rectification = session.get(Rectification, rectification_id)
    if rectification is not None:
        rectifications.refresh_light(session, rectification)
