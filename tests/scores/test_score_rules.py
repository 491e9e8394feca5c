"""domain.md §9 (seed 三(三)): each scoring indicator, the weights and the ranking — pure rules."""

from decimal import Decimal

import pytest

from app.scores import rules
from app.scores.rules import UnitFacts

W = Decimal(20)


def test_default_weights_are_valid_and_sum_to_100():
    # domain.md §9: weights configurable; the default set is a valid one.
    assert rules.weight_errors({k: float(v) for k, v in rules.DEFAULT_WEIGHTS.items()}) == []
    assert sum(rules.DEFAULT_WEIGHTS.values()) == 100
    assert set(rules.DEFAULT_WEIGHTS) == set(rules.INDICATORS)


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({"report_on_time": 50, "bogus": 50}, "weights.bogus"),
        ({"report_on_time": -10, "closure_rate": 110}, "weights.report_on_time"),
        ({"report_on_time": "lots", "closure_rate": 100}, "weights.report_on_time"),
        ({"report_on_time": True, "closure_rate": 99}, "weights.report_on_time"),
        ({"report_on_time": 50, "closure_rate": 40}, "weights"),
    ],
)
def test_bad_weights_name_the_field(weights, field):
    # domain.md §9: known indicators, non-negative, summing to 100.
    assert rules.weight_errors(weights)[0]["field"] == field


def test_a_partial_set_summing_to_100_is_valid():
    assert rules.weight_errors({"report_on_time": 60.5, "closure_rate": 39.5}) == []


def test_report_on_time_rate():
    # domain.md §9 on-time rate of reports (seed 三(一) deadlines).
    reports = [("DC-1", True)] * 8 + [("DC-2", False), ("DC-3", False)]
    line = rules.report_on_time(W, reports)
    assert (line.value, line.points) == (0.8, Decimal("16.00"))
    assert line.explanation.startswith("按时报告 8/10 次") and "DC-2、DC-3" in line.explanation
    assert rules.report_on_time(W, []).points == W  # nothing due: nothing missed


def test_closure_rate():
    # domain.md §9 closure rate: matters led, due in the period, closed.
    line = rules.closure_rate(Decimal(15), [("DC-1", True), ("DC-2", False), ("DC-3", True)])
    assert line.points == Decimal("10.00") and "按期办结 2/3 件" in line.explanation
    assert line.evidence == ["DC-1", "DC-2", "DC-3"]


@pytest.mark.parametrize(
    ("rule", "share", "word"),
    [
        (rules.extensions, Decimal("0.25"), "获批延期"),
        (rules.urgings, Decimal("0.20"), "收到催办督办通知"),
        (rules.review_rejections, Decimal("0.25"), "办理情况被审核退回"),
    ],
)
def test_fault_counts_deduct_a_share_each_never_below_zero(rule, share, word):
    # domain.md §7, §9: extension count, urging count, review rejections.
    assert rule(W, []).points == W and "不扣分" in rule(W, []).explanation
    two = rule(W, ["DC-1", "DC-1"])
    assert two.points == W - 2 * share * W and two.value == 2
    assert f"{word} 2 次" in two.explanation
    assert rule(W, ["DC-1"] * 9).points == 0


def test_rectification_on_time_rate_counts_late_and_overdue_as_missed():
    # seed 三(三), 条例 Art. 18: rectification within the deadline, verified afterwards.
    line = rules.rectification(
        W, [("ZG-1", "on_time"), ("ZG-2", "late"), ("ZG-3", "overdue"), ("ZG-4", "on_time")]
    )
    assert line.points == Decimal("10.00")
    assert "整改按期到位 2/4 项（逾期到位 1 项，逾期未到位 1 项）" in line.explanation


def test_bulletins_start_at_half_and_move_a_quarter_each():
    # seed 三(三): commendation of outstanding units, criticism of slow ones.
    assert rules.bulletins(W, []).points == Decimal("10.00")
    assert rules.bulletins(W, [("TB-1", "commend")]).points == Decimal("15.00")
    assert rules.bulletins(W, [("TB-1", "criticise")] * 3).points == 0
    line = rules.bulletins(W, [("TB-1", "commend")] * 4)
    assert line.points == W and "通报表扬 4 次、通报批评 0 次" in line.explanation


def test_satisfaction_average():
    # domain.md §5, §9: satisfied 1, basically satisfied 0.8, dissatisfied 0.
    line = rules.satisfaction(
        W, [("DC-1", "satisfied"), ("DC-2", "basically_satisfied"), ("DC-3", "dissatisfied")]
    )
    assert line.points == Decimal("12.00")
    assert "满意 1 件、基本满意 1 件、不满意 1 件" in line.explanation
    assert rules.satisfaction(W, []).points == W


def test_the_breakdown_explains_every_point_and_weight_zero_is_left_out():
    facts = UnitFacts(
        unit_code="320000-FGW",
        reports=[("DC-1", True), ("DC-2", False), ("DC-3", True)],
        urgings=["DC-2"],
        bulletins=[("TB-1", "criticise")],
    )
    score = rules.score_unit(facts, rules.DEFAULT_WEIGHTS)
    assert score.total == sum(line.points for line in score.breakdown)
    assert [line.indicator for line in score.breakdown] == list(rules.INDICATORS)
    # 20×2/3 = 13.33; urgings 10−2; bulletins 10×(1/2−1/4) = 2.5; the rest full.
    assert score.total == Decimal("13.33") + 20 + 5 + 8 + 10 + 15 + Decimal("2.50") + 10
    partial = rules.score_unit(facts, {"report_on_time": Decimal(100)})
    assert [line.indicator for line in partial.breakdown] == ["report_on_time"]
    assert partial.total == Decimal("66.67")


def test_ranking_shares_ranks_on_equal_totals():
    scores = [
        rules.UnitScore("A", Decimal(80), []),
        rules.UnitScore("B", Decimal(90), []),
        rules.UnitScore("C", Decimal(80), []),
        rules.UnitScore("D", Decimal(70), []),
    ]
    assert [(rank, s.unit_code) for rank, s in rules.ranked(scores)] == [
        (1, "B"),
        (2, "A"),
        (2, "C"),
        (4, "D"),
    ]
