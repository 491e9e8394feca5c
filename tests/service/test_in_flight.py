"""A burst of requests waits its turn instead of failing (app.inflight): a process lets in no
more API requests than its database pool has connections, so none waits on the pool while it
holds a thread another needs. The event feed's long-poll and a slow upload hold no turn."""

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import deploy, login, start
from fastapi.testclient import TestClient

from app.config import Settings
from app.inflight import InFlight
from app.main import create_app

BURST = 200  # more than the thread pool's 40 threads: they can all be taken


def _burst(settings: Settings, in_flight: int) -> Counter[int]:
    """BURST reads of one task sent at once to a process with a pool of two connections."""
    settings = settings.model_copy(
        update={
            "db_pool_size": 2,
            "db_max_overflow": 0,
            "db_pool_timeout_seconds": 1.0,
            "requests_in_flight": in_flight,
        }
    )
    with TestClient(create_app(settings)) as client:
        headers = login(client, "tester", "320000-DCS", ["admin"])
        client.headers.update(headers)
        deploy(client, "five_steps.bpmn")
        task = start(client, "five_steps", variables={"amount": 1})["ready_tasks"][0]["id"]
        with ThreadPoolExecutor(BURST) as pool:
            answers = pool.map(
                lambda _: client.get(f"/api/v1/tasks/{task}").status_code, range(BURST)
            )
            return Counter(answers)


def test_a_burst_waits_its_turn_instead_of_failing_on_the_pool(settings, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("the pool's size and timeout are PostgreSQL's")
    # Let in every request at once: they take every thread and the pool's two connections,
    # then wait on each other until the pool gives up (503).
    assert _burst(settings, in_flight=1_000)[503] > 0
    # As many in flight as the pool has connections: every read is answered.
    assert _burst(settings, in_flight=0) == Counter({200: BURST})


def test_the_event_feeds_long_poll_holds_no_turn(settings):
    # One request in flight at a time; a caller waits on the event feed meanwhile.
    settings = settings.model_copy(update={"requests_in_flight": 1})
    with TestClient(create_app(settings)) as client:
        client.headers.update(login(client, "tester", "320000-DCS", ["admin"]))
        with ThreadPoolExecutor(1) as pool:
            polling = pool.submit(client.get, "/api/v1/events", params={"wait": 3})
            time.sleep(0.5)  # the poll is under way, asleep between looks
            started = time.monotonic()
            assert client.get("/api/v1/tasks").status_code == 200
            assert time.monotonic() - started < 2.0, "the task list waited behind the poll"
            assert not polling.done()
            assert polling.result().status_code == 200


def test_a_slow_upload_holds_no_turn_while_its_body_arrives():
    # InFlight itself, around an app that answers at once: one turn, and a request whose body
    # has not arrived yet does not stop the next one.
    async def answer(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = InFlight(answer, limit=1)
    scope = {"type": "http", "path": "/api/v1/tasks", "method": "POST", "headers": []}

    async def run() -> list[str]:
        arrived = asyncio.Event()
        done: list[str] = []

        async def slow_body():
            await arrived.wait()
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def body():
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def sent(name):
            async def send(message):
                if message["type"] == "http.response.body":
                    done.append(name)

            return send

        slow = asyncio.create_task(gate(scope, slow_body, await sent("slow")))
        await asyncio.sleep(0.05)  # the slow upload is under way
        await asyncio.wait_for(gate(scope, body, await sent("quick")), timeout=2)
        arrived.set()
        await slow
        return done

    assert asyncio.run(run()) == ["quick", "slow"]
