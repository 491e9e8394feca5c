"""A step's response is built from what the step knows; it must equal a fresh read of the instance.

The start and completion responses read only what the step could not know (ready tasks it did
not create, incidents, jobs of timers that wait across the step); GET /process-instances/{id}
reads everything.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from engine_helpers import complete_task, deploy_file, forget_workflows, instance, start_instance
from fastapi.testclient import TestClient
from sql_sent import parsed_every_time, sent

from app.engine.runtime.engine import Before

# (files, process key, start variables, data for each completion): walked to the end.
PROCESSES: list[tuple[list[str], str, dict[str, Any], dict[str, Any]]] = [
    (["five_steps.bpmn"], "five_steps", {"amount": 1}, {"checked": True}),
    (["parallel_gateway.bpmn"], "review_in_parallel", {}, {"legal_ok": True, "finance_ok": True}),
    (
        ["multi_instance_parallel.bpmn"],
        "collect_opinions",
        {"units": ["a", "b"]},
        {"opinion": "ok"},
    ),
    (["timer_boundary.bpmn"], "answer_within_deadline", {}, {}),
    (["timer_beside_a_parallel_task.bpmn"], "answer_and_collect", {}, {}),
    (["embedded_subprocess.bpmn"], "handle_case", {"case": "A-1"}, {"facts": "two"}),
    (
        ["called_review.bpmn", "calling_process.bpmn"],
        "submit_document",
        {},
        {"title": "T", "verdict": "fine"},
    ),
]


def _walk(
    client: TestClient, files: list[str], key: str, variables: dict, data: dict
) -> Iterator[tuple[int, dict]]:
    """Deploy `files`, start `key` and complete its newest ready task until it completes (30
    completions at most): yields each answer with its number — the start's (0), then each
    completion's — before the next completion is sent."""
    for name in files:
        deploy_file(client, name)
    current = start_instance(client, key, variables=variables).json()
    step = 0
    yield step, current
    while current["status"] == "running":
        assert step < 30, f"{key} still running after 30 completions"
        response = complete_task(client, current["ready_tasks"][-1]["id"], data)
        assert response.status_code == 200, response.text
        current = response.json()
        step += 1
        yield step, current
    assert current["status"] == "completed"


@pytest.mark.parametrize(
    ("files", "key", "variables", "data"), PROCESSES, ids=[p[1] for p in PROCESSES]
)
def test_step_responses_equal_a_fresh_read(
    client: TestClient, files: list[str], key: str, variables: dict, data: dict
) -> None:
    for step, current in _walk(client, files, key, variables, data):
        assert current == instance(client, current["id"]), f"after completion {step}"
        if step % 3 == 2:
            forget_workflows(client)  # the next step restores the stored state


@pytest.mark.parametrize(
    ("files", "key", "variables", "data"), PROCESSES, ids=[p[1] for p in PROCESSES]
)
def test_what_a_step_leaves_with_its_warm_workflow_is_what_a_walk_of_it_finds(
    client: TestClient, files: list[str], key: str, variables: dict, data: dict
) -> None:
    """The next step starts from what this one found waiting (ready tasks, timers, message
    waits, live activities) instead of walking the warm workflow again: they must agree."""
    cache = client.app.state.engine.workflows
    for step, current in _walk(client, files, key, variables, data):
        warm = cache.peek(uuid.UUID(current["id"]))
        assert warm is not None, f"no warm workflow after step {step}"
        assert isinstance(warm.before, Before), f"step {step} left nothing to start from"
        assert warm.before == Before.of(warm.workflow), f"after step {step}"


@pytest.mark.parametrize(
    ("files", "key", "variables", "data"), PROCESSES, ids=[p[1] for p in PROCESSES]
)
def test_every_steps_statement_is_one_the_driver_parses_once(
    client: TestClient, files: list[str], key: str, variables: dict, data: dict
) -> None:
    """issue 18: a step's one statement (PostgreSQL) and the audit's with its events stay within
    psycopg's cache of converted statements (tests/sql_sent.py); a completion's was 4,145
    bytes and was parsed again on every step. Starts with timers, message waits, sub-processes
    and multi-instance tasks included."""
    if client.app.state.db.engine.dialect.name != "postgresql":  # type: ignore[attr-defined]
        pytest.skip("the driver's cache of converted statements is psycopg's (PostgreSQL)")
    with sent(client) as seen:
        for _ in _walk(client, files, key, variables, data):
            pass
    built = [(s, p) for s, p in seen if s.lstrip().startswith("WITH new_")]
    assert any("process_instances" in s for s, _ in built)
    assert parsed_every_time(built) == []
