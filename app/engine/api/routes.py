"""REST routes of the engine (`/api/v1`): thin — check access, call one service, return a schema."""

from app.engine.api import (
    conditions,
    decisions,
    definitions,
    history,
    incidents,
    instances,
    migrations,
    modification,
    operations,
    suspension,
    tasks,
    validate,
    variables,
)
from app.kit.routing import Router

router = Router()
# Routes are matched in order: the busiest (task completions, starts) first.
for module in (
    tasks,
    instances,
    modification,
    operations,
    conditions,
    validate,
    definitions,
    decisions,
    variables,
    incidents,
    migrations,
    suspension,
    history,
):
    router.include_router(module.router)
