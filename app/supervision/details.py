"""One matter with everything about it (MatterDetail): the answer of a read and of every change."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import Outcome, ProcessInstance, TaskRecord, started_tasks, task_outs
from app.supervision.lights import worst
from app.supervision.matter_deadlines import LINKS, added_rows, deadlines_of
from app.supervision.matter_lights import live_lights
from app.supervision.models import (
    Assignment,
    ExtensionRequest,
    Matter,
    ProgressReport,
    TimelineEntry,
    Urging,
)
from app.supervision.schemas import (
    AssignmentOut,
    DeadlineOut,
    ExtensionOut,
    MatterDetail,
    MatterOut,
    ReportOut,
    SubMatterOut,
    TimelineOut,
    UrgingOut,
)


def detail(s: Session, matter: Matter, started: Outcome | None = None) -> MatterDetail:
    """Deadlines, assignments, reports, urgings, extensions, lights, ready tasks and timeline.

    `started`: the step that just started (or stepped) the matter's process in this
    transaction, whose ready tasks are then listed as it left them, where it knows them."""
    s.flush()  # what this transaction wrote (a timeline entry, an urging) is part of the answer

    def rows(model: Any, order: Any) -> list[Any]:
        """The matter's `model` rows by `order`: those the transaction added when it created
        the matter (a registration's answer reads none), the database's otherwise."""
        added = added_rows(s, matter, model)
        if added is not None:
            return sorted(added, key=lambda row: getattr(row, order.key))
        link = getattr(model, LINKS[model])
        return list(s.scalars(select(model).where(link == matter.id).order_by(order)))

    tasks: list[TaskRecord] = []
    definitions: dict[Any, Any] = {}
    known = None
    if started is not None and started.instance_id == matter.instance_id:
        known = started_tasks(s, started)
    if known is None and matter.instance_id is not None:
        # With the instance's definition (for the tasks' names): one query, not two.
        found = s.execute(
            select(TaskRecord, ProcessInstance.definition_id)
            .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
            .where(TaskRecord.instance_id == matter.instance_id, TaskRecord.state == "ready")
            .order_by(TaskRecord.created_at)
        ).all()
        tasks = [task for task, _ in found]
        if found:
            definitions[matter.instance_id] = found[0][1]
    children = rows(Matter, Matter.created_at)
    deadlines = deadlines_of(s, matter)
    # domain.md §7 by the clock now, as the task list shows it (stored lights follow the sweep).
    light, deadline_lights = live_lights(s, matter, deadlines)
    child_lights = {c.id: live_lights(s, c)[0] for c in children}
    open_lights = [child_lights[c.id] for c in children if c.status != "closed"]
    return MatterDetail(
        **MatterOut.model_validate(matter).model_dump(exclude={"light"}),
        light=light.value,
        content=matter.content,
        sub_matters=[
            SubMatterOut.model_validate(c).model_copy(update={"light": child_lights[c.id].value})
            for c in children
        ],
        rolled_up_light=worst([light, *open_lights]).value,
        deadlines=[
            DeadlineOut.model_validate(d).model_copy(update={"light": deadline_lights[d.id]})
            for d in deadlines
        ],
        assignments=[
            AssignmentOut.model_validate(a) for a in rows(Assignment, Assignment.sign_due)
        ],
        reports=[
            ReportOut.model_validate(r) for r in rows(ProgressReport, ProgressReport.submitted_at)
        ],
        urgings=[UrgingOut.model_validate(u) for u in rows(Urging, Urging.at)],
        extensions=[
            ExtensionOut.model_validate(e)
            for e in rows(ExtensionRequest, ExtensionRequest.requested_at)
        ],
        ready_tasks=known if known is not None else task_outs(s, tasks, definitions),
        timeline=[TimelineOut.model_validate(t) for t in rows(TimelineEntry, TimelineEntry.at)],
    )
