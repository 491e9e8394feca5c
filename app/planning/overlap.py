"""Overlap detection (重复督查、交叉督查、多头督查) — seed 二(一), 条例 Art. 15.

Supervision in the government's name that is not in the annual plan is reviewed by the office
before approval so that the same units are not supervised twice for the same thing at the same
time. A candidate (an existing activity, a plan item not yet run, another pending proposal)
overlaps a proposal when all three hold:

- units: a target unit is the same as, or an ancestor/descendant of, one of the candidate's;
- period: the two periods share at least one day;
- subject: the titles are similar (`similarity.similarity` ≥ the threshold).

Pure: the caller supplies unit paths; nothing here reads the database.
"""

from dataclasses import dataclass, field
from datetime import date

from app.planning.similarity import similarity

DEFAULT_THRESHOLD = 0.35
# How much each signal weighs in the rank of a match (the subject leads).
SUBJECT_WEIGHT, UNITS_WEIGHT, PERIOD_WEIGHT = 0.6, 0.2, 0.2
ANCESTOR_UNITS_SCORE = 0.7  # a unit and its subordinate: overlap, but less than the same unit


@dataclass(frozen=True)
class Supervision:
    """What is compared: a proposal or a candidate, with the paths of its target units."""

    kind: str  # proposal | activity | plan_item
    id: str
    title: str
    units: dict[str, str]  # unit code → path (codes from the root, '/'-terminated)
    start: date
    end: date
    label: str = ""  # a code or reference shown to the reviewer


@dataclass(frozen=True)
class Reason:
    """Why two supervisions overlap, in Chinese for the reviewer and in English."""

    kind: str  # units | period | subject
    detail: str
    detail_en: str


@dataclass(frozen=True)
class Match:
    """A candidate that overlaps, with its rank score and every reason."""

    candidate: Supervision
    score: float
    subject_score: float
    reasons: list[Reason] = field(default_factory=list)


def unit_relation(a: dict[str, str], b: dict[str, str]) -> tuple[float, Reason] | None:
    """The closest relation between two sets of target units: the same unit, else one above
    the other (by path); None when unrelated."""
    same = sorted(set(a) & set(b))
    if same:
        codes = "、".join(same)
        return 1.0, Reason("units", f"同一单位 {codes}", f"same unit {', '.join(same)}")
    for code_a, path_a in sorted(a.items()):
        for code_b, path_b in sorted(b.items()):
            if path_b.startswith(path_a):
                return ANCESTOR_UNITS_SCORE, _nested(code_a, code_b)
            if path_a.startswith(path_b):
                return ANCESTOR_UNITS_SCORE, _nested(code_b, code_a)
    return None


def _nested(upper: str, lower: str) -> Reason:
    return Reason("units", f"上下级单位 {upper} 包含 {lower}", f"unit {upper} is above {lower}")


def period_overlap(
    a_start: date, a_end: date, b_start: date, b_end: date
) -> tuple[date, date] | None:
    """The days two periods share, or None."""
    start, end = max(a_start, b_start), min(a_end, b_end)
    return (start, end) if start <= end else None


def compare(
    proposal: Supervision, candidate: Supervision, *, threshold: float = DEFAULT_THRESHOLD
) -> Match | None:
    """The match of one candidate, or None when any of units, period or subject fails."""
    units = unit_relation(proposal.units, candidate.units)
    if units is None:
        return None
    shared = period_overlap(proposal.start, proposal.end, candidate.start, candidate.end)
    if shared is None:
        return None
    subject = similarity(proposal.title, candidate.title)
    if subject.score < threshold:
        return None
    units_score, units_reason = units
    shared_days = (shared[1] - shared[0]).days + 1
    own_days = (proposal.end - proposal.start).days + 1
    period_score = min(1.0, shared_days / own_days)
    common = "、".join(subject.common) or "字面相近"
    reasons = [
        units_reason,
        Reason(
            "period",
            f"时间重叠 {shared[0].isoformat()}至{shared[1].isoformat()}",
            f"periods overlap {shared[0].isoformat()} to {shared[1].isoformat()}",
        ),
        Reason(
            "subject",
            f"主题相似 {subject.score:.2f}：共同词 {common}",
            f"similar subject {subject.score:.2f}: shared words "
            f"{', '.join(subject.common) or '(characters only)'}",
        ),
    ]
    score = (
        SUBJECT_WEIGHT * subject.score + UNITS_WEIGHT * units_score + PERIOD_WEIGHT * period_score
    )
    return Match(candidate, round(score, 3), subject.score, reasons)


def find_overlaps(
    proposal: Supervision,
    candidates: list[Supervision],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Match]:
    """Every candidate that overlaps the proposal, best first (never the proposal itself)."""
    matches = [
        match
        for candidate in candidates
        if not (candidate.kind == proposal.kind and candidate.id == proposal.id)
        and (match := compare(proposal, candidate, threshold=threshold)) is not None
    ]
    return sorted(matches, key=lambda m: (-m.score, m.candidate.title))
