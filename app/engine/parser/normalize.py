"""Modelers' files as the BPMN specification reads them, rewritten before SpiffWorkflow parses.

- A plain `bpmn:task` passes through (as in BPMN and Camunda) unless it carries Ducha's human
  task properties (candidates, form, due date): then it waits for a person like a user task.
  A `manualTask` waits for the person who did the work to confirm it (Ducha's reading).
- Any declared encoding is read and stored as UTF-8 text (`to_utf8`).
- A start-less embedded subprocess starts every flow node without incoming flows, and an
  end-less process or subprocess ends where its flows end (BPMN 2.0.2 §10.5.2, §10.5.3): an
  implicit start or end event is added. A process without a start event stays refused.
- Uncontrolled splits: an activity or event with several outgoing flows starts all of those
  without a condition and those whose condition holds (§10.3.1): a parallel gateway (no
  conditions) or an inclusive gateway (some conditions) is put after it. Several incoming flows
  need nothing: SpiffWorkflow already runs the activity once per arrival (uncontrolled merge).
- Data stores (a database drawn beside the flow) are drawn only: their references and the data
  associations to them are dropped, as Camunda ignores them (SpiffWorkflow would refuse a store
  with no registered implementation). parser/dialects.py warns about each one.
"""

import codecs
import copy
import re
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask

from app.kit.errors import InvalidBpmn

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_ID_LIMIT = 255
# Flow nodes that may split by themselves (gateways split by their kind; end events never do).
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
_GATEWAYS |= {"complexGateway"}
_ACTIVITIES = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "subProcess",
    "callActivity",
}
_EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
# Properties that make a plain task a human one (read by `parsing._element_meta`).
HUMAN_PROPERTIES = {"candidateGroups", "candidateUnit", "formJsonSchemaFilename", "dueDate"}
_FLOW_NODES = _ACTIVITIES | _GATEWAYS | _EVENTS | {"boundaryEvent"}
_DECLARATION = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_TEXT_DECLARATION = re.compile(r"^(<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._:-]+)([\"'])")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def to_utf8(xml: bytes) -> bytes:
    """The file as UTF-8 bytes, declaration rewritten: 422 if it does not decode as declared."""
    encoding = _encoding_of(xml)
    try:
        codec = codecs.lookup(encoding)
    except LookupError as exc:
        raise _encoding_error(f"unknown encoding '{encoding}'") from exc
    if codec.name == "utf-8" and not xml.startswith(codecs.BOM_UTF8):
        try:
            xml.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _encoding_error(_undecodable("UTF-8", exc)) from exc
        return xml  # the common case: the bytes stay as they are
    try:
        text = xml.decode(codec.name)
    except UnicodeDecodeError as exc:
        raise _encoding_error(_undecodable(encoding, exc)) from exc
    text = _TEXT_DECLARATION.sub(r"\1UTF-8\3", text.lstrip("\ufeff"), count=1)
    return text.encode("utf-8")


def _encoding_of(xml: bytes) -> str:
    """The encoding a byte order mark, UTF-16's zero bytes or the XML declaration names."""
    for bom, name in _BOMS:
        if xml.startswith(bom):
            return name
    if xml.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if xml.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    found = _DECLARATION.match(xml)
    return found.group(1).decode("ascii") if found else "utf-8"


def _undecodable(encoding: str, exc: UnicodeDecodeError) -> str:
    byte = exc.object[exc.start : exc.start + 1].hex()
    return f"the file is not valid {encoding}: byte 0x{byte} at offset {exc.start}"


def _encoding_error(message: str) -> InvalidBpmn:
    return InvalidBpmn(
        "the file's encoding cannot be read", errors=[{"element_id": None, "message": message}]
    )


def pass_plain_tasks(process_spec: Any) -> None:
    """Plain tasks without human-task properties run at once instead of waiting (the one
    rewrite made on parsed specs: SpiffWorkflow makes every `bpmn:task` manual)."""
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, NoneTask) and not _human(task_spec):
            task_spec.manual = False


def _human(task_spec: Any) -> bool:
    properties = getattr(task_spec, "extensions", {}).get("properties", {})
    return bool(HUMAN_PROPERTIES & set(properties))


def normalize(root: Any) -> Any:
    """A rewritten copy of a BPMN document: implicit starts and ends, uncontrolled splits."""
    root = _copy(root)
    _drop_data_stores(root)
    for subprocess in _subprocesses(root):
        _implicit_start(subprocess)
    for container in [*root.iter(_tag("process")), *_subprocesses(root)]:
        _implicit_end(container)
        _uncontrolled_splits(container)
    return root


def _copy(root: Any) -> Any:
    return copy.deepcopy(root)  # the caller's tree is shared (several processes of one file)


def _drop_data_stores(root: Any) -> None:
    """No data stores, references to them or data associations with them (drawn only)."""
    references = {r.get("id") for r in root.iter(_tag("dataStoreReference"))}
    doomed = [*root.iter(_tag("dataStore")), *root.iter(_tag("dataStoreReference"))]
    for kind, end in (
        ("dataInputAssociation", "sourceRef"),
        ("dataOutputAssociation", "targetRef"),
    ):
        for association in root.iter(_tag(kind)):
            ends = {(e.text or "").strip() for e in association.iterfind(_tag(end))}
            if ends & references:
                doomed.append(association)
    for element in doomed:
        element.getparent().remove(element)


def _subprocesses(root: Any) -> list[Any]:
    """Embedded subprocesses (event subprocesses need their own start event; a process without
    one is refused by SpiffWorkflow, naming it)."""
    return [
        sub
        for sub in root.iter(_tag("subProcess"))
        if sub.get("triggeredByEvent", "false").lower() != "true"
    ]


def _implicit_start(container: Any) -> None:
    """No start event: an added one leads to every flow node that no flow enters (§10.5.2)."""
    if container.find(_tag("startEvent")) is not None:
        return
    flows = _flows(container)
    entered = {f.get("targetRef") for f in flows}
    heads = [n for n in _nodes(container) if _starts_alone(n) and n.get("id") not in entered]
    if not heads:
        return
    start_id = _new_id(container, "implicit_start")
    _insert(container, etree.Element(_tag("startEvent"), id=start_id))
    for head in heads:
        _add_flow(container, start_id, head.get("id"))


def _implicit_end(container: Any) -> None:
    """No end event: flows that end at a node lead to an added end event (§10.5.3)."""
    if container.find(_tag("endEvent")) is not None:
        return
    left = {f.get("sourceRef") for f in _flows(container)}
    tails = [
        n
        for n in _nodes(container)
        if n.get("id") not in left
        and etree.QName(n).localname != "startEvent"
        and not _is_compensation(n)
    ]
    if not tails:
        return
    end_id = _new_id(container, "implicit_end")
    _insert(container, etree.Element(_tag("endEvent"), id=end_id))
    for tail in tails:
        _add_flow(container, tail.get("id"), end_id)


def _starts_alone(node: Any) -> bool:
    """Flow nodes a start-less container starts: not boundary events or compensation handlers."""
    kind = etree.QName(node).localname
    return kind not in ("boundaryEvent", "endEvent") and not _is_compensation(node)


def _is_compensation(node: Any) -> bool:
    return str(node.get("isForCompensation", "false")).lower() == "true"


def _uncontrolled_splits(container: Any) -> None:
    """A parallel or inclusive gateway after each non-gateway node with several flows out."""
    outgoing: dict[str, list[Any]] = {}
    for flow in _flows(container):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for node in _nodes(container):
        kind = etree.QName(node).localname
        flows = outgoing.get(node.get("id"), [])
        if kind in _GATEWAYS or kind == "endEvent" or len(flows) < 2:
            continue
        conditional = any(f.find(_tag("conditionExpression")) is not None for f in flows)
        default = node.attrib.pop("default", None)
        if not conditional and default is None and kind == "startEvent":
            continue  # SpiffWorkflow already starts every flow of a start event
        gateway_kind = "inclusiveGateway" if conditional or default else "parallelGateway"
        gateway_id = _new_id(container, f"{node.get('id')}_split")
        gateway = etree.Element(_tag(gateway_kind), id=gateway_id)
        if default is not None:
            gateway.set("default", default)
        _insert(container, gateway)
        for flow in flows:
            flow.set("sourceRef", gateway_id)
            unconditioned = flow.find(_tag("conditionExpression")) is None
            if gateway_kind == "inclusiveGateway" and unconditioned and flow.get("id") != default:
                # An unconditioned flow out of an activity is always taken.
                condition = etree.SubElement(flow, _tag("conditionExpression"))
                condition.text = "True"
        _add_flow(container, node.get("id"), gateway_id)


def _nodes(container: Any) -> list[Any]:
    return [c for c in container if _localname(c) in _FLOW_NODES]


def _flows(container: Any) -> list[Any]:
    return list(container.iterfind(_tag("sequenceFlow")))


def _add_flow(container: Any, source: str, target: str) -> None:
    flow_id = _new_id(container, f"{source}_to_{target}")
    _insert(
        container,
        etree.Element(_tag("sequenceFlow"), id=flow_id, sourceRef=source, targetRef=target),
    )


def _insert(container: Any, element: Any) -> None:
    """Append after the container's own children, so that lanes and documentation stay first."""
    element.tail = "\n"
    container.append(element)


def _new_id(container: Any, wanted: str) -> str:
    """An id not used in the document, short enough for the columns that keep element ids."""
    taken = {e.get("id") for e in container.getroottree().iter() if e.get("id")}
    base = wanted[: _ID_LIMIT - 8]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _localname(element: Any) -> str:
    if not isinstance(element.tag, str):
        return ""  # comments and processing instructions
    return etree.QName(element).localname


def _tag(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"
