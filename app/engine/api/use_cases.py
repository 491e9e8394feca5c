"""The engine's acts, one function each: `fn(session, *, actor, …)` run by a route in one
transaction (`deps.run` / `run_step`). Each checks the caller's access inside that transaction
(`access`: 404 unseen, 403 seen but not theirs), acts through the runtime service, writes the
audit record and answers with the schema the route returns."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db import StaleView
from app.engine.api import access
from app.engine.persist.models import TaskRecord
from app.engine.runtime import decisions, deployment, details, modification, names, service
from app.engine.runtime.correlation import Correlation
from app.engine.runtime.engine import Engine
from app.engine.runtime.service import Outcome
from app.engine.schemas import (
    AssignTask,
    CompleteTask,
    DecisionDeploymentOut,
    DeploymentOut,
    ExecuteJob,
    InstanceDetail,
    MessageResult,
    ModifyInstance,
    SendMessage,
    SendSignal,
    StartInstance,
    TaskOut,
)
from app.identity import audit
from app.identity.principal import Principal
from app.kit.errors import DomainError, NotFound


def claim_task(s: Session, *, actor: Principal, task_id: uuid.UUID) -> TaskOut:
    """Take a ready task of the caller's unit and role; 409 if someone else holds it."""
    access.task_to_work(s, actor, task_id)
    record = service.claim(s, task_id=task_id, actor=actor.sub)
    audit.record_change(
        s,
        actor,
        "task.claim",
        record,
        object_type="task",
        data={"element_id": record.element_id},
        unit_code=record.unit_code,
    )
    return names.task_outs(s, [record])[0]


def unclaim_task(s: Session, *, actor: Principal, task_id: uuid.UUID) -> TaskOut:
    """Give a task back: its assignee, or the office."""
    access.task_to_release(s, actor, task_id)
    record = service.assign(s, task_id=task_id, assignee=None, actor=actor.sub)
    audit.record_change(
        s,
        actor,
        "task.unclaim",
        record,
        object_type="task",
        data={"element_id": record.element_id},
        unit_code=record.unit_code,
    )
    return names.task_outs(s, [record])[0]


def assign_task(s: Session, *, actor: Principal, task_id: uuid.UUID, body: AssignTask) -> TaskOut:
    """改派: the office controlling the instance re-assigns a task to a person and/or a unit."""
    access.task_to_assign(s, actor, task_id)
    if body.unit is not None:
        access.unit_in_scope(s, actor, body.unit, "unit")
    record = service.assign(
        s, task_id=task_id, assignee=body.assignee, unit=body.unit, actor=actor.sub
    )
    audit.record_change(
        s,
        actor,
        "task.assign",
        record,
        object_type="task",
        data=body.model_dump(),
        unit_code=record.unit_code,
    )
    return names.task_outs(s, [record])[0]


def complete_task(
    s: Session, *, engine: Engine, actor: Principal, task_id: uuid.UUID, body: CompleteTask
) -> tuple[Outcome, InstanceDetail | None]:
    """Complete a ready task of the caller's unit and role; the instance after the step.

    A task whose workflow this process keeps warm is checked on the rows the step that kept it
    wrote (`service.prime_from_warm`), with no read; the write checks them again. A refusal
    made on them is made again on what the database holds."""
    primed = service.prime_from_warm(engine, s, task_id)
    try:
        record, completion = _completion(s, engine, actor, task_id, body)
    except DomainError:
        if not primed:
            raise
        service.unprime(s)
        record, completion = _completion(s, engine, actor, task_id, body)
    element_id, instance_id, unit_code = record.element_id, record.instance_id, record.unit_code
    try:
        outcome = service.run_completion(engine, s, completion)
    except StaleDataError as stale:
        if not primed:
            raise
        raise StaleView(f"task {task_id} or its instance changed since it was kept") from stale
    detail = None if outcome.failure else service.step_detail(s, outcome)
    audit.record(
        s,
        actor,
        "task.complete",
        object_type="task",
        object_id=str(task_id),
        instance_id=str(instance_id),
        unit_code=unit_code,
        data={
            "element_id": element_id,
            "variables": body.variables,
            "failed": outcome.failure is not None,
        },
    )
    return outcome, detail


def _completion(
    s: Session, engine: Engine, actor: Principal, task_id: uuid.UUID, body: CompleteTask
) -> tuple[TaskRecord, service.Completion]:
    record = access.task_to_work(s, actor, task_id)
    completion = service.prepare_completion(
        engine, s, task_id=task_id, variables=body.variables, actor=actor.sub
    )
    return record, completion


def start_instance(
    s: Session, *, engine: Engine, actor: Principal, body: StartInstance
) -> tuple[Outcome, InstanceDetail | None]:
    """Start an instance owned by the caller's unit (or `unit` in their scope)."""
    unit = body.unit or actor.unit
    if body.unit is not None:
        access.unit_in_scope(s, actor, body.unit, "unit")
    outcome = service.start(
        engine,
        s,
        process_key=body.process_key,
        version=body.version,
        business_key=body.business_key,
        variables=body.variables,
        actor=actor.sub,
        unit_code=unit,
    )
    detail = None if outcome.failure else service.step_detail(s, outcome)
    audit.record(
        s,
        actor,
        "instance.start",
        object_type="process_instance",
        object_id=str(outcome.instance_id),
        instance_id=str(outcome.instance_id),
        unit_code=unit,
        data={
            "process_key": body.process_key,
            "version": body.version,
            "business_key": body.business_key,
            "variables": body.variables,
        },
    )
    return outcome, detail


def cancel_instance(
    s: Session, *, engine: Engine, actor: Principal, instance_id: uuid.UUID
) -> InstanceDetail:
    """Cancel a running (or failed) instance the caller's office controls."""
    row = access.instance_to_control(s, actor, instance_id, "instances.cancel")
    service.cancel(engine, s, instance_id=instance_id, actor=actor.sub)
    detail = details.instance_detail(s, instance_id)
    audit.record(
        s,
        actor,
        "instance.cancel",
        object_type="process_instance",
        object_id=str(instance_id),
        instance_id=str(instance_id),
        unit_code=row.unit_code,
    )
    return detail


def send_message(
    s: Session, *, engine: Engine, actor: Principal, body: SendMessage
) -> tuple[MessageResult, list[Outcome]]:
    """Correlate a message with waiting instances the caller controls, or start new ones owned
    by their unit; the outcomes say whether a process failed."""
    correlation = Correlation(
        correlation_key=body.correlation_key,
        instance_id=body.process_instance_id,
        variables=body.correlation_variables,
        all=body.all,
    )
    result, outcomes = service.send_message(
        engine,
        s,
        name=body.name,
        correlation_key=body.correlation_key,
        variables=body.variables,
        actor=actor.sub,
        visible_instances=access.controlled_instance_ids(s, actor),
        unit_code=actor.unit,
        correlation=correlation,
    )
    audit.record(
        s,
        actor,
        "message.send",
        object_type="message",
        object_id=body.name,
        data={
            **body.model_dump(),
            "delivered": [str(i) for i in result.delivered],
            "started": [str(i) for i in result.started],
        },
    )
    return result, outcomes


def send_signal(
    s: Session, *, engine: Engine, actor: Principal, body: SendSignal
) -> tuple[MessageResult, list[Outcome]]:
    """Broadcast a signal to every catcher in instances the caller controls, and start the
    processes it starts, owned by their unit; reaching nobody is an empty answer."""
    result, outcomes = service.broadcast_signal(
        engine,
        s,
        name=body.name,
        variables=body.variables,
        actor=actor.sub,
        visible_instances=access.controlled_instance_ids(s, actor),
        unit_code=actor.unit,
    )
    audit.record(
        s,
        actor,
        "signal.send",
        object_type="signal",
        object_id=body.name,
        data={
            **body.model_dump(),
            "delivered": [str(i) for i in result.delivered],
            "started": [str(i) for i in result.started],
        },
    )
    return result, outcomes


def execute_job(
    s: Session, *, engine: Engine, actor: Principal, job_id: uuid.UUID, body: ExecuteJob | None
) -> tuple[Outcome, InstanceDetail | None]:
    """Fire a timer now: admins, and the office controlling its instance."""
    access.job_to_execute(s, actor, job_id)
    reason = body.reason if body is not None else None
    outcome = service.execute_job(engine, s, job_id=job_id, actor=actor.sub, early_reason=reason)
    if outcome is None:
        raise NotFound(f"job {job_id} not found")
    detail = None if outcome.failure else service.step_detail(s, outcome)
    audit.record(
        s,
        actor,
        "job.execute",
        object_type="job",
        object_id=str(job_id),
        instance_id=str(outcome.instance_id),
    )
    return outcome, detail


def deploy_definition(
    s: Session,
    *,
    engine: Engine,
    actor: Principal,
    xml: bytes,
    file_name: str,
    forms: dict[str, Any],
    decision_files: Sequence[tuple[str, bytes]] = (),
    max_bytes: int,
) -> DeploymentOut:
    """Deploy a BPMN file with its forms and decision tables; each new version is audited,
    identical content is not."""
    result = deployment.deploy(
        engine,
        s,
        xml=xml,
        file_name=file_name,
        forms=forms,
        actor=actor.sub,
        max_bytes=max_bytes,
        decision_files=decision_files,
    )
    _audit_decisions(s, actor, result.decisions)
    if result.created:
        audit.record(
            s,
            actor,
            "definition.deploy",
            object_type="process_definition",
            object_id=str(result.id),
            data={
                "key": result.key,
                "version": result.version,
                "file_name": file_name,
                "content_hash": result.content_hash,
            },
        )
    return result


def deploy_decisions(
    s: Session, *, actor: Principal, files: Sequence[tuple[str, bytes]], max_bytes: int
) -> list[DecisionDeploymentOut]:
    """Deploy the decision tables of DMN files alone; each new version is audited."""
    deployed = decisions.deploy_files(s, files, actor=actor.sub, max_bytes=max_bytes)
    _audit_decisions(s, actor, deployed)
    return deployed


def _audit_decisions(s: Session, actor: Principal, deployed: list[DecisionDeploymentOut]) -> None:
    for item in deployed:
        if item.created:
            audit.record(
                s,
                actor,
                "decision.deploy",
                object_type="decision_definition",
                object_id=str(item.id),
                data={"key": item.key, "version": item.version, "file_name": item.file_name},
            )


def modify_instance(
    s: Session, *, engine: Engine, actor: Principal, instance_id: uuid.UUID, body: ModifyInstance
) -> InstanceDetail:
    """Cancel activities, start before or after elements (流程实例修改): the office controlling
    the instance; the instance after the step."""
    row = access.instance_to_control(s, actor, instance_id, "instances.modify")
    outcome = modification.modify(
        engine,
        s,
        instance_id=instance_id,
        instructions_=body.instructions,
        reason=body.reason,
        actor=actor.sub,
    )
    detail = service.step_detail(s, outcome)
    audit.record(
        s,
        actor,
        "instance.modify",
        object_type="process_instance",
        object_id=str(instance_id),
        instance_id=str(instance_id),
        unit_code=row.unit_code,
        data={**body.model_dump(mode="json", exclude_defaults=True), "status": detail.status},
    )
    return detail
