"""Which BPMN elements are external tasks (外部任务) and with what topic: every `serviceTask`,
and — as Camunda 7 and 8 run them — a `sendTask`, a `businessRuleTask` and a message
intermediate throw or end event that carry a topic (`camunda:type="external"
camunda:topic="…"`, written on a message event's `messageEventDefinition`; Camunda 8's
`zeebe:taskDefinition type`, written as the spiff property `externalTopic` by
parser/dialects.py). A worker fetches and completes them; the flow continues after completion.
"""

from typing import Any

from lxml import etree

from app.engine.specs.external import ExternalTaskSpec

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
TOPIC_PROPERTY = "externalTopic"
PRIORITY_PROPERTY = "externalTaskPriority"
# Elements that are external tasks when they carry a topic (a serviceTask always is one).
OPTIONAL_HOLDERS = ("sendTask", "businessRuleTask", "intermediateThrowEvent", "endEvent")
_EVENTS = ("intermediateThrowEvent", "endEvent")
_MESSAGE = f"{{{BPMN_NS}}}messageEventDefinition"


def implementation(element: Any) -> Any:
    """The node that carries `camunda:` implementation attributes: a message event's
    `messageEventDefinition` (as Camunda Modeler writes it), else the element itself."""
    if etree.QName(element).localname in _EVENTS:
        definition = element.find(_MESSAGE)
        if definition is not None:
            return definition
    return element


def camunda_attribute(element: Any, name: str) -> str | None:
    """A `camunda:` attribute of the element or of its message event definition."""
    value = element.get(f"{{{CAMUNDA_NS}}}{name}")
    if value is None:
        value = implementation(element).get(f"{{{CAMUNDA_NS}}}{name}")
    return value


def topic_of(element: Any) -> str | None:
    """The topic written on an element (Camunda attribute or spiff property)."""
    topic = camunda_attribute(element, "topic")
    if topic is None:
        topic = spiff_property(element, TOPIC_PROPERTY)
    return topic.strip() if topic is not None else None


def priority_of(element: Any) -> str | None:
    """The priority written on an element (`camunda:taskPriority` or the spiff property)."""
    value = camunda_attribute(element, "taskPriority")
    if value is None:
        value = spiff_property(element, PRIORITY_PROPERTY)
    return value.strip() if value is not None else None


def spiff_property(element: Any, name: str) -> str | None:
    """A spiff extension property of the element, or None."""
    path = f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    for prop in element.iterfind(path):
        if prop.get("name") == name:
            value: str = prop.get("value", "")
            return value
    return None


def is_external(element: Any) -> bool:
    """Whether an element runs as an external task: a service task, or a send task, business
    rule task or message throw/end event with `camunda:type`, a topic or `externalTopic`."""
    kind = etree.QName(element).localname
    if kind == "serviceTask":
        return True
    if kind not in OPTIONAL_HOLDERS:
        return False
    if kind in _EVENTS and element.find(_MESSAGE) is None:
        return False
    return camunda_attribute(element, "type") is not None or topic_of(element) is not None


def external_task(parser: Any) -> Any:
    """The `ExternalTaskSpec` a task parser builds for its node (checked at deploy)."""
    extensions = parser.parse_extensions()
    priority = priority_of(parser.node)
    return ExternalTaskSpec(
        parser.spec,
        parser.bpmn_id,
        topic=topic_of(parser.node) or "",
        priority=int(priority) if priority else 0,
        prescript=extensions.get("preScript"),
        postscript=extensions.get("postScript"),
        **parser.bpmn_attributes,
    )
