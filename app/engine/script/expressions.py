"""Restricted evaluation of BPMN expressions and scripts, built on simpleeval.

SpiffWorkflow's default environment runs every condition, script and timer with eval/exec and
full builtins; this module replaces it with a whitelist that bounds both reach and cost.
"""

from __future__ import annotations

import ast
import calendar
import contextlib
import functools
import re
import textwrap
import threading
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import simpleeval
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

__all__ = [
    "SAFE_ENGINE",
    "ExpressionError",
    "ExpressionRefused",
    "SafeEnvironment",
    "check_expression",
    "check_script",
    "evaluate",
    "execute",
    "safe_script_engine",
    "set_clock",
]

MAX_TEXT_LENGTH = 10_000
MAX_STATEMENTS = 200
MAX_RANGE = 10_000
# Deeper trees would exhaust the interpreter stack inside simpleeval's recursive evaluator.
MAX_DEPTH = 100
# Far beyond any business number, and small enough that int * int stays cheap.
MAX_INT_BITS = 16_384
MAX_FORMAT_WIDTH = 1_000
MAX_ROUND_DIGITS = 100
# Generous for real task data (a few thousand records), small enough to compare and store.
MAX_VALUE_WEIGHT = 1_000_000

# China has had no daylight saving time since 1991, so a fixed offset is exact and needs no tzdata.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class ExpressionRefused(Exception):
    """An expression or script that the restricted environment will not run."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ExpressionError(Exception):
    """An allowed expression failed while evaluating (unset variable, bad key, division by zero)."""


class NameUndefined(ExpressionError):
    """An expression read a variable that is not set."""


# ---------------------------------------------------------------------------------------------
# Clock and date helpers: task data keeps dates as ISO strings, so helpers take and return them.


def _utc_now() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = _utc_now


def set_clock(fn: Callable[[], datetime]) -> None:
    """Replace the clock behind today() and now(); naive datetimes it returns are taken as UTC."""
    global _clock
    _clock = fn


def _local_now() -> datetime:
    moment = _clock()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI)


def _as_int(value: object) -> int:
    # JSON numbers may arrive as floats (30.0); anything else is a caller error, not a refusal.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def _parse_iso(value: object) -> date | datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 date or datetime string, got {value!r}")
    text = value.strip()
    if len(text) <= 10 and "T" not in text:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def _local_date(value: object) -> date:
    parsed = _parse_iso(value)
    if isinstance(parsed, datetime):
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(SHANGHAI)
        return parsed.date()
    return parsed


def today() -> str:
    """Today's date in Asia/Shanghai, as an ISO date."""
    return _local_now().date().isoformat()


def now() -> str:
    """The current time in Asia/Shanghai, as an ISO datetime with its +08:00 offset."""
    return _local_now().isoformat(timespec="seconds")


def add_days(value: str, days: int) -> str:
    """An ISO date or datetime moved by a number of days, in the same form."""
    return (_parse_iso(value) + timedelta(days=_as_int(days))).isoformat()


def add_months(value: str, months: int) -> str:
    """An ISO date or datetime moved by whole months, clamped to the end of shorter months."""
    parsed = _parse_iso(value)
    year, month0 = divmod(parsed.year * 12 + parsed.month - 1 + _as_int(months), 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date value out of range")
    day = min(parsed.day, calendar.monthrange(year, month0 + 1)[1])
    return parsed.replace(year=year, month=month0 + 1, day=day).isoformat()


def days_between(start: str, end: str) -> int:
    """Calendar days from start to end (negative when end is earlier), dates taken in Shanghai."""
    return (_local_date(end) - _local_date(start)).days


def date_of(value: str) -> str:
    """The ISO date (in Asia/Shanghai for datetimes with an offset) of an ISO date or datetime."""
    return _local_date(value).isoformat()


def duration_days(days: int) -> str:
    """An ISO 8601 duration of whole days, as used by timer events."""
    count = _as_int(days)
    if count < 0:
        raise ValueError("a duration cannot be negative")
    return f"P{count}D"


# ---------------------------------------------------------------------------------------------
# Bounded replacements for builtins and operators: simpleeval bounds **, * and + but not these.


def _too_long(what: str) -> simpleeval.IterableTooLong:
    return simpleeval.IterableTooLong(
        f"{what} would exceed {simpleeval.MAX_STRING_LENGTH} characters"
    )


_CONTAINERS = (dict, list, tuple, set, frozenset)


def _children(item: object) -> list[Any]:
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    return list(item) if isinstance(item, _CONTAINERS) else []


def _scalar_weight(item: object) -> int:
    if isinstance(item, str):
        return len(item)
    if isinstance(item, int):
        return item.bit_length() // 64 + 1
    return 1


def _weight(value: object, limit: int, inside: object = None) -> int:
    """Size of value with shared parts counted each time (as str() and == see them).

    Returns limit + 1 as soon as it is over limit, cyclic, or contains `inside`; costs O(limit).
    """
    if not isinstance(value, _CONTAINERS):
        return _scalar_weight(value)
    memo: dict[int, int] = {}  # per distinct container, so [a, a] chains cost nothing to weigh
    on_path: set[int] = set()
    visited = 0
    stack: list[tuple[Any, list[Any] | None]] = [(value, None)]
    while stack:
        item, children = stack.pop()
        key = id(item)
        if children is None:
            if key in memo:
                continue
            if key in on_path or item is inside:
                return limit + 1
            children = _children(item)
            visited += len(children)
            if visited > limit:
                return limit + 1
            on_path.add(key)
            stack.append((item, children))
            stack.extend((c, None) for c in children if isinstance(c, _CONTAINERS))
        else:
            on_path.discard(key)
            weights = (memo[id(c)] if id(c) in memo else _scalar_weight(c) for c in children)
            total = max(1, sum(weights))  # an empty container still takes room
            if total > limit:
                return limit + 1
            memo[key] = total
    return memo[id(value)]


def _check_render_size(value: object) -> None:
    """Refuse rendering containers whose text would be too long, before building it."""
    if type(value) in (str, int, float, bool, type(None)):
        return
    if _weight(value, simpleeval.MAX_STRING_LENGTH) > simpleeval.MAX_STRING_LENGTH:
        raise _too_long("rendering this value")


def _check_value_size(value: object, container: object = None) -> None:
    # [a, a] doubles the size of a without growing the text; 200 such statements, then a == b,
    # would take forever. r['x'] = r would make task data cyclic (unserializable).
    if type(value) in (str, int, float, bool, type(None)):
        return
    if _weight(value, MAX_VALUE_WEIGHT, container) > MAX_VALUE_WEIGHT:
        raise ExpressionRefused(
            f"value is larger than {MAX_VALUE_WEIGHT} elements or would contain itself"
        )


def _str(value: object = "") -> str:
    _check_render_size(value)
    return str(value)


def _range(*args: int) -> range:
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise ExpressionRefused(f"range() is limited to {MAX_RANGE} items")
    return result


def _sum(values: Iterable[Any], start: int | float = 0) -> Any:
    # Summing lists or strings with a start value is quadratic and unbounded: numbers only.
    if isinstance(start, bool) or not isinstance(start, int | float):
        raise TypeError("sum() start must be a number")
    return sum(values, start)


def _round(number: Any, ndigits: int | None = None) -> Any:
    # round(5, -10**9) computes 10**(10**9).
    if ndigits is None:
        return round(number)
    if abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionRefused(f"round() is limited to {MAX_ROUND_DIGITS} digits")
    return round(number, ndigits)


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise simpleeval.NumberTooHigh(f"integers are limited to {MAX_INT_BITS} bits")


def _safe_mult(a: Any, b: Any) -> Any:
    # simpleeval counts len() only: [[1] * 10**5] * 10**5 would pass.
    if isinstance(a, int) and isinstance(b, int):
        _check_int_bits(a.bit_length() + b.bit_length())
    elif isinstance(b, int) and b > 0 and hasattr(a, "__len__"):
        if _weight(a, simpleeval.MAX_STRING_LENGTH // b) * b > simpleeval.MAX_STRING_LENGTH:
            raise _too_long("repeating this value")
    elif isinstance(a, int) and a > 0 and hasattr(b, "__len__"):
        return _safe_mult(b, a)
    return simpleeval.safe_mult(a, b)


def _safe_add(a: Any, b: Any) -> Any:
    if hasattr(a, "__len__") and hasattr(b, "__len__"):
        limit = simpleeval.MAX_STRING_LENGTH
        if isinstance(a, str) and isinstance(b, str):
            size = len(a) + len(b)  # fast path for the common case
        else:
            size = _weight(a, limit) + _weight(b, limit)
        if size > limit:
            raise _too_long("adding these values")
    return a + b


def _safe_power(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _check_int_bits(a.bit_length() * b)
    return simpleeval.safe_power(a, b)


def _safe_mod(a: Any, b: Any) -> Any:
    # printf-style formatting takes widths from data ('%*d') and reaches str() of anything.
    if isinstance(a, str | bytes):
        raise ExpressionRefused("%-formatting of strings is not allowed; use f-strings")
    return a % b


class _BoundedStrMethod:
    """str.join or str.replace, refusing a result over MAX_STRING_LENGTH before building it."""

    __slots__ = ("_method", "_subject")

    def __init__(self, subject: str, method: Callable[..., str]) -> None:
        self._subject = subject
        self._method = method

    def __call__(self, *args: Any) -> str:
        subject = self._subject
        size = 0  # wrong arguments: the method itself raises its TypeError
        if self._method.__name__ == "join" and len(args) == 1:
            parts = list(args[0])  # an iterable (zip, range) is read once
            args = (parts,)
            size = len(subject) * max(len(parts) - 1, 0)
            size += sum(len(p) for p in parts if isinstance(p, str))
        elif len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            hits = subject.count(args[0])
            if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
                hits = min(hits, args[2])
            size = len(subject) + hits * (len(args[1]) - len(args[0]))
        if size > simpleeval.MAX_STRING_LENGTH:
            raise _too_long(f"{self._method.__name__}()")
        return self._method(*args)


_BOUNDED_STR_METHODS = frozenset({"join", "replace"})


def _check_format_spec(spec: str) -> None:
    if any(len(n) > 6 or int(n) > MAX_FORMAT_WIDTH for n in re.findall(r"\d+", spec)):
        raise ExpressionRefused(f"format widths and precisions are limited to {MAX_FORMAT_WIDTH}")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "str": _str,
    "int": int,
    "float": float,
    "bool": bool,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": _sum,
    "round": _round,
    "sorted": sorted,
    "any": any,
    "all": all,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "range": _range,
    "enumerate": enumerate,
    "zip": zip,
    "today": today,
    "now": now,
    "add_days": add_days,
    "add_months": add_months,
    "days_between": days_between,
    "date_of": date_of,
    "duration_days": duration_days,
}

_OPERATORS: dict[type, Callable[..., Any]] = {
    **simpleeval.DEFAULT_OPERATORS,
    ast.Add: _safe_add,
    ast.Mult: _safe_mult,
    ast.Pow: _safe_power,
    ast.Mod: _safe_mod,
}

# Methods that can blow up memory (center, zfill, translate, to_bytes...) or smuggle in
# str.format; mutating methods too, since scripts change data through assignments only.
_DENIED_ATTRS = frozenset(
    {
        "format", "format_map", "encode", "translate", "maketrans", "center", "ljust", "rjust",
        "zfill", "expandtabs", "to_bytes", "from_bytes", "append", "extend", "insert", "remove",
        "pop", "popitem", "clear", "sort", "reverse", "update", "setdefault", "add", "discard",
        "intersection_update", "difference_update", "symmetric_difference_update",
    }
)  # fmt: skip
_ALLOWED_ATTRS: dict[Any, set[str]] = {
    kind: set(names) - _DENIED_ATTRS for kind, names in simpleeval.BASIC_ALLOWED_ATTRS.items()
}
_ALLOWED_ATTR_NAMES = frozenset().union(*_ALLOWED_ATTRS.values())


# ---------------------------------------------------------------------------------------------
# Static audit: refuse at deploy time what the evaluator would refuse at run time.

_EXPR_NODES: tuple[type, ...] = (
    ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Slice, ast.Call, ast.keyword,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Dict, ast.List, ast.Tuple,
    ast.Set, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.comprehension, ast.JoinedStr,
    ast.FormattedValue, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context,
)  # fmt: skip

_NODE_REFUSALS: dict[type, str] = {
    ast.Lambda: "lambda is not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Starred: "* unpacking is only allowed inside list literals",
    ast.SetComp: "set comprehensions are not supported; use set([...])",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}

_STATEMENT_REFUSALS: dict[type, str] = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.FunctionDef: "def",
    ast.AsyncFunctionDef: "def",
    ast.ClassDef: "class",
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.With: "with",
    ast.AsyncWith: "with",
    ast.Try: "try",
    ast.TryStar: "try",
    ast.Raise: "raise",
    ast.Delete: "del",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.Return: "return",
    ast.Assert: "assert",
    ast.Match: "match",
    ast.Break: "break",
    ast.Continue: "continue",
    ast.AnnAssign: "an annotated assignment",
}

_AUG_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_RESERVED_KEY = "typename"  # SpiffWorkflow's serializer restores dicts carrying this key as objects


def _check_identifier(name: str) -> None:
    if name.startswith("_"):
        raise ExpressionRefused(f"names starting with '_' are not allowed ({name})")


def _check_attribute(name: str) -> None:
    if name.startswith("_"):
        raise ExpressionRefused(f"attributes starting with '_' are not allowed (.{name})")
    if name in ("format", "format_map"):
        raise ExpressionRefused(f"attribute .{name} is not allowed; use f-strings")
    if name not in _ALLOWED_ATTR_NAMES:
        raise ExpressionRefused(f"attribute .{name} is not allowed")


def _check_call(node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id not in FUNCTIONS:
            raise ExpressionRefused(f"function '{func.id}' is not allowed")
    elif not isinstance(func, ast.Attribute):
        raise ExpressionRefused("only whitelisted functions and methods can be called")
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ExpressionRefused("** arguments are not allowed")
        if keyword.arg == _RESERVED_KEY:
            raise ExpressionRefused(f"'{_RESERVED_KEY}' is a reserved key")


def _is_reserved_key(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == _RESERVED_KEY


def _audit_expr(node: ast.AST, folds: list[ast.expr], depth: int = 0) -> bool:
    """Refuse what is not allowed; return whether the subtree reads no variable (is foldable)."""
    if depth > MAX_DEPTH:
        raise ExpressionRefused("expression is nested too deeply")
    if not isinstance(node, _EXPR_NODES):
        refusal = _NODE_REFUSALS.get(type(node), f"{type(node).__name__} is not allowed")
        raise ExpressionRefused(refusal)
    pure = True
    if isinstance(node, ast.Name):
        _check_identifier(node.id)
        pure = False
    elif isinstance(node, ast.Attribute):
        _check_attribute(node.attr)
    elif isinstance(node, ast.Call):
        _check_call(node)
    elif isinstance(node, ast.BinOp | ast.UnaryOp) and type(node.op) not in _OPERATORS:
        raise ExpressionRefused(f"operator {type(node.op).__name__} is not allowed")
    elif isinstance(node, ast.Dict) and any(_is_reserved_key(k) for k in node.keys):
        raise ExpressionRefused(f"'{_RESERVED_KEY}' is a reserved key")
    elif isinstance(node, ast.ListComp | ast.GeneratorExp | ast.DictComp):
        pure = False  # comprehension variables are names, bound only while it runs
    elif isinstance(node, ast.comprehension) and node.is_async:
        raise ExpressionRefused("async comprehensions are not allowed")

    children: list[tuple[ast.AST, bool]] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Starred) and isinstance(node, ast.List):
            child = child.value
        elif isinstance(child, ast.keyword):
            child = child.value  # keyword names were checked by _check_call
        is_func = isinstance(node, ast.Call) and child is node.func
        if is_func and isinstance(child, ast.Name):
            continue  # the whitelisted function name is not a variable read
        child_pure = _audit_expr(child, folds, depth + 1)
        pure = pure and child_pure
        # A method is not a value: fold its call as a whole, never the bare attribute.
        if child_pure and not is_func:
            children.append((child, child_pure))
    if not pure:
        folds.extend(
            child
            for child, _ in children
            if isinstance(child, ast.expr) and not isinstance(child, ast.Constant)
        )
    return pure


def _audit_expression(root: ast.expr) -> None:
    """Audit one expression tree, then dry-run its constant parts to catch runaway costs."""
    folds: list[ast.expr] = []
    if _audit_expr(root, folds) and not isinstance(root, ast.Constant):
        folds.append(root)
    for node in folds:
        # Subtrees that read no variable cost the same now as later: 9**9**9, range(10**9).
        # An ordinary failure (1/0) is for run time, maybe in a branch never taken.
        with contextlib.suppress(ExpressionError):
            _run(node, _NO_NAMES, "")


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise ExpressionRefused(f"expected text, got {type(text).__name__}")


def _parse(text: str, mode: str) -> ast.AST:
    if len(text) > MAX_TEXT_LENGTH:
        raise ExpressionRefused(f"longer than {MAX_TEXT_LENGTH} characters")
    source = text.strip() if mode == "eval" else textwrap.dedent(text)
    if mode == "eval" and not source:
        raise ExpressionRefused("empty expression")
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as exc:
        reason = f"syntax error: {exc.msg} (line {exc.lineno})"
    except (RecursionError, MemoryError):
        reason = "expression is nested too deeply"
    except ValueError as exc:  # e.g. null bytes
        reason = f"cannot parse: {exc}"
    raise ExpressionRefused(reason)  # outside the handler: see _translate


@functools.lru_cache(maxsize=4096)
def _parse_expression(text: str) -> ast.expr:
    tree = _parse(text, "eval")
    assert isinstance(tree, ast.Expression)
    _audit_expression(tree.body)
    return tree.body


def _audit_target(target: ast.expr, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionRefused("assignment target is nested too deeply")
    if isinstance(target, ast.Name):
        _check_identifier(target.id)
        if target.id == _RESERVED_KEY:
            raise ExpressionRefused(f"'{_RESERVED_KEY}' is a reserved name")
    elif isinstance(target, ast.Subscript):
        if isinstance(target.slice, ast.Slice):
            raise ExpressionRefused("slice assignment is not allowed")
        if _is_reserved_key(target.slice):
            raise ExpressionRefused(f"'{_RESERVED_KEY}' is a reserved key")
        _audit_expression(target.slice)
        _audit_target(target.value, depth + 1)  # the container: name['a']['b'] = ...
    else:
        raise ExpressionRefused("only name = ..., name[key] = ... assignments are allowed")


def _audit_statements(statements: list[ast.stmt], count: int = 0) -> int:
    for statement in statements:
        count += 1
        if count > MAX_STATEMENTS:
            raise ExpressionRefused(f"scripts are limited to {MAX_STATEMENTS} statements")
        if isinstance(statement, ast.Assign):
            if len(statement.targets) != 1:
                raise ExpressionRefused("chained assignment (a = b = ...) is not allowed")
            _audit_target(statement.targets[0])
            _audit_expression(statement.value)
        elif isinstance(statement, ast.AugAssign):
            if not isinstance(statement.op, _AUG_OPERATORS):
                raise ExpressionRefused("only +=, -=, *= and /= are allowed")
            _audit_target(statement.target)
            _audit_expression(statement.value)
        elif isinstance(statement, ast.If):
            _audit_expression(statement.test)
            count = _audit_statements(statement.body, count)
            count = _audit_statements(statement.orelse, count)
        elif isinstance(statement, ast.Expr):
            raise ExpressionRefused("a bare expression does nothing here; assign its value")
        elif not isinstance(statement, ast.Pass):
            what = _STATEMENT_REFUSALS.get(type(statement), type(statement).__name__)
            raise ExpressionRefused(f"{what} is not allowed in scripts")
    return count


@functools.lru_cache(maxsize=4096)
def _parse_script(text: str) -> tuple[str, list[ast.stmt]]:
    tree = _parse(text, "exec")
    assert isinstance(tree, ast.Module)
    _audit_statements(tree.body)
    return textwrap.dedent(text), tree.body


def check_expression(text: str) -> None:
    """Audit one expression statically (at deploy time); raise ExpressionRefused if refused."""
    _check_text(text)
    _parse_expression(text)


def check_script(text: str) -> None:
    """Audit a script statically (at deploy time); raise ExpressionRefused if refused."""
    _check_text(text)
    _parse_script(text)


# ---------------------------------------------------------------------------------------------
# Evaluation.


class _Names:
    """Task data over external context, read in place; '_' names (posted __builtins__) hidden."""

    __slots__ = ("_data", "_extra")

    def __init__(self, data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> None:
        self._data = data
        self._extra = extra

    def __getitem__(self, key: str) -> Any:
        if key.startswith("_"):
            raise KeyError(key)
        try:
            return self._data[key]
        except KeyError:
            if self._extra is None:
                raise
            return self._extra[key]


_NO_NAMES = _Names({}, None)


class _Evaluator(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc,unused-ignore]
    """simpleeval with our functions, operators and attributes, and bounded string building."""

    def __init__(self) -> None:
        super().__init__(
            operators=_OPERATORS,
            functions=dict(FUNCTIONS),  # simpleeval adds list/dict/set/tuple to the dict it gets
            names=_NO_NAMES,
            allowed_attrs=_ALLOWED_ATTRS,
        )
        # The attribute whitelist already rules out dict.key access; never fall back to items.
        self.ATTR_INDEX_FALLBACK = False
        self.busy = False

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        item = super()._eval_attribute(node)
        if node.attr in _BOUNDED_STR_METHODS and isinstance(item, types.BuiltinMethodType):
            receiver = item.__self__
            if isinstance(receiver, str):
                return _BoundedStrMethod(receiver, item)
        return item

    def _check_disallowed_items(self, item: Any) -> None:
        # simpleeval walks every container result recursively: O(task data) per node, and
        # exponential on shared parts. A value is only dangerous once taken out of its
        # container, which is a node result of its own, so checking one level is enough.
        if type(item) in _SCALARS:
            return
        if isinstance(item, types.ModuleType):
            raise simpleeval.FeatureNotAvailable("modules are not allowed")
        if callable(item) and not _callable_allowed(item):
            raise simpleeval.FeatureNotAvailable(f"calling {item!r} is not allowed")

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        length = 0
        for value in node.values:
            part = self._eval(value)
            text = part if isinstance(part, str) else _str(part)
            length += len(text)
            if length > simpleeval.MAX_STRING_LENGTH:
                raise _too_long("this f-string")
            parts.append(text)
        return "".join(parts)

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        value = self._eval(node.value)
        _check_render_size(value)
        if node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        spec = "" if node.format_spec is None else self._eval(node.format_spec)
        _check_format_spec(spec)
        return format(value, spec)


_SCALARS = frozenset({str, int, float, bool, type(None)})
_FUNCTION_VALUES = frozenset(FUNCTIONS.values())


def _callable_allowed(item: Any) -> bool:
    """Whitelisted functions, methods of allowed types, and our bounded str methods only."""
    if isinstance(item, _BoundedStrMethod):
        return True
    try:
        if item in _FUNCTION_VALUES:
            return True
    except TypeError:  # an unhashable callable is none of ours
        return False
    if isinstance(item, types.BuiltinMethodType):
        owner = item.__self__
        if isinstance(owner, type):  # {}.fromkeys is bound to the class
            return owner in _ALLOWED_ATTRS
        return type(owner) in _ALLOWED_ATTRS
    return False


_local = threading.local()


def _borrow_evaluator() -> _Evaluator:
    # One evaluator per thread: building one is slow and touches the global warnings filters.
    evaluator: _Evaluator | None = getattr(_local, "evaluator", None)
    if evaluator is None or evaluator.busy:
        evaluator = _Evaluator()
        if getattr(_local, "evaluator", None) is None:
            _local.evaluator = evaluator
    evaluator.busy = True
    return evaluator


def _release_evaluator(evaluator: _Evaluator) -> None:
    evaluator.names = _NO_NAMES  # do not keep task data alive between calls
    evaluator.busy = False


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _translate(exc: Exception, source: str) -> Exception:
    """Map a failure to ExpressionRefused (not allowed) or ExpressionError (ordinary failure).

    Callers raise the result outside their except block: SpiffWorkflow wraps our exceptions
    without `from`, and callers find them as the innermost link of the exception chain.
    """
    where = f" in '{_snippet(source)}'" if source else ""
    if isinstance(exc, ExpressionRefused | ExpressionError):
        return exc
    if isinstance(exc, simpleeval.NameNotDefined):
        return NameUndefined(f"name '{exc.name}' is not defined{where}")
    if isinstance(exc, simpleeval.AttributeDoesNotExist):
        return ExpressionError(f"attribute '{exc.attr}' does not exist{where}")
    if isinstance(exc, simpleeval.InvalidExpression):
        return ExpressionRefused(f"{exc}")
    if isinstance(exc, RecursionError):
        return ExpressionRefused(f"expression or data is nested too deeply{where}")
    return ExpressionError(f"{type(exc).__name__}: {exc}{where}")


def _value(evaluator: _Evaluator, node: ast.expr, text: str) -> Any:
    result = evaluator.eval(text, previously_parsed=node)
    if callable(result):
        raise ExpressionRefused("a function is not a value; call it")
    return result


def _run(node: ast.expr, names: _Names, text: str) -> Any:
    evaluator = _borrow_evaluator()
    evaluator.names = names
    try:
        return _value(evaluator, node, text)
    except Exception as exc:
        failure = _translate(exc, text)
    finally:
        _release_evaluator(evaluator)
    raise failure


def _evaluate(text: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> Any:
    _check_text(text)
    node = _parse_expression(text)
    if not isinstance(data, Mapping):
        raise ExpressionError(f"expected a mapping of names, got {type(data).__name__}")
    return _run(node, _Names(data, extra), text)


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """Evaluate one expression with names as variables; refusals raise ExpressionRefused."""
    return _evaluate(text, names, None)


def _container(evaluator: _Evaluator, target: ast.Subscript) -> tuple[Any, Any]:
    container = evaluator._eval(target.value)
    if type(container) not in (dict, list):
        raise ExpressionError(f"can only assign items of a dict or list, not {type(container)}")
    key = evaluator._eval(target.slice)
    if key == _RESERVED_KEY:
        raise ExpressionRefused(f"'{_RESERVED_KEY}' is a reserved key")
    return container, key


def _run_block(
    evaluator: _Evaluator, source: str, statements: list[ast.stmt], data: dict[str, Any]
) -> None:
    for statement in statements:
        try:
            _run_statement(evaluator, source, statement, data)
            continue
        except (ExpressionRefused, ExpressionError):
            raise
        except Exception as exc:
            segment = ast.get_source_segment(source, statement) or ""
            failure = _translate(exc, segment.splitlines()[0] if segment else "")
        raise failure


def _run_statement(
    evaluator: _Evaluator, source: str, statement: ast.stmt, data: dict[str, Any]
) -> None:
    if isinstance(statement, ast.If):
        test = _value(evaluator, statement.test, source)
        _run_block(evaluator, source, statement.body if test else statement.orelse, data)
    elif isinstance(statement, ast.Assign | ast.AugAssign):
        target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
        value = _value(evaluator, statement.value, source)
        if isinstance(target, ast.Name):
            if isinstance(statement, ast.AugAssign):
                value = _OPERATORS[type(statement.op)](evaluator._eval(target), value)
            _check_value_size(value)
            data[target.id] = value
        else:
            assert isinstance(target, ast.Subscript)
            container, key = _container(evaluator, target)
            if isinstance(statement, ast.AugAssign):
                value = _OPERATORS[type(statement.op)](container[key], value)
            _check_value_size(value, container)
            container[key] = value


def _execute(text: str, data: dict[str, Any], extra: Mapping[str, Any] | None) -> None:
    _check_text(text)
    source, statements = _parse_script(text)
    evaluator = _borrow_evaluator()
    evaluator.names = _Names(data, extra)
    try:
        _run_block(evaluator, source, statements, data)
    finally:
        _release_evaluator(evaluator)


def execute(text: str, names: dict[str, Any]) -> None:
    """Run a script of assignments and if/else blocks, updating names in place."""
    _execute(text, names, None)


# ---------------------------------------------------------------------------------------------
# SpiffWorkflow integration: correlation calls environment.evaluate directly, so the
# restriction lives in the environment, not in an engine subclass.


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc,unused-ignore]
    """A SpiffWorkflow script environment that evaluates through this module only."""

    def __init__(self) -> None:
        super().__init__({})

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Evaluate a condition, timer, cardinality or correlation expression."""
        return _evaluate(expression, context, external_context)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        """Run a script task or pre/post script against the task data."""
        _execute(script, context, external_context)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        """Service tasks are not part of Ducha."""
        raise ExpressionRefused("service calls are not supported")


SAFE_ENGINE = PythonScriptEngine(environment=SafeEnvironment())


def safe_script_engine() -> PythonScriptEngine:
    """The shared restricted script engine (stateless, safe to share between workflows)."""
    return SAFE_ENGINE
