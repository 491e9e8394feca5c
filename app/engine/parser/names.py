"""Display names per language (一种语言) read from a BPMN file.

The convention (docs/processes.md, "Names in two languages"): an element's `name` attribute is
its Chinese name, as modelers show it; its English name is a Spiff property `name.en` in the
element's extension elements (the process's own extension elements for the process):

    <bpmn:userTask id="review_report" name="审核办理情况">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="name.en" value="Review the report" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>

A name without an English one reads the same in both languages. An older bilingual name in the
`name` attribute ("督查事项办理 Supervision matter") is split at its first Latin word.
"""

import re
from typing import Any

from lxml import etree

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
EN_PROPERTY = "name.en"
_BILINGUAL = re.compile(r"^(?P<zh>[^A-Za-z]*[\u4e00-\u9fff][^A-Za-z]*?)\s+(?P<en>[A-Za-z].*)$")

Names = dict[str, str]


def split_bilingual(name: str) -> Names:
    """{"zh-CN", "en"} of one name: an older "中文 English" name split, else the name twice."""
    match = _BILINGUAL.match(name.strip())
    if match:
        return {"zh-CN": match.group("zh").strip(), "en": match.group("en").strip()}
    return {"zh-CN": name, "en": name}


def _english(element: Any) -> str | None:
    for holder in element.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties"):
        for prop in holder.iterfind(f"{{{SPIFF_NS}}}property"):
            if prop.get("name") == EN_PROPERTY and (prop.get("value") or "").strip():
                return str(prop.get("value")).strip()
    return None


def display_names(xml: str | bytes) -> dict[str, Names]:
    """Every named element's (and process's) names per language, by id."""
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    found: dict[str, Names] = {}
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        element_id, name = element.get("id"), element.get("name")
        if not element_id or not name:
            continue
        english = _english(element)
        if english is None:
            found[element_id] = split_bilingual(name)
        else:
            found[element_id] = {"zh-CN": name.strip(), "en": english}
    return found
