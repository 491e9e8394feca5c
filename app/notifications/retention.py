"""What notifications keep, and for how long (app.events.retention): a message sent before
`DUCHA_DELIVERED_RETENTION_DAYS` is removed; pending, deferred and failed ones stay (a failed
row is the record that someone could not be reached). The matter's urgings and timeline, which
say who was urged and when, are the supervision domain's and are kept."""

from app.events import retention
from app.notifications.models import Notification


def register() -> None:
    """Tell the retention worker what notifications let go."""
    retention.sweep(remove_sent)


remove_sent = retention.expiring(
    Notification,
    Notification.sent_at,
    lambda settings: settings.delivered_retention_days,
    Notification.status == "sent",
)
"""One batch of messages sent before the window."""
