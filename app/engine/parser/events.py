"""Reading the events SpiffWorkflow 3.2 leaves unfinished (see `app.engine.specs.events`):
event-based gateways, event subprocesses (armed when their scope starts) and link events (链接
事件: a throw link continues at the catch link of the same name in the same process or
subprocess; SpiffWorkflow reads both as plain events and the flow stops at the throw).
"""

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffEndEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffIntermediateThrowEventParser,
    SpiffReceiveTaskParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser, SubWorkflowParser
from SpiffWorkflow.spiff.specs.defaults import SubWorkflowTask

from app.engine.parser import compensation, topics
from app.engine.script import expressions
from app.engine.specs import events
from app.engine.specs.compensation import CompensationEndEvent, CompensationThrowEvent

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_LINK = f"{{{BPMN_NS}}}linkEventDefinition"


def link_name(element: Any) -> str | None:
    """The link name of an intermediate event with a link definition ("" unnamed), else None."""
    link = element.find(_LINK)
    if link is None:
        return None
    return (link.get("name") or "").strip()


def _link_catches(scope: Any, name: str) -> list[Any]:
    return [
        e for e in scope.iterfind(f"{{{BPMN_NS}}}intermediateCatchEvent") if link_name(e) == name
    ]


def link_problems(root: Any) -> list[dict[str, Any]]:
    """Every throw link must name exactly one catch link in its own process or subprocess."""
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}intermediateThrowEvent"):
        name = link_name(element)
        if name is None:
            continue
        catches = _link_catches(element.getparent(), name) if name else []
        if not name:
            message = "a link event needs a name (linkEventDefinition name)"
        elif not catches:
            message = f"link '{name}' has no catching link event in the same process"
        elif len(catches) > 1:
            message = f"link '{name}' has {len(catches)} catching link events: it must be one"
        else:
            continue
        problems.append(_problem(element, message))
    for element in root.iter(f"{{{BPMN_NS}}}intermediateCatchEvent"):
        if link_name(element) == "":
            problems.append(
                _problem(element, "a link event needs a name (linkEventDefinition name)")
            )
    return problems


_TRIGGERS = {
    "messageEventDefinition",
    "timerEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "conditionalEventDefinition",
}


# Why a compensation event subprocess cannot run (app/engine/specs/compensation.py): a throw
# runs its scope's handlers inside its own step, each a script task hung on a completed activity
# of that scope; this one would be the handler of a whole subprocess that has already ended
# (its state pruned), run inside that ended scope, and may wait.
_COMPENSATION_SUBPROCESS = (
    "a compensation event subprocess is not supported: Ducha compensates a completed activity "
    "with the script task its compensation boundary event names, run in the throw event's "
    "step, and keeps no ended subprocess to run a handler in; attach a compensation boundary "
    "event with a script-task handler to the subprocess instead"
)


def event_subprocess_problems(root: Any) -> list[dict[str, Any]]:
    """An event subprocess starts with one start event of one trigger that can be honoured."""
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}subProcess"):
        if element.get("triggeredByEvent", "false").strip().lower() != "true":
            continue
        starts = element.findall(f"{{{BPMN_NS}}}startEvent")
        if len(starts) != 1:
            message = "an event subprocess needs exactly one start event"
            problems.append(_problem(element, message))
            continue
        (start,) = starts
        triggers = [c for c in start if etree.QName(c).localname in _TRIGGERS]
        interrupting = start.get("isInterrupting", "true").strip().lower() != "false"
        if not triggers and start.find(f"{{{BPMN_NS}}}compensateEventDefinition") is not None:
            message = _COMPENSATION_SUBPROCESS
        elif len(triggers) != 1:
            message = (
                "the start event of an event subprocess needs one trigger: a message, timer, "
                "signal, error, escalation or conditional event definition"
            )
        elif etree.QName(triggers[0]).localname == "errorEventDefinition" and not interrupting:
            message = 'an error start event always interrupts: remove isInterrupting="false"'
        else:
            continue
        problems.append(_problem(start, message))
    return problems


def _problem(element: Any, message: str) -> dict[str, Any]:
    return {"element_id": element.get("id"), "message": message, "line": element.sourceline}


# --- conditional events --------------------------------------------------------------------


class ConditionalEvent(ConditionalEventDefinition):
    """条件事件: fires when its condition holds — when reached, and after each step that changed
    the instance's data (`app.engine.runtime.advance` evaluates waiting ones then). A variable
    the condition reads that is not set yet makes it false, not a failure."""

    def has_fired(self, my_task: Any) -> bool:
        try:
            return bool(super().has_fired(my_task))
        except Exception as exc:  # SpiffWorkflow wraps our error without `from`
            if not _reads_unset_variable(exc):
                raise
            my_task._set_internal_data(has_fired=False)
            return False


def _reads_unset_variable(exc: BaseException | None) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, expressions.NameUndefined):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _conditions(process_parser: Any) -> None:
    """Every conditional event of a process gets `ConditionalEvent`, its condition audited."""
    for task_spec in process_parser.spec.task_specs.values():
        definition: Any = getattr(task_spec, "event_definition", None)
        if type(definition) is not ConditionalEventDefinition:
            continue
        text = (definition.expression or "").strip()
        try:
            expressions.check_expression(text)
        except expressions.ExpressionRefused as exc:
            (node,) = process_parser.node.xpath(".//*[@id=$id]", id=task_spec.bpmn_id)
            raise ValidationException(
                f"condition refused: {exc.reason}", node=node, file_name=process_parser.filename
            ) from exc
        task_spec.event_definition = ConditionalEvent(text, description=definition.description)


# --- start, end and link events ------------------------------------------------------------


class StartParser(SpiffStartEventParser):
    """A start event; in an event subprocess also an error or escalation start (SpiffWorkflow
    reads those as plain starts, which fire at once)."""

    def create_task(self) -> Any:
        definition = self.get_event_definition(
            [
                MESSAGE_EVENT_XPATH,
                SIGNAL_EVENT_XPATH,
                TIMER_EVENT_XPATH,
                CONDITIONAL_EVENT_XPATH,
                ERROR_EVENT_XPATH,
                ESCALATION_EVENT_XPATH,
            ]
        )
        if isinstance(definition, ConditionalEventDefinition):
            _check_conditional_start(self)
        task = self._create_task(definition)
        self.spec.start.connect(task)
        return task


def _check_conditional_start(parser: Any) -> None:
    """A process's conditional start is fired by `POST /conditions` and must be its only start
    (an instance started otherwise would keep it waiting, a second token); a subprocess's start
    is a none start."""
    parent = parser.node.getparent()
    if _in_event_subprocess(parser.node):
        return
    if etree.QName(parent).localname != "process":
        parser.raise_validation_exception(
            "a conditional start event starts a process or an event subprocess, not an "
            "embedded subprocess (its start is a none start event)"
        )
    if len(parent.findall(f"{{{BPMN_NS}}}startEvent")) > 1:
        parser.raise_validation_exception(
            "a conditional start event must be its process's only start event: POST "
            "/api/v1/conditions starts the process when its condition holds"
        )


def _in_event_subprocess(node: Any) -> bool:
    parent = node.getparent()
    return (
        etree.QName(parent).localname == "subProcess"
        and parent.get("triggeredByEvent", "false").strip().lower() == "true"
    )


class EndParser(SpiffEndEventParser):
    """An end event; also a signal end event (SpiffWorkflow reads it as a plain end, and the
    signal is never thrown); a message end event with an external topic is an external task."""

    def create_task(self) -> Any:
        if topics.is_external(self.node):  # a message end event a worker sends
            task = topics.external_task(self)
            task.connect(self.spec.end)
            return task
        compensate = compensation.definition(self.node)
        if compensate is not None:
            self.spec_class = CompensationEndEvent
        definition = self.get_event_definition(
            [
                MESSAGE_EVENT_XPATH,
                SIGNAL_EVENT_XPATH,
                CANCEL_EVENT_XPATH,
                ERROR_EVENT_XPATH,
                ESCALATION_EVENT_XPATH,
                TERMINATION_EVENT_XPATH,
            ]
        )
        task = self._create_task(definition)
        task.connect(self.spec.end)
        if compensate is not None:
            task.activity = compensate.get("activityRef") or None
        return task


class LinkThrowParser(SpiffIntermediateThrowEventParser):
    """An intermediate throw event; a throw link flows on to its catch link; a compensation
    throw compensates; a message throw with an external topic is an external task."""

    def create_task(self) -> Any:
        if topics.is_external(self.node):  # a message throw event a worker sends
            return topics.external_task(self)
        compensate = compensation.definition(self.node)
        if compensate is None:
            return super().create_task()
        self.spec_class = CompensationThrowEvent
        task = super().create_task()
        task.activity = compensate.get("activityRef") or None
        return task

    def parse_node(self) -> Any:
        task = super().parse_node()
        name = link_name(self.node)
        if name:  # checked at deploy: exactly one catch of that name in the same scope
            (catch,) = _link_catches(self.node.getparent(), name)
            task.connect(self.process_parser.parse_node(catch))
        return task


class EventGatewayParser(SpiffTaskParser):
    """An event-based gateway: a plain split, its events keep their own definitions."""

    def create_task(self) -> Any:
        if self.node.get("eventGatewayType", "Exclusive") != "Exclusive":
            self.raise_validation_exception(
                'only exclusive event-based gateways run (eventGatewayType="Parallel" waits for '
                "all events, which Ducha does not do)"
            )
        return super().create_task()

    def handles_multiple_outgoing(self) -> bool:
        return True


class EventSubprocessParser(SubWorkflowParser):
    """An embedded subprocess; an event subprocess (`triggeredByEvent="true"`, which
    SpiffWorkflow looks for in the BPMN namespace and so never finds) learns whether its start
    event interrupts."""

    def create_task(self) -> Any:
        if self.node.get("triggeredByEvent", "false").strip().lower() != "true":
            return super().create_task()
        self.spec_class = events.EventSubprocess
        task = super().create_task()
        start = self.node.find(f"{{{BPMN_NS}}}startEvent")
        value = start.get("isInterrupting", "true") if start is not None else "true"
        task.interrupting = value.strip().lower() != "false"
        return task


class ScopeProcessParser(SpiffProcessParser):
    """A process or subprocess whose event subprocesses are armed when it starts."""

    def create_spec(self) -> Any:
        super().create_spec()  # SpiffWorkflow's checks (an executable process)
        self.compensation = compensation.take_boundaries(self)
        return events.ScopeProcessSpec(
            name=self.bpmn_id, description=self.get_name(), filename=self.filename
        )

    def add_tasks(self) -> None:
        super().add_tasks()
        # SpiffWorkflow starts these only for events reaching the top workflow: arm them here.
        start = self.spec.start
        for name in start.trigger_specs:
            task_spec = self.spec.task_specs[name]
            if task_spec not in start.outputs:
                start.connect(task_spec)
                task_spec.connect(self.spec.end)
        start.trigger_specs = []
        _conditions(self)
        compensation.attach(self, self.compensation)
        self.spec.has_event_subprocesses = any(
            isinstance(t, events.EventSubprocess) for t in self.spec.task_specs.values()
        )


PARSER_CLASSES: dict[str, Any] = {
    full_tag("eventBasedGateway"): (EventGatewayParser, events.EventBasedGateway),
    full_tag("intermediateCatchEvent"): (
        SpiffIntermediateCatchEventParser,
        events.IntermediateCatchEvent,
    ),
    full_tag("intermediateThrowEvent"): (LinkThrowParser, IntermediateThrowEvent),
    full_tag("subProcess"): (EventSubprocessParser, SubWorkflowTask),
    full_tag("receiveTask"): (SpiffReceiveTaskParser, events.ReceiveTask),
    full_tag("startEvent"): (StartParser, events.StartEvent),
    full_tag("endEvent"): (EndParser, EndEvent),
}
