"""The contact directory over REST: each user keeps their own, admins keep anyone's; bad input is
422 naming the field and changes nothing; lists follow the caller's scope."""

import pytest
from notify_helpers import API, as_

ME = f"{API}/me/contact"


def test_a_user_keeps_their_own_contact_with_unit_and_roles_from_the_token(client):
    assert client.get(ME, headers=as_(client, "fgw")).status_code == 404
    body = {
        "email": "sun@fgw.js.gov.cn",
        "im_id": "13800000001",
        "channels": ["http", "email"],
        "quiet_start": "22:00",
        "quiet_end": "07:30",
    }
    response = client.put(ME, json=body, headers=as_(client, "fgw"))
    assert response.status_code == 200, response.text
    saved = response.json()
    assert (saved["sub"], saved["name"], saved["unit_code"]) == ("fgw", "孙承办", "320000-FGW")
    assert saved["roles"] == ["unit_handler"] and saved["channels"] == ["http", "email"]
    assert (saved["quiet_start"], saved["quiet_end"]) == ("22:00:00", "07:30:00")
    assert client.get(ME, headers=as_(client, "fgw")).json() == saved
    audit = client.get(f"{API}/audit", params={"object_type": "contact"}).json()["items"]
    assert [(a["action"], a["object_id"]) for a in audit] == [("contact.update", "fgw")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "body.email"),
        ({"email": "a@b"}, "body.email"),
        ({"email": "a b@example.gov.cn"}, "body.email"),
        ({"email": "x@example.gov.cn", "channels": ["sms"]}, "body.channels.0"),
        ({"email": "x@example.gov.cn", "channels": ["email", "email"]}, "body.channels"),
        ({"email": "x@example.gov.cn", "channels": []}, "channels"),
        ({"email": "x@example.gov.cn", "channels": ["http"]}, "im_id"),
        ({"channels": ["email"]}, "email"),
        ({"email": "x@example.gov.cn", "quiet_start": "22:00"}, "quiet_end"),
        ({"email": "x@example.gov.cn", "quiet_end": "07:00"}, "quiet_start"),
        (
            {"email": "x@example.gov.cn", "quiet_start": "25:00", "quiet_end": "07:00"},
            "body.quiet_start",
        ),
        ({"email": "x@example.gov.cn", "quiet_start": "07:00", "quiet_end": "07:00"}, "quiet_end"),
        ({"email": "x@example.gov.cn", "unit_code": "320000-ZJT"}, "body.unit_code"),
    ],
)
def test_a_bad_contact_is_422_naming_the_field_and_changes_nothing(client, body, field):
    before = client.put(ME, json={"email": "sun@fgw.js.gov.cn"}, headers=as_(client, "fgw")).json()
    response = client.put(ME, json=body, headers=as_(client, "fgw"))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert client.get(ME, headers=as_(client, "fgw")).json() == before


def test_admins_keep_anyones_contact(client):
    url = f"{API}/contacts/zhou.fgw"
    body = {
        "name": "周主任",
        "unit_code": "320000-FGW",
        "roles": ["unit_head"],
        "email": "zhou@fgw.js.gov.cn",
    }
    assert client.put(url, json=body, headers=as_(client, "office")).status_code == 403
    bad_unit = client.put(url, json={**body, "unit_code": "999999-X"}, headers=as_(client, "admin"))
    assert bad_unit.status_code == 422 and bad_unit.json()["errors"][0]["field"] == "unit_code"
    bad_role = client.put(url, json={**body, "roles": ["boss"]}, headers=as_(client, "admin"))
    assert bad_role.status_code == 422 and bad_role.json()["errors"][0]["field"] == "body.roles"
    response = client.put(url, json=body, headers=as_(client, "admin"))
    assert response.status_code == 200, response.text
    assert response.json()["updated_by"] == "admin" and response.json()["roles"] == ["unit_head"]
    listed = client.get(
        f"{API}/contacts", params={"role": "unit_head"}, headers=as_(client, "admin")
    )
    assert [c["sub"] for c in listed.json()["items"]] == ["zhou.fgw"]
    assert client.delete(url, headers=as_(client, "office")).status_code == 403
    assert client.delete(url, headers=as_(client, "admin")).status_code == 204
    assert client.delete(url, headers=as_(client, "admin")).status_code == 404
    assert client.get(f"{API}/contacts", headers=as_(client, "admin")).json()["total"] == 0


def test_contact_lists_follow_the_callers_scope(client):
    for who in ("fgw", "zjt", "office", "nanjing_office", "nanjing_fgw"):
        response = client.put(ME, json={"email": f"{who}@example.gov.cn"}, headers=as_(client, who))
        assert response.status_code == 200, response.text

    def seen(who: str, **params: str) -> list[str]:
        response = client.get(f"{API}/contacts", params=params, headers=as_(client, who))
        assert response.status_code == 200, response.text
        return sorted(c["sub"] for c in response.json()["items"])

    # A unit sees its own; an office its government's subtree (the province's office sees the
    # cities'; a city's never the province's).
    assert seen("fgw") == ["fgw"]
    assert seen("office") == ["fgw", "nanjing_fgw", "nanjing_office", "office", "zjt"]
    assert seen("nanjing_office") == ["nanjing_fgw", "nanjing_office"]
    assert seen("nanjing_office", unit="320000-FGW") == []
    assert seen("office", unit="320100-FGW") == ["nanjing_fgw"]
    assert seen("office", role="supervision_office") == ["nanjing_office", "office"]
