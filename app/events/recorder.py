"""Engine events into the outbox (an engine step listener, inside the step's transaction)."""

from sqlalchemy.orm import Session

from app.engine.runtime import StepEvents


def on_step(session: Session, events: StepEvents) -> None:
    """Emit the step's instance and task events."""
