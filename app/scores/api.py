"""REST routes of performance scores (绩效考评) and the ledgers (台账) exported as .xlsx.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.engine import EngineDep, SessionDep, run
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Day, Text
from app.kit.shared import ERRORS
from app.scores import exports, ledgers, service, use_cases
from app.scores.schemas import ScoresOut, WeightsIn, WeightsOut

router = APIRouter(prefix="/api/v1/scores", tags=["scores"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("scores.read"))]
Configurer = Annotated[Principal, Depends(permission("scores.configure"))]


@router.get("/weights", response_model=WeightsOut)
def get_weights(s: SessionDep, principal: Reader) -> WeightsOut:
    """The indicator weights your government's scores use (the default set until one is set)."""
    return service.weights_out(s, service.government_of(s, principal.unit))


@router.put("/weights", response_model=WeightsOut)
def put_weights(body: WeightsIn, engine: EngineDep, principal: Configurer) -> WeightsOut:
    """Set your government's weights: known indicators, non-negative, summing to 100."""
    return run(engine, use_cases.set_weights, actor=principal, body=body)


@router.get("", response_model=ScoresOut)
def get_scores(
    s: SessionDep,
    principal: Reader,
    period_start: Day,
    period_end: Day,
    unit: Text | None = None,
) -> ScoresOut:
    """Scores per unit for a period, ranked, each with the breakdown that explains every point
    (domain.md §9). Units in your scope with a record in the period; `unit`: it and below."""
    period = service.check_period(period_start, period_end)
    return service.scores(s, principal, period, unit)


@router.get("/export.xlsx", response_class=Response, responses=exports.XLSX_RESPONSES)
def export_scores(
    s: SessionDep,
    principal: Reader,
    period_start: Day,
    period_end: Day,
    unit: Text | None = None,
) -> Response:
    """The scores as a workbook for organisation and personnel departments: totals, breakdown."""
    period = service.check_period(period_start, period_end)
    result = service.scores(s, principal, period, unit)
    name = f"绩效考评得分_{period.start}_{period.end}.xlsx"
    return exports.download(exports.scores_workbook(result), name)


routers: list[APIRouter] = [router, ledgers.router]
