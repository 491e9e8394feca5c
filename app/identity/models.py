"""The audit trail: append-only rows, each carrying the hash of the one before."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditRecord(Base):
    """One change: who (user, unit, roles), when, from where, what, with the submitted data."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor", "actor_sub", "id"),
        Index("ix_audit_log_unit", "unit_code", "id"),
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_object_type_id", "object_type", "id"),  # a kind, newest first
        Index("ix_audit_log_action_id", "action", "id"),  # one action, newest first
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_sub: Mapped[str] = mapped_column(String(255))
    actor_name: Mapped[str] = mapped_column(String(255))
    actor_unit: Mapped[str] = mapped_column(String(64))
    actor_roles: Mapped[list[str]] = mapped_column(Json)
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(255))
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(64))
    # Canonical JSON text, hashed as stored (JSONB would renormalise numbers and keys).
    data: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


HEAD_ID = 1


class AuditChainHead(Base):
    """The audit chain's newest hash, in one row (id 1).

    Appends lock this row, which serialises them across processes; `prev_hash` is where an
    append's UPDATE leaves the hash it replaced, so that one statement returns both.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """A run of audit rows that left the table with an archived month (存档), by its edges.

    The rows `first_id`..`last_id` were consecutive in the chain (no kept row between them):
    `prev_hash` is the first one's predecessor's hash and `hash` the last one's, so that
    verification steps over the run as if it were one row. A month leaves one run per stretch
    of the chain it held — more than one where its edges interleave with the next month's rows
    (a row's `at` is its change's time, its id the order of its commit).
    """

    __tablename__ = "audit_anchors"
    __table_args__ = (Index("ix_audit_anchors_first_id", "first_id", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    first_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    partition: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime)
