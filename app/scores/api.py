"""REST routes of performance scores (绩效考评) and the ledgers (台账) exported as .xlsx.

Routes validate, take their dependencies, call one use case (`use_cases.py`) and return a schema.
"""

from typing import Annotated, Literal

from fastapi import Depends, Query, Response

from app.engine import EngineDep, SessionDep, run
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Day, Text
from app.kit.routing import Router
from app.kit.shared import ERRORS
from app.scores import exports, ledgers, service, use_cases
from app.scores.schemas import ScoresOut, WeightsIn, WeightsOut
from app.supervision.matters import today
from app.supervision.schemas import MatterFilters

router = Router(prefix="/api/v1/scores", tags=["scores"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("scores.read"))]
Configurer = Annotated[Principal, Depends(permission("scores.configure"))]
ledgers_router = Router(prefix="/api/v1/ledgers", tags=["ledgers"], responses=ERRORS)
Exporter = Annotated[Principal, Depends(permission("ledgers.export"))]


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


@ledgers_router.get("/matters.xlsx", response_class=Response, responses=exports.XLSX_RESPONSES)
def matters_ledger(
    s: SessionDep,
    principal: Exporter,
    filters: Annotated[MatterFilters, Depends()],
) -> Response:
    """督查事项台账: the matter list, with the filters of `GET /matters`, as a workbook."""
    content = ledgers.matters_workbook(s, principal, filters)
    return exports.download(content, exports.ledger_name("督查事项台账", today()))


@ledgers_router.get("/overdue.xlsx", response_class=Response, responses=exports.XLSX_RESPONSES)
def overdue_ledger(s: SessionDep, principal: Exporter) -> Response:
    """逾期清单: every open obligation past its due day — matters' deadlines and rectification
    parts — with the unit, the days late and how often it was urged."""
    day = today()
    content = ledgers.overdue_workbook(s, principal, day)
    return exports.download(content, exports.ledger_name("逾期清单", day))


@ledgers_router.get(
    "/rectifications.xlsx", response_class=Response, responses=exports.XLSX_RESPONSES
)
def rectifications_ledger(
    s: SessionDep,
    principal: Exporter,
    status_: Annotated[Literal["rectifying", "closed"] | None, Query(alias="status")] = None,
    unit: Text | None = None,
    light: Literal["green", "yellow", "red"] | None = None,
    overdue: bool | None = None,
) -> Response:
    """整改台账: one row per unit's part, with the filters of `GET /rectifications`."""
    day = today()
    content = ledgers.rectifications_workbook(
        s, principal, day, status=status_, unit=unit, light=light, overdue=overdue
    )
    return exports.download(content, exports.ledger_name("整改台账", day))


routers: list[Router] = [router, ledgers_router]
