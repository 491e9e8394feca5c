"""Build the Word templates (.docx) the results documents are rendered from.

Run `.venv/bin/python -m app.documents.templates.build` after changing this file; it rewrites
bulletin.docx, supervision_report.docx, urging_notice.docx and accountability_decision.docx next
to it. The templates are ordinary Word files with docxtpl (Jinja) tags: an office may open one in
Word, change fonts, wording or layout around the tags, and save it over the built one.

Layout follows the usual official-document practice (GB/T 9704): A4, title in 方正小标宋简体 二号
centred, body in 仿宋_GB2312 三号 with a two-character first-line indent, headings in 黑体, the
document number (文号) centred under the title block, the issuing unit and the date (in Chinese)
right-aligned at the end, page numbers in the footer. Chinese font names are set for East Asian
text (`w:eastAsia`); the font table names 宋体 as the substitute on machines without the
official fonts.
"""

from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

HERE = Path(__file__).resolve().parent
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
FALLBACK_FONT = "宋体"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(12)  # 小四


def _fonts(run_or_style: Any, east_asian: str, size: Pt | None = None, bold: bool = False) -> None:
    """Set a run's (or style's) fonts: East Asian text in `east_asian`, Latin in Times."""
    font = run_or_style.font
    font.name = "Times New Roman"
    if size is not None:
        font.size = size
    font.bold = bold
    r_pr = run_or_style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def _substitutes(doc: DocumentObject) -> None:
    """Name 宋体 as the substitute of the official fonts in the font table."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname.endswith("fontTable.xml"))
    root = etree.fromstring(part.blob)
    for name in (TITLE_FONT, BODY_FONT, HEADING_FONT, FALLBACK_FONT):
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        if name != FALLBACK_FONT:
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), FALLBACK_FONT)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")  # GB2312
    part._blob = etree.tostring(  # Part keeps its bytes here; no public setter
        root, xml_declaration=True, encoding="UTF-8", standalone=True
    )


def _document() -> DocumentObject:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    _page_numbers(doc)
    _substitutes(doc)
    return doc


def _page_numbers(doc: DocumentObject) -> None:
    """— 1 — centred in the footer (a PAGE field, filled in by Word)."""
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(paragraph.add_run("— "), FALLBACK_FONT, Pt(14))
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    _fonts(paragraph.add_run(" —"), FALLBACK_FONT, Pt(14))


def _line(
    doc: DocumentObject,
    text: str,
    *,
    font: str = BODY_FONT,
    size: Pt = BODY_SIZE,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    bold: bool = False,
) -> Paragraph:
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters
    _fonts(paragraph.add_run(text), font, size, bold)
    return paragraph


def _tag(doc: DocumentObject, tag: str) -> None:
    """A paragraph holding only a docxtpl block tag ({%p … %}); docxtpl removes it."""
    doc.add_paragraph(tag)


def _title(doc: DocumentObject, text: str) -> None:
    paragraph = _line(doc, text, font=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph.paragraph_format.line_spacing = Pt(36)
    paragraph.paragraph_format.space_after = Pt(12)


def _heading(doc: DocumentObject, text: str) -> None:
    _line(doc, text, font=HEADING_FONT, indent=True)


def _paragraphs(doc: DocumentObject, variable: str) -> None:
    """One body paragraph per item of `variable` (a list of strings): long texts stay paragraphs
    and Word breaks the pages."""
    _tag(doc, f"{{%p for text in {variable} %}}")
    _line(doc, "{{ text }}", indent=True)
    _tag(doc, "{%p endfor %}")


def _table(doc: DocumentObject, rows: str, columns: list[tuple[str, str, float]]) -> Table:
    """A bordered table: a header row repeated on every page, one row per item of `rows`."""
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header, loop, body, end = table.rows
    _repeat_header(header)
    for index, (label, field, width) in enumerate(columns):
        for row in table.rows:
            row.cells[index].width = Mm(width)
        _cell(header.cells[index], label, bold=True, font=HEADING_FONT)
        _cell(body.cells[index], f"{{{{ row.{field} }}}}")
    _cell(loop.cells[0], f"{{%tr for row in {rows} %}}")
    _cell(end.cells[0], "{%tr endfor %}")
    return table


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def _cell(cell: Any, text: str, *, bold: bool = False, font: str = BODY_FONT) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _fonts(paragraph.add_run(text), font, TABLE_SIZE, bold)


def _signature(doc: DocumentObject) -> None:
    """The issuing unit and the date, right-aligned at the end."""
    doc.add_paragraph()
    _line(doc, "{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, "{{ issued_on }}", align=WD_ALIGN_PARAGRAPH.RIGHT)


def _head(doc: DocumentObject) -> None:
    """文号, title and recipients (主送)."""
    _line(doc, "{{ doc_number }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph()
    _title(doc, "{{ title }}")
    _tag(doc, "{%p if recipients %}")
    _line(doc, "{{ recipients }}：")
    _tag(doc, "{%p endif %}")


def bulletin() -> DocumentObject:
    """通报: body, the commended and the criticised units with their matters."""
    doc = _document()
    _head(doc)
    _paragraphs(doc, "body")
    for key, heading in (("commended", "受到表扬的单位"), ("criticised", "受到批评的单位")):
        _tag(doc, f"{{%p if {key} %}}")
        _heading(doc, heading)
        _table(
            doc,
            key,
            [
                ("序号", "no", 14),
                ("单位", "unit", 40),
                ("事由", "reason", 66),
                ("涉及事项", "matters", 36),
            ],
        )
        _tag(doc, "{%p endif %}")
    _signature(doc)
    return doc


def supervision_report() -> DocumentObject:
    """督查报告 / 专报: situation, the matters table, analysis, recommendations, the instruction."""
    doc = _document()
    _head(doc)
    _heading(doc, "一、基本情况")
    _paragraphs(doc, "situation")
    _tag(doc, "{%p if matters %}")
    _line(doc, "附：督查事项办理情况表", font=HEADING_FONT, size=Pt(14))
    _table(
        doc,
        "matters",
        [
            ("序号", "no", 12),
            ("编号", "code", 26),
            ("事项", "title", 44),
            ("牵头单位", "lead", 30),
            ("状态", "status", 16),
            ("办理时限", "due", 22),
        ],
    )
    _tag(doc, "{%p endif %}")
    _heading(doc, "二、分析")
    _paragraphs(doc, "analysis")
    _heading(doc, "三、建议")
    _paragraphs(doc, "recommendations")
    _tag(doc, "{%p if instruction %}")
    _heading(doc, "领导批示")
    _line(doc, "{{ instruction }}", indent=True)
    _tag(doc, "{%p endif %}")
    _signature(doc)
    return doc


def urging_notice() -> DocumentObject:
    """催办通知 / 督办单: the grade (蓝/橙/红) in its colour, the matter, unit and deadline."""
    doc = _document()
    _line(doc, "{{ doc_number }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph()
    _title(doc, "{{ title }}")
    grade = doc.add_paragraph()
    grade.alignment = WD_ALIGN_PARAGRAPH.CENTER
    grade.add_run("{{r grade }}")
    _line(doc, "{{ unit }}：")
    _paragraphs(doc, "body")
    table = doc.add_table(rows=5, cols=2)
    table.style = "Table Grid"
    for row, (label, value) in zip(
        table.rows,
        [
            ("事项编号", "matter_code"),
            ("督查事项", "matter_title"),
            ("承办单位", "unit"),
            ("办理时限", "due"),
            ("发出时间", "sent_at"),
        ],
        strict=True,
    ):
        _cell(row.cells[0], label, bold=True, font=HEADING_FONT)
        _cell(row.cells[1], f"{{{{ {value} }}}}")
    _signature(doc)
    return doc


def accountability_decision() -> DocumentObject:
    """问责决定 (批评、约谈、问责决定、移送线索): facts, basis, decision, persons and matters."""
    doc = _document()
    _head(doc)
    _heading(doc, "一、基本事实")
    _paragraphs(doc, "facts")
    _heading(doc, "二、依据")
    _paragraphs(doc, "basis")
    _heading(doc, "三、决定")
    _paragraphs(doc, "decision")
    _tag(doc, "{%p if persons %}")
    _line(doc, "有关人员", font=HEADING_FONT, size=Pt(14))
    _table(doc, "persons", [("序号", "no", 14), ("姓名", "name", 40), ("职务", "post", 90)])
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if matters %}")
    _line(doc, "涉及督查事项", font=HEADING_FONT, size=Pt(14))
    _table(doc, "matters", [("序号", "no", 14), ("编号", "code", 36), ("事项", "title", 94)])
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if transfer %}")
    _line(doc, "{{ transfer }}", indent=True)
    _tag(doc, "{%p endif %}")
    _signature(doc)
    return doc


TEMPLATES = {
    "bulletin.docx": bulletin,
    "supervision_report.docx": supervision_report,
    "urging_notice.docx": urging_notice,
    "accountability_decision.docx": accountability_decision,
}


def build_all(directory: Path = HERE) -> list[Path]:
    """Write every template into `directory`; returns their paths."""
    paths = []
    for name, build in TEMPLATES.items():
        path = directory / name
        build().save(str(path))
        paths.append(path)
    return paths


def main() -> None:
    """Rebuild the committed templates next to this file."""
    for path in build_all():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
