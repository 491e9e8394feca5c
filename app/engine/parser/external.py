"""Reading external tasks from BPMN (外部任务): a `serviceTask` with a topic — Camunda Modeler's
`camunda:type="external" camunda:topic="…"`, the spiff extension property `externalTopic`, or
Camunda 8's `zeebe:taskDefinition type` (written as that property by parser/dialects.py) —
becomes an `ExternalTaskSpec`; any other service task is refused at deploy.
"""

from typing import Any, ClassVar

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser, SpiffTaskParser

from app.engine.parser import decision_tasks, events
from app.engine.specs import calls
from app.engine.specs.external import ExternalTaskSpec

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
TOPIC_PROPERTY = "externalTopic"
PRIORITY_PROPERTY = "externalTaskPriority"
MAX_TOPIC = 255
# Camunda 7 service task implementations that run code in the engine (refused).
_CODE_ATTRIBUTES = ("class", "delegateExpression", "expression")
# A topic is a literal name: letters (any script), digits and `_ - . : /`.
_TOPIC_PUNCTUATION = set("_-.:/")


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
        code = next((a for a in _CODE_ATTRIBUTES if element.get(f"{{{CAMUNDA_NS}}}{a}")), None)
        if code is not None:
            message = (
                f"camunda:{code}: runs code inside the engine, which Ducha does not allow: use "
                'an external task (camunda:type="external" camunda:topic="…") and a worker'
            )
        elif kind is not None and kind != "external":
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
    """The spiff parser, with service tasks read as external tasks, business rule tasks as tasks
    evaluating a deployed decision table, and the events SpiffWorkflow leaves unfinished
    completed (`app.engine.parser.events`)."""

    PROCESS_PARSER_CLASS = events.ScopeProcessParser
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        **events.PARSER_CLASSES,
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTaskSpec),
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
