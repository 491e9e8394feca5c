"""What the app sends to the database, and which of it the PostgreSQL driver parses again.

psycopg keeps the conversion of a statement's placeholders in a cache only when its text is at
most `MAX_CACHED_STATEMENT_LENGTH` bytes and it has at most `MAX_CACHED_STATEMENT_PARAMS`
parameters; a longer one is parsed again on every execution (~0.17 ms of CPU for a step's
statement). Tests of a step's statements hold them to it."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import event


@contextmanager
def sent(client: TestClient) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the app sends meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []
    with _listening(client, lambda statement, parameters: seen.append((statement, parameters))):
        yield seen


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """Every statement the app sends meanwhile, its whitespace folded."""
    seen: list[str] = []
    with _listening(client, lambda statement, _: seen.append(" ".join(statement.split()))):
        yield seen


@contextmanager
def _listening(client: TestClient, record: Callable[[str, Any], None]) -> Iterator[None]:
    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        record(statement, parameters)

    engine = client.app.state.db.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def parsed_every_time(seen: Sequence[tuple[str, Any]]) -> list[str]:
    """The statements the driver does not cache (their first 80 characters, length, and number
    of parameters)."""
    over = []
    for statement, parameters in seen:
        size = len(statement.encode())
        many = isinstance(parameters, list | tuple) and parameters
        if many and isinstance(parameters[0], Mapping):
            parameters = parameters[0]  # executemany: each set is converted alike
        count = len(parameters) if isinstance(parameters, Mapping | Sequence) else 0
        if size > MAX_CACHED_STATEMENT_LENGTH or count > MAX_CACHED_STATEMENT_PARAMS:
            over.append(f"{' '.join(statement.split())[:80]}… ({size} bytes, {count} params)")
    return over
