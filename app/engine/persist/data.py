"""Data from outside (forms, starts, messages): what the engine accepts and how it is stored."""

from datetime import datetime
from typing import Any

# Far beyond any form; deeper data would exhaust the stack in copies, merges and serializers.
MAX_DATA_DEPTH = 32
RESERVED_KEY_MESSAGE = "reserved key: no '_' prefix and no 'typename'"


def data_problems(data: Any) -> list[dict[str, Any]]:
    """Reserved keys ('_' prefix, 'typename') and nesting deeper than MAX_DATA_DEPTH, by field.

    Iterative: deep data must not exhaust the stack here (nor later, which is why it is refused).
    """
    problems: list[dict[str, Any]] = []
    pending: list[tuple[Any, str, int]] = [(data, "", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DATA_DEPTH:
            problems.append({"field": path, "message": f"nested deeper than {MAX_DATA_DEPTH}"})
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}/{key}" if path else str(key)
                if not isinstance(key, str) or key.startswith("_") or key == "typename":
                    problems.append({"field": where, "message": RESERVED_KEY_MESSAGE})
                else:
                    pending.append((item, where, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, f"{path}/{i}", depth + 1) for i, item in enumerate(value))
    return sorted(problems, key=lambda p: str(p["field"]))


def json_safe(data: Any) -> Any:
    """Task data as plain JSON values (engine data may hold non-JSON leftovers)."""
    if isinstance(data, dict):
        return {
            str(k): json_safe(v)
            for k, v in data.items()
            if not (isinstance(k, str) and k.startswith("_")) and not callable(v)
        }
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    if data is None or isinstance(data, str | int | float | bool):
        return data
    if isinstance(data, datetime):
        return data.isoformat()
    return str(data)
