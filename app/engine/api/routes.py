"""REST routes of the engine (`/api/v1`): thin — check access, call one service, return a schema."""

from fastapi import APIRouter

from app.engine.api import (
    conditions,
    decisions,
    definitions,
    history,
    instances,
    operations,
    suspension,
    tasks,
    validate,
)

router = APIRouter()
# Routes are matched in order: the busiest (task completions, starts) first.
for module in (
    tasks,
    instances,
    operations,
    conditions,
    validate,
    definitions,
    decisions,
    suspension,
    history,
):
    router.include_router(module.router)
