"""Reading compensation (see `app.engine.specs.compensation`): SpiffWorkflow 3.2 refuses a
compensation boundary event with its own NotImplementedError text and reads a compensation throw
event as a plain event (nothing compensated, silently). Here, per process or subprocess, the
compensation boundary events leave the XML before SpiffWorkflow reads it, their handlers are
parsed and hung on the activities, and throw events become compensation throws.
"""

from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_COMPENSATE = f"{{{BPMN_NS}}}compensateEventDefinition"


def definition(node: Any) -> Any:
    """The compensateEventDefinition of an event node, or None."""
    return node.find(_COMPENSATE)


@dataclass
class ScopeCompensation:
    """A scope's compensable activities: activity id → its handler's XML node."""

    handlers: dict[str, Any] = field(default_factory=dict)


def take_boundaries(process_parser: Any) -> ScopeCompensation:
    """Remove the scope's compensation boundary events from its XML, keeping which handler
    each activity has; a boundary without exactly one handler is refused."""
    scope = process_parser.node
    found = ScopeCompensation()
    for boundary in scope.findall(f"{{{BPMN_NS}}}boundaryEvent"):
        if definition(boundary) is None:
            continue
        handler = _handler(scope, boundary, process_parser.filename)
        attached = boundary.get("attachedToRef")
        found.handlers[attached] = handler
        scope.remove(boundary)
        indexed = process_parser.boundary_events_by_attached.get(attached, [])
        if boundary in indexed:
            indexed.remove(boundary)
    return found


def _handler(scope: Any, boundary: Any, file_name: str) -> Any:
    targets = [
        a.get("targetRef")
        for a in scope.iter(f"{{{BPMN_NS}}}association")
        if a.get("sourceRef") == boundary.get("id")
    ]
    nodes = [n for n in scope if isinstance(n.tag, str) and n.get("id") in targets]
    if len(nodes) != 1:
        raise ValidationException(
            "a compensation boundary event needs one handler: an activity with "
            'isForCompensation="true" joined to it by an association',
            node=boundary,
            file_name=file_name,
        )
    (handler,) = nodes
    if handler.get("isForCompensation", "false").strip().lower() != "true":
        raise ValidationException(
            'a compensation handler must be marked isForCompensation="true"',
            node=handler,
            file_name=file_name,
        )
    return handler


def attach(process_parser: Any, found: ScopeCompensation) -> None:
    """Parse each handler and hang it on its activity; check the scope's throw events."""
    spec = process_parser.spec
    for activity_id, node in found.handlers.items():
        handler = process_parser.parse_node(node)
        if not isinstance(handler, ScriptTask) or handler.outputs:
            raise ValidationException(
                "a compensation handler must be a script task without outgoing flows: Ducha "
                "runs handlers inside the compensation throw event's step, so one that waits "
                "for a person, a message or a subprocess cannot run there",
                node=node,
                file_name=process_parser.filename,
            )
        activity = spec.task_specs.get(activity_id)
        if activity is not None:
            activity.compensation_handler = handler
    spec.has_compensation = bool(found.handlers)
    for throw in _throws(process_parser.node):
        ref = definition(throw).get("activityRef")
        if ref and ref not in found.handlers:
            raise ValidationException(
                f"compensation of '{ref}': that activity has no compensation boundary event "
                "in this process or subprocess",
                node=throw,
                file_name=process_parser.filename,
            )


def _throws(scope: Any) -> list[Any]:
    return [
        node
        for node in scope
        if isinstance(node.tag, str)
        and etree.QName(node).localname in ("intermediateThrowEvent", "endEvent")
        and definition(node) is not None
    ]
