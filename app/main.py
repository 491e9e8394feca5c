"""The ASGI application: routers, error handling, health, metrics and the start-up sequence."""

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import idempotency
from app.activities import api as activities_api
from app.activities import recorder as activities_recorder
from app.bodylimit import BodyLimit
from app.config import Settings, get_settings
from app.db import Database, is_database_fault
from app.engine import Engine, Scheduler, SpecCache, StepRegistry, WorkflowCache, deploy_directory
from app.engine import listen as listen_to_notices
from app.engine.api import audit_subjects as engine_subjects
from app.engine.api import migration_runs
from app.engine.api.routes import router as engine_router
from app.events import api as events_api
from app.events import notices as events_notices
from app.events import recorder as events_recorder
from app.events.retention import Retention
from app.external import api as external_api
from app.faults import RETRY_AFTER, DatabaseFaults, fault_body, internal_error_body
from app.idempotency import IdempotencyMiddleware, claim_in_transaction
from app.identity import subjects as audit_subjects
from app.identity.api import router as identity_router
from app.identity.auth import Authenticator
from app.identity.principal import KNOWN_ROLES
from app.identity.units_api import router as units_router
from app.inflight import InFlight
from app.kit.errors import DomainError
from app.kit.i18n import lang_of, localize, localize_detail, pydantic_messages
from app.migrate import upgrade
from app.notifications import api as notifications_api
from app.notifications import retention as notifications_retention
from app.notifications import worker as notifications_worker
from app.org import service as units
from app.partitions import Partitions
from app.planning import api as planning_api
from app.planning import recorder as planning_recorder
from app.rectification import api as rectification_api
from app.rectification import recorder as rectification_recorder
from app.rectification import sweep
from app.results import api as results_api
from app.results import recorder as results_recorder
from app.scores import api as scores_api
from app.supervision import audit_subjects as matter_subjects
from app.supervision import holidays, recorder, tally
from app.supervision.api import calendar_router
from app.supervision.api import router as matters_router
from app.supervision.lights import task_light
from app.watch import ProcessWatcher
from app.web import mount_console
from app.webhooks import api as webhooks_api
from app.webhooks import retention as webhooks_retention
from app.webhooks import worker as webhooks_worker
from app.worker import Worker

log = logging.getLogger("ducha")

REQUESTS = Counter("ducha_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ducha_http_request_seconds", "HTTP request latency", ["method", "route"])


@dataclass(frozen=True)
class Runtime:
    """What a service or scheduler process runs on: the database, the engine, the timer loop."""

    settings: Settings
    db: Database
    engine: Engine
    scheduler: Scheduler
    workers: list[Worker]
    watcher: ProcessWatcher | None

    def start_background(self) -> None:
        """The timer loop, the workers and the processes/ watcher, as the settings ask."""
        if self.settings.scheduler_enabled:
            self.scheduler.start()
        if self.settings.workers_enabled:
            for worker in self.workers:
                worker.start()
        if self.watcher is not None:
            self.watcher.start()

    def stop_background(self, timeout: float = 10.0) -> None:
        """Finish the job or round in hand; release what is held."""
        if self.watcher is not None:
            self.watcher.stop(timeout)
        for worker in self.workers:
            worker.stop(timeout)
        self.scheduler.stop(timeout)

    def prepare(self) -> None:
        """The start-up sequence: migrate, load units and holidays, deploy processes/."""
        settings, db = self.settings, self.db
        if settings.migrate_on_startup:
            upgrade(settings.database_url)
        units_file = settings.units_file
        if units_file is not None:
            loaded = db.transaction(lambda s: units.load(s, units.read_file(units_file)))
            log.info("loaded %d units from %s", loaded, units_file)
        try:
            with db.session() as session:
                holidays.apply_stored(session)
        except OperationalError as exc:  # start anyway: /health reports the database
            log.warning("holiday schedules not loaded: %s", exc)
        if settings.deploy_on_startup and settings.processes_dir.is_dir():
            deployed = deploy_directory(
                self.engine, settings.processes_dir, max_bytes=settings.max_bpmn_bytes
            )
            log.info(
                "deployed %d process definitions from %s", len(deployed), settings.processes_dir
            )


def register_step_handlers(steps: StepRegistry) -> None:
    """Every domain's step handlers, in the order they run (app.engine.runtime.steps)."""
    for domain in (
        events_recorder,  # engine events first: task.completed before matter.*
        recorder,
        planning_recorder,
        activities_recorder,
        results_recorder,
        rectification_recorder,
    ):
        domain.register(steps)


def equip(engine: Engine) -> None:
    """What the domains give the engine: step handlers, the tasks' light, the roles a candidate
    group may name. Every engine that deploys is equipped (serve, `ducha deploy`, `ducha lint`),
    so that all of them refuse the same diagrams."""
    register_step_handlers(engine.steps)
    engine.due_marker = task_light  # domain.md §7 lights on the inbox's tasks
    engine.roles = KNOWN_ROLES  # a candidate group must name a role someone can hold


def build_runtime(settings: Settings) -> Runtime:
    """One database, one engine with every domain's step handlers, one timer loop."""
    db = Database(
        settings, info={units.TREE_CACHE: units.UnitTreeCache(settings.unit_cache_seconds)}
    )
    db.before_commit.append(claim_in_transaction)
    engine = Engine(db, SpecCache(), WorkflowCache(settings.workflow_cache_size))
    equip(engine)
    listen_to_notices(events_notices.on_notice)  # the engine's notices become outbox events
    scheduler = Scheduler(engine, settings)
    keep_keys = timedelta(hours=settings.idempotency_ttl_hours)
    scheduler.housekeeping.append(lambda: idempotency.purge(db, keep_keys))
    scheduler.housekeeping.append(lambda: sweep.sweep_lights(db))
    webhooks_retention.register()
    notifications_retention.register()
    retention = Retention(db, settings)
    workers = [
        *webhooks_worker.workers(db, engine, settings),
        *notifications_worker.workers(db, engine, settings),
        Worker("retention", retention.round, settings.retention_interval_seconds),
        Worker(
            "matter tally", lambda: db.transaction(tally.refresh), settings.tally_interval_seconds
        ),
        migration_runs.worker(engine, settings),  # migration batches (实例迁移)
    ]
    if not db.is_sqlite:  # the coming months' partitions of history and audit
        workers.append(
            Worker("partitions", Partitions(db).round, settings.retention_interval_seconds)
        )
    watcher = None
    if settings.watch_processes and settings.processes_dir.is_dir():
        watcher = ProcessWatcher(engine, settings.processes_dir, settings.max_bpmn_bytes)
    return Runtime(settings, db, engine, scheduler, workers, watcher)


def settle_the_heap() -> None:
    """Keep what start-up made out of the garbage collector's full passes.

    Start-up leaves ~350,000 objects that live as long as the process (parsed diagrams, models,
    mappers, routes). CPython's full collection walks every one of them: ~150 ms, a pause that
    lands on whichever request is running (the inbox's p95 at full volume). Frozen after a last
    collection, they are skipped; a full pass walks only what requests made since (0.01 ms after
    start-up, ~19 ms once 150 inbox calls had filled the caches)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service: one database, one engine, one optional scheduler."""
    settings = settings or get_settings()
    runtime = build_runtime(settings)
    db, engine, scheduler = runtime.db, runtime.engine, runtime.scheduler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.prepare()
        if settings.gc_freeze:
            settle_the_heap()
        runtime.start_background()
        yield
        runtime.stop_background()  # after uvicorn let in-flight requests finish
        db.close()
        if settings.gc_freeze:
            gc.unfreeze()  # what this service held may be collected again

    app = FastAPI(
        title="Ducha",
        summary="督查 — BPMN workflow service for government supervision",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.engine = engine
    app.state.scheduler = scheduler
    app.state.authenticator = Authenticator(settings)
    app.include_router(engine_router)
    app.include_router(units_router)
    app.include_router(identity_router)
    app.include_router(matters_router)
    app.include_router(calendar_router)
    for module in (
        planning_api,
        activities_api,
        results_api,
        rectification_api,
        scores_api,
        events_api,
        webhooks_api,
        external_api,
        notifications_api,
    ):
        for router in module.routers:
            app.include_router(router)
    # The audit trail names its rows' matters and steps (identity cannot read those tables).
    audit_subjects.register(engine_subjects.task_steps)
    audit_subjects.register(matter_subjects.matters_of)
    _install_errors(app)
    _install_health(app, db)
    mount_console(app)  # last: its catch-all must not shadow an API route
    return app


HTTP_CODES = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed"}


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        lang = lang_of(request.headers.get("accept-language"))
        body = {
            "detail": localize_detail(exc.detail, lang),
            "code": exc.code,
            "errors": localize(exc.errors, lang),
            **exc.extra,
        }
        headers = {"Retry-After": RETRY_AFTER} if exc.status == 503 else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """The framework's own refusals (an unreadable body, no such route) in our error shape."""
        code = HTTP_CODES.get(exc.status_code, "http_error")
        errors = [{"field": "body", "message": str(exc.detail)}] if exc.status_code == 400 else []
        body = {"detail": str(exc.detail), "code": code, "errors": errors}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def database_fault(_request: Request, exc: Exception) -> JSONResponse:
        if not is_database_fault(exc):  # a DBAPIError the server answered: our bug
            return await internal_error(_request, exc)
        log.error("database error: %s", exc)
        return _fault_response(exc)

    for fault in (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, DBAPIError):
        app.add_exception_handler(fault, database_fault)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        if is_database_fault(exc):  # met outside the routes (a middleware)
            log.error("database error: %s", exc)
            return _fault_response(exc)
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(internal_error_body(exc), status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = lang_of(request.headers.get("accept-language"))
        errors = []
        for e in exc.errors():
            field = ".".join(str(p) for p in e.get("loc", ()))
            message = e.get("msg", "")
            if lang is not None:
                message = pydantic_messages(e.get("type"), field, message)[lang]
            errors.append({"field": field, "message": message, "type": e.get("type")})
        detail = localize_detail("request is invalid", lang)
        body = {"detail": detail, "code": "invalid_request", "errors": errors}
        return JSONResponse(body, status_code=422)


def _fault_response(exc: Exception) -> JSONResponse:
    return JSONResponse(fault_body(exc), status_code=503, headers={"Retry-After": RETRY_AFTER})


class Metrics:
    """Request count and latency per route, as plain ASGI middleware.

    Starlette's `BaseHTTPMiddleware` (`@app.middleware("http")`) runs the app in a separate task
    and streams the response through memory: 0.25 ms per request here, more on a completion.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope["method"]
            path = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(method, path).observe(time.perf_counter() - started)
            REQUESTS.labels(method, path, str(status)).inc()


def _install_health(app: FastAPI, db: Database) -> None:
    # Outermost first: metrics see every answer, a database fault anywhere inside is a 503,
    # the body limit guards the idempotency buffer.
    app.add_middleware(IdempotencyMiddleware)
    # Inside the body limit: a request's whole (bounded) body is read before it takes a turn.
    settings = app.state.settings
    app.add_middleware(InFlight, limit=settings.requests_in_flight or settings.db_pool_size)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(DatabaseFaults)
    app.add_middleware(Metrics)
    # Checks stuck on an unreachable database are abandoned, and hold none of the routes' threads.
    checks = anyio.CapacityLimiter(4)

    def check() -> None:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @app.get("/health", tags=["operations"])
    async def health() -> JSONResponse:
        """Up when the database answers within `health_timeout_seconds` (503 otherwise)."""
        failure: Any = "no answer within the health timeout"
        with anyio.move_on_after(app.state.settings.health_timeout_seconds):
            try:
                await anyio.to_thread.run_sync(check, abandon_on_cancel=True, limiter=checks)
            except Exception as exc:
                if not is_database_fault(exc):
                    raise
                failure = exc
            else:
                return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse(
            {"status": "unavailable", "database": str(failure)[:200]},
            503,
            headers={"Retry-After": RETRY_AFTER},
        )

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


app = create_app()
