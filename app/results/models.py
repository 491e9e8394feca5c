"""Results of supervision (seed 三(二)–(四)): bulletins; reports and accountability join them."""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.engine.models import Json


class Bulletin(Base):
    """通报 — commendation of outstanding units and criticism of slow or ineffective ones."""

    __tablename__ = "bulletins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    owner_unit: Mapped[str] = mapped_column(String(64), index=True)
    # units the issued bulletin goes to (its scope)
    recipients: Mapped[list[str]] = mapped_column(Json, default=list)
    # drafting | approving | approved | issued | rejected
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(255))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BulletinEntry(Base):
    """One unit named in a bulletin: commended or criticised, for which matters and why."""

    __tablename__ = "bulletin_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    bulletin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bulletins.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    verdict: Mapped[str] = mapped_column(String(20))  # commend | criticise
    reason: Mapped[str] = mapped_column(Text)
    matter_ids: Mapped[list[str]] = mapped_column(Json, default=list)
