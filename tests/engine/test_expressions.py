"""The restricted expression environment: attacks are refused, business expressions still work."""

import ast
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from app.engine.script import expressions
from app.engine.script.expressions import (
    SAFE_ENGINE,
    ExpressionError,
    ExpressionRefused,
    SafeEnvironment,
    check_expression,
    check_script,
    evaluate,
    execute,
    safe_script_engine,
    set_clock,
)

CANARY = Path("/tmp/ducha_pwned")


@pytest.fixture
def canary() -> Iterator[Path]:
    """The file every side-effect attack tries to create; it must never exist afterwards."""
    CANARY.unlink(missing_ok=True)
    yield CANARY
    assert not CANARY.exists(), "an attack ran: the canary file was created"


@pytest.fixture
def frozen_clock() -> Iterator[datetime]:
    moment = datetime(2026, 3, 1, 20, 0, 0, tzinfo=UTC)  # already 2 March in Shanghai
    set_clock(lambda: moment)
    yield moment
    set_clock(lambda: datetime.now(UTC))


NAMES: dict[str, Any] = {
    "x": 1,
    "a": 30,
    "b": 40,
    "score": 72.5,
    "blocked": False,
    "approved": True,
    "decision": "accept",
    "title": "  Flood relief audit ",
    "form": {"score": 70, "comment": "ok"},
    "units": [{"code": "U1", "open": True, "n": 2}, {"code": "U2", "open": False, "n": 3}],
    "start": "2026-03-02",
}

# ---------------------------------------------------------------------------------------------
# Attacks: refused by the deploy-time audit and again when evaluated.

ATTACK_EXPRESSIONS = [
    "__import__('os').system('id')",
    f"__import__('os').system('touch {CANARY}')",
    "().__class__.__base__.__subclasses__()",
    "[c for c in ().__class__.__bases__[0].__subclasses__()]",
    "'{0.__class__}'.format(1)",
    "'{x.__class__}'.format_map({'x':1})",
    "getattr(1,'real')",
    "eval('1')",
    "exec('x=1')",
    "open('/etc/passwd').read()",
    f"open('{CANARY}','w')",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "breakpoint()",
    "type(1)",
    "isinstance(1, int)",
    "compile('1','a','eval')",
    "lambda: 1",
    "(lambda: 1)()",
    "x.__dict__",
    "x.__class__.__mro__",
    "f'{x.__class__}'",
    "f'{x.__class__.__init__.__globals__}'",
    "[].__class__.__base__",
    "form.__getitem__('score')",
    "form.items.__self__",
    "units[0].__class__",
    "(y := 1)",
    "{**form}.__len__()",
    "[f for f in [len]][0]('x')",
    "len.__call__('x')",
    "9**9**9",
    "'x'*10**10",
    "range(10**9)",
    "[[1] * 10**5] * 10**5",
    "'a'.center(10**9)",
    "(1).to_bytes(10**9, 'big')",
    "'%*d' % (10**9, 1)",
    "f'{1:>1000000000}'",
    "round(5, -10**9)",
    "('x' * 99999).replace('x', 'xx')",
    "'1' + " * 4000 + "'1'",  # 20,000+ characters
    "-" * 9000 + "1",  # nested too deeply for the evaluator
    "x or 9**9**9",  # the constant part is tried at deploy time as well
    "1; 2",
    "",
]


@pytest.mark.parametrize("text", ATTACK_EXPRESSIONS, ids=lambda t: t[:40])
def test_attack_expression_is_refused_at_deploy_time(text: str) -> None:
    with pytest.raises(ExpressionRefused) as refused:
        check_expression(text)
    assert refused.value.reason and str(refused.value) == refused.value.reason


@pytest.mark.parametrize("text", ATTACK_EXPRESSIONS, ids=lambda t: t[:40])
def test_attack_expression_is_refused_at_run_time(text: str, canary: Path) -> None:
    with pytest.raises(ExpressionRefused):
        evaluate(text, dict(NAMES))


RUNTIME_ONLY_LAYER = [
    # Parsed without the static audit: simpleeval and our evaluator refuse these on their own.
    "x.__class__",
    "'{0.__class__}'.format(1)",
    "open('/etc/passwd')",
    "().__class__.__base__.__subclasses__()",
    "9**9**9",
    "'x'*10**10",
    "range(10**9)",
    "(lambda: 1)()",
    "form.keys",
    "str.join",
]


@pytest.mark.parametrize("text", RUNTIME_ONLY_LAYER)
def test_evaluator_refuses_even_without_the_static_audit(text: str, canary: Path) -> None:
    node = ast.parse(text, mode="eval").body
    with pytest.raises(ExpressionRefused):
        expressions._run(node, expressions._Names(dict(NAMES), None), text)


ATTACK_SCRIPTS = [
    "import os",
    "from os import system",
    "def f(): pass",
    "class A: pass",
    "for i in range(3): x = i",
    "while True: pass",
    f"with open('{CANARY}', 'w') as f: pass",
    "try:\n    x = 1\nexcept Exception:\n    pass",
    "raise SystemExit",
    "del x",
    "global x",
    "assert False",
    "return 1",
    "x = lambda: 1",
    "x = __import__('os')",
    f"x = __import__('os').system('touch {CANARY}')",
    f"x = open('{CANARY}', 'w')",
    "x = ().__class__.__base__.__subclasses__()",
    "x = '{0.__class__}'.format(1)",
    "x = 9**9**9",
    "x = 'x'*10**10",
    "x = range(10**9)",
    "x.y = 1",
    "x, y = 1, 2",
    "x = y = 1",
    "x: int = 1",
    "x //= 2",
    "_x = 1",
    "__builtins__ = {}",
    "form['score'].real = 1",
    "form[0:1] = 1",
    "form['typename'] = 'BpmnWorkflow'",
    "result = {'typename': 'BpmnWorkflow'}",
    "result = dict(typename='BpmnWorkflow')",
    "typename = 'BpmnWorkflow'",
    "units.append(1)",
    "len(units)",
    "if x:\n    import os",
    "if x:\n    y = 1\nelse:\n    for i in units: y = i",
    "x = 1\n" * 201,
    "x = '" + "a" * 20_000 + "'",
]


@pytest.mark.parametrize("script", ATTACK_SCRIPTS, ids=lambda s: s[:40])
def test_attack_script_is_refused_at_deploy_time(script: str) -> None:
    with pytest.raises(ExpressionRefused):
        check_script(script)


@pytest.mark.parametrize("script", ATTACK_SCRIPTS, ids=lambda s: s[:40])
def test_attack_script_is_refused_at_run_time(script: str, canary: Path) -> None:
    data = dict(NAMES, form={"score": 70})
    with pytest.raises(ExpressionRefused):
        execute(script, data)
    assert data["form"] == {"score": 70} and "y" not in data


RUNTIME_ONLY_SCRIPTS = [
    # Statically fine; only the values seen at run time make them unacceptable.
    ("form[key] = 1", {"key": "typename"}),
    ("form['self'] = form", {}),  # task data would become cyclic
    ("form['deep'] = [form['inner']]", {}),
    (
        "a0 = [1]\nb0 = [1]\n"
        + "".join(
            f"a{i} = [a{i - 1}, a{i - 1}]\nb{i} = [b{i - 1}, b{i - 1}]\n" for i in range(1, 60)
        )
        + "same = a59 == b59",
        {},
    ),  # exponential through shared references
]


@pytest.mark.parametrize(("script", "extra"), RUNTIME_ONLY_SCRIPTS, ids=lambda v: str(v)[:30])
def test_script_refused_on_run_time_values(script: str, extra: dict[str, Any]) -> None:
    check_script(script)
    inner: dict[str, Any] = {}
    data = {"form": {"score": 70, "inner": inner}, **extra}
    inner["back"] = data["form"]  # only reachable here to build the cycle case above
    with pytest.raises(ExpressionRefused):
        execute(script, data)


def test_posted_builtins_cannot_inject_a_function(canary: Path) -> None:
    def pwn(*args: Any, **kwargs: Any) -> int:
        canary.touch()
        return 1

    injected = {"__builtins__": {"open": pwn, "len": pwn}, "_open": pwn, "items": [1, 2]}
    with pytest.raises(ExpressionRefused):
        evaluate(f"open('{canary}', 'w')", injected)
    with pytest.raises(ExpressionRefused):
        evaluate("__builtins__['open']('x')", injected)
    with pytest.raises(ExpressionRefused):
        execute("__builtins__ = {'len': 1}", dict(injected))
    # A data value named like a whitelisted function never replaces the function.
    assert evaluate("len(items)", {"len": pwn, "items": [1, 2]}) == 2


@pytest.mark.parametrize(
    "text",
    ["f", "f('id')", "fs[0]('id')", "sorted(items, key=f)", "max(items, key=fs[0])", "m", "[f]"],
)
def test_callables_in_data_are_neither_called_nor_returned(text: str, canary: Path) -> None:
    def pwn(*args: Any) -> int:
        canary.touch()
        return 1

    with pytest.raises(ExpressionRefused):
        evaluate(text, {"f": pwn, "fs": [pwn, os.system], "m": os, "items": [1, 2]})


def test_underscore_names_in_data_are_invisible() -> None:
    names = expressions._Names({"_secret": 1, "__builtins__": {}, "ok": 2}, {"_x": 3})
    for key in ("_secret", "__builtins__", "_x"):
        with pytest.raises(KeyError):
            names[key]
    assert names["ok"] == 2


# ---------------------------------------------------------------------------------------------
# Legitimate uses.

LEGIT_EXPRESSIONS: list[tuple[str, Any]] = [
    ("1 + 2 * 3", 7),
    ("(10 - 4) / 4", 1.5),
    ("7 // 2 + 7 % 3", 4),
    ("2 ** 10", 1024),
    ("-x + +x", 0),
    ("a < b <= 40", True),
    ("score >= 60 and not blocked", True),
    ("approved == True", True),
    ("approved is True", True),
    ("decision in ['accept', 'reject']", True),
    ("decision not in ('accept',)", False),
    ("len(units) > 0", True),
    ("form['score'] >= 60", True),
    ("units[0]['code']", "U1"),
    ("units[-1]['n']", 3),
    ("units[:1][0]['code']", "U1"),
    ("form.get('missing', 'n/a')", "n/a"),
    ("sorted(form.keys())", ["comment", "score"]),
    ("{'a': 1, 'b': [1, 2]}", {"a": 1, "b": [1, 2]}),
    ("[1, *[2, 3]]", [1, 2, 3]),
    ("(1, 'two')", (1, "two")),
    ("{1, 2} | {3}", {1, 2, 3}),
    ("[u['code'] for u in units if u['open']]", ["U1"]),
    ("{u['code']: u['n'] for u in units}", {"U1": 2, "U2": 3}),
    ("sum(u['n'] for u in units)", 5),
    ("any(u['open'] for u in units)", True),
    ("all(u['open'] for u in units)", False),
    ("title.strip().upper()", "FLOOD RELIEF AUDIT"),
    ("title.split()[0].lower()", "flood"),
    ("title.strip().startswith('Flood')", True),
    ("'-'.join(['a', 'b'])", "a-b"),
    ("title.replace('audit', 'review').strip()", "Flood relief review"),
    ("f'{title.strip()}: {score:.1f}'", "Flood relief audit: 72.5"),
    ("f'{decision!r}'", "'accept'"),
    ("'accept' if score >= 60 else 'reject'", "accept"),
    ("min(1, 2) + max([3, 1]) + abs(-2)", 6),
    ("round(2.567, 2)", 2.57),
    ("sorted([3, 1, 2], reverse=True)", [3, 2, 1]),
    ("sorted(units, key=len)[0]['code']", "U1"),
    ("list(range(3))", [0, 1, 2]),
    ("len(range(10000))", 10000),
    ("dict(a=1)", {"a": 1}),
    ("set([1, 1])", {1}),
    ("tuple([1])", (1,)),
    ("list(enumerate(['a'], 1))", [(1, "a")]),
    ("dict(zip(['a'], [1]))", {"a": 1}),
    ("int('42') + float('1.5')", 43.5),
    ("str(12) + str([1])", "12[1]"),
    ("bool(0)", False),
    ("'x' * 100000 == 'x' * 100000", True),
    ("2 ** 100 > 10 ** 30", True),
    ("None is None", True),
    ("'P30D'", "P30D"),
    ("add_days('2026-03-02', 30) == '2026-04-01'", True),
    ("add_days(start, -1)", "2026-03-01"),
    ("add_days('2026-03-02T09:30:00+08:00', 1)", "2026-03-03T09:30:00+08:00"),
    ("add_days('2026-03-02', 30.0)", "2026-04-01"),
    ("add_months('2026-08-31', 3) == '2026-11-30'", True),
    ("add_months('2026-01-31', 1)", "2026-02-28"),
    ("add_months('2024-01-31', 1)", "2024-02-29"),
    ("add_months('2026-03-15', -3)", "2025-12-15"),
    ("add_months('2026-03-31T18:00:00+08:00', 1)", "2026-04-30T18:00:00+08:00"),
    ("days_between('2026-03-01', '2026-03-31')", 30),
    ("days_between('2026-03-31', '2026-03-01')", -30),
    ("days_between('2026-03-01T23:00:00+08:00', '2026-03-02T01:00:00+08:00')", 1),
    ("date_of('2026-03-01T20:00:00+00:00')", "2026-03-02"),
    ("date_of('2026-03-02T10:00:00')", "2026-03-02"),
    ("duration_days(3)", "P3D"),
]


@pytest.mark.parametrize(("text", "expected"), LEGIT_EXPRESSIONS, ids=lambda v: str(v)[:40])
def test_legitimate_expression(text: str, expected: Any) -> None:
    check_expression(text)
    assert evaluate(text, NAMES) == expected


def test_clock_is_injectable(frozen_clock: datetime) -> None:
    assert evaluate("today()", {}) == "2026-03-02"
    assert evaluate("now()", {}) == "2026-03-02T04:00:00+08:00"
    assert evaluate("add_days(today(), 30)", {}) == "2026-04-01"
    assert evaluate("days_between(due, today()) > 0", {"due": "2026-02-01"}) is True


def test_naive_clock_is_taken_as_utc(frozen_clock: datetime) -> None:
    set_clock(lambda: datetime(2026, 3, 1, 20, 0, 0))
    assert evaluate("now()", {}) == "2026-03-02T04:00:00+08:00"


ORDINARY_ERRORS = [
    ("missing > 1", "name 'missing' is not defined"),
    ("form['nope']", "KeyError"),
    ("1 / 0", "ZeroDivisionError"),
    ("'a' + 1", "TypeError"),
    ("units[5]", "IndexError"),
    ("int('x')", "ValueError"),
    ("add_days('not a date', 1)", "ValueError"),
    ("add_days('2026-03-02', 'x')", "TypeError"),
    ("duration_days(-1)", "ValueError"),
    ("sum([[1]], [])", "TypeError"),
]


@pytest.mark.parametrize(("text", "message"), ORDINARY_ERRORS)
def test_ordinary_failures_are_expression_errors(text: str, message: str) -> None:
    check_expression(text)
    with pytest.raises(ExpressionError, match=message):
        evaluate(text, NAMES)


LEGIT_SCRIPTS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("total = a + b", {"a": 1, "b": 2}, {"total": 3}),
    ("count += 1", {"count": 1}, {"count": 2}),
    ("count -= 1\ncount *= 3", {"count": 5}, {"count": 12}),
    ("ratio = 1\nratio /= 4", {}, {"ratio": 0.25}),
    ("label += '!'", {"label": "ok"}, {"label": "ok!"}),
    ("result['x'] = 1", {"result": {}}, {"result": {"x": 1}}),
    ("result['x'] += 2", {"result": {"x": 1}}, {"result": {"x": 3}}),
    ("result['inner']['y'] = 'z'", {"result": {"inner": {}}}, {"result": {"inner": {"y": "z"}}}),
    ("items[0] = 'b'", {"items": ["a"]}, {"items": ["b"]}),
    ("items = items + ['c']", {"items": ["a"]}, {"items": ["a", "c"]}),
    ("a = 1\nb = a + 1\nc = b * 10", {}, {"a": 1, "b": 2, "c": 20}),
    ("due = add_days(start, 30)", {"start": "2026-03-02"}, {"due": "2026-04-01"}),
    (
        "if score >= 60:\n    verdict = 'pass'\nelse:\n    verdict = 'fail'",
        {"score": 72},
        {"verdict": "pass"},
    ),
    (
        "if score >= 90:\n    grade = 'A'\nelif score >= 60:\n    grade = 'B'\n"
        "    if score > 70:\n        bonus = True\nelse:\n    grade = 'C'",
        {"score": 72},
        {"grade": "B", "bonus": True},
    ),
    ("if False:\n    pass\nelse:\n    flag = True", {}, {"flag": True}),
    (
        "\n    total = a + b  # indented in the XML\n    double = total * 2\n",
        {"a": 1, "b": 2},
        {"total": 3, "double": 6},
    ),
    ("", {"a": 1}, {"a": 1}),
    ("# only a comment\npass", {"a": 1}, {"a": 1}),
    ("x = 1\n" * 200, {}, {"x": 1}),
]


@pytest.mark.parametrize(("script", "data", "changes"), LEGIT_SCRIPTS, ids=lambda v: str(v)[:40])
def test_legitimate_script(script: str, data: dict[str, Any], changes: dict[str, Any]) -> None:
    check_script(script)
    names = dict(data)
    execute(script, names)
    assert names == {**data, **changes}


def test_script_failure_is_an_expression_error_naming_the_line() -> None:
    with pytest.raises(ExpressionError, match=r"name 'nope' is not defined in 'y = x \+ nope'"):
        execute("x = 1\ny = x + nope", {})
    with pytest.raises(ExpressionError, match="can only assign items of a dict or list"):
        execute("label['x'] = 1", {"label": "text"})


def test_parsed_texts_are_cached() -> None:
    text = "len(units) > 0 and form['score'] >= 60  # cache probe"
    evaluate(text, NAMES)
    before = expressions._parse_expression.cache_info().hits
    for _ in range(5):
        evaluate(text, NAMES)
    assert expressions._parse_expression.cache_info().hits == before + 5


def test_non_text_is_refused() -> None:
    with pytest.raises(ExpressionRefused):
        check_expression(None)  # type: ignore[arg-type]
    with pytest.raises(ExpressionRefused):
        evaluate(42, {})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Inside SpiffWorkflow.

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs"
    targetNamespace="http://ducha.test">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="score" />
    <bpmn:scriptTask id="score">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="score" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="to_low">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>to_high</bpmn:outgoing><bpmn:outgoing>to_low</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_high" sourceRef="gw" targetRef="high">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        >{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_low" sourceRef="gw" targetRef="low" />
    <bpmn:scriptTask id="high">
      <bpmn:incoming>to_high</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>path = 'high'</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="low">
      <bpmn:incoming>to_low</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>path = 'low'</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="high" targetRef="end_high" />
    <bpmn:sequenceFlow id="f4" sourceRef="low" targetRef="end_low" />
    <bpmn:endEvent id="end_high"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_low"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

SCORE_SCRIPT = """total = a + b
if total >= 60:
    grade = 'pass'
else:
    grade = 'fail'
checks = {'total': total}
checks['count'] = len(checks)"""


def _workflow(condition: str, script: str = SCORE_SCRIPT, **data: Any) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    xml = BPMN.format(script=escape(script), condition=escape(condition))
    parser.add_bpmn_str(xml.encode())
    workflow = BpmnWorkflow(parser.get_spec("proc"), script_engine=safe_script_engine())
    (first,) = workflow.get_tasks(state=TaskState.READY)
    first.data.update(data)
    return workflow


def _completed(workflow: BpmnWorkflow) -> set[str]:
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)}


@pytest.mark.parametrize(
    ("a", "b", "path", "grade"), [(30, 40, "high", "pass"), (3, 4, "low", "fail")]
)
def test_safe_environment_runs_scripts_and_gateways(a: int, b: int, path: str, grade: str) -> None:
    workflow = _workflow("total >= 60 and grade == 'pass'", a=a, b=b)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert path in _completed(workflow) and ({"high", "low"} - {path}).isdisjoint(
        _completed(workflow)
    )
    assert workflow.data["path"] == path and workflow.data["grade"] == grade
    assert workflow.data["checks"] == {"total": a + b, "count": 1}


@pytest.mark.parametrize(
    "condition",
    [
        f"open('{CANARY}', 'w')",
        f"__import__('os').system('touch {CANARY}')",
        f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]"
        f"(['touch', '{CANARY}'])",
        "9**9**9",
    ],
)
def test_attack_in_a_gateway_condition_fails_the_step(condition: str, canary: Path) -> None:
    workflow = _workflow(condition, a=30, b=40)
    with pytest.raises((WorkflowTaskException, ExpressionRefused)) as failed:
        workflow.do_engine_steps()
    error = failed.value
    assert isinstance(error, ExpressionRefused) or isinstance(
        error.__context__ or error.__cause__, ExpressionRefused
    )
    assert "path" not in workflow.data


def test_attack_in_a_script_task_fails_the_step(canary: Path) -> None:
    workflow = _workflow("True", script=f"x = open('{CANARY}', 'w')", a=1, b=2)
    with pytest.raises(WorkflowTaskException, match="ExpressionRefused"):
        workflow.do_engine_steps()


def _innermost(error: BaseException) -> BaseException:
    while (inner := error.__cause__ or error.__context__) is not None:
        error = inner
    return error


@pytest.mark.parametrize(
    ("condition", "kind"),
    [
        ("budget / parts > 1", ExpressionError),
        ("missing > 1", ExpressionError),
        ("form['nope']", ExpressionError),
        ("9**9**9", ExpressionRefused),
        ("range(10**9)", ExpressionRefused),
        ("x.__class__", ExpressionRefused),
        ("budget +", ExpressionRefused),
    ],
)
def test_our_exception_is_the_innermost_cause(condition: str, kind: type[Exception]) -> None:
    # Callers look for the innermost exception: SpiffWorkflow wraps ours without `from`.
    workflow = _workflow(condition, a=30, b=40, budget=1, parts=0, x=1, form={})
    with pytest.raises(WorkflowTaskException) as failed:
        workflow.do_engine_steps()
    assert isinstance(_innermost(failed.value), kind)


def test_environment_merges_external_context_under_task_data() -> None:
    environment = SafeEnvironment()
    assert environment.evaluate("a + b", {"a": 1}, {"a": 100, "b": 2}) == 3
    data: dict[str, Any] = {"a": 1}
    assert environment.execute("c = a + b", data, {"b": 2}) is True
    assert data == {"a": 1, "c": 3}  # external context is read, never copied into task data


def test_service_calls_are_refused() -> None:
    with pytest.raises(ExpressionRefused, match="service calls are not supported"):
        SafeEnvironment().call_service({}, operation_name="anything")


def test_safe_engine_is_shared_and_restricted() -> None:
    assert safe_script_engine() is SAFE_ENGINE
    assert isinstance(SAFE_ENGINE.environment, SafeEnvironment)
