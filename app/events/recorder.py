"""Engine events into the outbox (a hook on every step, inside the step's transaction)."""

from app.engine import StepContext, StepRegistry, TaskRecord
from app.events.engine import instance_event, task_event
from app.events.outbox import emit


def register(steps: StepRegistry) -> None:
    """Run on every step, first: task.completed comes before the domains' events."""
    steps.every_step("events.engine", on_step)


def on_step(context: StepContext) -> None:
    """Emit the step's instance and task events, in the order they happened."""
    session, events = context.session, context.events
    row = events.instance
    if events.started and events.trigger is None:
        instance_event(session, "instance.started", row, actor=events.actor)
    if events.trigger == "timer_fired":
        data = events.trigger_data or {}
        emit(
            session,
            "timer.fired",
            subject=data.get("job_id"),
            data={"instance_id": str(row.id), "process_key": row.process_key, **data},
            units=[row.unit_code],
            instance_id=row.id,
        )
    if events.trigger == "task_completed" and events.trigger_task is not None:
        record = session.get(TaskRecord, events.trigger_task)
        if record is not None:
            task_event(
                session,
                "task.completed",
                record,
                owner_unit=row.unit_code,
                actor=events.actor,
                submitted=(events.trigger_data or {}).get("data"),
            )
    for created in events.created_rows:
        task_event(session, "task.created", created, owner_unit=row.unit_code, actor=None)
    if row.status == "completed":
        instance_event(session, "instance.completed", row, actor=events.actor)
