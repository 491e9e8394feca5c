"""The units a matter is read through (`matter_units`) follow its owner and every unit it is
assigned to, reassignment included; every matter read is scoped through them (domain.md §8)."""

import uuid

from matter_helpers import API, as_, do, open_flags
from sqlalchemy import select
from sqlalchemy.orm import attributes

from app.supervision.models import Assignment, Matter, MatterUnit


def listed(client, who: str, **filters) -> set[str]:
    params = {"limit": 200, **filters}
    response = client.get(f"{API}/matters", headers=as_(client, who), params=params)
    assert response.status_code == 200, response.text
    return {m["id"] for m in response.json()["items"]}


def reach_of_every_matter(client) -> dict[str, tuple[set[str], set[str]]]:
    """Per matter: (its matter_units, its owner and assigned units)."""
    with client.app.state.db.session() as s:
        kept: dict[str, set[str]] = {}
        for matter_id, unit in s.execute(select(MatterUnit.matter_id, MatterUnit.unit_code)):
            kept.setdefault(str(matter_id), set()).add(unit)
        expected = {str(m.id): {m.owner_unit} for m in s.scalars(select(Matter))}
        for matter_id, unit in s.execute(select(Assignment.matter_id, Assignment.unit_code)):
            expected[str(matter_id)].add(unit)
    return {m: (kept.get(m, set()), units) for m, units in expected.items()}


def test_a_reassigned_unit_reads_the_matter_and_the_relation_follows(matter_client):
    # domain.md §8: every level sees its own matters and those assigned to it.
    client = matter_client
    body = {
        "title": "关于加快推进城市更新项目的批示",
        "content": "请发改委牵头，住建厅配合，抓紧落实。",
        "category": "leader_instruction",
        "source_type": "leader_instruction",
        "lead_unit": "320000-FGW",
        "co_units": ["320000-ZJT"],
        "division_unit": "320000-GO-ZH1",
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    mid = response.json()["id"]
    assert mid in listed(client, "fgw") and mid in listed(client, "zjt")
    assert mid not in listed(client, "jyt")
    assert mid not in listed(client, "city_office")  # another government's office
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": True}
    do(client, "office", "draft_plan", plan)
    do(client, "division", "cosign_plan", {"cosign_opinion": "同意"})
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "zjt", "sign_for", {"decision": "return", "reason": "不属本单位职责"})
    assert mid not in listed(client, "jyt")
    detail = client.get(f"{API}/matters/{mid}", headers=as_(client, "jyt"))
    assert detail.status_code == 404

    do(client, "office", "reassign_unit", {"unit": "320000-JYT"})

    assert mid in listed(client, "jyt")
    assert client.get(f"{API}/matters/{mid}", headers=as_(client, "jyt")).status_code == 200
    assert mid in listed(client, "zjt")  # a unit that returned its part keeps reading it
    # "Assigned to a unit or below": read without the scope's join when every such unit is in
    # the caller's scope (being assigned makes it readable), through it otherwise.
    for who in ("office", "jyt", "fgw", "admin"):
        assert listed(client, who, unit="320000-JYT") == {mid}, who
    assert listed(client, "city_office", unit="320000-JYT") == set()  # not the city's matter
    assert listed(client, "fgw", unit="320000-GOV") == {mid}  # the province's whole subtree
    assert listed(client, "office", unit="320100-GOV") == set()  # assigned to none below it
    reach = reach_of_every_matter(client)
    assert reach[mid][0] == {"320000-DCS", "320000-FGW", "320000-ZJT", "320000-JYT"}
    assert all(kept == expected for kept, expected in reach.values()), reach


def test_a_status_written_over_an_expired_matter_still_moves_its_links(matter_client):
    # The links' `open` follows the flushed status even when the old one was never loaded (an
    # expired matter, status set without reading it): no stale mark in the open matters' index.
    client = matter_client
    body = {"title": "事项", "content": "内容", "category": "key_work"}
    body |= {"source_type": "major_decision", "lead_unit": "320000-FGW"}
    body |= {"explicit_due": "2026-04-30"}
    response = client.post(f"{API}/matters", json=body, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    mid = response.json()["id"]
    assert open_flags(client, mid) == {True}
    for status, expected in (("closed", {False}), ("handling", {True})):
        with client.app.state.db.session() as s:
            matter = s.get(Matter, uuid.UUID(mid))
            assert matter is not None
            s.expire(matter)  # its old status is not loaded when written
            matter.status = status
            assert not attributes.get_history(matter, "status").deleted
        assert open_flags(client, mid) == expected, status
