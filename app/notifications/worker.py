"""The background worker of notifications, started with the service (and by `ducha scheduler`).

One round turns new outbox events into messages (the `notifications` consumer) and sends the
messages that are due. With no channel configured, notifications are off: no worker runs.
"""

import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.engine import Engine
from app.events.models import OutboxEvent
from app.events.outbox import consume
from app.notifications import channels, delivery, messages
from app.notifications.templates import Templates
from app.worker import Worker

CONSUMER = "notifications"


@dataclass(frozen=True)
class Notifier:
    """Everything one round needs; `round` is what the worker thread (or a test) calls."""

    db: Database
    planner: messages.Planner
    sender: delivery.Sender

    def plan(self) -> int:
        """Turn the next batch of events into messages."""

        def handle(session: Session, events: list[OutboxEvent]) -> None:
            messages.plan(session, events, self.planner)

        return consume(self.db, CONSUMER, handle)

    def deliver(self) -> int:
        """Send the messages that are due."""
        return delivery.deliver_due(self.db, self.sender)

    def round(self) -> int:
        return self.plan() + self.deliver()


def planner(settings: Settings) -> messages.Planner:
    """Templates, the configured channels' names and the link base, from the settings."""
    return messages.Planner(
        templates=Templates(settings.notifications_templates_dir),
        channels=tuple(channels.configured(settings)),
        base_url=settings.notifications_base_url.rstrip("/"),
    )


def notifier(db: Database, settings: Settings) -> Notifier:
    """A notifier with the configured channels and templates."""
    configured = channels.configured(settings)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    sender = delivery.Sender.from_settings(owner, configured, settings)
    return Notifier(db, planner(settings), sender)


def workers(db: Database, engine: Engine, settings: Settings) -> list[Worker]:
    """The workers this package runs in a service process (none when no channel is set)."""
    if not channels.configured(settings):
        return []
    found = notifier(db, settings)
    return [Worker("notifications", found.round, settings.notifications_interval_seconds)]
