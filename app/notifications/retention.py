"""What notifications keep, and for how long (app.events.retention): a message sent before
`DUCHA_DELIVERED_RETENTION_DAYS` is removed; pending, deferred and failed ones stay (a failed
row is the record that someone could not be reached). The matter's urgings and timeline, which
say who was urged and when, are the supervision domain's and are kept."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.config import Settings
from app.events import retention
from app.notifications.models import Notification


def register() -> None:
    """Tell the retention worker what notifications let go."""
    retention.sweep(remove_sent)


def remove_sent(session: Session, now: datetime, settings: Settings) -> int:
    """One batch of messages sent before the window."""
    before = retention.window_start(now, settings.delivered_retention_days)
    if before is None:
        return 0
    return retention.remove_batch(
        session, Notification, Notification.status == "sent", Notification.sent_at < before
    )
