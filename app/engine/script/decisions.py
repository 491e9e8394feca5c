"""Decision tables (DMN 决策表) evaluated through the restricted evaluator.

A table is read at deploy (`app.engine.parser.dmn`): input expressions, input entries (FEEL unary
tests translated into expressions over `cellInput`, the input's value) and output entries are
all expressions of `app.engine.script.expressions`, audited there; nothing here uses `eval`.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.script import expressions

INPUT_NAME = "cellInput"  # the input's value inside an input entry (Camunda's name for it)
SINGLE_POLICIES = frozenset({"UNIQUE", "ANY", "FIRST", "PRIORITY"})
LIST_POLICIES = frozenset({"COLLECT", "RULE ORDER", "OUTPUT ORDER"})
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})
# camunda:mapDecisionResult: how a business rule task hands the result on (else by hit policy).
MAPPINGS = frozenset({"singleEntry", "singleResult", "collectEntries", "resultList"})


class DecisionFailed(expressions.ExpressionError):
    """A decision could not decide (several rules under UNIQUE, a failing input): an incident."""


@dataclass(frozen=True)
class Output:
    """An output column: its name in the result, its values in priority order (outputValues)."""

    name: str
    priorities: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One row: a test per input (None: any value) and an expression per output (None: none)."""

    rule_id: str
    tests: tuple[str | None, ...]
    entries: tuple[str | None, ...]


@dataclass(frozen=True)
class DecisionTable:
    """A decision (its id is the key business rule tasks name) and its one table."""

    key: str
    name: str | None
    hit_policy: str
    aggregation: str | None
    inputs: tuple[str, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]

    def evaluate(self, data: Mapping[str, Any], mapping: str | None = None) -> Any:
        """The decision for this data, shaped by hit policy (or by `mapping`)."""
        return evaluate(self, data, mapping)


def evaluate(table: DecisionTable, data: Mapping[str, Any], mapping: str | None = None) -> Any:
    """Evaluate `table` against task data: UNIQUE/ANY/FIRST/PRIORITY give one result (a dict of
    outputs, or None), COLLECT/RULE ORDER/OUTPUT ORDER a list of them, COLLECT with an
    aggregation a number; `mapping` (camunda:mapDecisionResult) reshapes it as Camunda does."""
    values = [_input(table, text, data) for text in table.inputs]
    hits = [rule for rule in table.rules if _matches(table, rule, values, data)]
    rows = [_outputs(table, rule, data) for rule in hits]
    matched = [rule.rule_id for rule in hits]
    if table.aggregation is not None:
        return _map_aggregate(table, _aggregate(table, rows), mapping)
    rows = _apply_policy(table, rows, matched)
    if mapping is None:
        if table.hit_policy in SINGLE_POLICIES:
            return rows[0] if rows else None
        return rows
    return _map_rows(table, rows, mapping)


def _input(table: DecisionTable, text: str, data: Mapping[str, Any]) -> Any:
    try:
        return expressions.evaluate(text, data)
    except DecisionFailed:
        raise
    except expressions.ExpressionError as exc:
        raise DecisionFailed(f"decision '{table.key}': input '{text}': {exc}") from exc


def _matches(table: DecisionTable, rule: Rule, values: list[Any], data: Mapping[str, Any]) -> bool:
    for test, value in zip(rule.tests, values, strict=True):
        if test is None:
            continue
        try:
            passed = expressions.evaluate(test, _WithInput(value, data))
        except expressions.ExpressionError as exc:
            message = f"decision '{table.key}', rule '{rule.rule_id}': {exc}"
            raise DecisionFailed(message) from exc
        if passed is not True:
            return False
    return True


class _WithInput(Mapping[str, Any]):
    """Task data with `cellInput` bound to the input's value (read-only)."""

    def __init__(self, value: Any, data: Mapping[str, Any]) -> None:
        self._value = value
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._value if key == INPUT_NAME else self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter({INPUT_NAME, *self._data})

    def __len__(self) -> int:
        return len({INPUT_NAME, *self._data})


def _outputs(table: DecisionTable, rule: Rule, data: Mapping[str, Any]) -> dict[str, Any]:
    row = {}
    for output, text in zip(table.outputs, rule.entries, strict=True):
        try:
            row[output.name] = None if text is None else expressions.evaluate(text, data)
        except expressions.ExpressionError as exc:
            message = f"decision '{table.key}', rule '{rule.rule_id}', output '{output.name}'"
            raise DecisionFailed(f"{message}: {exc}") from exc
    return row


def _apply_policy(
    table: DecisionTable, rows: list[dict[str, Any]], matched: list[str]
) -> list[dict[str, Any]]:
    policy = table.hit_policy
    if policy == "UNIQUE" and len(rows) > 1:
        raise DecisionFailed(
            f"decision '{table.key}' (hit policy UNIQUE): rules {', '.join(matched)} all match"
        )
    if policy == "ANY" and any(row != rows[0] for row in rows):
        raise DecisionFailed(
            f"decision '{table.key}' (hit policy ANY): rules {', '.join(matched)} match with "
            "different outputs"
        )
    if policy in ("PRIORITY", "OUTPUT ORDER"):
        rows = sorted(rows, key=lambda row: _priority(table, row))
    if policy in SINGLE_POLICIES:
        return rows[:1]
    return rows


def _priority(table: DecisionTable, row: dict[str, Any]) -> tuple[int, ...]:
    """Rank of a row by its outputs' positions in their outputValues (unlisted values last)."""
    ranks = []
    for output in table.outputs:
        if output.priorities:
            value = row[output.name]
            listed = value in output.priorities
            ranks.append(output.priorities.index(value) if listed else len(output.priorities))
    return tuple(ranks)


def _aggregate(table: DecisionTable, rows: list[dict[str, Any]]) -> Any:
    if table.aggregation == "COUNT":
        return len(rows)
    name = table.outputs[0].name
    values = [row[name] for row in rows if row[name] is not None]
    if not values:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise DecisionFailed(
            f"decision '{table.key}' (COLLECT {table.aggregation}): output '{name}' has values "
            "that are not numbers"
        )
    if table.aggregation == "SUM":
        return sum(values)
    return min(values) if table.aggregation == "MIN" else max(values)


def _map_aggregate(table: DecisionTable, value: Any, mapping: str | None) -> Any:
    name = table.outputs[0].name if table.aggregation != "COUNT" else "count"
    if mapping in (None, "singleEntry"):
        return value
    if mapping == "singleResult":
        return {name: value}
    return [value] if mapping == "collectEntries" else [{name: value}]


def _map_rows(table: DecisionTable, rows: list[dict[str, Any]], mapping: str) -> Any:
    if mapping in ("singleEntry", "singleResult") and len(rows) > 1:
        raise DecisionFailed(
            f"decision '{table.key}': {len(rows)} results, but mapDecisionResult is {mapping}"
        )
    if mapping in ("singleEntry", "collectEntries") and len(table.outputs) > 1:
        raise DecisionFailed(
            f"decision '{table.key}': {len(table.outputs)} outputs, but mapDecisionResult is "
            f"{mapping}"
        )
    if mapping == "singleEntry":
        return next(iter(rows[0].values())) if rows else None
    if mapping == "singleResult":
        return rows[0] if rows else None
    if mapping == "collectEntries":
        return [next(iter(row.values())) for row in rows]
    return rows
