"""The .docx documents: templates rebuilt from their script, official layout, long texts and
many rows (pure rendering, no database)."""

import io
import zipfile
from datetime import date

import docx
import pytest

from app.documents import docx as documents
from app.documents.templates import build

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (date(2026, 3, 2), "二〇二六年三月二日"),
        (date(2026, 10, 10), "二〇二六年十月十日"),
        (date(2026, 11, 20), "二〇二六年十一月二十日"),
        (date(2027, 12, 31), "二〇二七年十二月三十一日"),
        (date(2030, 1, 15), "二〇三〇年一月十五日"),
    ],
)
def test_chinese_dates(day, written):
    assert documents.chinese_date(day) == written


def test_templates_are_what_the_build_script_makes(tmp_path):
    # The committed templates are reproducible from build.py (offices may still edit them in Word).
    for built in build.build_all(tmp_path):
        committed = build.HERE / built.name
        with zipfile.ZipFile(built) as new, zipfile.ZipFile(committed) as old:
            assert new.read("word/document.xml") == old.read("word/document.xml"), built.name
            assert b"\xe5\xae\x8b\xe4\xbd\x93" in old.read("word/fontTable.xml")  # 宋体 substitute


def _report_context(rows: int, paragraph: str) -> dict:
    return {
        "doc_number": "苏督报〔2026〕12号",
        "title": "关于全省重点工作推进情况的督查报告",
        "recipients": "江苏省人民政府",
        "situation": [paragraph, *(f"第{i}段：情况说明<附件>&" for i in range(200))],
        "matters": [
            {
                "no": i,
                "code": f"DC-2026-{i:04d}",
                "title": f"重点项目{i}",
                "lead": "江苏省发展和改革委员会",
                "status": "办理中（红灯）",
                "due": "2026-04-01",
            }
            for i in range(1, rows + 1)
        ],
        "analysis": ["分析。"],
        "recommendations": ["建议。"],
        "instruction": "",
        "issuer": "江苏省人民政府督查室",
        "issued_on": documents.chinese_date(date(2026, 3, 2)),
    }


def test_a_report_with_600_rows_and_a_very_long_paragraph():
    paragraph = "各地各部门认真贯彻落实省政府决策部署。" * 5000  # 100,000 characters
    content = documents.render("supervision_report", _report_context(600, paragraph))
    document = docx.Document(io.BytesIO(content))
    (table,) = document.tables
    assert len(table.rows) == 601  # the header and 600 matters
    assert [c.text for c in table.rows[600].cells][:3] == ["600", "DC-2026-0600", "重点项目600"]
    # The header row repeats on every page.
    assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
    texts = [p.text for p in document.paragraphs]
    assert paragraph in texts and "第199段：情况说明<附件>&" in texts
    # No leftover template tags; the body paragraphs indent two characters.
    assert not any("{{" in t or "{%" in t for t in texts)
    body = document.paragraphs[texts.index(paragraph)]
    assert body.paragraph_format.first_line_indent == docx.shared.Pt(32)


def test_official_layout_a4_fonts_and_page_numbers():
    content = documents.render("supervision_report", _report_context(1, "正文。"))
    document = docx.Document(io.BytesIO(content))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(f"{W}eastAsia") == "仿宋_GB2312"
    title = next(p for p in document.paragraphs if p.text == "关于全省重点工作推进情况的督查报告")
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0]._r.rPr.rFonts.get(f"{W}eastAsia") == "方正小标宋简体"
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer
    date_line = document.paragraphs[-1]
    assert date_line.text == "二〇二六年三月二日"
    assert date_line.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT


def test_texts_that_xml_cannot_hold_are_cleaned():
    context = _report_context(1, "控制字符\x00\x07被去掉")
    document = docx.Document(io.BytesIO(documents.render("supervision_report", context)))
    assert "控制字符被去掉" in [p.text for p in document.paragraphs]


def test_unknown_template_and_the_download_headers():
    with pytest.raises(ValueError, match="no document template"):
        documents.render("nothing", {})
    response = documents.response(b"x", "关于一季度的通报.docx", "TB-2026-0001.docx")
    assert response.media_type == documents.MEDIA_TYPE
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"TB-2026-0001.docx\"; filename*=UTF-8''"
        "%E5%85%B3%E4%BA%8E%E4%B8%80%E5%AD%A3%E5%BA%A6%E7%9A%84%E9%80%9A%E6%8A%A5.docx"
    )
