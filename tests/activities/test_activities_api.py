"""Creating office activities (条例 Art. 14), scope, filters and the detail."""

import pytest
from activity_helpers import API, as_, create, run_media, run_survey
from conftest import login
from rest import get

from app.activities import api as activities_api

BASE = {
    "title": "关于安全生产专项整治的督查",
    "kind": "lead_verification",
    "method": "on_site",
    "target_units": ["320000-FGW"],
    "period_start": "2026-03-02",
    "period_end": "2026-03-31",
}


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"target_units": ["320000-NOPE"]}, 403, "target_units/0"),
        ({"target_units": []}, 422, "body.target_units"),
        ({"period_end": "2026-03-01"}, 422, "body"),
        (
            {"kind": "comprehensive"},
            422,
            "body.kind",
        ),  # the office itself runs only Art. 14 follow-ups
        ({"method": "look_back"}, 422, "body"),  # a look back names its matters
        (
            {"method": "look_back", "matter_ids": ["7f1c0a5e-0000-4000-8000-000000000000"]},
            422,
            "matter_ids/0",
        ),
    ],
)
def test_bad_activities_are_refused(matter_client, change, status, field):
    client = matter_client
    response = client.post(
        f"{API}/activities", json={**BASE, **change}, headers=as_(client, "office")
    )
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    listed = client.get(f"{API}/activities", headers=as_(client, "office")).json()
    assert listed["total"] == 0


def test_only_the_office_creates_and_only_in_its_scope(matter_client):
    client = matter_client
    refused = client.post(f"{API}/activities", json=BASE, headers=as_(client, "fgw"))
    assert refused.status_code == 403
    city = client.post(f"{API}/activities", json=BASE, headers=as_(client, "nanjing_office"))
    assert city.status_code == 403  # a province department is outside a city's scope
    nanjing = {**BASE, "target_units": ["320100-FGW"]}
    assert (
        client.post(
            f"{API}/activities", json=nanjing, headers=as_(client, "nanjing_office")
        ).status_code
        == 201
    )


def test_list_filters_and_scope(matter_client):
    client = matter_client
    survey = run_survey(client)
    media = run_media(client, target_units=["320100-FGW"], title="南京市住房保障舆论监督")
    planned = create(client, "on_site", period_start="2027-01-05", period_end="2027-02-05")

    def ids(who="office", **params):
        response = client.get(f"{API}/activities", params=params, headers=as_(client, who))
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["items"]}

    assert ids() == {survey["id"], media["id"], planned["id"]}
    assert ids(method="survey") == {survey["id"]}
    assert ids(status="concluded") == {survey["id"], media["id"]}
    assert ids(status="planned") == {planned["id"]}
    assert ids(kind="follow_up") == ids()
    assert ids(year=2027) == {planned["id"]}
    assert ids(q="南京") == {media["id"]}
    assert ids(unit="320100-GOV") == {media["id"]}  # targets at or below the unit
    # A target unit sees what is aimed at it; a city's office only its own subtree's.
    assert ids(who="zjt") == {survey["id"], planned["id"]}
    assert ids(who="nanjing_office") == {media["id"]}
    jyt = login(client, sub="jyt", unit="320000-JYT", roles=["unit_handler"])
    assert client.get(f"{API}/activities", headers=jyt).json()["total"] == 0
    hidden = client.get(f"{API}/activities/{survey['id']}", headers=jyt)
    assert hidden.status_code == 404


def test_every_change_is_audited(matter_client):
    client = matter_client
    state = run_media(client)
    auditor = login(client, sub="audit", unit="320000-DCS", roles=["auditor"])
    rows = client.get(
        f"{API}/audit",
        params={"object_type": "activity", "object_id": state["id"]},
        headers=auditor,
    ).json()["items"]
    assert {"activity.create", "activity.coverage"} <= {r["action"] for r in rows}


def test_a_text_search_of_activities_counts_exactly_only_up_to_its_own_cap(
    matter_client, monkeypatch
):
    # As the matter board's: a search matches each row's own text, so its count stops sooner
    # (`SEARCH_COUNT_CAP`) than a list's (`COUNT_CAP`).
    client = matter_client
    monkeypatch.setattr(activities_api, "SEARCH_COUNT_CAP", 2)
    for _ in range(4):
        create(client, "on_site")

    searched = get(client, "/activities", params={"q": "城市更新", "limit": 1})
    everything = get(client, "/activities", params={"limit": 1})
    assert searched["total_is_estimate"] is True and searched["total"] >= 3, searched
    assert (everything["total"], everything["total_is_estimate"]) == (4, False)
