"""Who may read which migration batches: those asked for by a unit in the caller's scope (the
offices above see their units' batches, admins all). The rule comes from `app.identity.policy`;
this module only maps it onto the batch table."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.engine.persist.models import MigrationBatch, MigrationItem
from app.identity import readable as base


def readable_batches(session: Session, who: base.Who) -> Select[MigrationBatch]:
    """The batches `who` may read."""
    scope = base.scope(session, who)
    return select(MigrationBatch).where(scope.clause(MigrationBatch.created_unit))


def readable_batch(session: Session, who: base.Who, batch_id: uuid.UUID) -> MigrationBatch:
    """One batch `who` may read, or 404."""
    statement = readable_batches(session, who).where(MigrationBatch.id == batch_id)
    return base.one(session, statement, "migration batch", batch_id)


def filtered_batches(
    session: Session, who: base.Who, *, status: str | None
) -> Select[MigrationBatch]:
    """The readable batches, of one status when given."""
    query = readable_batches(session, who)
    if status is not None:
        query = query.where(MigrationBatch.status == status)
    return query


def batch_items(batch_id: uuid.UUID, *, status: str | None) -> Select[MigrationItem]:
    """The instances of one (readable) batch, of one status when given."""
    query = select(MigrationItem).where(MigrationItem.batch_id == batch_id)
    if status is not None:
        query = query.where(MigrationItem.status == status)
    return query
