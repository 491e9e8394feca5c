"""The engine's face: everything a domain may use of the engine, and nothing more.

Domains import from here only (`from app.engine import …`), never from the engine's
subpackages, which are its own:

- `parser/`  BPMN files to checked SpiffWorkflow specs (and the external-task parser)
- `specs/`   task specs the engine adds (external tasks) and designers' due dates
- `script/`  the restricted Python that scripts, gateways and expressions run in
- `persist/` the engine's tables, the serialized workflow state, the step's writes
- `runtime/` load → step → save, the operations on instances and tasks (external tasks' workers
             and operators among them), timers, deployment
- `api/`     the engine's own REST routes and route helpers (the layer that may use identity)

The engine imports no domain package. It tells what happened through step handlers
(`Engine.steps`: a `StepRegistry` of handlers keyed by the diagram's markers, each given a
`StepContext`) and notices (`listen`, given a `Notice`); a domain rule it shows on tasks comes
through a hook (`Engine.due_marker`). Who may read which instances (`readable_instance_ids`)
and which tasks (`filtered_tasks`, the rule of `GET /tasks`), from `api/queries.py`, and who
controls one (`instance_to_control`, from `api/access.py`) are here
for the domains whose rows hang on an instance.
"""

from app.deps import SessionDep
from app.engine.api.access import instance_to_control
from app.engine.api.deps import (
    EngineDep,
    model_response,
    raise_failure,
    run,
    run_step,
    stepped,
)
from app.engine.api.queries import filtered_tasks, readable_instance_ids, workable_clause
from app.engine.persist.external_tasks import ExternalTask
from app.engine.persist.models import (
    HistoryEvent,
    Incident,
    InstanceUnit,
    Job,
    ProcessDefinition,
    ProcessInstance,
    TaskRecord,
)
from app.engine.runtime.caches import SpecCache, WorkflowCache
from app.engine.runtime.deployment import (
    deploy_decision_files,
    deploy_directory,
    deploy_file,
    deploy_in_rounds,
)
from app.engine.runtime.engine import CompletedElement, DueMarker, Engine, StepEvents
from app.engine.runtime.external_tasks import NotLockHolder
from app.engine.runtime.external_tasks import Topic as ExternalTopic
from app.engine.runtime.external_tasks import bpmn_error as throw_bpmn_error
from app.engine.runtime.external_tasks import complete as complete_external_task
from app.engine.runtime.external_tasks import extend_lock as extend_external_lock
from app.engine.runtime.external_tasks import failure as fail_external_task
from app.engine.runtime.external_tasks import fetch_and_lock as fetch_external_tasks
from app.engine.runtime.external_tasks import locked_clause as external_locked_clause
from app.engine.runtime.external_tasks import set_retries as set_external_retries
from app.engine.runtime.external_tasks import visible_variables as external_variables
from app.engine.runtime.names import name_tasks, task_outs
from app.engine.runtime.notices import Notice, NoticeListener, listen
from app.engine.runtime.scheduler import Scheduler
from app.engine.runtime.service import Outcome, find_task, get_task, started_tasks
from app.engine.runtime.service import assign as assign_task
from app.engine.runtime.service import cancel as cancel_instance
from app.engine.runtime.service import claim as claim_task
from app.engine.runtime.service import complete as complete_task
from app.engine.runtime.service import send_message as correlate_message
from app.engine.runtime.service import start as start_instance
from app.engine.runtime.steps import ElementHandler, StepContext, StepHook, StepRegistry
from app.engine.runtime.trace import StepTrace
from app.engine.runtime.variables import set_variables
from app.engine.schemas import DeploymentOut, TaskOut

__all__ = [
    "CompletedElement",
    "DeploymentOut",
    "DueMarker",
    "ElementHandler",
    "Engine",
    "EngineDep",
    "ExternalTask",
    "ExternalTopic",
    "HistoryEvent",
    "Incident",
    "InstanceUnit",
    "Job",
    "NotLockHolder",
    "Notice",
    "NoticeListener",
    "Outcome",
    "ProcessDefinition",
    "ProcessInstance",
    "Scheduler",
    "SessionDep",
    "SpecCache",
    "StepContext",
    "StepEvents",
    "StepHook",
    "StepRegistry",
    "StepTrace",
    "TaskOut",
    "TaskRecord",
    "WorkflowCache",
    "assign_task",
    "cancel_instance",
    "claim_task",
    "complete_external_task",
    "complete_task",
    "correlate_message",
    "deploy_decision_files",
    "deploy_directory",
    "deploy_file",
    "deploy_in_rounds",
    "extend_external_lock",
    "external_locked_clause",
    "external_variables",
    "fail_external_task",
    "fetch_external_tasks",
    "filtered_tasks",
    "find_task",
    "get_task",
    "instance_to_control",
    "listen",
    "model_response",
    "name_tasks",
    "raise_failure",
    "readable_instance_ids",
    "run",
    "run_step",
    "set_external_retries",
    "set_variables",
    "start_instance",
    "started_tasks",
    "stepped",
    "task_outs",
    "throw_bpmn_error",
    "workable_clause",
]
