"""Business rule tasks (业务规则任务) as SpiffWorkflow specs: evaluate a deployed decision table.

The spec knows only the decision's key: before each step the runtime hands the workflow the
latest deployed tables its business rule tasks name (`workflow.decisions`, key → table), and the
table evaluates itself through the restricted evaluator (`app.engine.script.decisions`).
"""

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask


class DecisionMissing(Exception):
    """The decision a business rule task names was not handed to the workflow."""


class DecisionTaskSpec(SpiffBpmnTask):
    """A `businessRuleTask`: runs at once, putting the decision's result into task data."""

    def __init__(
        self,
        wf_spec: Any,
        bpmn_id: str,
        decision_ref: str,
        result_variable: str,
        result_mapping: str | None = None,
        **kw: Any,
    ):
        super().__init__(wf_spec, bpmn_id, **kw)
        self.decision_ref = decision_ref
        self.result_variable = result_variable
        self.result_mapping = result_mapping

    def _run_hook(self, my_task: Any) -> bool:
        tables = getattr(my_task.workflow.top_workflow, "decisions", {})
        table = tables.get(self.decision_ref)
        try:
            if table is None:
                raise DecisionMissing(f"decision '{self.decision_ref}' is not deployed")
            value = table.evaluate(my_task.data, self.result_mapping)
        except Exception as exc:  # the incident names this task (and the cause, the decision)
            raise WorkflowTaskException(str(exc), task=my_task, exception=exc) from exc
        my_task.data[self.result_variable] = value
        result: bool = super()._run_hook(my_task)
        return result


def decision_refs(process_specs: list[Any]) -> dict[str, list[str]]:
    """The decisions these process specs' business rule tasks name → the tasks' element ids."""
    refs: dict[str, list[str]] = {}
    for spec in process_specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, DecisionTaskSpec):
                refs.setdefault(task_spec.decision_ref, []).append(task_spec.bpmn_id)
    return refs
