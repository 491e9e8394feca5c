"""The .xlsx writer: Chinese headers, widths, frozen header row, autofilter, date cells."""

from datetime import UTC, date, datetime
from io import BytesIO
from urllib.parse import unquote

from openpyxl import load_workbook

from app.documents import xlsx
from app.documents.xlsx import Column, Sheet


def test_a_sheet_spec_becomes_a_workbook():
    columns = [
        Column("编号", 10),
        Column("事项名称", 40),
        Column("办理时限", 12, "date"),
        Column("报送时间", 18, "datetime"),
        Column("得分", 8, "decimal"),
    ]
    rows = (
        [f"DC-{i}", "关于加快推进城市更新项目的批示" * (3000 if i == 2 else 1), date(2026, 4, 1),
         datetime(2026, 4, 1, 2, 30, tzinfo=UTC), 95.5]
        for i in range(3)
    )  # fmt: skip
    content = xlsx.workbook([Sheet("督查事项台账", columns, rows), Sheet("空表", columns, [])])
    book = load_workbook(BytesIO(content))
    assert book.sheetnames == ["督查事项台账", "空表"]
    sheet = book["督查事项台账"]
    assert [c.value for c in sheet[1]] == ["编号", "事项名称", "办理时限", "报送时间", "得分"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E4"
    assert sheet.column_dimensions["B"].width == 40
    assert sheet["B2"].value == "关于加快推进城市更新项目的批示"
    # Dates are date cells, not text; instants are written in China time.
    assert sheet["C2"].is_date and sheet["C2"].value.date() == date(2026, 4, 1)
    assert sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].value == datetime(2026, 4, 1, 10, 30)
    assert sheet["E2"].value == 95.5
    # Excel's cell limit: a longer text is cut, not refused.
    assert len(sheet["B4"].value) == xlsx.MAX_CELL_TEXT
    assert book["空表"].max_row == 1


def test_the_file_name_survives_in_chinese():
    header = xlsx.content_disposition("督查事项台账_2026-03-02.xlsx")
    assert header.startswith('attachment; filename="_2026-03-02.xlsx"')
    encoded = header.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "督查事项台账_2026-03-02.xlsx"
