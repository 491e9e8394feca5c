"""External tasks as SpiffWorkflow specs (外部任务): BPMN service tasks that other systems do.

A `serviceTask` with a topic is parsed (`app.engine.parser.external`) as an `ExternalTaskSpec`: it
waits READY like a user task (SpiffWorkflow never runs it) but is no human task, so it is not
projected into `tasks`.
"""

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins import ManualTaskMixin
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask
from SpiffWorkflow.util.task import TaskState


class ExternalTaskSpec(ManualTaskMixin, SpiffBpmnTask):
    """A service task done by an external worker: waits READY (manual) until completed."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str, priority: int = 0, **kw: Any):
        super().__init__(wf_spec, bpmn_id, **kw)
        self.topic = topic
        self.priority = priority


def is_external(task: Any) -> bool:
    """Whether an engine task is an external task."""
    return isinstance(task.task_spec, ExternalTaskSpec)


def is_ready_external(task: Any) -> bool:
    """Whether an engine task is an external task waiting for its worker."""
    return task is not None and is_external(task) and bool(task.has_state(TaskState.READY))


def ready_external_tasks(workflow: Any) -> list[Any]:
    """The engine's ready external tasks."""
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return [t for t in tasks if isinstance(t.task_spec, ExternalTaskSpec)]
