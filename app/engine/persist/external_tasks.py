"""Tables of external tasks (外部任务): service tasks waiting for, or locked by, a worker."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.kit.columns import Json


class ExternalTask(Base):
    """A ready external task of an instance (its id is the engine task's id).

    Written in the step that made the task ready and deleted in the step that finished it
    (completed, cancelled by a boundary event, or its instance cancelled). A worker holds it
    while `worker_id` is set and `lock_expires_at` is in the future; after a failure with a
    retry timeout, `lock_expires_at` is when it may be fetched again. `retries` is NULL until
    a failure sets it; 0 means an incident is open (`incident_id`).
    """

    __tablename__ = "external_tasks"
    __table_args__ = (Index("ix_external_tasks_topic_lock", "topic", "lock_expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    instance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    process_key: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(500))
    topic: Mapped[str] = mapped_column(String(255))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    unit_code: Mapped[str | None] = mapped_column(String(64))
    business_key: Mapped[str | None] = mapped_column(String(255))
    variables: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    retries: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[str | None] = mapped_column(String(255))
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
