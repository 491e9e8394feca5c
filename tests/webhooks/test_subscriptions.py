"""Subscriptions over REST: admin only, validated, the secret shown once, every change audited."""

import base64

import pytest
from conftest import login
from webhook_helpers import API, Receiver, service, subscribe

from app.webhooks.subscriptions import generate_secret


@pytest.fixture
def client(settings):
    with service(settings) as client:
        yield client


def test_secret_is_shown_once_then_masked(client):
    receiver = Receiver()
    created = subscribe(
        client,
        receiver,
        event_types=["task.created", "ducha.matter.urged", "matter.*"],
        unit_scope=["320100-GOV"],
        description="OA 待办同步",
    )
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    assert created["secret_hint"] == secret[:10] + "…"
    assert created["event_types"] == ["ducha.task.created", "ducha.matter.urged", "ducha.matter.*"]
    assert created["unit_scope"] == ["320100-GOV"] and created["active"] is True

    shown = client.get(f"{API}/webhooks/{created['id']}")
    listed = client.get(f"{API}/webhooks").json()
    audit = client.get(f"{API}/audit", params={"limit": 500}).text
    for text in (shown.text, str(listed), audit):
        assert secret not in text and secret[6:] not in text
    assert shown.json()["secret_hint"] == created["secret_hint"]
    assert listed["total"] == 1 and "secret" not in listed["items"][0]


def test_a_given_secret_is_kept_and_checked(client):
    receiver = Receiver()
    mine = generate_secret()
    assert subscribe(client, receiver, secret=mine)["secret"] == mine
    for bad in ("short", "whsec_" + base64.b64encode(b"x" * 10).decode(), "whsec_!!notbase64!!"):
        response = client.post(
            f"{API}/webhooks", json={"url": receiver.url, "event_types": ["*"], "secret": bad}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "secret"


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",  # a private address not on the allow-list
        "http://169.254.169.254/latest/meta-data",
        "ftp://127.0.0.1/hook",
        "http://admin:pw@127.0.0.1/hook",
        "http://no-such-host.invalid/hook",
    ],
)
def test_a_disallowed_url_is_refused(client, url):
    response = client.post(f"{API}/webhooks", json={"url": url, "event_types": ["*"]})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"
    assert client.get(f"{API}/webhooks").json()["total"] == 0


def test_the_allow_list_comes_from_the_settings(settings):
    # only 127.0.0.2: 127.0.0.1 (and "localhost", which resolves to it) are outside
    with service(settings, webhook_allowed_networks=["127.0.0.2/32"]) as client:
        for url in ("http://127.0.0.1:9/", "http://localhost:9/"):
            response = client.post(f"{API}/webhooks", json={"url": url, "event_types": ["*"]})
            assert response.status_code == 422
            assert "outside the allowed networks" in response.json()["errors"][0]["message"]
        ok = client.post(
            f"{API}/webhooks", json={"url": "http://127.0.0.2:9/", "event_types": ["*"]}
        )
        assert ok.status_code == 201


def test_types_and_units_are_validated(client):
    body = {"url": Receiver().url, "event_types": ["task.created", "task.exploded", "nope.*"]}
    response = client.post(f"{API}/webhooks", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["event_types.1", "event_types.2"]
    body = {"url": Receiver().url, "event_types": ["*"], "unit_scope": ["320100-GOV", "999999"]}
    response = client.post(f"{API}/webhooks", json=body)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "unit_scope.1", "message": "no unit '999999'"}]
    response = client.post(f"{API}/webhooks", json={"url": Receiver().url, "event_types": []})
    assert response.status_code == 422


def test_only_admins_manage_webhooks(client):
    office = login(client, sub="wang", unit="320000-DCS", roles=["supervision_office"])
    body = {"url": Receiver().url, "event_types": ["*"]}
    assert client.post(f"{API}/webhooks", json=body, headers=office).status_code == 403
    assert client.get(f"{API}/webhooks", headers=office).status_code == 403


def test_change_and_delete_are_audited(client):
    receiver = Receiver()
    hook = subscribe(client, receiver)
    url = f"{API}/webhooks/{hook['id']}"
    new_secret = generate_secret()
    response = client.patch(
        url, json={"active": False, "event_types": ["task.*"], "secret": new_secret}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["active"], changed["event_types"]) == (False, ["ducha.task.*"])
    assert changed["secret_hint"] == new_secret[:10] + "…" and "secret" not in changed
    assert client.patch(url, json={"url": "http://10.1.2.3/"}).status_code == 422
    assert client.patch(url, json={"unknown": 1}).status_code == 422
    assert client.get(url).json()["url"] == receiver.url  # the refused change changed nothing

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404
    audit = client.get(f"{API}/audit", params={"limit": 500}).json()["items"]
    actions = [a["action"] for a in audit if a["object_id"] == hook["id"]]
    assert sorted(actions) == ["webhook.create", "webhook.delete", "webhook.update"]
    assert new_secret not in str(audit)
