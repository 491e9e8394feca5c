"""Untrusted DMN in, audited decision tables out (DMN 1.1–1.3, as Camunda Modeler writes them).

Every expression of a table goes through the restricted evaluator's audit: input expressions
and output entries as written (FEEL's `true`/`false`/`null` read as Python's), input entries
translated from FEEL simple unary tests — literals, comparisons (`< 5`), ranges (`[1..5]`),
lists (`"a","b"`), `-` and `not(…)` — into expressions over `cellInput`. What does not translate
is refused at deploy naming the decision and the rule.
"""

import re
from typing import Any

from lxml import etree

from app.engine.parser import parsing
from app.engine.script import decisions, expressions
from app.engine.script.decisions import DecisionTable, Output, Rule
from app.kit.errors import InvalidBpmn

DMN_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # DMN 1.1
        "http://www.omg.org/spec/DMN/20180521/MODEL/",  # DMN 1.2
        "https://www.omg.org/spec/DMN/20191111/MODEL/",  # DMN 1.3
        "http://www.omg.org/spec/DMN/20191111/MODEL/",
    }
)
# Expression languages read as the evaluator's: FEEL (the default) as far as it translates.
_LANGUAGES = {"", "feel", "python", "https://www.omg.org/spec/dmn/20191111/feel/"}
_LANGUAGES |= {"http://www.omg.org/spec/feel/20140401", "https://www.omg.org/spec/feel/20140401"}
CAMUNDA_DMN_NS = "http://camunda.org/schema/1.0/dmn"
_HIT_POLICIES = decisions.SINGLE_POLICIES | decisions.LIST_POLICIES
_FEEL_CONSTANTS = {"true": "True", "false": "False", "null": "None"}
# A string literal, or a word: words outside strings may be FEEL constants.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[A-Za-z_][A-Za-z0-9_]*')
_COMPARISON = re.compile(r"(<=|>=|<|>)\s*(.+)", re.S)
_RANGE = re.compile(r"([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])", re.S)
_NEGATION = re.compile(r"not\s*\((.*)\)", re.S)


class Untranslatable(Exception):
    """A FEEL text the restricted evaluator has no equivalent for."""


def read_decisions(xml: bytes, *, file_name: str, max_bytes: int) -> tuple[str, list[Any]]:
    """Parse a DMN file safely: its text as stored (UTF-8) and its audited decision tables."""
    if len(xml) > max_bytes:
        raise InvalidBpmn(
            f"{file_name}: file is larger than {max_bytes} bytes", errors=[_err(None, "too large")]
        )
    root = parsing._harden(xml)
    qname = etree.QName(root)
    if qname.namespace not in DMN_NAMESPACES or qname.localname != "definitions":
        raise InvalidBpmn(
            f"{file_name}: not a DMN 1.1–1.3 file",
            errors=[_err(None, "root is not dmn:definitions of DMN 1.1, 1.2 or 1.3")],
        )
    ns = {"dmn": qname.namespace}
    problems: list[dict[str, Any]] = []
    tables = []
    for decision in root.iterfind("dmn:decision", ns):
        table = _read_decision(decision, ns, root.get("expressionLanguage"), problems)
        if table is not None:
            tables.append(table)
    keys = [t.key for t in tables]
    problems += [
        _err(k, f"decision '{k}' is defined twice") for k in set(keys) if keys.count(k) > 1
    ]
    if not tables and not problems:
        problems.append(_err(None, "the file has no decision table"))
    if problems:
        raise InvalidBpmn(f"{file_name}: the decision tables cannot be deployed", errors=problems)
    return _stored_text(xml, root), tables


def _stored_text(xml: bytes, root: Any) -> str:
    """The file as UTF-8 text (re-serialized, without declaration, when declared otherwise)."""
    declared = (root.getroottree().docinfo.encoding or "UTF-8").replace("_", "-").upper()
    if declared in ("UTF-8", "UTF8"):
        try:
            return xml.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return str(etree.tostring(root, encoding="unicode"))


def _read_decision(
    decision: Any, ns: dict[str, str], language: str | None, problems: list[dict[str, Any]]
) -> DecisionTable | None:
    key = decision.get("id") or ""
    if not key or len(key) > parsing.MAX_ID or key.startswith("_"):
        problems.append(_err(key or None, "a decision needs an id (not starting with '_')"))
        return None
    if decision.find("dmn:informationRequirement/dmn:requiredDecision", ns) is not None:
        problems.append(_err(key, f"decision '{key}': required decisions are not supported"))
        return None
    table = decision.find("dmn:decisionTable", ns)
    if table is None:
        message = f"decision '{key}': only decision tables are supported (not literal expressions)"
        problems.append(_err(key, message))
        return None
    before = len(problems)
    hit_policy = table.get("hitPolicy", "UNIQUE")
    aggregation = table.get("aggregation")
    inputs = [
        _input_expression(key, element, ns, language, problems)
        for element in table.iterfind("dmn:input", ns)
    ]
    outputs = [_output(key, element, ns, problems) for element in table.iterfind("dmn:output", ns)]
    problems += _policy_problems(key, hit_policy, aggregation, outputs)
    rules = [
        _rule(key, element, ns, len(inputs), len(outputs), problems)
        for element in table.iterfind("dmn:rule", ns)
    ]
    if len(problems) > before:
        return None
    return DecisionTable(
        key=key,
        name=decision.get("name"),
        hit_policy=hit_policy,
        aggregation=aggregation,
        inputs=tuple(i for i in inputs if i is not None),
        outputs=tuple(o for o in outputs if o is not None),
        rules=tuple(r for r in rules if r is not None),
    )


def _policy_problems(
    key: str, hit_policy: str, aggregation: str | None, outputs: list[Output | None]
) -> list[dict[str, Any]]:
    if hit_policy not in _HIT_POLICIES:
        return [_err(key, f"decision '{key}': hit policy {hit_policy} is not supported")]
    if not outputs:
        return [_err(key, f"decision '{key}': the table has no output")]
    if aggregation is not None and (
        hit_policy != "COLLECT" or aggregation not in decisions.AGGREGATIONS
    ):
        message = f"decision '{key}': aggregation {aggregation} needs hit policy COLLECT"
        if aggregation not in decisions.AGGREGATIONS:
            message = f"decision '{key}': aggregation {aggregation} is not supported"
        return [_err(key, message)]
    if aggregation is not None and len(outputs) > 1:
        return [_err(key, f"decision '{key}': COLLECT {aggregation} needs exactly one output")]
    ranked = any(o is not None and o.priorities for o in outputs)
    if hit_policy in ("PRIORITY", "OUTPUT ORDER") and not ranked:
        message = f"decision '{key}': hit policy {hit_policy} needs output values in priority order"
        return [_err(key, message)]
    return []


def _input_expression(
    key: str, element: Any, ns: dict[str, str], language: str | None, problems: list[dict[str, Any]]
) -> str | None:
    expression = element.find("dmn:inputExpression", ns)
    input_id = element.get("id")
    if element.get(f"{{{CAMUNDA_DMN_NS}}}inputVariable") is not None:
        message = f"decision '{key}': camunda:inputVariable is not supported: use cellInput"
        problems.append(_err(input_id, message))
        return None
    text = (expression.findtext("dmn:text", "", ns) if expression is not None else "").strip()
    if not text:
        problems.append(_err(input_id, f"decision '{key}': input '{input_id}' has no expression"))
        return None
    own = expression.get("expressionLanguage") if expression is not None else None
    chosen = (own or language or "").strip()
    if chosen.lower() not in _LANGUAGES:
        message = f"decision '{key}': expression language '{chosen}' is not supported"
        problems.append(_err(input_id, message))
        return None
    return _audited(key, input_id, text, _expression, problems, "input expression")


def _output(
    key: str, element: Any, ns: dict[str, str], problems: list[dict[str, Any]]
) -> Output | None:
    name = (element.get("name") or "").strip()
    output_id = element.get("id")
    if not name or name.startswith("_") or name == "typename":
        message = f"decision '{key}': output '{output_id}' needs a name (not starting with '_')"
        problems.append(_err(output_id, message))
        return None
    listed = element.findtext("dmn:outputValues/dmn:text", "", ns).strip()
    try:
        priorities = tuple(expressions.evaluate(_expression(v), {}) for v in _split(listed))
    except (Untranslatable, expressions.ExpressionRefused, expressions.ExpressionError) as exc:
        message = f"decision '{key}': output values of '{name}' are not literals: {exc}"
        problems.append(_err(output_id, message))
        return None
    return Output(name=name, priorities=priorities)


def _rule(
    key: str,
    element: Any,
    ns: dict[str, str],
    inputs: int,
    outputs: int,
    problems: list[dict[str, Any]],
) -> Rule | None:
    rule_id = element.get("id") or ""
    tests = [e.findtext("dmn:text", "", ns) for e in element.iterfind("dmn:inputEntry", ns)]
    entries = [e.findtext("dmn:text", "", ns) for e in element.iterfind("dmn:outputEntry", ns)]
    if len(tests) != inputs or len(entries) != outputs:
        message = (
            f"decision '{key}', rule '{rule_id}': {len(tests)} input and {len(entries)} output "
            f"entries for {inputs} inputs and {outputs} outputs"
        )
        problems.append(_err(rule_id, message))
        return None
    before = len(problems)
    translated_tests = tuple(
        _audited(key, rule_id, text, unary_test, problems, "input entry") for text in tests
    )
    translated_entries = tuple(
        _audited(key, rule_id, text, _expression, problems, "output entry") for text in entries
    )
    if len(problems) > before:
        return None
    return Rule(rule_id=rule_id, tests=translated_tests, entries=translated_entries)


def _audited(
    key: str,
    element_id: str | None,
    text: str,
    translate: Any,
    problems: list[dict[str, Any]],
    what: str,
) -> str | None:
    """`text` translated and audited, or None when empty; a refusal names decision and rule."""
    try:
        translated: str | None = translate(text)
        if translated is not None:
            expressions.check_expression(translated)
    except (Untranslatable, expressions.ExpressionRefused) as exc:
        reason = exc.reason if isinstance(exc, expressions.ExpressionRefused) else str(exc)
        message = f"decision '{key}', rule or input '{element_id}': {what} '{text.strip()}' "
        problems.append(_err(element_id, f"{message}cannot be evaluated: {reason}"))
        return None
    return translated


def unary_test(text: str) -> str | None:
    """A FEEL simple unary test as an expression over `cellInput`; None for `-` (any value)."""
    text = text.strip()
    if text in ("", "-"):
        return None
    negated = _NEGATION.fullmatch(text)
    if negated:
        return f"not ({_positive_tests(negated.group(1))})"
    return _positive_tests(text)


def _positive_tests(text: str) -> str:
    tests = [_positive_test(part.strip()) for part in _split(text)]
    if not tests:
        raise Untranslatable("an empty test")
    return tests[0] if len(tests) == 1 else " or ".join(f"({t})" for t in tests)


def _positive_test(text: str) -> str:
    name = decisions.INPUT_NAME
    if not text:
        raise Untranslatable("an empty test in a list")
    comparison = _COMPARISON.fullmatch(text)
    if comparison:
        return f"{name} {comparison.group(1)} ({_endpoint(comparison.group(2))})"
    bounds = _RANGE.fullmatch(text)
    if bounds:
        low = "<" if bounds.group(1) in "](" else "<="
        high = "<" if bounds.group(4) in "[)" else "<="
        lower, upper = _endpoint(bounds.group(2)), _endpoint(bounds.group(3))
        return f"({lower}) {low} {name} {high} ({upper})"
    return f"{name} == ({_endpoint(text)})"


def _endpoint(text: str) -> str:
    text = text.strip()
    if not text or text.startswith(("<", ">", "=", "!")):
        raise Untranslatable(f"'{text}' is not a FEEL simple unary test")
    return _expression(text)


def _expression(text: str) -> str:
    """A FEEL expression as the evaluator's: `true`/`false`/`null` → `True`/`False`/`None`."""
    text = text.strip()
    if "${" in text or "#{" in text:
        raise Untranslatable("JUEL expressions are not supported")
    return _TOKENS.sub(lambda m: _FEEL_CONSTANTS.get(m.group(0), m.group(0)), text)


def _split(text: str) -> list[str]:
    """Split on commas outside strings and parentheses (a range's brackets need not pair)."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote and text[index - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [p for p in (part.strip() for part in parts) if p] if text.strip() else []


def _err(element_id: str | None, message: str) -> dict[str, Any]:
    return {"element_id": element_id, "message": message}
