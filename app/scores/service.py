"""Scores per unit and period (domain.md §9): the weights in force, the scope, the ranking."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.identity.policy import Scope
from app.identity.principal import Principal
from app.kit.clock import clock
from app.kit.errors import InvalidData
from app.org import service as units
from app.org.models import Unit
from app.scores import queries, rules
from app.scores.gather import Period, gather
from app.scores.models import ScoreWeightSet
from app.scores.schemas import (
    IndicatorOut,
    IndicatorScoreOut,
    ScoresOut,
    UnitScoreOut,
    WeightsIn,
    WeightsOut,
)
from app.supervision.matters import today

MAX_PERIOD_DAYS = 3 * 366


def government_of(session: Session, unit_code: str) -> str:
    """The code of the nearest government at or above a unit (whose weights apply)."""
    path = units.government_path(session, unit_code)
    return path.rstrip("/").split("/")[-1] if path else unit_code


def weights_in_force(
    session: Session, government: str
) -> tuple[dict[str, Decimal], ScoreWeightSet | None]:
    """The government's weight set, or the default set."""
    row = session.get(ScoreWeightSet, government)
    if row is None:
        return dict(rules.DEFAULT_WEIGHTS), None
    return {k: Decimal(str(v)) for k, v in row.weights.items()}, row


def weights_out(session: Session, government: str) -> WeightsOut:
    weights, row = weights_in_force(session, government)
    return WeightsOut(
        government_code=government,
        weights={k: float(v) for k, v in weights.items()},
        default=row is None,
        note=row.note if row else "",
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
        indicators=[
            IndicatorOut(name=i.name, label=i.label, clause=i.clause, rule=i.rule)
            for i in rules.INDICATORS.values()
        ],
    )


def set_weights(session: Session, government: str, body: WeightsIn, *, actor: str) -> None:
    """Replace a government's weights (validated: known indicators, non-negative, sum 100)."""
    errors = rules.weight_errors(body.weights)
    if errors:
        raise InvalidData("the weights are invalid", errors=errors)
    weights = {name: float(body.weights[name]) for name in rules.INDICATORS if name in body.weights}
    row = session.get(ScoreWeightSet, government)
    if row is None:
        row = ScoreWeightSet(government_code=government)
        session.add(row)
    row.weights, row.note = weights, body.note
    row.updated_by, row.updated_at = actor, clock.now()
    session.flush()


def check_period(period_start: date, period_end: date) -> Period:
    """A valid scoring period, or 422 naming the field."""
    if period_end < period_start:
        raise InvalidData(
            "the period ends before it starts",
            errors=[{"field": "period_end", "message": f"{period_end} is before {period_start}"}],
        )
    if (period_end - period_start).days > MAX_PERIOD_DAYS:
        raise InvalidData(
            "the period is too long",
            errors=[{"field": "period_end", "message": f"at most {MAX_PERIOD_DAYS} days"}],
        )
    return Period(period_start, period_end)


def scores(session: Session, principal: Principal, period: Period, unit: str | None) -> ScoresOut:
    """Every unit in the caller's scope with a record in the period, ranked, each total with
    the breakdown that explains it."""
    government = government_of(session, principal.unit)
    weights, _ = weights_in_force(session, government)
    scope = queries.readable_scope(session, principal)
    facts = gather(session, period, today())
    codes = [code for code in facts if _included(session, scope, code, unit)]
    names = {
        code: name
        for code, name in session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes)))
    }
    scored = [rules.score_unit(facts[code], weights) for code in codes]
    return ScoresOut(
        period_start=period.start,
        period_end=period.end,
        government_code=government,
        weights={k: float(v) for k, v in weights.items()},
        items=[
            UnitScoreOut(
                rank=rank,
                unit_code=score.unit_code,
                unit_name=names.get(score.unit_code),
                total=float(score.total),
                breakdown=[
                    IndicatorScoreOut(
                        indicator=line.indicator,
                        label=line.label,
                        value=line.value,
                        weight=float(line.weight),
                        points=float(line.points),
                        explanation=line.explanation,
                        evidence=line.evidence,
                    )
                    for line in score.breakdown
                ],
            )
            for rank, score in rules.ranked(scored)
        ],
    )


def _included(session: Session, scope: Scope, code: str, unit: str | None) -> bool:
    if not scope.contains(session, code):
        return False
    if unit is None:
        return True
    path = units.path_of(session, code)
    return path is not None and f"{unit}/" in path
