"""Notifications are read in scope; templates are edited in an override directory; with no
channel configured, nothing runs."""

import json

import pytest
from notify_helpers import (
    API,
    HttpSink,
    SmtpSink,
    as_,
    channel_settings,
    fire,
    notifications,
    register_signed,
    service,
    set_contact,
    worker,
)

from app.notifications.worker import workers


@pytest.fixture
def sinks():
    smtp, http = SmtpSink(), HttpSink()
    with smtp.running(), http.running():
        yield smtp, http


def _register(client, who: str, lead: str) -> dict:
    body = {
        "title": f"{lead} 事项",
        "content": "内容",
        "category": "reform",
        "source_type": "major_decision",
        "lead_unit": lead,
        "explicit_due": "2026-04-01",
        "joint": False,
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def test_notification_lists_follow_the_callers_scope(settings, sinks):
    with service(channel_settings(settings, *sinks)) as client:
        set_contact(client, "fgw")
        province = _register(client, "office", "320000-FGW")
        nanjing = _register(client, "nanjing_office", "320100-FGW")  # no contact there
        worker(client).round()

        def listed(who: str, **params: str) -> list[tuple[str, str]]:
            response = client.get(f"{API}/notifications", params=params, headers=as_(client, who))
            assert response.status_code == 200, response.text
            return sorted((n["unit_code"], n["status"]) for n in response.json()["items"])

        assert listed("office") == [("320000-FGW", "sent"), ("320100-FGW", "failed")]
        assert listed("office", status="failed") == [("320100-FGW", "failed")]
        assert listed("office", unit="320000-FGW") == [("320000-FGW", "sent")]
        assert listed("office", matter_id=nanjing["id"]) == [("320100-FGW", "failed")]
        assert listed("nanjing_office") == [("320100-FGW", "failed")]
        assert listed("fgw") == [("320000-FGW", "sent")]
        assert listed("zjt") == []
        bad = client.get(
            f"{API}/notifications", params={"status": "lost"}, headers=as_(client, "office")
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"
        # A matter's notifications: whoever sees the matter; others get 404 as if it did not exist.
        assert len(notifications(client, province["id"], who="fgw")) == 1
        url = f"{API}/matters/{province['id']}/notifications"
        assert client.get(url, headers=as_(client, "nanjing_office")).status_code == 404
        assert client.get(url, headers=as_(client, "zjt")).status_code == 404
        # The city's office cannot retry the province's messages: not in its scope.
        (row,) = notifications(client, province["id"])
        retry = client.post(
            f"{API}/notifications/{row['id']}/retry", headers=as_(client, "nanjing_office")
        )
        assert retry.status_code == 404


def test_an_office_edits_templates_in_its_own_directory(settings, sinks, tmp_path):
    smtp, http = sinks
    (tmp_path / "urge.subject.txt").write_text("【请速办】{{ code }} {{ unit_name }}", "utf-8")
    (tmp_path / "urge.http.json").write_text(
        '{"msgtype": "text", "touser": {{ address | tojson }}, '
        '"text": {"content": {{ (subject ~ "：" ~ link) | tojson }}}}',
        "utf-8",
    )
    (tmp_path / "remind.email.txt").write_text("{{ no_such_variable }}", "utf-8")  # broken
    edited = channel_settings(settings, smtp, http, notifications_templates_dir=tmp_path)
    with service(edited) as client:
        set_contact(client, "fgw", im_id="13800000001", channels=["email", "http"])
        matter = register_signed(client)
        notifier = worker(client)
        fire(client, matter["instance_id"], "final_warning")
        notifier.round()
        # A template that cannot render fails its messages with the reason; others still go.
        reminds = [n for n in notifications(client, matter["id"]) if n["kind"] == "remind"]
        assert {n["status"] for n in reminds} == {"failed"}
        assert all("remind.email.txt" in n["last_error"] for n in reminds)
        smtp.received.clear()
        http.bodies.clear()
        fire(client, matter["instance_id"], "final_overdue")
        notifier.round()
        (mail,) = smtp.received
        assert mail["Subject"] == f"【请速办】{matter['code']} 江苏省发展和改革委员会"
        assert "【催办通知】" in mail.get_content()  # the built-in e-mail text still applies
        (body,) = http.bodies
        assert body == {
            "msgtype": "text",
            "touser": "13800000001",
            "text": {
                "content": f"{mail['Subject']}：https://ducha.js.gov.cn/matters/{matter['id']}"
            },
        }
        stored = next(
            n
            for n in notifications(client, matter["id"])
            if n["channel"] == "http" and n["kind"] == "urge"
        )
        assert json.loads(stored["body"]) == body


def test_with_no_channel_configured_no_worker_runs(settings):
    assert workers(None, None, settings) == []  # type: ignore[arg-type]
    configured = settings.model_copy(update={"notifications_http_url": "http://127.0.0.1:9/x"})
    (found,) = workers(None, None, configured)  # type: ignore[arg-type]
    assert found.name == "notifications"
