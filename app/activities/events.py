"""Activity events integrators read: activity.concluded (督查结论)."""

from sqlalchemy.orm import Session

from app.activities.models import Activity
from app.events.outbox import emit, optional_id


def activity_concluded(session: Session, activity: Activity, *, actor: str | None) -> None:
    """督查结论 (条例 Art. 16): an activity concluded, for its target units."""
    emit(
        session,
        "activity.concluded",
        subject=str(activity.id),
        data={
            "activity_id": str(activity.id),
            "code": activity.code,
            "title": activity.title,
            "method": activity.method,
            "kind": activity.kind,
            "instance_id": optional_id(activity.instance_id),
            "owner_unit": activity.owner_unit,
            "target_units": list(activity.target_units),
            "conclusion": activity.conclusion,
            "actor": actor,
        },
        units=[activity.owner_unit, activity.division_unit, *activity.target_units],
        instance_id=activity.instance_id,
    )
