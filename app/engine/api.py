"""REST routes of the engine: thin — validate, call one service function, return a schema."""

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.engine import service
from app.engine.models import HistoryEvent, Job, ProcessInstance, TaskRecord
from app.engine.runtime import Engine
from app.engine.schemas import (
    AssignTask,
    CompleteTask,
    DefinitionOut,
    DeploymentOut,
    ErrorOut,
    HistoryOut,
    InstanceDetail,
    InstanceOut,
    JobOut,
    MessageResult,
    Page,
    SendMessage,
    StartInstance,
    TaskDetail,
    TaskOut,
)
from app.errors import InvalidBpmn, ProcessError

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 404, 409, 422)
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def current_actor(
    x_ducha_user: Annotated[str | None, Header(min_length=1, max_length=255)] = None,
) -> str | None:
    """Who is acting (replaced by authenticated identity)."""
    return x_ducha_user


EngineDep = Annotated[Engine, Depends(get_engine)]
Actor = Annotated[str | None, Depends(current_actor)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


def _raise_failure(outcome: service.Outcome) -> None:
    if outcome.failure is not None:
        raise ProcessError(
            f"the process failed: {outcome.failure.message}",
            errors=[{"element_id": outcome.failure.element_id, "message": outcome.failure.message}],
            instance_id=str(outcome.instance_id),
            incident_id=str(outcome.incident_id),
        )


# --- definitions -------------------------------------------------------------------------


@router.post(
    "/process-definitions",
    response_model=DeploymentOut,
    status_code=status.HTTP_201_CREATED,
    tags=["definitions"],
    responses={200: {"model": DeploymentOut, "description": "identical content: existing version"}},
)
async def deploy_definition(
    request: Request,
    engine: EngineDep,
    actor: Actor,
    file: Annotated[UploadFile, File(description="one .bpmn file")],
    forms: Annotated[list[UploadFile] | None, File(description="JSON Schema form files")] = None,
) -> Response:
    """Deploy a BPMN file: 201 with a new version, 200 with the existing one when identical."""
    limit = request.app.state.settings.max_bpmn_bytes
    xml = await file.read(limit + 1)
    form_schemas = {}
    for form in forms or []:
        raw = await form.read(limit + 1)
        try:
            form_schemas[form.filename or ""] = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InvalidBpmn(
                f"form '{form.filename}' is not JSON",
                errors=[{"field": form.filename, "message": str(exc)}],
            ) from exc
    file_name = file.filename or "upload.bpmn"
    result = await _in_thread(
        lambda: engine.db.transaction(
            lambda s: service.deploy(
                engine,
                s,
                xml=xml,
                file_name=file_name,
                forms=form_schemas,
                actor=actor,
                max_bytes=limit,
            )
        )
    )
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return JSONResponse(result.model_dump(mode="json"), status_code=code)


async def _in_thread(fn: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn)


@router.get("/process-definitions", response_model=Page[DefinitionOut], tags=["definitions"])
def list_definitions(
    engine: EngineDep,
    key: str | None = None,
    latest: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DefinitionOut]:
    """Deployed definitions; `latest=true` keeps only each process's newest version."""
    with engine.db.session() as s:
        items, total = service.list_definitions(
            s, key=key, latest=latest, limit=limit, offset=offset
        )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/process-definitions/{definition_id}", response_model=DefinitionOut, tags=["definitions"]
)
def get_definition(definition_id: uuid.UUID, engine: EngineDep) -> DefinitionOut:
    with engine.db.session() as s:
        return DefinitionOut.model_validate(service.get_definition(s, definition_id))


@router.get(
    "/process-definitions/{definition_id}/xml",
    tags=["definitions"],
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def get_definition_xml(definition_id: uuid.UUID, engine: EngineDep) -> Response:
    """The BPMN XML exactly as deployed."""
    with engine.db.session() as s:
        xml = service.get_definition(s, definition_id).bpmn_xml
    return Response(xml, media_type="application/xml")


# --- instances ---------------------------------------------------------------------------


@router.post(
    "/process-instances",
    response_model=InstanceDetail,
    status_code=status.HTTP_201_CREATED,
    tags=["instances"],
)
def start_instance(body: StartInstance, engine: EngineDep, actor: Actor) -> InstanceDetail:
    """Start an instance; it runs until it waits for a person, a timer or a message."""
    outcome = engine.db.transaction(
        lambda s: service.start(
            engine,
            s,
            process_key=body.process_key,
            version=body.version,
            business_key=body.business_key,
            variables=body.variables,
            actor=actor,
        )
    )
    _raise_failure(outcome)
    return _detail(engine, outcome.instance_id)


def _detail(engine: Engine, instance_id: uuid.UUID) -> InstanceDetail:
    with engine.db.session() as s:
        return service.instance_detail(s, instance_id)


@router.get("/process-instances", response_model=Page[InstanceOut], tags=["instances"])
def list_instances(
    engine: EngineDep,
    process_key: str | None = None,
    status_: Annotated[
        Literal["running", "completed", "cancelled", "error"] | None, Query(alias="status")
    ] = None,
    business_key: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InstanceOut]:
    """Instances, newest first, filtered by process, status and business key."""
    query = select(ProcessInstance)
    if process_key:
        query = query.where(ProcessInstance.process_key == process_key)
    if status_:
        query = query.where(ProcessInstance.status == status_)
    if business_key:
        query = query.where(ProcessInstance.business_key == business_key)
    with engine.db.session() as s:
        return _page(s, query, ProcessInstance.created_at.desc(), InstanceOut, limit, offset)


def _page(s: Session, query: Any, order: Any, schema: Any, limit: int, offset: int) -> Any:
    total = s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = s.scalars(query.order_by(order).limit(limit).offset(offset))
    return Page(
        items=[schema.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/process-instances/{instance_id}", response_model=InstanceDetail, tags=["instances"])
def get_instance(instance_id: uuid.UUID, engine: EngineDep) -> InstanceDetail:
    return _detail(engine, instance_id)


@router.get(
    "/process-instances/{instance_id}/history", response_model=list[HistoryOut], tags=["instances"]
)
def get_history(instance_id: uuid.UUID, engine: EngineDep) -> list[HistoryOut]:
    """Every recorded change of the instance, oldest first."""
    with engine.db.session() as s:
        service.instance_detail(s, instance_id)  # 404 for unknown instances
        rows = s.scalars(
            select(HistoryEvent)
            .where(HistoryEvent.instance_id == instance_id)
            .order_by(HistoryEvent.id)
        )
        return [HistoryOut.model_validate(r) for r in rows]


@router.post(
    "/process-instances/{instance_id}/cancel", response_model=InstanceDetail, tags=["instances"]
)
def cancel_instance(instance_id: uuid.UUID, engine: EngineDep, actor: Actor) -> InstanceDetail:
    engine.db.transaction(lambda s: service.cancel(engine, s, instance_id=instance_id, actor=actor))
    return _detail(engine, instance_id)


# --- tasks -------------------------------------------------------------------------------


@router.get("/tasks", response_model=Page[TaskOut], tags=["tasks"])
def list_tasks(
    engine: EngineDep,
    state: Literal["ready", "completed", "cancelled"] | None = "ready",
    assignee: str | None = None,
    candidate_group: str | None = None,
    process_instance_id: uuid.UUID | None = None,
    process_key: str | None = None,
    element_id: str | None = None,
    due_before: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TaskOut]:
    """Tasks from the projection (never loads a workflow), oldest first."""
    query = select(TaskRecord)
    if state:
        query = query.where(TaskRecord.state == state)
    if assignee:
        query = query.where(TaskRecord.assignee == assignee)
    if process_instance_id:
        query = query.where(TaskRecord.instance_id == process_instance_id)
    if process_key:
        query = query.where(TaskRecord.process_key == process_key)
    if element_id:
        query = query.where(TaskRecord.element_id == element_id)
    if due_before:
        query = query.where(TaskRecord.due_at < due_before)
    with engine.db.session() as s:
        if candidate_group:
            # JSON containment differs per backend; filter the (indexed, narrowed) rows here.
            rows = [
                r
                for r in s.scalars(query.order_by(TaskRecord.created_at))
                if candidate_group in (r.candidate_groups or [])
            ]
            items = [TaskOut.model_validate(r) for r in rows[offset : offset + limit]]
            return Page(items=items, total=len(rows), limit=limit, offset=offset)
        return _page(s, query, TaskRecord.created_at, TaskOut, limit, offset)


@router.get("/tasks/{task_id}", response_model=TaskDetail, tags=["tasks"])
def get_task(task_id: uuid.UUID, engine: EngineDep) -> TaskDetail:
    """A task with its input data and its form's JSON Schema."""
    with engine.db.session() as s:
        record = service.get_task(s, task_id)
        detail = TaskDetail.model_validate(record)
        if record.form:
            instance = s.get(ProcessInstance, record.instance_id)
            if instance is not None:
                cached = engine.specs.get(s, instance.definition_id)
                detail.form_schema = cached.forms.get(record.form)
        return detail


@router.post("/tasks/{task_id}/claim", response_model=TaskOut, tags=["tasks"])
def claim_task(task_id: uuid.UUID, engine: EngineDep, actor: Actor) -> TaskOut:
    """Take a ready task for yourself; 409 if someone else holds it."""
    if actor is None:
        from app.errors import DomainError

        raise DomainError("claiming needs a user", errors=[{"field": "X-Ducha-User"}])
    user: str = actor
    return engine.db.transaction(
        lambda s: TaskOut.model_validate(service.claim(s, task_id=task_id, actor=user))
    )


@router.post("/tasks/{task_id}/unclaim", response_model=TaskOut, tags=["tasks"])
def unclaim_task(task_id: uuid.UUID, engine: EngineDep, actor: Actor) -> TaskOut:
    return engine.db.transaction(
        lambda s: TaskOut.model_validate(
            service.assign(s, task_id=task_id, assignee=None, actor=actor)
        )
    )


@router.post("/tasks/{task_id}/assign", response_model=TaskOut, tags=["tasks"])
def assign_task(task_id: uuid.UUID, body: AssignTask, engine: EngineDep, actor: Actor) -> TaskOut:
    return engine.db.transaction(
        lambda s: TaskOut.model_validate(
            service.assign(s, task_id=task_id, assignee=body.assignee, actor=actor)
        )
    )


@router.post("/tasks/{task_id}/complete", response_model=InstanceDetail, tags=["tasks"])
def complete_task(
    task_id: uuid.UUID, body: CompleteTask, engine: EngineDep, actor: Actor
) -> InstanceDetail:
    """Complete a ready task with data; answers with the instance after the step."""
    outcome = engine.db.transaction(
        lambda s: service.complete(
            engine, s, task_id=task_id, variables=body.variables, actor=actor
        )
    )
    _raise_failure(outcome)
    return _detail(engine, outcome.instance_id)


# --- messages and jobs -------------------------------------------------------------------


@router.post("/messages", response_model=MessageResult, tags=["messages"])
def send_message(body: SendMessage, engine: EngineDep, actor: Actor) -> MessageResult:
    """Correlate a message with waiting instances (by business key), or start new ones."""
    result, outcomes = engine.db.transaction(
        lambda s: service.send_message(
            engine,
            s,
            name=body.name,
            correlation_key=body.correlation_key,
            variables=body.variables,
            actor=actor,
        )
    )
    for outcome in outcomes:
        _raise_failure(outcome)
    return result


@router.get("/jobs", response_model=Page[JobOut], tags=["jobs"])
def list_jobs(
    engine: EngineDep,
    due_before: datetime | None = None,
    process_instance_id: uuid.UUID | None = None,
    status_: Annotated[Literal["waiting", "failed"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[JobOut]:
    """Waiting (and failed) timers with their due time, earliest first."""
    query = select(Job)
    if due_before:
        query = query.where(Job.due_at < due_before)
    if process_instance_id:
        query = query.where(Job.instance_id == process_instance_id)
    if status_:
        query = query.where(Job.status == status_)
    with engine.db.session() as s:
        return _page(s, query, Job.due_at, JobOut, limit, offset)


@router.post("/jobs/{job_id}/execute", response_model=InstanceDetail, tags=["jobs"])
def execute_job(job_id: uuid.UUID, engine: EngineDep, actor: Actor) -> InstanceDetail:
    """Fire a timer now, whatever its due time (operators and tests)."""
    outcome = engine.db.transaction(
        lambda s: service.execute_job(engine, s, job_id=job_id, actor=actor)
    )
    if outcome is None:
        from app.errors import NotFound

        raise NotFound(f"job {job_id} not found")
    _raise_failure(outcome)
    return _detail(engine, outcome.instance_id)
