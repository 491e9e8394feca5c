"""The unit tree: province → city → county governments, their offices and departments."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class Unit(Base):
    """A unit (单位): a government, its general office, a division, a supervision office or a
    department. `path` lists the codes from the root down, for subtree queries."""

    __tablename__ = "units"
    # Subtree queries are `path LIKE 'prefix%'`: PostgreSQL needs pattern ops for the index.
    __table_args__ = (
        Index("ix_units_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    path: Mapped[str] = mapped_column(String(1000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
