"""What a step of a rectification process means for its records (an engine step listener)."""

from sqlalchemy.orm import Session

from app.engine.runtime import StepEvents


def on_step(session: Session, events: StepEvents) -> None:
    """Record the marked elements of one step (runs inside the step's transaction)."""
