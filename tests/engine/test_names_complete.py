"""Every shipped diagram names its flow nodes and its process in two languages (一种语言): the
`name` attribute in Chinese, the Spiff property `name.en` in English (docs/processes.md, "Names
in two languages"). A failure names the file and the element."""

import re
from pathlib import Path

from lxml import etree

from app.engine.parser.names import BPMN_NS, display_names

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
HAN = re.compile(r"[\u4e00-\u9fff]")
# What a console names: the process and its flow nodes. Lanes are named by role codes, sequence
# flows by the answer they take; participants repeat the process's name.
NAMED_KINDS = {
    "process", "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
    "receiveTask", "businessRuleTask", "task", "callActivity", "subProcess", "transaction",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
    "complexGateway",
}  # fmt: skip


def _problems(path: Path) -> list[str]:
    data = path.read_bytes()
    english = display_names(data)
    root = etree.fromstring(data)
    found = []
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        kind = etree.QName(element).localname
        element_id, name = element.get("id"), element.get("name")
        if kind not in NAMED_KINDS or not name:
            continue
        names = english[element_id]
        where = f"{path.name}: {kind} {element_id} ({name})"
        if LATIN_WORD.search(name):
            found.append(f"{where}: the name has Latin words; the English one goes in name.en")
        if names["en"] == names["zh-CN"]:
            found.append(f"{where}: no name.en")
        elif HAN.search(names["en"]):
            found.append(f"{where}: name.en has Chinese: {names['en']}")
    return found


def test_every_named_flow_node_and_process_has_an_english_name() -> None:
    files = sorted(PROCESSES.glob("*.bpmn"))
    assert len(files) >= 12
    problems = [p for path in files for p in _problems(path)]
    assert problems == [], "\n".join(problems)


def test_the_check_finds_a_missing_english_name(tmp_path: Path) -> None:
    source = (PROCESSES / "bulletin.bpmn").read_text(encoding="utf-8")
    broken = tmp_path / "bulletin.bpmn"
    broken.write_text(
        source.replace(
            '<spiffworkflow:property name="name.en" value="Draft the bulletin" />', ""
        ).replace('name="印发"', 'name="印发 Issue"'),
        encoding="utf-8",
    )
    assert _problems(broken) == [
        "bulletin.bpmn: userTask draft_bulletin (拟稿): no name.en",
        "bulletin.bpmn: userTask issue_bulletin (印发 Issue): the name has Latin words; the "
        "English one goes in name.en",
    ]
