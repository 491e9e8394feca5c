"""REST routes of the engine (`/api/v1`): thin — check access, call one service, return a schema."""

from fastapi import APIRouter

from app.engine.api import definitions, instances, operations, tasks

router = APIRouter()
for module in (definitions, instances, tasks, operations):
    router.include_router(module.router)
