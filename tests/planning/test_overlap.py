"""Overlap detection on realistic Chinese titles — seed 二(一): 避免重复督查、交叉督查、多头督查;
条例 Art. 15: duplicate and multi-headed supervision is forbidden. Pure rules, no database."""

from datetime import date

import pytest

from app.planning.overlap import (
    DEFAULT_THRESHOLD,
    Supervision,
    compare,
    find_overlaps,
    period_overlap,
    unit_relation,
)
from app.planning.similarity import similarity, subject_words

PATHS = {
    "320000-GOV": "320000-GOV/",
    "320000-FGW": "320000-GOV/320000-FGW/",
    "320000-ZJT": "320000-GOV/320000-ZJT/",
    "320100-GOV": "320000-GOV/320100-GOV/",
    "320102-GOV": "320000-GOV/320100-GOV/320102-GOV/",
    "320200-GOV": "320000-GOV/320200-GOV/",
}
APRIL_MAY = (date(2026, 4, 1), date(2026, 5, 31))


def supervision(
    title: str,
    units: list[str],
    period: tuple[date, date] = APRIL_MAY,
    kind: str = "activity",
    id_: str | None = None,
) -> Supervision:
    return Supervision(kind, id_ or title, title, {u: PATHS[u] for u in units}, *period)


# Similar subjects: they must match.
TRUE_MATCHES = [
    ("全省安全生产大检查专项督查", "安全生产隐患排查整治情况督查"),
    ("优化营商环境政策落实督查", "营商环境改善情况实地督查"),
    ("2026年全省河长制工作落实情况督查", "河长制湖长制落实情况实地督查"),
    ("民生实事项目推进督查", "2026年民生实事落实情况督查"),
    ("大气污染防治督查", "大气污染防治攻坚行动督查"),
    ("义务教育双减政策落实督查", "双减工作落实情况督查"),
]
# Near misses: they share characters or generic words, not the subject.
NEAR_MISSES = [
    ("安全生产大检查", "食品安全专项检查"),
    # Decided: air and water pollution control are different subjects, run by different
    # departments; they share 污染防治 but not what is supervised.
    ("大气污染防治督查", "水污染防治督查"),
    ("民生实事项目推进督查", "重大项目建设推进督查"),
    ("优化营商环境政策落实督查", "减税降费政策落实督查"),
    ("城市更新项目推进督查", "老旧小区改造情况督查"),
    ("全省安全生产大检查专项督查", "全省教育工作专项督查"),
]


@pytest.mark.parametrize(("a", "b"), TRUE_MATCHES)
def test_similar_subjects_match(a, b):
    assert similarity(a, b).score >= DEFAULT_THRESHOLD
    assert similarity(b, a).score == similarity(a, b).score  # symmetric
    assert compare(supervision(a, ["320100-GOV"]), supervision(b, ["320100-GOV"])) is not None


@pytest.mark.parametrize(("a", "b"), NEAR_MISSES)
def test_near_misses_do_not_match(a, b):
    assert similarity(a, b).score < DEFAULT_THRESHOLD
    assert compare(supervision(a, ["320100-GOV"]), supervision(b, ["320100-GOV"])) is None


def test_generic_supervision_words_and_years_carry_no_subject():
    assert subject_words("2026年全省关于安全生产工作落实情况专项督查") == ["安全生产"]
    assert subject_words("年度专项督查检查工作") == []
    assert similarity("专项督查工作", "督查工作情况").score == 0.0
    assert similarity("全省安全生产大检查专项督查", "全省安全生产大检查专项督查").score == 1.0


def test_units_same_or_above_below_or_unrelated():
    same = unit_relation({"320000-FGW": PATHS["320000-FGW"]}, {"320000-FGW": PATHS["320000-FGW"]})
    assert same is not None and same[1].detail == "同一单位 320000-FGW"
    nested = unit_relation({"320102-GOV": PATHS["320102-GOV"]}, {"320100-GOV": PATHS["320100-GOV"]})
    assert nested is not None and nested[0] < same[0]
    assert nested[1].detail == "上下级单位 320100-GOV 包含 320102-GOV"
    assert nested[1].detail_en == "unit 320100-GOV is above 320102-GOV"
    siblings = unit_relation(
        {"320100-GOV": PATHS["320100-GOV"]}, {"320200-GOV": PATHS["320200-GOV"]}
    )
    assert siblings is None
    # A prefix of a code is not an ancestor: paths are compared segment by segment.
    assert (
        unit_relation({"320000-F": "320000-GOV/320000-F/"}, {"320000-FGW": PATHS["320000-FGW"]})
        is None
    )


def test_periods():
    assert period_overlap(
        date(2026, 4, 1), date(2026, 5, 31), date(2026, 5, 31), date(2026, 6, 30)
    ) == (
        date(2026, 5, 31),
        date(2026, 5, 31),
    )
    assert (
        period_overlap(date(2026, 4, 1), date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 31))
        is None
    )


def test_identical_titles_do_not_overlap_when_units_unrelated_or_periods_apart():
    title = "全省安全生产大检查专项督查"
    proposal = supervision(title, ["320100-GOV"], kind="proposal", id_="p")
    assert compare(proposal, supervision(title, ["320200-GOV"])) is None  # sibling cities
    autumn = (date(2026, 9, 1), date(2026, 10, 31))
    assert compare(proposal, supervision(title, ["320100-GOV"], autumn)) is None


def test_matches_are_ranked_with_every_reason():
    proposal = supervision(
        "安全生产隐患排查整治情况督查",
        ["320102-GOV"],
        (date(2026, 5, 1), date(2026, 6, 30)),
        kind="proposal",
        id_="p",
    )
    candidates = [
        supervision("全省安全生产大检查专项督查", ["320100-GOV", "320200-GOV"], id_="above"),
        supervision(
            "安全生产隐患排查整治督查",
            ["320102-GOV"],
            (date(2026, 5, 1), date(2026, 6, 30)),
            id_="same",
        ),
        supervision("食品安全专项检查", ["320102-GOV"], id_="food"),
        supervision(
            "安全生产隐患排查整治情况督查",
            ["320102-GOV"],
            (date(2026, 5, 1), date(2026, 6, 30)),
            kind="proposal",
            id_="p",
        ),  # itself
    ]
    matches = find_overlaps(proposal, candidates)
    assert [m.candidate.id for m in matches] == ["same", "above"]
    assert matches[0].score > matches[1].score
    above = matches[1]
    assert [r.kind for r in above.reasons] == ["units", "period", "subject"]
    assert above.reasons[0].detail == "上下级单位 320100-GOV 包含 320102-GOV"
    assert above.reasons[1].detail == "时间重叠 2026-05-01至2026-05-31"
    assert above.reasons[2].detail.startswith(
        f"主题相似 {above.subject_score:.2f}：共同词 安全生产"
    )
    assert above.reasons[2].detail_en.startswith("similar subject")
    # The threshold is configurable (the same subject, less 情况, scores 1.0).
    assert [m.candidate.id for m in find_overlaps(proposal, candidates, threshold=0.95)] == ["same"]
