"""Durability and cost invariants: pruning, restore with the safe engine, optimistic locking."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from engine_helpers import (
    complete_task,
    deploy_file,
    forget_workflows,
    instance,
    only_ready,
    ready_ids,
    start_instance,
    task,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.engine.persist import state
from app.engine.persist.models import HistoryEvent, ProcessInstance
from app.engine.script.expressions import SafeEnvironment

LOOP_PASSES = 1_100


def _state_size(client: TestClient, instance_id: str) -> int:
    """Length of the stored engine state, read from the app's database."""
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        stored = session.scalar(
            select(ProcessInstance.state).where(ProcessInstance.id == _uuid(instance_id))
        )
    return len(stored or "")


def _uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


def test_a_loop_past_the_engine_depth_limit_keeps_working_and_stays_small(
    client: TestClient,
) -> None:
    deploy_file(client, "review_loop.bpmn")
    current = start_instance(client, "review_until_approved").json()
    sizes = {}
    started = time.perf_counter()
    for done in range(1, LOOP_PASSES + 1):
        review = only_ready(current, "review_draft")
        if done % 250 == 0:
            forget_workflows(client)  # restore from the stored state now and then
        response = complete_task(client, review["id"], {"approved": False, "round": done})
        assert response.status_code == 200, (done, response.text)
        current = response.json()
        if done in (1, 100, LOOP_PASSES):
            sizes[done] = _state_size(client, current["id"])
    elapsed = time.perf_counter() - started
    assert current["status"] == "running"
    assert sizes[LOOP_PASSES] < 12_000, sizes
    assert sizes[LOOP_PASSES] < 1.5 * sizes[100], sizes
    forget_workflows(client)
    final = complete_task(client, only_ready(current, "review_draft")["id"], {"approved": True})
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "completed"
    assert final.json()["variables"]["round"] == LOOP_PASSES
    assert elapsed < 60, f"{LOOP_PASSES} completions took {elapsed:.1f} s"
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        completions = session.scalar(
            select(func.count()).where(
                HistoryEvent.instance_id == _uuid(current["id"]),
                HistoryEvent.event == "task_completed",
            )
        )
    assert completions == LOOP_PASSES + 1


def test_a_loop_through_a_subprocess_stays_small(client: TestClient) -> None:
    deploy_file(client, "subprocess_loop.bpmn")
    current = start_instance(client, "draft_until_accepted", variables={"rounds": 0}).json()
    sizes = {}
    for done in range(1, 301):
        if done % 100 == 0:
            forget_workflows(client)
        response = complete_task(
            client, only_ready(current, "write_draft")["id"], {"accepted": False}
        )
        assert response.status_code == 200, (done, response.text)
        current = response.json()
        sizes[done] = _state_size(client, current["id"])
    assert sizes[300] < 1.2 * sizes[50], (sizes[50], sizes[300])
    final = complete_task(client, only_ready(current, "write_draft")["id"], {"accepted": True})
    assert final.json()["status"] == "completed"
    assert final.json()["variables"]["rounds"] == 301


def test_a_restored_workflow_runs_scripts_in_the_restricted_environment(
    client: TestClient,
) -> None:
    deploy_file(client, "deadline_script.bpmn")
    started = start_instance(client, "set_deadline").json()
    forget_workflows(client)
    after = complete_task(
        client, only_ready(started, "enter_assigned_date")["id"], {"assigned_on": "2026-03-02"}
    ).json()
    # add_days exists only in the restricted environment: the default engine would fail here.
    check = only_ready(after, "check_deadline")
    assert task(client, check["id"])["input"]["deadline"] == "2026-04-01"
    db = client.app.state.db  # type: ignore[attr-defined]
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with db.session() as session:
        row = session.get(ProcessInstance, _uuid(started["id"]))
        assert row is not None
        cached = engine.specs.get(session, row.definition_id)
        restored = state.load(row.state, cached.bundle.spec, cached.bundle.subprocess_specs)
    assert isinstance(restored.script_engine.environment, SafeEnvironment)
    for subprocess in restored.subprocesses.values():
        assert isinstance(subprocess.script_engine.environment, SafeEnvironment)


def _complete_together(client: TestClient, work: list[tuple[str, dict]]) -> list[int]:
    """Complete tasks from parallel threads released at the same instant; their statuses."""
    barrier = threading.Barrier(len(work))

    def finish(item: tuple[str, dict]) -> int:
        barrier.wait()
        return complete_task(client, item[0], item[1], user="reviewer").status_code

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        return list(pool.map(finish, work))


def test_parallel_completions_of_one_instance_both_succeed(client: TestClient) -> None:
    deploy_file(client, "parallel_gateway.bpmn")
    for _ in range(6):
        started = start_instance(client, "review_in_parallel").json()
        legal = only_ready(started, "legal_review")["id"]
        finance = only_ready(started, "finance_review")["id"]
        statuses = _complete_together(
            client, [(legal, {"legal_ok": True}), (finance, {"finance_ok": True})]
        )
        assert statuses == [200, 200]
        final = instance(client, started["id"])
        assert final["status"] == "completed", ready_ids(final)
        assert final["variables"]["both_done"] is True
        assert final["completed_element_ids"].count("combine_reviews") == 1
        assert task(client, legal)["state"] == "completed"
        assert task(client, finance)["state"] == "completed"


def test_values_keep_their_json_type_across_steps_and_restores(client: TestClient) -> None:
    deploy_file(client, "five_steps.bpmn")
    started = start_instance(
        client, "five_steps", variables={"flag": 1, "ratio": 2, "count": 1.0, "tags": [1]}
    ).json()
    changed = {"flag": True, "ratio": 2.0, "count": 1, "tags": [True]}
    after = complete_task(client, only_ready(started, "step_1")["id"], changed).json()
    assert _typed(after["variables"]) == _typed(changed)
    forget_workflows(client)
    restored = complete_task(client, only_ready(after, "step_2")["id"]).json()
    assert _typed(restored["variables"]) == _typed(changed)
    step_3 = task(client, only_ready(restored, "step_3")["id"])
    assert _typed({k: step_3["input"][k] for k in changed}) == _typed(changed)


def _typed(value: object) -> object:
    """A value with the JSON type of every part spelled out (`True` and `1` differ)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)
