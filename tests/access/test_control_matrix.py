"""Who controls a matter (issue "Say only what is true", point 5; docs/access.md): every write
that is not "work my own task" × every kind of caller × own / superior / involved / sibling unit.

The setting is the demo unit tree: Nanjing's office (320100-DCS) registers a matter whose lead
unit is Xuanwu district's office (320102-DCS) and whose co-operating unit is Nanjing's 发改委; its
engine instances likewise belong to Nanjing's office and give a task to the district. The
registering office, the province's office above it and admins control; the district — involved
— sees and works its own tasks, and is refused (403) every act of control; a sibling district or
city does not even see (404). A refused write changes nothing.

Built once per backend (module scope): the whole file runs in seconds.
"""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from access_helpers import API, CO, LEAD, OWNER, assigned_matter, do_task
from conftest import BACKENDS, DEMO_UNITS, ROOT, TEST_SECRET, login, truncate_all
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.config import Settings
from app.kit.clock import clock
from app.main import create_app

HERE = Path(__file__).resolve().parent

# Each caller: unit, roles. The relation to the matter is in the name.
ACTORS: dict[str, tuple[str, list[str]]] = {
    "own_office": (OWNER, ["supervision_office"]),  # the registering office
    "own_head": (OWNER, ["office_head"]),
    "own_leader": ("320100-GOV", ["leader"]),  # sees the city's subtree, controls nothing
    "own_auditor": (OWNER, ["auditor"]),
    "superior_office": ("320000-DCS", ["supervision_office"]),  # the province's office
    "superior_head": ("320000-DCS", ["office_head"]),
    "admin": ("320000-GO", ["admin"]),
    "lead_office": (LEAD, ["supervision_office"]),  # involved: the lead unit (the issue's case)
    "lead_head": (LEAD, ["office_head"]),
    "lead_handler": (LEAD, ["unit_handler"]),
    "co_handler": (CO, ["unit_handler"]),  # involved: the co-operating unit
    "sibling_office": ("320104-DCS", ["supervision_office"]),  # a sibling district
    "sibling_city_office": ("320200-DCS", ["supervision_office"]),  # Wuxi
}
CONTROLLERS = {"own_office", "own_head", "superior_office", "superior_head", "admin"}
OFFICE_ROLES = {"own_office", "own_head", "superior_office", "superior_head", "admin"} | {
    "lead_office",
    "lead_head",
    "sibling_office",
    "sibling_city_office",
}  # callers holding supervision_office, office_head or admin
SENDERS = OFFICE_ROLES - {"own_head", "superior_head", "lead_head"}  # messages.send
NOT_SEEING = {"sibling_office", "sibling_city_office"}
# The engine instance involves its owner and the district (its task's unit), not the co unit.
NOT_SEEING_INSTANCE = NOT_SEEING | {"co_handler"}


def expected(who: str, roles_allowed: set[str], not_seeing: set[str]) -> str:
    """The answer the rule gives: the role first (403), then sight (404), then control (403)."""
    if who not in roles_allowed:
        return "forbidden"
    if who in not_seeing:
        return "not_found"
    return "ok" if who in CONTROLLERS else "forbidden"


def h(client: TestClient, who: str) -> dict[str, str]:
    unit, roles = ACTORS[who]
    return login(client, sub=who, unit=unit, roles=roles)


@dataclass
class World:
    client: TestClient
    matter: dict
    extension_id: str

    def start(self, business_key: str) -> dict:
        """A fresh engine instance owned by Nanjing's office with a task for the district."""
        response = self.client.post(
            f"{API}/process-instances",
            headers=h(self.client, "own_office"),
            json={
                "process_key": "unit_message",
                "business_key": business_key,
                "variables": {"unit": LEAD},
            },
        )
        assert response.status_code == 201, response.text
        return response.json()

    def call(self, method: str, url: str, who: str, **kw: Any) -> tuple[str, dict]:
        response = self.client.request(method, url, headers=h(self.client, who), **kw)
        body = response.json() if response.content else {}
        if response.status_code < 300:
            return "ok", body
        if response.status_code in (403, 404):
            return ("forbidden" if response.status_code == 403 else "not_found"), body
        # A controller may pass the gate and meet the object's state (already decided, not
        # closed): that is not a refusal of who they are.
        assert response.status_code == 409, (who, method, url, response.text)
        return "ok", body

    def instance_status(self, instance_id: str) -> str:
        response = self.client.get(
            f"{API}/process-instances/{instance_id}", headers=h(self.client, "admin")
        )
        return str(response.json()["status"])


def _do(client: TestClient, who: str, element: str, variables: dict) -> None:
    do_task(client, h(client, who), element, variables)


def _settings(request: pytest.FixtureRequest, tmp: Path) -> Settings:
    if request.param == "sqlite":
        path = tmp / "ducha.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        truncate_all(url)
    return Settings(
        database_url=url,
        processes_dir=ROOT / "processes",
        migrate_on_startup=False,
        deploy_on_startup=True,
        scheduler_enabled=False,
        workers_enabled=False,
        jwt_secret=SecretStr(TEST_SECRET),
        units_file=DEMO_UNITS,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The matter (plan approved, both units signed, an extension pending) and the diagram."""
    settings = _settings(request, tmp_path_factory.mktemp("control"))
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    try:
        with TestClient(create_app(settings)) as client:
            client.headers.update(login(client, sub="root", unit="320000-GO", roles=["admin"]))
            xml = (HERE / "unit_message.bpmn").read_bytes()
            files = {"file": ("unit_message.bpmn", xml, "application/xml")}
            deployed = client.post(f"{API}/process-definitions", files=files, headers={})
            assert deployed.status_code in (200, 201), deployed.text
            yield World(client, *_matter(client))
    finally:
        clock.reset()


def _matter(client: TestClient) -> tuple[dict, str]:
    matter = assigned_matter(client, h)
    _do(client, "lead_handler", "sign_for", {"decision": "sign"})
    _do(client, "co_handler", "sign_for", {"decision": "sign"})
    detail = client.get(f"{API}/matters/{matter['id']}", headers=h(client, "lead_handler")).json()
    final = next(
        d for d in detail["deadlines"] if d["kind"] == "final_report" and d["unit_code"] == LEAD
    )
    filed = client.post(
        f"{API}/matters/{matter['id']}/extensions",
        headers=h(client, "lead_handler"),  # working its own part: an involved unit's right
        json={
            "deadline_id": final["id"],
            "requested_due": "2026-06-12",
            "reason": "需协调资金",
            "progress": "已完成前期工作",
        },
    )
    assert filed.status_code == 201, filed.text
    return detail, filed.json()["id"]


def _refusals_first(allowed: set[str]) -> list[str]:
    """Callers who must be refused, then the controllers (a destructive write succeeds once)."""
    return sorted(set(ACTORS) - allowed) + sorted(allowed)


def test_the_district_office_of_the_issue_cannot_cancel_the_citys_matter(world: World):
    """The finding itself: the lead unit's office sees the matter's instance but cancels it not."""
    instance = world.matter["instance_id"]
    url = f"{API}/process-instances/{instance}"
    assert world.call("GET", url, "lead_office")[0] == "ok"
    outcome, body = world.call("POST", f"{url}/cancel", "lead_office")
    assert outcome == "forbidden"
    assert body["code"] == "forbidden" and body["action"] == "instances.cancel"
    assert body["object_id"] == instance and body["owner_unit"] == OWNER
    assert world.instance_status(instance) == "running"


def test_cancelling_an_instance(world: World):
    refused = world.start("cancel-refused")
    for who in ACTORS:
        want = expected(who, OFFICE_ROLES, NOT_SEEING_INSTANCE)
        target = world.start(f"cancel-{who}") if want == "ok" else refused
        got, body = world.call("POST", f"{API}/process-instances/{target['id']}/cancel", who)
        assert got == want, (who, body)
        if want == "ok":
            assert world.instance_status(target["id"]) == "cancelled", who
    assert world.instance_status(refused["id"]) == "running"


def test_firing_a_timer(world: World):
    refused = world.start("timer-refused")
    (job,) = refused["waiting_timers"]
    for who in ACTORS:
        want = expected(who, OFFICE_ROLES, NOT_SEEING_INSTANCE)
        target = world.start(f"timer-{who}")["waiting_timers"][0] if want == "ok" else job
        got, body = world.call("POST", f"{API}/jobs/{target['id']}/execute", who)
        assert got == want, (who, body)
    jobs = world.client.get(
        f"{API}/jobs",
        params={"process_instance_id": refused["id"]},
        headers=h(world.client, "admin"),
    ).json()["items"]
    assert [j["id"] for j in jobs] == [job["id"]]  # still waiting


def test_sending_a_message_reaches_only_instances_the_sender_controls(world: World):
    refused = world.start("message-refused")
    for who in ACTORS:
        want = expected(who, SENDERS, NOT_SEEING_INSTANCE)
        key = f"message-{who}"
        if want == "ok":
            world.start(key)
        else:
            key = "message-refused"
        got, body = world.call(
            "POST", f"{API}/messages", who, json={"name": "withdrawn", "correlation_key": key}
        )
        # Correlation is a search among the instances you control: one you only see is not
        # there for you (404 no_receiver), exactly as one you cannot see.
        if want == "forbidden" and who in SENDERS:
            want = "not_found"
        assert got == want, (who, body)
    assert world.instance_status(refused["id"]) == "running"


def test_reassigning_and_releasing_a_task(world: World):
    instance = world.start("assign")
    task = instance["ready_tasks"][0]["id"]
    for who in _refusals_first(CONTROLLERS):
        want = expected(who, OFFICE_ROLES, NOT_SEEING_INSTANCE)
        got, body = world.call(
            "POST", f"{API}/tasks/{task}/assign", who, json={"assignee": "lead_handler"}
        )
        assert got == want, (who, body)
    # Unclaim: the assignee (working its own task) or a controller; the district's office not.
    # Callers without an office role are refused by role — after sight, as a task is looked up
    # first (anyone may give back a task they hold).
    for who in _refusals_first(CONTROLLERS | {"lead_handler"}):
        world.call("POST", f"{API}/tasks/{task}/claim", "lead_handler")  # 409 if still held
        got, body = world.call("POST", f"{API}/tasks/{task}/unclaim", who)
        if who == "lead_handler" or who in OFFICE_ROLES:
            want = (
                "ok" if who == "lead_handler" else expected(who, OFFICE_ROLES, NOT_SEEING_INSTANCE)
            )
        else:
            want = "not_found" if who in NOT_SEEING_INSTANCE else "forbidden"
        assert got == want, (who, body)
        held = world.client.get(f"{API}/tasks/{task}", headers=h(world.client, "admin")).json()
        assert held["assignee"] == (None if want == "ok" else "lead_handler"), who


def test_deciding_an_extension(world: World):
    mid, eid = world.matter["id"], world.extension_id
    url = f"{API}/matters/{mid}/extensions/{eid}/decision"
    for who in _refusals_first(CONTROLLERS):
        got, body = world.call("POST", url, who, json={"approve": False, "comment": "理由不足"})
        assert got == expected(who, OFFICE_ROLES, NOT_SEEING), (who, body)
        if got != "ok":
            detail = world.client.get(f"{API}/matters/{mid}", headers=h(world.client, "admin"))
            (row,) = [e for e in detail.json()["extensions"] if e["id"] == eid]
            assert row["status"] == "pending", who  # a refusal changes nothing


def test_scheduling_a_look_back(world: World):
    url = f"{API}/matters/{world.matter['id']}/look-back"
    for who in ACTORS:
        got, body = world.call("POST", url, who, json={"check_days": 30, "rectify_days": 30})
        # Controllers pass the gate and meet the state: the matter is not closed (409).
        assert got == expected(who, OFFICE_ROLES, NOT_SEEING), (who, body)


def test_decomposing_is_the_involved_offices_act_on_its_own_part(world: World):
    """domain.md §8: the office of the level a matter is assigned to decomposes it for the units
    below; it makes a matter of its own and changes nothing of the parent's."""
    parent = world.matter["id"]
    body = {
        "title": "玄武区分解事项",
        "content": "区发改局落实。",
        "category": "reform",
        "source_type": "major_decision",
        "lead_unit": "320102-FGJ",
        "explicit_due": "2026-05-20",
        "parent_id": parent,
    }
    got, created = world.call("POST", f"{API}/matters", "lead_office", json=body)
    assert got == "ok" and created["parent_id"] == parent and created["owner_unit"] == LEAD
    assert world.call("POST", f"{API}/matters", "sibling_office", json=body)[0] in {
        "forbidden",  # 320102-FGJ is outside a sibling district's scope
        "not_found",
    }
    # The child is the district's: Nanjing's office, above it, controls it too.
    cid = created["id"]
    assert world.call("POST", f"{API}/matters/{cid}/look-back", "own_office", json={})[0] == "ok"
    got, _ = world.call("POST", f"{API}/matters/{cid}/look-back", "sibling_city_office", json={})
    assert got == "not_found"


def test_involved_units_still_see_and_work_their_own_tasks(world: World):
    instance = world.start("work")
    task = instance["ready_tasks"][0]["id"]
    for who in ("lead_office", "lead_head", "lead_handler"):
        assert world.call("GET", f"{API}/process-instances/{instance['id']}", who)[0] == "ok"
    for who in ("lead_office", "co_handler", "lead_handler"):
        assert world.call("GET", f"{API}/matters/{world.matter['id']}", who)[0] == "ok", who
    done = world.call(
        "POST", f"{API}/tasks/{task}/complete", "lead_handler", json={"variables": {}}
    )
    assert done[0] == "ok" and world.instance_status(instance["id"]) == "completed"


def test_recording_on_an_activity(world: World):
    """An office activity (舆论监督) of Nanjing's office aimed at the district: the district sees
    it and may object to its conclusion, but records on it only its owner and the offices above."""
    body = {
        "title": "老旧小区改造舆论监督",
        "kind": "follow_up",
        "method": "media",
        "target_units": [LEAD],
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
    }
    got, activity = world.call("POST", f"{API}/activities", "own_office", json=body)
    assert got == "ok", activity
    recorders = OFFICE_ROLES - {"admin"}  # activities.record: the office's team, not admins
    coverage = {
        "outlet": "南京日报",
        "published_on": "2026-03-05",
        "title": "改造进展",
        "tone": "neutral",
    }
    url = f"{API}/activities/{activity['id']}/coverage"
    for who in ACTORS:
        got, answer = world.call("POST", url, who, json=coverage)
        not_seeing = NOT_SEEING | {"co_handler"}  # the co unit is not a target
        assert got == expected(who, recorders, not_seeing), (who, answer)
    detail = world.client.get(
        f"{API}/activities/{activity['id']}", headers=h(world.client, "admin")
    ).json()
    assert str(detail).count("南京日报") == len(recorders & CONTROLLERS)  # refusals wrote nothing


def test_revising_a_plan(world: World):
    item = {
        "subject": "老旧小区改造",
        "category": "reform",
        "item_type": "matter",
        "source_type": "major_decision",
        "lead_unit": LEAD,
        "explicit_due": "2026-09-30",
    }
    body = {
        "year": 2026,
        "title": "南京市2026年督查计划",
        "basis": "市政府中心工作",
        "items": [item],
    }
    got, plan = world.call("POST", f"{API}/plans", "own_office", json=body)
    assert got == "ok", plan
    url = f"{API}/plans/{plan['id']}/items"
    # A plan is seen by its office's government and the offices above, not by the units in it.
    not_seeing = NOT_SEEING | {"lead_office", "lead_head", "lead_handler", "co_handler"}
    for who in ACTORS:
        revised = {**item, "subject": f"老旧小区改造（{who}）"}
        got, answer = world.call("PUT", url, who, json={"items": [revised]})
        assert got == expected(who, OFFICE_ROLES, not_seeing), (who, answer)
