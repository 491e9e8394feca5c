"""Flow coverage: which sequence flows and flow nodes of each diagram the scenarios reached.

The diagram is read as drawn (its XML); what ran comes from the engine's step traces
(`Engine.tracer`): a flow counts as taken when its source completed and its target was reached
from it (the task tree's parent → child), a node when it ran, runs or waited for a person.
SpiffWorkflow keeps no flow ids: two flows between the same pair of elements count together.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from app.engine import StepTrace

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
FLOW_NODES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
        *SCOPES[1:],
    }
)


@dataclass(frozen=True)
class Flow:
    """A sequence flow as drawn."""

    id: str
    scope: str
    source: str
    target: str


@dataclass
class Diagram:
    """One file's flows and flow nodes, each with the process or subprocess holding it."""

    path: Path
    processes: list[str]
    flows: list[Flow]
    nodes: list[tuple[str, str]]  # scope, element id

    @property
    def scopes(self) -> set[str]:
        return {scope for scope, _ in self.nodes} | set(self.processes)


@dataclass
class Measured:
    """A diagram's coverage: what the scenarios took and reached."""

    diagram: Diagram
    taken: list[Flow] = field(default_factory=list)
    missed: list[Flow] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)

    @property
    def flow_percent(self) -> float:
        return _percent(len(self.taken), len(self.taken) + len(self.missed))

    @property
    def node_percent(self) -> float:
        return _percent(len(self.reached), len(self.reached) + len(self.unreached))

    def as_dict(self) -> dict[str, Any]:
        """The JSON report's entry for this diagram."""
        return {
            "file": str(self.diagram.path),
            "processes": self.diagram.processes,
            "flows": {
                "total": len(self.taken) + len(self.missed),
                "taken": len(self.taken),
                "percent": self.flow_percent,
                "missed": [
                    {"id": f.id, "source": f.source, "target": f.target} for f in self.missed
                ],
            },
            "nodes": {
                "total": len(self.reached) + len(self.unreached),
                "reached": len(self.reached),
                "percent": self.node_percent,
                "missed": self.unreached,
            },
        }


def read_diagram(path: Path) -> Diagram:
    """The flows and flow nodes of a BPMN file (executable processes only)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.parse(str(path), parser).getroot()
    diagram = Diagram(path, [], [], [])
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable", "false").lower() != "true":
            continue
        diagram.processes.append(str(process.get("id")))
        _read_scope(process, diagram)
    return diagram


def _read_scope(scope: Any, diagram: Diagram) -> None:
    scope_id = str(scope.get("id"))
    for child in scope:
        if not isinstance(child.tag, str):
            continue  # comments
        tag = etree.QName(child).localname
        if tag == "sequenceFlow":
            diagram.flows.append(
                Flow(
                    str(child.get("id")),
                    scope_id,
                    str(child.get("sourceRef")),
                    str(child.get("targetRef")),
                )
            )
        elif tag in FLOW_NODES:
            diagram.nodes.append((scope_id, str(child.get("id"))))
        if tag in SCOPES:
            _read_scope(child, diagram)


def measure(diagrams: list[Diagram], traces: Iterable[StepTrace]) -> list[Measured]:
    """Each diagram's coverage by the traces of every step the scenarios ran."""
    taken: set[tuple[str, str, str, str]] = set()  # file, scope, source, target
    reached: set[tuple[str, str, str]] = set()  # file, scope, element
    by_name = {d.path.name: d for d in diagrams}
    for trace in traces:
        for went in trace.flows:
            file = _file_of(by_name, diagrams, went.place.file, went.place.scope)
            taken.add((file, went.place.scope, went.source, went.target))
        for place, element in trace.reached:
            reached.add(
                (_file_of(by_name, diagrams, place.file, place.scope), place.scope, element)
            )
    results = []
    for diagram in diagrams:
        name = diagram.path.name
        result = Measured(diagram)
        for flow in diagram.flows:
            hit = (name, flow.scope, flow.source, flow.target) in taken
            (result.taken if hit else result.missed).append(flow)
        for scope, element in diagram.nodes:
            hit = (name, scope, element) in reached
            (result.reached if hit else result.unreached).append(element)
        results.append(result)
    return results


def _file_of(
    by_name: dict[str, Diagram], diagrams: list[Diagram], file: str | None, scope: str
) -> str:
    """The diagram a traced element belongs to: its spec's file, else the one holding `scope`."""
    if file is not None and file in by_name:
        return file
    holder = next((d for d in diagrams if scope in d.scopes), None)
    return holder.path.name if holder is not None else (file or "")


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0
