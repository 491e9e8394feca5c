"""Reading external tasks from BPMN (外部任务): a `serviceTask` with a topic — Camunda Modeler's
`camunda:type="external" camunda:topic="…"`, the spiff extension property `externalTopic`, or
Camunda 8's `zeebe:taskDefinition type` (written as that property by parser/dialects.py) —
becomes an `ExternalTaskSpec`; any other service task is refused at deploy. Send tasks,
business rule tasks and message throw/end events with a topic are external tasks too
(`app.engine.parser.topics`).
"""

from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.event_parsers import SpiffSendTaskParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser, SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import SendTask

from app.engine.parser import decision_tasks, events, topics
from app.engine.specs import calls
from app.engine.specs.external import ExternalTaskSpec

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
TOPIC_PROPERTY = topics.TOPIC_PROPERTY
PRIORITY_PROPERTY = topics.PRIORITY_PROPERTY
MAX_TOPIC = 255
# Camunda 7 service task implementations that run code in the engine (refused).
_CODE_ATTRIBUTES = ("class", "delegateExpression", "expression")
# A topic is a literal name: letters (any script), digits and `_ - . : /`.
_TOPIC_PUNCTUATION = set("_-.:/")

topic_of = topics.topic_of
priority_of = topics.priority_of


def service_task_problems(root: Any) -> list[dict[str, Any]]:
    """Every `serviceTask` must be an external task with a literal topic, and so must a send
    task, business rule task or message throw/end event that says it is one (else 422)."""
    problems = []
    holders = [f"{{{BPMN_NS}}}{k}" for k in ("serviceTask", *topics.OPTIONAL_HOLDERS)]
    for element in root.iter(*holders):
        if not topics.is_external(element):
            continue
        message = _problem(element)
        if message is not None:
            problems.append(
                {"element_id": element.get("id"), "message": message, "line": element.sourceline}
            )
    return problems


def _problem(element: Any) -> str | None:
    kind = topics.camunda_attribute(element, "type")
    topic = topic_of(element)
    code = next((a for a in _CODE_ATTRIBUTES if element.get(f"{{{CAMUNDA_NS}}}{a}")), None)
    what = etree.QName(element).localname
    if code is not None:
        return (
            f"camunda:{code}: runs code inside the engine, which Ducha does not allow: use "
            'an external task (camunda:type="external" camunda:topic="…") and a worker'
        )
    if kind is not None and kind != "external":
        return f'{what}s of camunda:type="{kind}" are not supported: use "external"'
    if not topic:
        if what != "serviceTask":
            return f'an external {what} needs a topic: set camunda:topic="…" or externalTopic'
        return (
            "service tasks are not supported without an external task topic: set "
            'camunda:type="external" camunda:topic="…" or the property externalTopic'
        )
    if not valid_topic(topic):
        return (
            f"topic '{topic[:80]}' is not a name: letters, digits and _ - . : / only, "
            f"at most {MAX_TOPIC} characters (expressions are not allowed)"
        )
    if not _valid_priority(priority_of(element)):
        return "the external task priority must be an integer"
    return None


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


class ExternalTaskParser(SpiffTaskParser):
    """Parses a `serviceTask` with a topic (checked at deploy by `service_task_problems`)."""

    def create_task(self) -> Any:
        return topics.external_task(self)


class SendTaskParser(SpiffSendTaskParser):
    """A send task; one with an external topic is an external task (the worker sends)."""

    def create_task(self) -> Any:
        if topics.is_external(self.node):
            return topics.external_task(self)
        return super().create_task()


class DuchaBpmnParser(SpiffBpmnParser):
    """The spiff parser, with service tasks read as external tasks, business rule tasks as tasks
    evaluating a deployed decision table, and the events SpiffWorkflow leaves unfinished
    completed (`app.engine.parser.events`)."""

    PROCESS_PARSER_CLASS = events.ScopeProcessParser
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        **events.PARSER_CLASSES,
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTaskSpec),
        full_tag("sendTask"): (SendTaskParser, SendTask),
        full_tag("businessRuleTask"): decision_tasks.PARSER,
        full_tag("callActivity"): (CallActivityParser, calls.CallActivity),
    }


def has_external_tasks(process_specs: list[Any]) -> bool:
    """Whether any of these process specs has an external task (then steps sync the table)."""
    return any(
        isinstance(task_spec, ExternalTaskSpec)
        for spec in process_specs
        for task_spec in spec.task_specs.values()
    )
