"""The background workers of webhooks, started with the service (and by `ducha scheduler`)."""

from app.config import Settings
from app.db import Database
from app.engine import Engine
from app.webhooks.delivery import Deliverer, Dispatcher
from app.worker import Worker


def workers(db: Database, engine: Engine, settings: Settings) -> list[Worker]:
    """Dispatch (events → deliveries) and delivery (deliveries → receivers), one thread each."""
    deliverer = Deliverer(db, settings)
    delivery = Worker(
        "webhook-delivery", deliverer.round, settings.webhook_delivery_interval_seconds
    )
    dispatcher = Dispatcher(db, on_new=delivery.wake)
    dispatch = Worker(
        "webhook-dispatch", dispatcher.round, settings.webhook_dispatch_interval_seconds
    )
    return [dispatch, delivery]
