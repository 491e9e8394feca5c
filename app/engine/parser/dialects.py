"""Modelers' dialects (建模工具方言): Camunda 7 `camunda:` and Camunda 8 `zeebe:` attributes and
extensions, read into what Ducha runs or refused naming the element and the attribute.

`translate` rewrites the lxml tree in place, before the XSD check and the spiff parser: what Ducha
can honour becomes the spiff extensions it already reads (properties `candidateGroups`, `dueDate`,
`formJsonSchemaFilename`, `externalTopic`; `preScript`/`postScript` lines for input/output and
call activity mappings; a call activity's `calledElement`). Whatever decides who does a task or
what runs and cannot be honoured is a problem (422); what changes nothing at run time is a warning.
Camunda 7 reads the namespace it inherited from Activiti 5 (`http://activiti.org/bpmn`) as its
own, and so does Ducha: its attributes and extensions are read exactly as `camunda:` ones.
"""

import ast
import json
import keyword
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from app.engine.script import expressions
from app.engine.specs.timeutil import parse_due

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
# Namespaces whose attributes Ducha never needs to read (schema typing, layout colours).
_QUIET_NS = {"http://www.w3.org/2001/XMLSchema-instance", "http://www.w3.org/XML/1998/namespace"}
_LAYOUT_NS = {
    "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
}
# Camunda 7's parser takes this namespace as another name for its own (Camunda forked Activiti 5).
ACTIVITI_NS = "http://activiti.org/bpmn"
_REFUSED_NS = {
    "http://flowable.org/bpmn": "Flowable",
    "http://activiti.org/bpmn/extensions": "Activiti",
}
# Elements whose spiff spec runs pre- and post-scripts (where input/output mappings can go).
_SCRIPTED = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "businessRuleTask",
}  # fmt: skip
_MAX_LITERAL = 200
# camunda: attributes of a service task that parser/external.py reads (or refuses) itself.
_EXTERNAL = {"type", "topic", "taskPriority", "class", "delegateExpression", "expression"}
# What makes a send task or a message throw/end event an external task (parser/topics.py);
# Camunda Modeler writes it on the event's messageEventDefinition.
_EXTERNAL_TOPIC = {"type", "topic", "taskPriority"}
_TOPIC_HOLDERS = {
    "serviceTask",
    "sendTask",
    "businessRuleTask",
    "intermediateThrowEvent",
    "endEvent",
}

_ASYNC = "Ducha runs each step in the request that reaches it: no asynchronous continuation"
_MODELER = "modeler metadata, not read at run time"
_CODE = (
    "runs code inside the engine, which Ducha does not allow: use an external task "
    '(camunda:type="external" camunda:topic="…") and a worker'
)
_CAMUNDA_FORMS = "Camunda Forms are not supported: name a JSON Schema form file (`name.json`)"
_PERSONS = (
    "Ducha gives tasks to roles (candidateGroups) in a unit (candidateUnit); a person takes a "
    "task by claiming it or being assigned it over the API"
)
_STARTERS = "who may start a process is decided by Ducha's roles, not by the diagram"
_CODE_VARIABLE = "the caught code is not written into a variable: catch each code on its own event"
_VERSIONS = "Ducha calls the version of the called process that was latest at deploy"
_DMN = "a decision (DMN) is referenced by a businessRuleTask only, which binds its latest version"
_LISTENERS = "listeners run code inside the engine, which Ducha does not allow"
_DATA_STORE = (
    "data stores are drawn only: Ducha neither reads nor writes them (nor their data associations)"
)

# camunda: attributes that change nothing at run time.
CAMUNDA_WARNINGS = {
    "asyncBefore": _ASYNC,
    "asyncAfter": _ASYNC,
    "async": _ASYNC,
    "exclusive": _ASYNC,
    "jobPriority": "Ducha's jobs have no priority",
    "versionTag": "Ducha numbers each deployed version itself",
    "historyTimeToLive": "Ducha keeps every instance's history",
    "isStartableInTasklist": _STARTERS,
    "followUpDate": "Ducha's tasks have a due date only",
    "priority": "Ducha's user tasks have no priority",
    "modelerTemplate": _MODELER,
    "modelerTemplateVersion": _MODELER,
    "diagramRelationId": _MODELER,
}
# camunda: attributes that would decide who does a task or what runs, and cannot be honoured.
CAMUNDA_REFUSALS = {
    "candidateUsers": _PERSONS,
    "assignee": _PERSONS,
    "class": _CODE,
    "delegateExpression": _CODE,
    "expression": _CODE,
    "formHandlerClass": _CODE,
    "variableMappingClass": _CODE,
    "variableMappingDelegateExpression": _CODE,
    "formRef": _CAMUNDA_FORMS,
    "formRefBinding": _CAMUNDA_FORMS,
    "formRefVersion": _CAMUNDA_FORMS,
    "candidateStarterGroups": _STARTERS,
    "candidateStarterUsers": _STARTERS,
    "initiator": "the starter's id is not written into the instance's variables",
    "errorCodeVariable": _CODE_VARIABLE,
    "errorMessageVariable": _CODE_VARIABLE,
    "escalationCodeVariable": _CODE_VARIABLE,
    "calledElementVersion": _VERSIONS,
    "calledElementVersionTag": _VERSIONS,
    "calledElementTenantId": "Ducha has no tenants",
    "tenantId": "Ducha has no tenants",
    "caseRef": "CMMN cases are not supported",
    "caseBinding": "CMMN cases are not supported",
    "caseVersion": "CMMN cases are not supported",
    "decisionRef": _DMN,
    "decisionRefBinding": _DMN,
    "decisionRefVersion": _DMN,
    "mapDecisionResult": _DMN,
    "resource": "scripts from outside the diagram are not supported: write the script in it",
}
# Read on a businessRuleTask by app/engine/parser/decision_tasks.py (refused anywhere else); its
# implementations other than a decision (class, delegateExpression, expression, type, topic) are
# refused there, in its words.
_DECISION_TASK = frozenset(
    {"decisionRef", "decisionRefBinding", "mapDecisionResult", "resultVariable"}
    | {"class", "delegateExpression", "expression", "type", "topic", "taskPriority"}
)
CAMUNDA_EXTENSION_WARNINGS = {
    "failedJobRetryTimeCycle": "Ducha's timers and workers retry on their own terms",
}
CAMUNDA_EXTENSION_REFUSALS = {
    "executionListener": _LISTENERS,
    "taskListener": _LISTENERS,
    "field": _CODE,
    "connector": _CODE,
    "script": _CODE,
    "errorEventDefinition": "external task error mappings are not supported",
    "formData": "generated forms are not supported: name a JSON Schema form file (`name.json`)",
    "formProperty": "generated forms are not supported: name a JSON Schema form file (`name.json`)",
    "potentialStarter": _STARTERS,
}
ZEEBE_EXTENSION_WARNINGS = {
    "userTask": "Ducha runs every user task itself (no job-worker user tasks)",
    "versionTag": "Ducha numbers each deployed version itself",
    "priorityDefinition": "Ducha's user tasks have no priority",
}
ZEEBE_EXTENSION_REFUSALS = {
    "executionListeners": _LISTENERS,
    "taskListeners": _LISTENERS,
    "taskHeaders": "task headers are not passed to Ducha's external task workers",
    "userTaskForm": _CAMUNDA_FORMS,
    "calledDecision": _DMN,
    "script": "FEEL script tasks are not supported: write the script in bpmn:script",
    "loopCharacteristics": "FEEL multi-instance settings are not supported: use BPMN's own",
    "subscription": "FEEL message correlation keys are not supported",
}


@dataclass
class Reading:
    """What reading the dialects found: problems (refused, 422) and warnings (ignored)."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, element: Any, attribute: str, message: str) -> None:
        """Record a refusal naming the element and the attribute."""
        self.problems.append(
            {
                "element_id": _owner_id(element),
                "attribute": attribute,
                "message": f"{attribute}: {message}",
                "line": element.sourceline,
            }
        )

    def warn(self, element: Any, attribute: str, message: str) -> None:
        """Record a warning naming the element and the attribute."""
        warning = {"element_id": _owner_id(element), "attribute": attribute, "message": message}
        if warning not in self.warnings:
            self.warnings.append(warning)


def translate(root: Any) -> Reading:
    """Read every vendor attribute and extension of a document into spiff extensions, in place."""
    reading = Reading()
    _activiti_as_camunda(root)
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN_NS:
            continue
        if etree.QName(element).localname == "dataStoreReference":
            reading.warn(element, "dataStoreReference", _DATA_STORE)
        _read_attributes(element, reading)
        extensions = element.find(f"{{{BPMN_NS}}}extensionElements")
        if extensions is None or extensions.getparent() is not element:
            continue
        for child in list(extensions):
            if isinstance(child.tag, str):
                _read_extension(element, child, reading)
    _read_layout(root, reading)
    return reading


def _activiti_as_camunda(root: Any) -> None:
    """Activiti 5 attributes and extension elements renamed into Camunda's namespace, in place
    (as Camunda 7 reads them); one also written in Camunda's keeps the Camunda value."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).namespace == ACTIVITI_NS:
            element.tag = f"{{{CAMUNDA_NS}}}{etree.QName(element).localname}"
        for name in [n for n in element.attrib if etree.QName(n).namespace == ACTIVITI_NS]:
            value = element.attrib.pop(name)
            camunda = f"{{{CAMUNDA_NS}}}{etree.QName(name).localname}"
            if element.get(camunda) is None:
                element.set(camunda, value)


def _read_layout(root: Any, reading: Reading) -> None:
    """Colours on shapes: one warning per attribute, not one per shape."""
    seen = set()
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace == BPMN_NS:
            continue
        for name in element.attrib:
            qname = etree.QName(name)
            if qname.namespace in _LAYOUT_NS and qname.localname not in seen:
                seen.add(qname.localname)
                reading.warn(element, _prefixed(element, qname), "layout and colours are not read")


def _read_attributes(element: Any, reading: Reading) -> None:
    for name, value in list(element.attrib.items()):
        qname = etree.QName(name)
        if qname.namespace is None or qname.namespace in _QUIET_NS:
            continue
        if qname.namespace == CAMUNDA_NS:
            _read_camunda_attribute(element, qname.localname, value, reading)
        elif qname.namespace in (ZEEBE_NS, MODELER_NS) or qname.namespace in _LAYOUT_NS:
            reading.warn(element, _prefixed(element, qname), _MODELER)
        elif qname.namespace in _REFUSED_NS:
            dialect = _REFUSED_NS[qname.namespace]
            message = f"the {dialect} dialect is not read: use camunda: or spiffworkflow:"
            reading.refuse(element, _prefixed(element, qname), message)
        else:
            reading.warn(element, _prefixed(element, qname), "vendor attribute, not read")


def _read_camunda_attribute(element: Any, name: str, value: str, reading: Reading) -> None:
    attribute = f"camunda:{name}"
    kind = etree.QName(element).localname
    if name in CAMUNDA_WARNINGS:
        reading.warn(element, attribute, CAMUNDA_WARNINGS[name])
    elif name in _EXTERNAL and kind == "serviceTask":
        return  # external tasks (and code implementations): read and checked by parser/external.py
    elif name in _EXTERNAL_TOPIC and _may_send_externally(element):
        return  # an external send task or message throw/end event: parser/external.py
    elif name in _DECISION_TASK and kind == "businessRuleTask":
        return  # the decision it evaluates: read and checked by parser/decision_tasks.py
    elif name in CAMUNDA_REFUSALS:
        reading.refuse(element, attribute, CAMUNDA_REFUSALS[name])
    elif name == "taskPriority" and kind == "process":
        reading.warn(element, attribute, "set the priority on each external task")
    elif name in ("candidateGroups", "dueDate", "formKey") and kind == "userTask":
        _USER_TASK_READERS[name](element, attribute, value, _camunda_value, reading)
    elif name == "resultVariable" and kind == "scriptTask":
        _result_variable(element, attribute, value, reading)
    elif name == "calledElementBinding" and kind == "callActivity":
        if value in ("latest", "deployment"):
            reading.warn(element, attribute, _VERSIONS)
        else:
            reading.refuse(element, attribute, f"binding '{value}': {_VERSIONS}")
    else:
        reading.refuse(element, attribute, f"not understood by Ducha on a {kind}")


def _read_extension(element: Any, child: Any, reading: Reading) -> None:
    qname = etree.QName(child)
    if qname.namespace == SPIFF_NS:
        return
    if qname.namespace == CAMUNDA_NS:
        _read_camunda_extension(element, child, qname.localname, reading)
    elif qname.namespace == ZEEBE_NS:
        _read_zeebe_extension(element, child, qname.localname, reading)
    elif qname.namespace in _REFUSED_NS:
        dialect = _REFUSED_NS[qname.namespace]
        message = f"the {dialect} dialect is not read: use camunda: or spiffworkflow:"
        reading.refuse(element, _prefixed(child, qname), message)
    else:
        reading.warn(element, _prefixed(child, qname), "vendor extension, not read")


def _read_camunda_extension(element: Any, child: Any, name: str, reading: Reading) -> None:
    attribute = f"camunda:{name}"
    kind = etree.QName(element).localname
    if name in CAMUNDA_EXTENSION_WARNINGS:
        reading.warn(element, attribute, CAMUNDA_EXTENSION_WARNINGS[name])
    elif name in CAMUNDA_EXTENSION_REFUSALS:
        reading.refuse(element, attribute, CAMUNDA_EXTENSION_REFUSALS[name])
    elif name == "properties":
        for prop in child.iterfind(f"{{{CAMUNDA_NS}}}property"):
            _set_property(element, prop.get("name") or "", prop.get("value") or "", reading)
    elif name == "inputOutput":
        _camunda_input_output(element, child, reading)
    elif name in ("in", "out") and kind == "callActivity":
        _camunda_call_mapping(element, child, name, reading)
    else:
        reading.refuse(element, attribute, f"not understood by Ducha on a {kind}")


def _read_zeebe_extension(element: Any, child: Any, name: str, reading: Reading) -> None:
    attribute = f"zeebe:{name}"
    kind = etree.QName(element).localname
    if name in ZEEBE_EXTENSION_WARNINGS:
        reading.warn(element, attribute, ZEEBE_EXTENSION_WARNINGS[name])
    elif name in ZEEBE_EXTENSION_REFUSALS:
        reading.refuse(element, attribute, ZEEBE_EXTENSION_REFUSALS[name])
    elif name == "properties":
        for prop in child.iterfind(f"{{{ZEEBE_NS}}}property"):
            _set_property(element, prop.get("name") or "", prop.get("value") or "", reading)
    elif name == "taskDefinition" and kind in _TOPIC_HOLDERS:
        _zeebe_task_definition(element, child, reading)
    elif kind == "userTask" and name in _ZEEBE_USER_TASK:
        for key, value in child.attrib.items():
            _zeebe_user_task_attribute(element, name, key, value, reading)
    elif name == "ioMapping" and kind in _SCRIPTED:
        _zeebe_io_mapping(element, child, reading)
    elif name == "calledElement" and kind == "callActivity":
        _zeebe_called_element(element, child, reading)
    else:
        reading.refuse(element, attribute, f"not understood by Ducha on a {kind}")


# --- values: a modeler's expression as one of the restricted evaluator's -------------------


def _camunda_value(text: str | None) -> str | None:
    """A Camunda 7 value as an evaluator expression: literal text, `${name}` or `${literal}`."""
    if text is None:
        return "None"
    stripped = text.strip()
    if stripped[:2] in ("${", "#{") and stripped.endswith("}"):
        return _plain(stripped[2:-1])
    if "${" in text or "#{" in text:
        return None  # a template mixing text and expressions
    return repr(text)


def _feel_value(text: str | None) -> str | None:
    """A Camunda 8 value: a static text, or a FEEL expression `=…` that is a name or literal."""
    if text is None:
        return "None"
    if not text.startswith("="):
        return repr(text)
    return _plain(text[1:])


def _plain(inner: str) -> str | None:
    """A plain variable name or a literal (number, string, true/false/null); None if more."""
    inner = inner.strip()
    words = {"true": "True", "false": "False", "null": "None"}
    if inner in words:
        return words[inner]
    if _is_name(inner):
        return inner
    if len(inner) > _MAX_LITERAL:
        return None
    try:
        value = ast.literal_eval(inner)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return repr(value)
    return None


def _is_name(text: str) -> bool:
    """A variable name the evaluator accepts (no leading underscore, not a keyword)."""
    return text.isidentifier() and not text.startswith("_") and not keyword.iskeyword(text)


# --- user tasks: candidates, due date, form ------------------------------------------------

Reader = Callable[[str | None], str | None]


def _candidate_groups(
    element: Any, attribute: str, value: str, read: Reader, reading: Reading
) -> None:
    text = value.strip()
    if text.startswith("=") and read is _feel_value:
        try:
            groups = json.loads(text[1:]) if len(text) <= _MAX_LITERAL * 5 else None
        except ValueError:
            groups = None
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            message = "only a list of role names is supported, not an expression"
            reading.refuse(element, attribute, message)
            return
    elif "${" in text or "#{" in text:
        reading.refuse(element, attribute, "only role names are supported, not an expression")
        return
    else:
        groups = text.split(",")
    names = [g.strip() for g in groups if g.strip()]
    if any(not all(c.isalnum() or c in "_-.:" for c in g) for g in names):
        reading.refuse(element, attribute, f"'{text[:80]}' is not a list of role names")
        return
    _set_property(element, "candidateGroups", ",".join(names), reading, attribute)


def _due_date(element: Any, attribute: str, value: str, read: Reader, reading: Reading) -> None:
    expression = read(value)
    if expression is not None and _is_name(expression):
        _set_property(element, "dueDate", expression, reading, attribute)
        return
    literal = _literal_text(expression)
    if literal is not None and parse_due(literal, datetime.now(UTC)) is not None:
        _set_property(element, "dueDate", literal, reading, attribute)
        return
    message = "give an ISO 8601 date or duration, or a variable holding one"
    reading.refuse(element, attribute, message)


def _form_key(element: Any, attribute: str, value: str, read: Reader, reading: Reading) -> None:
    literal = _literal_text(read(value))
    if literal is None or not literal.endswith(".json") or any(c in literal for c in ":/\\"):
        message = f"'{value[:80]}' is not a JSON Schema form: {_CAMUNDA_FORMS}"
        reading.refuse(element, attribute, message)
        return
    _set_property(element, "formJsonSchemaFilename", literal, reading, attribute)


def _literal_text(expression: str | None) -> str | None:
    if expression is None or _is_name(expression):
        return None
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


_USER_TASK_READERS = {
    "candidateGroups": _candidate_groups,
    "dueDate": _due_date,
    "formKey": _form_key,
}
# zeebe:<extension> attribute -> the Camunda 7 reader it maps onto (None: refused or warned).
_ZEEBE_USER_TASK: dict[str, dict[str, str]] = {
    "assignmentDefinition": {"candidateGroups": "candidateGroups"},
    "taskSchedule": {"dueDate": "dueDate"},
    "formDefinition": {"formKey": "formKey", "externalReference": "formKey"},
}


def _zeebe_user_task_attribute(
    element: Any, extension: str, key: str, value: str, reading: Reading
) -> None:
    attribute = f"zeebe:{extension} {key}"
    target = _ZEEBE_USER_TASK[extension].get(key)
    if target is not None:
        _USER_TASK_READERS[target](element, attribute, value, _feel_value, reading)
    elif key in ("assignee", "candidateUsers"):
        reading.refuse(element, attribute, _PERSONS)
    elif key == "followUpDate":
        reading.warn(element, attribute, CAMUNDA_WARNINGS["followUpDate"])
    elif key == "formId":
        reading.refuse(element, attribute, _CAMUNDA_FORMS)
    else:
        reading.refuse(element, attribute, "not understood by Ducha")


# --- scripts: input/output and call activity mappings as pre- and post-script lines ---------


def _camunda_input_output(element: Any, child: Any, reading: Reading) -> None:
    kind = etree.QName(element).localname
    if kind not in _SCRIPTED:
        reading.refuse(element, "camunda:inputOutput", f"mappings on a {kind} are not supported")
        return
    for tag, script in (("inputParameter", "preScript"), ("outputParameter", "postScript")):
        for param in child.iterfind(f"{{{CAMUNDA_NS}}}{tag}"):
            attribute = f"camunda:{tag} {param.get('name')}"
            if len(param):
                nested = etree.QName(param[0]).localname
                message = f"camunda:{nested} values are not supported: a name or a literal only"
                reading.refuse(element, attribute, message)
                continue
            _map_line(
                element, attribute, param.get("name"), _camunda_value(param.text), script, reading
            )


def _camunda_call_mapping(element: Any, child: Any, name: str, reading: Reading) -> None:
    attribute = f"camunda:{name}"
    if child.get("businessKey") is not None:
        reading.warn(element, attribute, "the called instance has no business key of its own")
        return
    if child.get("variables") == "all":
        return  # Ducha's call activities pass every variable both ways
    if child.get("local") == "true":
        reading.warn(element, attribute, "local: Ducha maps the call activity's own variables")
    source = child.get("source")
    expression = source if source is not None and _is_name(source) else None
    if child.get("sourceExpression") is not None:
        expression = _camunda_value(child.get("sourceExpression"))
    script = "preScript" if name == "in" else "postScript"
    _map_line(
        element,
        f"{attribute} {child.get('target')}",
        child.get("target"),
        expression,
        script,
        reading,
    )


def _zeebe_io_mapping(element: Any, child: Any, reading: Reading) -> None:
    for tag, script in (("input", "preScript"), ("output", "postScript")):
        for param in child.iterfind(f"{{{ZEEBE_NS}}}{tag}"):
            attribute = f"zeebe:{tag} {param.get('target')}"
            expression = _feel_value(param.get("source"))
            _map_line(element, attribute, param.get("target"), expression, script, reading)


def _map_line(
    element: Any,
    attribute: str,
    target: str | None,
    expression: str | None,
    script: str,
    reading: Reading,
) -> None:
    if target is None or not _is_name(target):
        reading.refuse(element, attribute, f"target '{target}' is not a variable name")
    elif expression is None:
        message = "only a variable name or a literal can be mapped (the evaluator's restriction)"
        reading.refuse(element, attribute, message)
    else:
        _append_script(element, script, f"{target} = {expression}")


def _result_variable(element: Any, attribute: str, value: str, reading: Reading) -> None:
    script = element.find(f"{{{BPMN_NS}}}script")
    text = (script.text or "").strip() if script is not None else ""
    if not _is_name(value):
        reading.refuse(element, attribute, f"'{value[:80]}' is not a variable name")
        return
    try:
        expressions.check_expression(text)
    except expressions.ExpressionRefused:
        message = f"the script must be one expression to give {value}: write `{value} = …` in it"
        reading.refuse(element, attribute, message)
        return
    script.text = f"{value} = {text}"


# --- service tasks and call activities ------------------------------------------------------


def _may_send_externally(element: Any) -> bool:
    """A send task, or the message definition of a throw or end event (Camunda 7 reads an
    external topic there)."""
    kind = etree.QName(element).localname
    if kind == "sendTask":
        return True
    parent = element.getparent()
    return (
        kind == "messageEventDefinition"
        and parent is not None
        and etree.QName(parent).localname in ("intermediateThrowEvent", "endEvent")
    )


def _zeebe_task_definition(element: Any, child: Any, reading: Reading) -> None:
    kind = etree.QName(element).localname
    message = element.find(f"{{{BPMN_NS}}}messageEventDefinition")
    if kind in ("intermediateThrowEvent", "endEvent") and message is None:
        reading.refuse(element, "zeebe:taskDefinition", f"only a message {kind} has a job type")
        return
    if child.get("retries") is not None:
        reading.warn(element, "zeebe:taskDefinition retries", "a worker sets retries when it fails")
    topic = _literal_text(_feel_value(child.get("type")))
    if topic is None:
        message = "the job type must be a name, not an expression"
        reading.refuse(element, "zeebe:taskDefinition type", message)
        return
    _set_property(element, "externalTopic", topic, reading, "zeebe:taskDefinition type")


def _zeebe_called_element(element: Any, child: Any, reading: Reading) -> None:
    attribute = "zeebe:calledElement processId"
    for flag in ("propagateAllChildVariables", "propagateAllParentVariables"):
        if child.get(flag) == "false":
            reading.warn(element, f"zeebe:calledElement {flag}", "Ducha passes every variable")
    called = _literal_text(_feel_value(child.get("processId")))
    if called is None:
        reading.refuse(element, attribute, "the called process must be a name, not an expression")
    elif element.get("calledElement") not in (None, called):
        reading.refuse(
            element, attribute, f"differs from calledElement '{element.get('calledElement')}'"
        )
    else:
        element.set("calledElement", called)


# --- writing spiff extensions --------------------------------------------------------------


def _extensions(element: Any) -> Any:
    """The element's own bpmn:extensionElements, created where the schema wants it."""
    found = element.find(f"{{{BPMN_NS}}}extensionElements")
    if found is not None:
        return found
    created = etree.Element(f"{{{BPMN_NS}}}extensionElements")
    documentation = element.findall(f"{{{BPMN_NS}}}documentation")
    element.insert(len(documentation), created)
    return created


def _set_property(
    element: Any, name: str, value: str, reading: Reading, attribute: str | None = None
) -> None:
    """Write a spiff property; a different value already written is a conflict (refused)."""
    extensions = _extensions(element)
    holder = extensions.find(f"{{{SPIFF_NS}}}properties")
    if holder is None:
        holder = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
    for prop in holder.iterfind(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") == name:
            if prop.get("value") != value:
                message = f"'{value[:80]}' differs from the {name} already given"
                reading.refuse(element, attribute or name, message)
            return
    etree.SubElement(holder, f"{{{SPIFF_NS}}}property", name=name, value=value)


def _append_script(element: Any, tag: str, line: str) -> None:
    extensions = _extensions(element)
    script = extensions.find(f"{{{SPIFF_NS}}}{tag}")
    if script is None:
        script = etree.SubElement(extensions, f"{{{SPIFF_NS}}}{tag}")
    script.text = f"{script.text}\n{line}" if script.text else line


def _prefixed(element: Any, qname: Any) -> str:
    """`prefix:name` as the document writes it (the namespace itself if it has no prefix)."""
    prefixes = {uri: prefix for prefix, uri in element.nsmap.items() if prefix}
    prefix = prefixes.get(qname.namespace, qname.namespace)
    return f"{prefix}:{qname.localname}"


def _owner_id(element: Any) -> str | None:
    """The id that names an element to a designer (an event definition's event)."""
    while element is not None:
        localname = etree.QName(element).localname
        if element.get("id") and not localname.endswith("EventDefinition"):
            return str(element.get("id"))
        element = element.getparent()
    return None
