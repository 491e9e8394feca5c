"""The background worker of notifications, started with the service (and by `ducha scheduler`)."""

from app.config import Settings
from app.db import Database
from app.engine.runtime import Engine
from app.worker import Worker


def workers(db: Database, engine: Engine, settings: Settings) -> list[Worker]:
    """The workers this package runs in a service process."""
    return []
