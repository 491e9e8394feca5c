"""What notifications keep, and for how long (app.events.retention): a message sent before
`DUCHA_DELIVERED_RETENTION_DAYS` is removed; pending, deferred and failed ones stay (a failed
row is the record that someone could not be reached). The matter's urgings and timeline, which
say who was urged and when, are the supervision domain's and are kept."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.events import retention
from app.notifications.models import Notification


def register() -> None:
    """Tell the retention worker what notifications let go."""
    retention.sweep(remove_sent)


def remove_sent(session: Session, now: datetime, settings: Settings) -> int:
    """One batch of messages sent before the window."""
    if settings.delivered_retention_days == 0:
        return 0
    before = now - timedelta(days=settings.delivered_retention_days)
    doomed = (
        select(Notification.id)
        .where(Notification.status == "sent", Notification.sent_at < before)
        .limit(retention.BATCH)
    )
    result: Any = session.execute(
        delete(Notification).where(Notification.id.in_(doomed.scalar_subquery()))
    )
    return int(result.rowcount or 0)
