"""External tasks in the engine (外部任务): BPMN service tasks that other systems do.

A `serviceTask` with a topic — Camunda Modeler's `camunda:type="external" camunda:topic="…"`, or
the spiff extension property `externalTopic` — is parsed as an `ExternalTaskSpec`: it waits READY
like a user task (SpiffWorkflow never runs it) but is no human task, so it is not projected into
`tasks`. Each step keeps the `external_tasks` table in step with the ready external tasks
(`sync`), in the step's transaction, as timers are kept in `jobs`. Workers fetch, lock and
complete them through `app.external`.
"""

import copy
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import ManualTaskMixin
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.engine import persist
from app.engine.data import json_safe
from app.engine.models import Incident, ProcessInstance
from app.engine.persist import history_row
from app.events.outbox import emit
from app.external.models import ExternalTask
from app.kit.clock import clock

if TYPE_CHECKING:
    from app.engine.runtime import Loaded

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
TOPIC_PROPERTY = "externalTopic"
PRIORITY_PROPERTY = "externalTaskPriority"
MAX_TOPIC = 255
# A topic is a literal name: letters (any script), digits and `_ - . : /`.
_TOPIC_PUNCTUATION = set("_-.:/")


# --- parsing -------------------------------------------------------------------------------


def topic_of(element: Any) -> str | None:
    """The topic written on a `serviceTask` element (Camunda attribute or spiff property)."""
    topic = element.get(f"{{{CAMUNDA_NS}}}topic")
    if topic is None:
        topic = _spiff_property(element, TOPIC_PROPERTY)
    return topic.strip() if topic is not None else None


def priority_of(element: Any) -> str | None:
    """The priority written on a `serviceTask` (`camunda:taskPriority` or the spiff property)."""
    value = element.get(f"{{{CAMUNDA_NS}}}taskPriority")
    if value is None:
        value = _spiff_property(element, PRIORITY_PROPERTY)
    return value.strip() if value is not None else None


def _spiff_property(element: Any, name: str) -> str | None:
    path = f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    for prop in element.iterfind(path):
        if prop.get("name") == name:
            value: str = prop.get("value", "")
            return value
    return None


def service_task_problems(root: Any) -> list[dict[str, Any]]:
    """Every `serviceTask` must be an external task with a literal topic (else 422 at deploy)."""
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}serviceTask"):
        element_id, line = element.get("id"), element.sourceline
        kind = element.get(f"{{{CAMUNDA_NS}}}type")
        topic = topic_of(element)
        if kind is not None and kind != "external":
            message = f'service tasks of camunda:type="{kind}" are not supported: use "external"'
        elif not topic:
            message = (
                "service tasks are not supported without an external task topic: set "
                'camunda:type="external" camunda:topic="…" or the property externalTopic'
            )
        elif not valid_topic(topic):
            message = (
                f"topic '{topic[:80]}' is not a name: letters, digits and _ - . : / only, "
                f"at most {MAX_TOPIC} characters (expressions are not allowed)"
            )
        elif not _valid_priority(priority_of(element)):
            message = "the external task priority must be an integer"
        else:
            continue
        problems.append({"element_id": element_id, "message": message, "line": line})
    return problems


def valid_topic(topic: str) -> bool:
    """A literal topic name (expressions such as `${…}` are refused)."""
    allowed = all(c.isalnum() or c in _TOPIC_PUNCTUATION for c in topic)
    return 0 < len(topic) <= MAX_TOPIC and allowed


def _valid_priority(value: str | None) -> bool:
    if value is None or value == "":
        return True
    try:
        int(value)
    except ValueError:
        return False
    return True


class ExternalTaskSpec(ManualTaskMixin, SpiffBpmnTask):
    """A service task done by an external worker: waits READY (manual) until completed."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str, priority: int = 0, **kw: Any):
        super().__init__(wf_spec, bpmn_id, **kw)
        self.topic = topic
        self.priority = priority


class ExternalTaskParser(SpiffTaskParser):
    """Parses a `serviceTask` with a topic (checked at deploy by `service_task_problems`)."""

    def create_task(self) -> Any:
        extensions = self.parse_extensions()
        priority = priority_of(self.node)
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            topic=topic_of(self.node) or "",
            priority=int(priority) if priority else 0,
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class DuchaBpmnParser(SpiffBpmnParser):
    """The spiff parser, with service tasks read as external tasks."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTaskSpec),
    }


def has_external_tasks(process_specs: list[Any]) -> bool:
    """Whether any of these process specs has an external task (then steps sync the table)."""
    return any(
        isinstance(task_spec, ExternalTaskSpec)
        for spec in process_specs
        for task_spec in spec.task_specs.values()
    )


def is_external(task: Any) -> bool:
    """Whether an engine task is an external task."""
    return isinstance(task.task_spec, ExternalTaskSpec)


def is_ready_external(task: Any) -> bool:
    """Whether an engine task is an external task waiting for its worker."""
    return task is not None and is_external(task) and bool(task.has_state(TaskState.READY))


def ready_external_tasks(workflow: Any) -> list[Any]:
    """The engine's ready external tasks."""
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return [t for t in tasks if isinstance(t.task_spec, ExternalTaskSpec)]


# --- the table, in step with the engine ----------------------------------------------------


def sync(session: Session, loaded: "Loaded", now: datetime) -> None:
    """Rows for the external tasks the step made ready, none for those it finished.

    Runs inside `runtime.step`, before the step's writes go out: new rows and their
    `external_task.created` events are flushed with them, in the same transaction.
    """
    if not loaded.definition.bundle.external:
        return
    row = loaded.row
    ready = {t.id: t for t in ready_external_tasks(loaded.workflow)}
    known: set[uuid.UUID] = set()
    if not loaded.new:
        query = select(ExternalTask.id).where(ExternalTask.instance_id == row.id)
        known = set(session.scalars(query))
    gone = known - set(ready)
    if gone:
        session.execute(delete(ExternalTask).where(ExternalTask.id.in_(gone)))
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = task.task_spec
        record = ExternalTask(
            id=task_id,
            instance_id=row.id,
            process_key=row.process_key,
            element_id=spec.bpmn_id,
            name=spec.bpmn_name,
            topic=spec.topic,
            priority=spec.priority,
            unit_code=row.unit_code,
            business_key=row.business_key,
            variables=json_safe(task.data),
            created_at=now,
        )
        session.add(record)
        loaded.writes.history.append(
            history_row(
                row.id,
                "external_task_created",
                element_id=spec.bpmn_id,
                element_type=type(spec).__name__,
                task_id=task_id,
                data={"topic": spec.topic},
            )
        )
        emit(
            session,
            "external_task.created",
            subject=str(task_id),
            data={
                "task_id": str(task_id),
                "instance_id": str(row.id),
                "process_key": row.process_key,
                "business_key": row.business_key,
                "element_id": spec.bpmn_id,
                "name": spec.bpmn_name,
                "topic": spec.topic,
            },
            units=[row.unit_code],
            instance_id=row.id,
        )


def forget(session: Session, instance_id: uuid.UUID) -> None:
    """An ended (cancelled) instance has no external tasks left."""
    session.execute(delete(ExternalTask).where(ExternalTask.instance_id == instance_id))


# --- actions on the engine task --------------------------------------------------------------


def complete_action(task: Any, variables: dict[str, Any]) -> Callable[[Any], None]:
    """A step action: the worker's variables into the task, then the task completes."""

    def action(_workflow: Any) -> None:
        task.data.update(copy.deepcopy(variables))
        task.run()

    return action


def error_catcher(task: Any, code: str) -> Any:
    """The waiting error boundary event that catches `code` thrown by `task`, or None.

    The task's own boundary events first, then those of each enclosing subprocess or call
    activity, outwards; at each level an event naming the code wins over a catch-all one.
    """
    current = task
    while current is not None:
        parent = current.parent
        if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
            catchers = [
                sibling
                for sibling in parent.children
                if sibling is not current
                and sibling.has_state(TaskState.WAITING)
                and isinstance(
                    getattr(sibling.task_spec, "event_definition", None), ErrorEventDefinition
                )
                and sibling.task_spec.event_definition.code in (None, code)
            ]
            catchers.sort(key=lambda t: t.task_spec.event_definition.code is None)
            if catchers:
                return catchers[0]
        workflow = current.workflow
        parent_id = getattr(workflow, "parent_task_id", None)
        current = workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return None


def throw_action(catcher: Any, code: str, variables: dict[str, Any]) -> Callable[[Any], None]:
    """A step action: the boundary event `catcher` catches BPMN error `code` with `variables`."""

    def action(_workflow: Any) -> None:
        # The variables reach the error path as process data (as Camunda sets them on the
        # execution); a catch event's own `variableName` gets the payload as well.
        catcher.data.update(copy.deepcopy(variables))
        definition = ErrorEventDefinition(code, code=code)
        event = BpmnEvent(definition, payload=copy.deepcopy(variables))
        catcher.task_spec.catch(catcher, event)
        catcher.task_spec._update(catcher)

    return action


# --- incidents -------------------------------------------------------------------------------


def resolve_incident(
    session: Session, incident: Incident, *, actor: str | None
) -> ProcessInstance | None:
    """Mark an incident resolved; its instance runs again when no other incident is open."""
    now = clock.now()
    incident.resolved_at = now
    session.flush()
    row = session.get(ProcessInstance, incident.instance_id)
    if row is None:
        return None
    others = session.scalar(
        select(Incident.id)
        .where(Incident.instance_id == row.id, Incident.resolved_at.is_(None))
        .limit(1)
    )
    if others is None and row.status == "error":
        row.status = "running"
        row.updated_at = now
    values = history_row(
        row.id,
        "incident_resolved",
        actor=actor,
        element_id=incident.element_id,
        data={"incident_id": str(incident.id), "kind": incident.kind},
    )
    session.connection().execute(persist.INSERT_HISTORY, [values])
    session.flush()
    return row
