"""Performance scores (绩效考评) — domain.md §9, seed 三(三): one pure rule per indicator.

A unit's score for a period is the sum of its indicators' points; each indicator is worth at most
its weight (the weights of a set sum to 100), and every point comes with a Chinese explanation and
the evidence it rests on (matter codes, rectification codes, bulletin codes). *Practice*, every
number here a parameter:

- rates (on-time reports, closure, rectification on time, satisfaction): points = weight × rate;
  a unit with nothing to count for an indicator in the period keeps the full weight (nothing
  was missed);
- counts of faults (extensions, urgings, review rejections): each deducts a share of the weight,
  never below zero;
- bulletins: half the weight to start with, each commendation adds and each criticism deducts a
  quarter of the weight, within 0 and the weight.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Indicator:
    """One scoring indicator: its name, Chinese label and the clause it rests on."""

    name: str
    label: str
    clause: str
    rule: str


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator(
            "report_on_time",
            "按时报告率",
            "domain.md §9; seed 三(一) 按时报告",
            "权重 × 按时报告次数 / 报告次数",
        ),
        Indicator(
            "closure_rate",
            "按期办结率",
            "domain.md §9; seed 二(四) 办结销号",
            "权重 × 已办结事项 / 本期到期事项（牵头单位）",
        ),
        Indicator(
            "extensions",
            "延期次数",
            "domain.md §7, §9 延期申请",
            "每获批延期一次扣权重的25%，扣完为止",
        ),
        Indicator(
            "urgings",
            "被催办督办次数",
            "domain.md §7, §9 催办、督办",
            "每收到催办或督办通知一次扣权重的20%，扣完为止（提醒不扣分）",
        ),
        Indicator(
            "review_rejections",
            "审核退回次数",
            "domain.md §6.4, §9 审核退回",
            "办理情况每被审核退回一次扣权重的25%，扣完为止（牵头单位）",
        ),
        Indicator(
            "rectification",
            "整改按期到位率",
            "seed 三(三) 限期整改; 条例第十八条",
            "权重 × 按期整改到位项数 / 本期到期整改项数（逾期未到位计为未按期）",
        ),
        Indicator(
            "bulletins",
            "通报表扬与批评",
            "seed 三(三) 通报表扬、通报批评",
            "基础分为权重的50%，每次通报表扬加权重的25%，每次通报批评扣权重的25%，在0与权重之间",
        ),
        Indicator(
            "satisfaction",
            "建议提案满意度",
            "domain.md §5, §9 建议提案办理满意度",
            "权重 × 平均满意度（满意1，基本满意0.8，不满意0）",
        ),
    )
}

DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "report_on_time": Decimal(20),
    "closure_rate": Decimal(20),
    "extensions": Decimal(5),
    "urgings": Decimal(10),
    "review_rejections": Decimal(10),
    "rectification": Decimal(15),
    "bulletins": Decimal(10),
    "satisfaction": Decimal(10),
}
WEIGHT_SUM = Decimal(100)
DEDUCTION_SHARE = {
    "extensions": Fraction(1, 4),
    "urgings": Fraction(1, 5),
    "review_rejections": Fraction(1, 4),
}
BULLETIN_BASE, BULLETIN_STEP = Fraction(1, 2), Fraction(1, 4)
SATISFACTION_VALUE = {
    "satisfied": Fraction(1),
    "basically_satisfied": Fraction(4, 5),
    "dissatisfied": Fraction(0),
}
SATISFACTION_LABEL = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}


@dataclass(frozen=True)
class IndicatorScore:
    """One line of a breakdown: what was counted, what it is worth and why."""

    indicator: str
    label: str
    value: float
    weight: Decimal
    points: Decimal
    explanation: str
    evidence: list[str]


@dataclass
class UnitFacts:
    """What a unit did in a period, as the scoring rules read it (gathered from the records)."""

    unit_code: str
    reports: list[tuple[str, bool]] = field(default_factory=list)  # (matter, on time)
    closures: list[tuple[str, bool]] = field(default_factory=list)  # (matter, closed)
    extensions: list[str] = field(default_factory=list)  # matter per approved extension
    urgings: list[str] = field(default_factory=list)  # matter or rectification per notice
    rejections: list[str] = field(default_factory=list)  # matter per send-back
    rectifications: list[tuple[str, str]] = field(default_factory=list)  # (code, outcome)
    bulletins: list[tuple[str, str]] = field(default_factory=list)  # (bulletin, verdict)
    satisfaction: list[tuple[str, str]] = field(default_factory=list)  # (matter, opinion)


@dataclass(frozen=True)
class UnitScore:
    unit_code: str
    total: Decimal
    breakdown: list[IndicatorScore]


def weight_errors(weights: Mapping[str, object]) -> list[dict[str, str]]:
    """Problems of a weight set: unknown indicators, non-numbers, negatives, a sum that is not
    100. Empty when the set is valid."""
    errors = []
    total = Decimal(0)
    for name, value in weights.items():
        field_name = f"weights.{name}"
        if name not in INDICATORS:
            errors.append({"field": field_name, "message": f"unknown indicator '{name}'"})
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            errors.append({"field": field_name, "message": "must be a number"})
            continue
        if value < 0:
            errors.append({"field": field_name, "message": "must not be negative"})
            continue
        total += Decimal(str(value))
    if not errors and total != WEIGHT_SUM:
        errors.append(
            {"field": "weights", "message": f"the weights must sum to 100, not {total.normalize()}"}
        )
    return errors


def points(weight: Decimal, share: Fraction) -> Decimal:
    """`share` (0..1) of `weight`, to the cent."""
    exact = Fraction(weight) * min(max(share, Fraction(0)), Fraction(1))
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(CENT, ROUND_HALF_UP)


def _rate(
    name: str, weight: Decimal, items: Sequence[tuple[str, bool]], counted: str, empty: str
) -> IndicatorScore:
    hits = sum(1 for _, ok in items if ok)
    share = Fraction(hits, len(items)) if items else Fraction(1)
    explanation = counted.format(hits=hits, total=len(items)) if items else empty
    misses = [code for code, ok in items if not ok]
    if misses:
        explanation += f"；未达标：{'、'.join(misses)}"
    return IndicatorScore(
        name,
        INDICATORS[name].label,
        float(share),
        weight,
        points(weight, share),
        explanation,
        [code for code, _ in items],
    )


def report_on_time(weight: Decimal, reports: Sequence[tuple[str, bool]]) -> IndicatorScore:
    """domain.md §9 on-time rate of reports (seed 三(一) deadlines)."""
    return _rate(
        "report_on_time", weight, reports, "按时报告 {hits}/{total} 次", "本期无应报事项，不扣分"
    )


def closure_rate(weight: Decimal, matters: Sequence[tuple[str, bool]]) -> IndicatorScore:
    """domain.md §9 closure rate: matters it leads, due in the period, closed."""
    return _rate(
        "closure_rate", weight, matters, "按期办结 {hits}/{total} 件", "本期无到期事项，不扣分"
    )


def _deduction(name: str, weight: Decimal, codes: Sequence[str], what: str) -> IndicatorScore:
    share = DEDUCTION_SHARE[name]
    lost = points(weight, share * len(codes))
    if codes:
        percent = int(share * 100)
        explanation = f"{what} {len(codes)} 次，每次扣权重的{percent}%，扣 {lost} 分"
    else:
        explanation = f"本期无{what}，不扣分"
    return IndicatorScore(
        name,
        INDICATORS[name].label,
        float(len(codes)),
        weight,
        weight - lost,
        explanation,
        list(codes),
    )


def extensions(weight: Decimal, codes: Sequence[str]) -> IndicatorScore:
    """domain.md §7, §9 extension count (approved extensions)."""
    return _deduction("extensions", weight, codes, "获批延期")


def urgings(weight: Decimal, codes: Sequence[str]) -> IndicatorScore:
    """domain.md §7, §9 urging count (催办 and 督办 notices; reminders do not count)."""
    return _deduction("urgings", weight, codes, "收到催办督办通知")


def review_rejections(weight: Decimal, codes: Sequence[str]) -> IndicatorScore:
    """domain.md §6.4, §9 review rejections of the lead unit's reports."""
    return _deduction("review_rejections", weight, codes, "办理情况被审核退回")


def rectification(weight: Decimal, parts: Sequence[tuple[str, str]]) -> IndicatorScore:
    """seed 三(三), 条例 Art. 18: rectification parts due in the period, accepted on time;
    late or still overdue count as not on time."""
    late = sum(1 for _, outcome in parts if outcome == "late")
    overdue = sum(1 for _, outcome in parts if outcome == "overdue")
    counted = "整改按期到位 {hits}/{total} 项"
    if late or overdue:
        counted += f"（逾期到位 {late} 项，逾期未到位 {overdue} 项）"
    return _rate(
        "rectification",
        weight,
        [(code, outcome == "on_time") for code, outcome in parts],
        counted,
        "本期无到期整改，不扣分",
    )


def bulletins(weight: Decimal, entries: Sequence[tuple[str, str]]) -> IndicatorScore:
    """seed 三(三) bulletins: commendations add, criticisms deduct, from half the weight."""
    commended = [code for code, verdict in entries if verdict == "commend"]
    criticised = [code for code, verdict in entries if verdict == "criticise"]
    share = BULLETIN_BASE + BULLETIN_STEP * (len(commended) - len(criticised))
    base, step = points(weight, BULLETIN_BASE), points(weight, BULLETIN_STEP)
    explanation = (
        f"通报表扬 {len(commended)} 次、通报批评 {len(criticised)} 次"
        f"（基础分 {base} 分，每次增减 {step} 分）"
    )
    return IndicatorScore(
        "bulletins",
        INDICATORS["bulletins"].label,
        float(len(commended) - len(criticised)),
        weight,
        points(weight, share),
        explanation,
        commended + criticised,
    )


def satisfaction(weight: Decimal, opinions: Sequence[tuple[str, str]]) -> IndicatorScore:
    """domain.md §5, §9 proposers' satisfaction with the answers to NPC/CPPCC items."""
    values = [SATISFACTION_VALUE.get(opinion, Fraction(0)) for _, opinion in opinions]
    share = sum(values, Fraction(0)) / len(values) if values else Fraction(1)
    if opinions:
        counts = "、".join(
            f"{label} {sum(1 for _, o in opinions if o == key)} 件"
            for key, label in SATISFACTION_LABEL.items()
        )
        explanation = f"{counts}，平均满意度 {float(share):.2f}"
    else:
        explanation = "本期无建议提案答复，不扣分"
    return IndicatorScore(
        "satisfaction",
        INDICATORS["satisfaction"].label,
        float(share),
        weight,
        points(weight, share),
        explanation,
        [code for code, _ in opinions],
    )


def score_unit(facts: UnitFacts, weights: Mapping[str, Decimal]) -> UnitScore:
    """A unit's total and the breakdown that explains every point (indicators of weight 0 are
    left out: they are worth nothing)."""
    rules = {
        "report_on_time": lambda w: report_on_time(w, facts.reports),
        "closure_rate": lambda w: closure_rate(w, facts.closures),
        "extensions": lambda w: extensions(w, facts.extensions),
        "urgings": lambda w: urgings(w, facts.urgings),
        "review_rejections": lambda w: review_rejections(w, facts.rejections),
        "rectification": lambda w: rectification(w, facts.rectifications),
        "bulletins": lambda w: bulletins(w, facts.bulletins),
        "satisfaction": lambda w: satisfaction(w, facts.satisfaction),
    }
    breakdown = [
        rule(weights[name]) for name, rule in rules.items() if weights.get(name, Decimal(0)) > 0
    ]
    total = sum((line.points for line in breakdown), Decimal(0))
    return UnitScore(facts.unit_code, total, breakdown)


def ranked(scores: Sequence[UnitScore]) -> list[tuple[int, UnitScore]]:
    """Highest total first; equal totals share a rank (1, 2, 2, 4)."""
    ordered = sorted(scores, key=lambda s: (-s.total, s.unit_code))
    result: list[tuple[int, UnitScore]] = []
    for position, score in enumerate(ordered, start=1):
        rank = result[-1][0] if result and result[-1][1].total == score.total else position
        result.append((rank, score))
    return result
