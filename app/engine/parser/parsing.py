"""Untrusted BPMN in, validated specs out: hardened XML, XSD, spec building, expression audit."""

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    LoopTask,
    MultiInstanceTask,
)
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from app.engine.parser import decision_tasks, dialects, events, external, normalize, topics
from app.engine.script import expressions
from app.engine.specs import events as specs_events
from app.engine.specs import timers
from app.engine.specs.decision import decision_refs
from app.kit.errors import InvalidBpmn

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FORM_PROPERTY = "formJsonSchemaFilename"
_FORM_URI = "urn:ducha:form"

# Elements SpiffWorkflow could parse but that Ducha does not run (no safe semantics yet).
UNSUPPORTED = {
    "transaction": "transactions are not supported",
    "adHocSubProcess": "ad-hoc subprocesses are not supported",
    "complexGateway": "complex gateways are not supported",
}

# What looks like an ISO 8601 literal; `timers.check_iso` then reads it strictly.
_ISO_DURATION = re.compile(r"^P(?=\d|T\d)[0-9YMWDTHS.,]+$", re.IGNORECASE)
_ISO_DATETIME = re.compile(r"^\d{4}-?(\d{2}|W\d{2})[0-9T:.,+\-WZ]*$", re.IGNORECASE)
_ISO_CYCLE = re.compile(r"^R\d*/", re.IGNORECASE)

# Column sizes: ids, and names that become keys (lanes, messages), fit 255; other names 500.
MAX_ID = 255
MAX_NAME = 500
_KEY_NAMES = {"lane", "message", "error", "escalation", "signal"}

# The spiff XSD validator shares one lxml error log: validate one document at a time.
_validator_lock = threading.Lock()


@dataclass(frozen=True)
class ElementMeta:
    """What Ducha reads from a task's extensions: form, candidates, due date."""

    form: str | None = None
    candidate_groups: tuple[str, ...] = ()
    candidate_unit: str | None = None  # an expression over task data
    due: str | None = None  # an expression or ISO duration/date
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Bundle:
    """Parsed, audited specs of one executable process and everything it calls."""

    key: str
    name: str | None
    spec: Any
    subprocess_specs: dict[str, Any]
    meta: dict[tuple[str, str], ElementMeta]  # (process or subprocess spec name, element id)
    message_starts: list[str]
    # Extension properties of every element (events included), by element id: what domain
    # listeners read (e.g. `matterEvent` on an end event).
    properties: dict[str, dict[str, str]] = field(default_factory=dict)
    external: bool = False  # has external (service) tasks: steps keep `external_tasks` in step
    # Decisions its business rule tasks name (key -> element ids): handed to the workflow
    # (latest deployed version) before each step.
    decisions: dict[str, list[str]] = field(default_factory=dict)
    # Processes its call activities name that none of its documents holds (not deployed yet):
    # a call to one fails at run time, with an incident naming the call activity.
    missing: tuple[str, ...] = ()


@dataclass
class DocumentInfo:
    """What a deploy needs to know about a file before resolving its called processes."""

    root: Any
    executable: list[tuple[str, str | None]]
    called: set[str]
    form_users: dict[str, list[str | None]]  # form name -> ids of the elements that use it
    xml: bytes = b""  # the file as UTF-8, as it is stored
    warnings: list[dict[str, Any]] = field(default_factory=list)  # what is read but ignored

    @property
    def form_names(self) -> set[str]:
        return set(self.form_users)


def content_hash(xml: bytes, forms: Mapping[str, Any]) -> str:
    """Identity of a deployment: the file's bytes and its forms."""
    digest = hashlib.sha256(xml)
    digest.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def read_document(xml: bytes, *, file_name: str, max_bytes: int) -> DocumentInfo:
    """Parse untrusted XML safely and check what can be checked without other definitions."""
    if len(xml) > max_bytes:
        raise InvalidBpmn(
            f"file is larger than {max_bytes} bytes", errors=[_err(None, "too large")]
        )
    xml = normalize.to_utf8(xml)  # any declared encoding, stored as UTF-8
    root = _harden(xml)
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise InvalidBpmn(
            "not a BPMN 2.0 file", errors=[_err(None, "root is not bpmn:definitions")]
        )
    dialect = dialects.translate(root)  # camunda:/zeebe: into spiff extensions, or refused
    problems = dialect.problems + _check_unsupported(root) + _check_lengths(root, file_name)
    message_problems, message_warnings = _check_messages(root)
    problems += _check_flows(root) + message_problems
    problems += external.service_task_problems(root)  # a service task needs a topic
    problems += events.link_problems(root)  # a throw link needs its one catch link
    problems += events.event_subprocess_problems(root)
    problems += decision_tasks.business_rule_task_problems(root)  # and a rule task a decision
    with _validator_lock:
        try:
            VALIDATOR.validate(root, file_name)
        except ValidationException as exc:
            problems.append(_err(None, str(exc).rstrip(". "), line=exc.line_number or None))
    if problems:
        raise InvalidBpmn("the diagram cannot be deployed", errors=problems)
    ns = {"bpmn": BPMN_NS}
    executable = [
        (p.get("id"), p.get("name"))
        for p in root.iterfind("bpmn:process", ns)
        if p.get("isExecutable", "false").lower() == "true"
    ]
    if not executable:
        raise InvalidBpmn(
            "no executable process",
            errors=[_err(None, 'set isExecutable="true" on the process to deploy')],
        )
    local = {p.get("id") for p in root.iterfind("bpmn:process", ns)}
    called = {
        c.get("calledElement")
        for c in root.iterfind(".//bpmn:callActivity", ns)
        if c.get("calledElement") and c.get("calledElement") not in local
    }
    warnings = dialect.warnings + message_warnings
    return DocumentInfo(root, executable, called, _form_users(root), xml, warnings)


def build_bundle(
    key: str,
    documents: Iterable[tuple[Any, str]],
    forms: Mapping[str, Any],
) -> Bundle:
    """Build the specs of process `key` from lxml documents; audit every expression in them."""
    documents = list(documents)
    parser = external.DuchaBpmnParser()  # service tasks with a topic: external tasks
    try:
        for root, file_name in documents:
            parser.add_bpmn_xml(normalize.normalize(root), file_name)
        spec = parser.get_spec(key)
        subprocess_specs, missing = _called_specs(parser, key)
    except ValidationException as exc:
        raise InvalidBpmn("the diagram cannot be deployed", errors=[_from_validation(exc)]) from exc
    except Exception as exc:  # spiff raises bare exceptions for some malformed diagrams
        raise InvalidBpmn("the diagram cannot be deployed", errors=[_err(None, str(exc))]) from exc
    problems = _call_cycles(key, [spec, *subprocess_specs.values()])
    meta: dict[tuple[str, str], ElementMeta] = {}
    for process_spec in [spec, *subprocess_specs.values()]:
        normalize.pass_plain_tasks(process_spec)
        problems.extend(_err(i, m) for i, m in specs_events.gateway_problems(process_spec))
        for task_spec in process_spec.task_specs.values():
            problems.extend(_prepare_task_spec(task_spec))
            _connect_loop_body(process_spec, task_spec)
            element_meta = _element_meta(task_spec)
            if element_meta is not None:
                meta[(process_spec.name, task_spec.bpmn_id)] = element_meta
                problems.extend(_check_meta(task_spec.bpmn_id, element_meta, forms))
    if problems:
        raise InvalidBpmn("the diagram cannot be deployed", errors=problems)
    return Bundle(
        key=key,
        name=spec.description if spec.description != key else None,
        spec=spec,
        subprocess_specs=subprocess_specs,
        meta=meta,
        message_starts=_message_starts(spec),
        properties=_element_properties(root for root, _ in documents),
        external=external.has_external_tasks([spec, *subprocess_specs.values()]),
        decisions=decision_refs([spec, *subprocess_specs.values()]),
        missing=missing,
    )


def _called_specs(parser: Any, key: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The specs of every process `key` calls, directly or not, and the names none is found for.

    SpiffWorkflow's `get_subprocess_specs(require_call_activity_specs=False)` would keep a
    missing name with `None` (a call to it then fails on `None`, not as a missing process) and
    still requires the specs of nested calls; a name left out fails as "not found" at the call.
    """
    found: dict[str, Any] = {}
    missing: set[str] = set()
    pending = [parser.get_spec(key)]
    while pending:
        process_spec = pending.pop()
        for task_spec in process_spec.task_specs.values():
            if not isinstance(task_spec, SubWorkflowTask):
                continue
            name: str = task_spec.spec
            if name in found or name in missing:
                continue
            called = parser.get_spec(name, required=False)
            if called is None:
                missing.add(name)
            else:
                found[name] = called
                pending.append(called)
    return found, tuple(sorted(missing))


def check_forms(forms: Mapping[str, Any], users: Mapping[str, list[str | None]]) -> None:
    """Every form an element uses is given, is a JSON Schema and refers only to itself."""
    problems = [
        _err(element_id, f"form '{name}' is referenced but not provided", field=name)
        for name in sorted(set(users) - set(forms))
        for element_id in users[name]
    ]
    for name, schema in forms.items():
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(_err(None, f"form '{name}' is not a JSON Schema: {exc.message}"))
            continue
        except RecursionError:
            problems.append(_err(None, f"form '{name}' is nested too deeply", field=name))
            continue
        problems.extend(
            _err(None, f"form '{name}': {p}", field=name) for p in _ref_problems(schema)
        )
    if problems:
        raise InvalidBpmn("the diagram's forms cannot be deployed", errors=problems)


def _ref_problems(schema: Any) -> list[str]:
    """A form's `$ref`s must point inside the form (a validator would fail on the others)."""
    resource = Resource.from_contents(schema, default_specification=DRAFT202012)
    resolver = Registry().with_resource(_FORM_URI, resource).resolver(_FORM_URI)
    problems = []
    for ref in _refs(schema):
        if not ref.startswith("#"):
            problems.append(f"reference '{ref}' is outside the form")
            continue
        try:
            resolver.lookup(ref)
        except Unresolvable:
            problems.append(f"reference '{ref}' points nowhere")
    return problems


def _refs(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("$ref", "$dynamicRef") and isinstance(item, str):
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def merge_forms(
    own: Mapping[str, Any], called: Iterable[tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """A process's forms and those of the processes it calls: one name must mean one schema."""
    merged = dict(own)
    problems = []
    for key, forms in called:
        for name, schema in forms.items():
            if merged.setdefault(name, schema) != schema:
                message = f"form '{name}' differs from the one of called process '{key}'"
                problems.append(_err(None, message, field=name))
    if problems:
        raise InvalidBpmn("the diagram's forms clash with called processes", errors=problems)
    return merged


def parse_stored(xml: str) -> Any:
    """Re-read XML that was validated at deploy time (still with the hardened parser)."""
    root = _harden(xml.encode())
    dialects.translate(root)  # checked at deploy: only its rewriting matters here
    return root


def _harden(xml: bytes) -> Any:
    """Parse bytes nobody vouches for: no DTDs, no entities, no network, bounded depth."""
    try:
        # defusedxml refuses DTDs, entity declarations and external references outright.
        safe_et.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvalidBpmn(
            "XML with DTDs or entities is refused", errors=[_err(None, type(exc).__name__)]
        ) from exc
    except (safe_et.ParseError, LookupError, ValueError) as exc:  # LookupError: encoding
        raise InvalidBpmn("not well-formed XML", errors=[_err(None, str(exc))]) from exc
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(xml, parser)
    except (etree.XMLSyntaxError, LookupError, ValueError) as exc:
        raise InvalidBpmn("not well-formed XML", errors=[_err(None, str(exc))]) from exc


def _check_lengths(root: Any, file_name: str) -> list[dict[str, Any]]:
    """Ids and names must fit the columns they are stored in."""
    problems = []
    if len(file_name) > MAX_NAME:
        problems.append(_err(None, f"file name is longer than {MAX_NAME} characters"))
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        element_id = element.get("id") or ""
        if len(element_id) > MAX_ID:
            problems.append(
                _err(None, f"id is longer than {MAX_ID} characters", line=element.sourceline)
            )
        limit = MAX_ID if etree.QName(element).localname in _KEY_NAMES else MAX_NAME
        if len(element.get("name") or "") > limit:
            message = f"name is longer than {limit} characters"
            problems.append(_err(element_id or None, message, line=element.sourceline))
    for name in _form_users(root):
        if len(name) > MAX_ID:
            problems.append(_err(None, f"form name is longer than {MAX_ID} characters"))
    return problems


def _check_flows(root: Any) -> list[dict[str, Any]]:
    """No flow into a start event or out of an end event (SpiffWorkflow recurses forever)."""
    kinds = {e.get("id"): etree.QName(e).localname for e in root.iter(f"{{{BPMN_NS}}}*")}
    problems = []
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        if kinds.get(flow.get("targetRef")) == "startEvent":
            problems.append(_err(flow.get("id"), "a sequence flow cannot lead into a start event"))
        if kinds.get(flow.get("sourceRef")) == "endEvent":
            problems.append(_err(flow.get("id"), "a sequence flow cannot leave an end event"))
    return problems


_THROWS = frozenset({"intermediateThrowEvent", "endEvent", "sendTask"})
_THROWN_HERE = (
    "the message is thrown inside this instance only (its own catchers; otherwise recorded in "
    "its history): to reach another process, give the element an external topic (a worker "
    "sends it with POST /messages) or use a signal"
)


def _check_messages(root: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A message catch (start, intermediate, boundary, receive task) names a message of the file
    (`messageRef`): without one nothing could reach it and the instance would hang — refused.
    A message throw (intermediate, end, send task) without an external topic reaches only its
    own instance's catchers — a warning, as is one that names no message (it sends nothing)."""
    messages = {m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message")}
    problems: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    holders = [
        *(d.getparent() for d in root.iter(f"{{{BPMN_NS}}}messageEventDefinition")),
        *root.iter(f"{{{BPMN_NS}}}receiveTask"),
        *root.iter(f"{{{BPMN_NS}}}sendTask"),
    ]
    for holder in holders:
        if etree.QName(holder).namespace != BPMN_NS or topics.is_external(holder):
            continue  # an external task: its worker sends the message
        definition = holder.find(f"{{{BPMN_NS}}}messageEventDefinition")
        ref = (definition if definition is not None else holder).get("messageRef")
        element_id, kind = holder.get("id"), etree.QName(holder).localname
        if kind in _THROWS:
            text = _THROWN_HERE if ref else "names no message (messageRef): it sends nothing"
            warnings.append({"element_id": element_id, "attribute": "messageRef", "message": text})
        elif not ref:
            message = f"this {kind} names no message (messageRef): nothing could reach it"
            problems.append(_err(element_id, message, line=holder.sourceline))
        if ref and ref not in messages:
            message = f"message '{ref}' is not declared in the file (bpmn:message)"
            problems.append(_err(element_id, message, line=holder.sourceline))
    return problems, warnings


def _call_cycles(key: str, process_specs: list[Any]) -> list[dict[str, Any]]:
    """Call activities (also inside embedded subprocesses) must not call a running caller."""
    calls = {
        p.name: [
            (t.bpmn_id, t.spec) for t in p.task_specs.values() if isinstance(t, SubWorkflowTask)
        ]
        for p in process_specs
    }
    problems, path = [], [key]

    def visit(process: str) -> None:
        for element_id, called in calls.get(process, []):
            if called in path:
                message = f"calling '{called}' makes a cycle: {' -> '.join([*path, called])}"
                problems.append(_err(element_id, message))
            else:
                path.append(called)
                visit(called)
                path.pop()

    visit(key)
    return problems


def _check_unsupported(root: Any) -> list[dict[str, Any]]:
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        reason = UNSUPPORTED.get(etree.QName(element).localname)
        if reason:
            problems.append(_err(element.get("id"), reason, line=element.sourceline))
    return problems


def _form_users(root: Any) -> dict[str, list[str | None]]:
    users: dict[str, list[str | None]] = {}
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") == FORM_PROPERTY and prop.get("value"):
            extensions = next(prop.iterancestors(f"{{{BPMN_NS}}}extensionElements"), None)
            owner = extensions.getparent() if extensions is not None else None
            users.setdefault(prop.get("value"), []).append(
                owner.get("id") if owner is not None else None
            )
    return users


def _prepare_task_spec(task_spec: Any) -> list[dict[str, Any]]:
    """Audit every expression of one task spec; rewrite bare ISO timer texts as literals."""
    element_id = task_spec.bpmn_id
    checks: list[tuple[str, Callable[[str], None]]] = []
    if isinstance(task_spec, MultiChoice):
        for condition, _target in task_spec.cond_task_specs:
            text = getattr(condition, "args", [None])[0]  # a _BpmnCondition wraps the text
            if text:
                checks.append((text, expressions.check_expression))
    if isinstance(task_spec, ScriptTask):
        checks.append((task_spec.script or "", expressions.check_script))
    for attr in ("prescript", "postscript"):
        script = getattr(task_spec, attr, None)
        if script:
            checks.append((script, expressions.check_script))
    if isinstance(task_spec, MultiInstanceTask) and task_spec.cardinality:
        checks.append((task_spec.cardinality, expressions.check_expression))
    if isinstance(task_spec, MultiInstanceTask | LoopTask) and task_spec.condition:
        checks.append((task_spec.condition, expressions.check_expression))
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(event_definition, CycleTimerEventDefinition) and timers.is_cron(
        (event_definition.expression or "").strip()
    ):
        text = event_definition.expression.strip()
        event_definition = timers.CronTimerEventDefinition(event_definition.name, text)
        task_spec.event_definition = event_definition
    problems = _prepare_event(element_id, event_definition, checks)
    for text, check in checks:
        try:
            check(text)
        except expressions.ExpressionRefused as exc:
            problems.append(_err(element_id, f"expression refused: {exc.reason}", expression=text))
    return problems


def _connect_loop_body(process_spec: Any, task_spec: Any) -> None:
    """A loop's body reports its completions to the loop, as SpiffWorkflow's spec converter
    wires it when specs are restored. SpiffWorkflow wires it only when it creates an item, so
    items created by another process (or before a restart, or on a migrated instance's old
    version) completed unheard on freshly parsed specs: the loop never finished."""
    if isinstance(task_spec, LoopTask):
        body = process_spec.task_specs[task_spec.task_spec]
        if not body.completed_event.is_connected(task_spec.merge_child):
            body.completed_event.connect(task_spec.merge_child)


def _prepare_event(
    element_id: str, definition: Any, checks: list[tuple[str, Callable[[str], None]]]
) -> list[dict[str, Any]]:
    if definition is None:
        return []
    if isinstance(definition, MultipleEventDefinition):
        return [
            p
            for sub in definition.event_definitions
            for p in _prepare_event(element_id, sub, checks)
        ]
    if isinstance(definition, TimerEventDefinition):
        return _prepare_timer(element_id, definition, checks)
    if isinstance(definition, MessageEventDefinition):
        for prop in definition.correlation_properties:
            checks.append((prop.retrieval_expression, expressions.check_expression))
        payload = getattr(definition, "expression", None)
        if payload:
            checks.append((payload, expressions.check_expression))
    return []


def _prepare_timer(
    element_id: str, definition: Any, checks: list[tuple[str, Callable[[str], None]]]
) -> list[dict[str, Any]]:
    text = (definition.expression or "").strip()
    if not text:
        return [_err(element_id, "timer has no time, duration or cycle")]
    try:
        if isinstance(definition, timers.CronTimerEventDefinition):
            timers.check_cron(text)
            return []
        if timers.is_cron(text):  # a cycle inside a multiple event is not made a cron one
            return [_err(element_id, f"cron '{text}' is only for a single time cycle")]
        if not _is_iso(text):
            checks.append((text, expressions.check_expression))
            return []
        text = timers.check_iso(text, kind=_timer_kind(definition))
    except timers.TimerRefused as exc:
        return [_err(element_id, str(exc), expression=definition.expression)]
    # Designers write bare ISO 8601 in modelers; the engine evaluates timer texts as expressions.
    definition.expression = repr(text)
    return []


def _timer_kind(definition: Any) -> str:
    if isinstance(definition, CycleTimerEventDefinition):
        return "timeCycle"
    if isinstance(definition, TimeDateEventDefinition):
        return "timeDate"
    return "timeDuration"


def _is_iso(text: str) -> bool:
    return bool(_ISO_DURATION.match(text) or _ISO_DATETIME.match(text) or _ISO_CYCLE.match(text))


def _element_properties(roots: Iterable[Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for root in roots:
        for holder in root.iter(f"{{{SPIFF_NS}}}properties"):
            element = holder.getparent().getparent()  # extensionElements' owner
            if element is None or not element.get("id"):
                continue
            props = {
                p.get("name"): p.get("value", "")
                for p in holder.iterfind(f"{{{SPIFF_NS}}}property")
                if p.get("name")
            }
            found.setdefault(element.get("id"), {}).update(props)
    return found


def _element_meta(task_spec: Any) -> ElementMeta | None:
    if not getattr(task_spec, "manual", False):
        return None
    props: dict[str, str] = dict(getattr(task_spec, "extensions", {}).get("properties", {}))
    groups = [g.strip() for g in props.get("candidateGroups", "").split(",") if g.strip()]
    if not groups and task_spec.lane:
        groups = [task_spec.lane]
    return ElementMeta(
        form=props.get(FORM_PROPERTY),
        candidate_groups=tuple(groups),
        candidate_unit=props.get("candidateUnit"),
        due=props.get("dueDate"),
        extra=props,
    )


def _check_meta(
    element_id: str, meta: ElementMeta, forms: Mapping[str, Any]
) -> list[dict[str, Any]]:
    problems = []
    if meta.form and meta.form not in forms:
        problems.append(_err(element_id, f"form '{meta.form}' is not provided", field=meta.form))
    for text in (meta.candidate_unit, meta.due):
        if text and not _is_iso(text):
            try:
                expressions.check_expression(text)
            except expressions.ExpressionRefused as exc:
                problems.append(
                    _err(element_id, f"expression refused: {exc.reason}", expression=text)
                )
    return problems


def _message_starts(spec: Any) -> list[str]:
    names = []
    for start in spec.start.outputs:
        definition = getattr(start, "event_definition", None)
        if isinstance(definition, MessageEventDefinition):
            names.append(definition.name)
    return names


def _from_validation(exc: ValidationException) -> dict[str, Any]:
    message = str(exc.args[0]) if exc.args else str(exc)
    return _err(exc.id or None, message, line=exc.line_number or None, tag=exc.tag or None)


def _err(element_id: str | None, message: str, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"element_id": element_id, "message": message}
    error.update({k: v for k, v in extra.items() if v is not None})
    return error
