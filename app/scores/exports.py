"""Workbooks people use: scores for personnel departments, ledgers of matters, overdue
obligations and rectifications (台账) — built from sheet specs by `app.documents.xlsx`."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from fastapi import Response

from app.documents import xlsx
from app.documents.xlsx import Column, Sheet
from app.scores import labels
from app.scores.rules import INDICATORS
from app.scores.schemas import ScoresOut
from app.supervision.schemas import MatterOut

XLSX_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {xlsx.MEDIA_TYPE: {}}}}


def download(content: bytes, filename: str) -> Response:
    """A workbook download with its Chinese file name."""
    return Response(
        content,
        media_type=xlsx.MEDIA_TYPE,
        headers={"Content-Disposition": xlsx.content_disposition(filename)},
    )


def scores_workbook(result: ScoresOut) -> bytes:
    """Sheet 总分: rank, unit, total and each indicator's points; sheet 得分明细: one row per
    unit and indicator with its weight, value, points, explanation and evidence."""
    indicators = [i for i in INDICATORS.values() if result.weights.get(i.name, 0) > 0]
    totals = Sheet(
        title="总分",
        columns=[
            Column("排名", 6, "number"),
            Column("单位代码", 14),
            Column("单位名称", 30),
            Column("总分", 10, "decimal"),
            *(
                Column(f"{i.label}（{result.weights[i.name]:g}）", 16, "decimal")
                for i in indicators
            ),
        ],
        rows=(
            [
                item.rank,
                item.unit_code,
                item.unit_name,
                item.total,
                *(_points(item.breakdown, i.name) for i in indicators),
            ]
            for item in result.items
        ),
    )
    lines = Sheet(
        title="得分明细",
        columns=[
            Column("单位代码", 14),
            Column("单位名称", 30),
            Column("指标", 18),
            Column("权重", 8, "decimal"),
            Column("数值", 10, "decimal"),
            Column("得分", 10, "decimal"),
            Column("说明", 50),
            Column("依据", 50),
        ],
        rows=(
            [
                item.unit_code,
                item.unit_name,
                line.label,
                line.weight,
                line.value,
                line.points,
                line.explanation,
                "、".join(line.evidence),
            ]
            for item in result.items
            for line in item.breakdown
        ),
    )
    period = Sheet(
        title="考评期间",
        columns=[Column("项目", 16), Column("内容", 60)],
        rows=[
            ["考评期间", f"{result.period_start} 至 {result.period_end}"],
            ["政府", result.government_code],
            *([i.label, i.rule] for i in indicators),
        ],
    )
    return xlsx.workbook([totals, lines, period])


def _points(breakdown: Sequence[Any], indicator: str) -> float | None:
    return next((line.points for line in breakdown if line.indicator == indicator), None)


MATTER_COLUMNS = [
    Column("序号", 6, "number"),
    Column("事项编号", 16),
    Column("事项名称", 40),
    Column("类别", 20),
    Column("来源", 14),
    Column("来源文号", 24),
    Column("牵头单位", 26),
    Column("配合单位", 30),
    Column("交办日期", 12, "date"),
    Column("办理时限", 12, "date"),
    Column("状态", 10),
    Column("状态灯", 8),
    Column("办结时间", 12, "date"),
]


def matter_rows(matters: Iterable[MatterOut], names: dict[str, str]) -> Iterator[list[Any]]:
    """One ledger row per matter, codes as Chinese labels and unit names."""
    for number, m in enumerate(matters, start=1):
        yield [
            number,
            m.code,
            m.title,
            labels.CATEGORY.get(m.category, m.category),
            labels.SOURCE.get(m.source_type, m.source_type),
            m.source_ref,
            names.get(m.lead_unit, m.lead_unit),
            "、".join(names.get(c, c) for c in m.co_units),
            m.assigned_on,
            m.final_due,
            labels.STATUS.get(m.status, m.status),
            labels.LIGHT.get(m.light, m.light),
            xlsx.as_date(m.closed_at),
        ]


OVERDUE_COLUMNS = [
    Column("序号", 6, "number"),
    Column("类型", 10),
    Column("编号", 16),
    Column("名称", 40),
    Column("时限事项", 18),
    Column("责任单位代码", 14),
    Column("责任单位", 26),
    Column("时限", 12, "date"),
    Column("逾期天数", 10, "number"),
    Column("催办督办次数", 12, "number"),
    Column("状态灯", 8),
]

RECTIFICATION_COLUMNS = [
    Column("序号", 6, "number"),
    Column("整改编号", 16),
    Column("整改事项", 40),
    Column("问题", 40),
    Column("整改单位代码", 14),
    Column("整改单位", 26),
    Column("整改时限", 12, "date"),
    Column("办理状态", 14),
    Column("状态灯", 8),
    Column("方案退回次数", 12, "number"),
    Column("核查退回次数", 12, "number"),
    Column("报告日期", 12, "date"),
    Column("按期/逾期", 10),
    Column("逾期天数", 10, "number"),
    Column("催办督办次数", 12, "number"),
    Column("核查方式", 10),
    Column("核查情况", 40),
    Column("整改到位时间", 14, "date"),
]


def numbered(rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """Rows with a 序号 in front."""
    for number, row in enumerate(rows, start=1):
        yield [number, *row]


def ledger_name(kind: str, day: date) -> str:
    """A ledger's file name, e.g. 督查事项台账_2026-03-02.xlsx."""
    return f"{kind}_{day.isoformat()}.xlsx"
