"""How many of a modeler test suite's diagrams deploy: made executable, linted, refusals sorted.

    python -m bench.miwg DIR [--json PATH]

DIR holds BPMN files as modelers export them, e.g. the `Reference/*.bpmn` of the BPMN MIWG test
suite (github.com/bpmn-miwg/bpmn-miwg-test-suite, CC BY 3.0 — not kept in this repository: check
it out yourself). Nothing is downloaded. The files are copied to a temp directory, every
`bpmn:process` gets `isExecutable="true"` (the one change a modeler makes to deploy a drawing;
each change is printed), and `ducha lint` deploys them into a scratch database. Each refusal is
then the diagram's (the file cannot run as drawn: a flow without condition out of an exclusive
gateway, a subprocess with no content, a service task with no implementation, a called process
not in the set) or the engine's (a construct or attribute the specification or the modeler's
engine runs and Ducha refuses); a file counts as refused by the engine when any of its errors is.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_EXECUTABLE = re.compile(rb"""isExecutable\s*=\s*["']([^"']*)["']""")
# Messages whose cause is the file: it does not say how to run it.
DIAGRAM_FAULTS = {
    "Non-default exclusive outgoing sequence flow without condition": "missing condition",
    "Exactly one start event is required in a SubWorkflow Task; found 0": (
        "subprocess without content (collapsed, not modelled)"
    ),
    "service tasks are not supported without an external task topic": (
        "service task without implementation"
    ),
    "is referenced but not provided": "form not in the set",
    "no executable process": "no process",
    "not well-formed XML": "not well-formed XML",
}
_CALLED = re.compile(
    r"(called process|calledElement).*(not (deployed|found|known))|Unknown process"
)


def make_executable(xml: bytes) -> tuple[bytes, list[str]]:
    """The file with isExecutable="true" on every bpmn:process (other bytes untouched), and
    what changed."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    changes: list[str] = []
    for prefix in [p for p, uri in root.nsmap.items() if uri == BPMN_NS]:
        qualified = f"{prefix}:".encode() if prefix else b""
        start_tag = re.compile(rb"<" + re.escape(qualified) + rb"process(?=[\s/>])([^>]*)>")

        def executable(found: re.Match[bytes], qualified: bytes = qualified) -> bytes:
            attributes = found.group(1)
            flag = _EXECUTABLE.search(attributes)
            if flag and flag.group(1) == b"true":
                return found.group(0)
            if flag:
                changes.append(f'isExecutable="{flag.group(1).decode()}" -> "true"')
                attributes = _EXECUTABLE.sub(b'isExecutable="true"', attributes, count=1)
            else:
                changes.append('isExecutable="true" added')
                attributes = b' isExecutable="true"' + attributes
            return b"<" + qualified + b"process" + attributes + b">"

        xml = start_tag.sub(executable, xml)
    return xml, changes


def fault_of(message: str) -> tuple[str, str]:
    """("diagram" | "engine", reason) for one lint error."""
    for text, reason in DIAGRAM_FAULTS.items():
        if text in message:
            return "diagram", reason
    if _CALLED.search(message):
        return "diagram", "called process not in the set"
    return "engine", message


def measure(directory: Path) -> dict[str, object]:
    """Copy, make executable, lint: per file its changes, verdict and errors."""
    from app.config import get_settings
    from app.lint import lint
    from app.main import equip

    files = sorted(directory.glob("*.bpmn"))
    with tempfile.TemporaryDirectory(prefix="ducha-miwg-") as scratch:
        changes = {}
        for path in files:
            xml, changes[path.name] = make_executable(path.read_bytes())
            (Path(scratch) / path.name).write_bytes(xml)
        messages = lint([Path(scratch)], max_bytes=get_settings().max_bpmn_bytes, equip=equip)
    errors: dict[str, list[dict[str, str | None]]] = {path.name: [] for path in files}
    for message in messages:
        if message.severity == "error":
            fault, reason = fault_of(message.message)
            errors[Path(message.file).name].append(
                {"element": message.element_id, "fault": fault, "reason": reason}
            )
    result = {}
    for name, found in errors.items():
        faults = {e["fault"] for e in found}
        verdict = "engine" if "engine" in faults else "diagram" if faults else "deployed"
        result[name] = {"changes": changes[name], "verdict": verdict, "errors": found}
    return result


def report(result: dict[str, dict]) -> str:
    """Counts per verdict, then each file's changes and refusals."""
    verdicts = Counter(r["verdict"] for r in result.values())
    lines = [
        f"{len(result)} files: {verdicts['deployed']} deployed, "
        f"{verdicts['diagram']} refused by the diagram, {verdicts['engine']} refused by the engine"
    ]
    for fault in ("engine", "diagram"):
        reasons = Counter(
            e["reason"] for r in result.values() for e in r["errors"] if e["fault"] == fault
        )
        lines.append(f"\n{fault} reasons (errors, most frequent first):")
        lines.extend(f"  {n:3}  {reason}" for reason, n in reasons.most_common())
    lines.append("\nper file:")
    for name, r in result.items():
        lines.append(f"  {name}: {r['verdict']}; made executable: {', '.join(r['changes']) or '-'}")
        lines.extend(f"      {e['fault']}: {e['element']}: {e['reason']}" for e in r["errors"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the measurement on one directory; print the counts (and JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, help="a directory of .bpmn files")
    parser.add_argument("--json", type=Path, help="also write the per-file result as JSON")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a directory")
    result = measure(args.directory)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
