"""Reading business rule tasks (业务规则任务) from BPMN: which decision, where its result goes.

Camunda Modeler writes `camunda:decisionRef="…"` (with `camunda:resultVariable` and
`camunda:mapDecisionResult`), SpiffWorkflow's modeler `spiffworkflow:calledDecisionId`. The result
goes into task data under the result variable, else under the decision's id. Decisions bind to
their latest deployed version when the task runs (Camunda's default binding); other bindings,
expressions as references and other implementations are refused at deploy. One with an external
topic (`camunda:type="external" camunda:topic`, `zeebe:taskDefinition`) is an external task.
"""

from typing import Any

from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser

from app.engine.parser import topics
from app.engine.script import decisions
from app.engine.specs.decision import DecisionTaskSpec

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_IMPLEMENTATIONS = ("class", "delegateExpression", "expression", "type", "topic", "taskPriority")


def decision_ref_of(element: Any) -> str | None:
    """The decision a `businessRuleTask` names (Camunda attribute or spiff extension)."""
    ref = element.get(f"{{{CAMUNDA_NS}}}decisionRef")
    if ref is None:
        path = f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId"
        found = element.find(path)
        ref = found.text if found is not None else None
    return ref.strip() if ref is not None else None


def result_variable_of(element: Any) -> str:
    """Where the result goes in task data: `camunda:resultVariable`, else the decision's id."""
    variable = (element.get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip()
    return variable or (decision_ref_of(element) or "")


def business_rule_task_problems(root: Any) -> list[dict[str, Any]]:
    """Every `businessRuleTask` must name a decision literally and bind it as we can."""
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        message = _problem(element)
        if message is not None:
            problems.append(
                {"element_id": element.get("id"), "message": message, "line": element.sourceline}
            )
    return problems


def _problem(element: Any) -> str | None:
    ref = decision_ref_of(element)
    if topics.is_external(element):  # checked by parser/external.py as an external task
        if ref:
            return "a business rule task evaluates a decision or is an external task, not both"
        return None
    for name in _IMPLEMENTATIONS:
        if element.get(f"{{{CAMUNDA_NS}}}{name}") is not None:
            return f"business rule tasks with camunda:{name} are not supported: use decisionRef"
    if not ref:
        return (
            "business rule tasks without a decision are not supported: set "
            "camunda:decisionRef or spiffworkflow:calledDecisionId"
        )
    if "${" in ref or "#{" in ref or not all(c.isalnum() or c in "_-." for c in ref):
        return f"decision reference '{ref[:80]}' is not a decision id (expressions are not allowed)"
    binding = element.get(f"{{{CAMUNDA_NS}}}decisionRefBinding")
    if binding not in (None, "latest"):
        return f'camunda:decisionRefBinding="{binding}" is not supported: decisions bind "latest"'
    mapping = element.get(f"{{{CAMUNDA_NS}}}mapDecisionResult")
    if mapping is not None and mapping not in decisions.MAPPINGS:
        return f'camunda:mapDecisionResult="{mapping}" is not one of {sorted(decisions.MAPPINGS)}'
    variable = result_variable_of(element)
    if variable.startswith("_") or variable == "typename":
        return f"result variable '{variable}' is reserved"
    return None


class DecisionTaskParser(SpiffTaskParser):
    """Parses a `businessRuleTask` (checked at deploy by `business_rule_task_problems`)."""

    def create_task(self) -> Any:
        if topics.is_external(self.node):
            return topics.external_task(self)
        extensions = self.parse_extensions()
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            decision_ref=decision_ref_of(self.node) or "",
            result_variable=result_variable_of(self.node),
            result_mapping=self.node.get(f"{{{CAMUNDA_NS}}}mapDecisionResult"),
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )

    @staticmethod
    def get_decision_ref(node: Any) -> str | None:
        """What SpiffWorkflow's dependency scan asks of a business rule task parser."""
        return decision_ref_of(node)


PARSER = (DecisionTaskParser, DecisionTaskSpec)
