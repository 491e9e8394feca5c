"""Urging reaches people (seed 三(一)–(二) 跟踪督办; domain.md §7): a matter driven over REST, the
clock moved until its timers fire, and the messages received by a real SMTP server and a real
HTTP gateway on 127.0.0.1, recorded on the matter."""

from datetime import UTC, datetime

import pytest
from notify_helpers import (
    API,
    HttpSink,
    SmtpSink,
    as_,
    channel_settings,
    do,
    fire,
    free_port,
    job_due,
    notifications,
    register_signed,
    service,
    set_contact,
    timeline,
    worker,
)

from app.kit.clock import clock


@pytest.fixture
def sinks():
    smtp, http = SmtpSink(), HttpSink()
    with smtp.running(), http.running():
        yield smtp, http


@pytest.fixture
def client(settings, sinks):
    smtp, http = sinks
    with service(channel_settings(settings, smtp, http)) as test_client:
        yield test_client


def test_an_urging_reaches_smtp_and_the_gateway_and_is_recorded(client, sinks):
    smtp, http = sinks
    set_contact(client, "fgw", im_id="13800000001", channels=["email", "http"])
    matter = register_signed(client)
    mid, instance = matter["id"], matter["instance_id"]
    notifier = worker(client)
    fire(client, instance, "final_warning")
    notifier.round()  # the assignment (交办通知) and the reminder (督查提醒)
    assert [b["kind"] for b in http.bodies] == ["assigned", "remind"]
    assert [b["urgent"] for b in http.bodies] == [False, False]
    smtp.received.clear()
    smtp.recipients.clear()
    http.bodies.clear()
    http.headers.clear()

    # seed 三(一): past the deadline, an urging notice (催办) goes to the unit's handlers.
    fire(client, instance, "final_overdue")
    assert notifier.round() >= 2
    (mail,) = smtp.received
    assert mail["To"] == "孙承办 <fgw@example.gov.cn>"
    assert smtp.recipients == [["fgw@example.gov.cn"]]
    assert mail["Subject"] == f"【催办通知】{matter['title']}（{matter['code']}）"
    assert "江苏省人民政府督查室" in mail["From"]
    text = mail.get_content()
    assert text.startswith("孙承办同志：")
    assert "【催办通知】" in text and "已超过" in text and "2026-04-01" in text
    assert f"https://ducha.js.gov.cn/matters/{mid}" in text
    (gateway,) = http.bodies
    assert gateway["to"] == "13800000001" and gateway["urgent"] is True
    assert gateway["title"] == mail["Subject"] and gateway["kind"] == "urge"
    assert gateway["content"] == text
    assert http.headers[0]["X-Gateway-Token"] == "t0ken"

    # Recorded on the matter: each message with its status and time, and on the timeline.
    rows = [n for n in notifications(client, mid) if n["kind"] == "urge"]
    assert {(n["channel"], n["status"], n["address"]) for n in rows} == {
        ("email", "sent", "fgw@example.gov.cn"),
        ("http", "sent", "13800000001"),
    }
    assert all(n["sent_at"] and n["urgent"] and n["attempts"] == 1 for n in rows)
    notes = [e for e in timeline(client, mid) if e["event"] == "notified"]
    summaries = [e["summary"] for e in notes]
    assert any(
        s.startswith("已通过电子邮件通知 孙承办（江苏省发展和改革委员会）") for s in summaries
    )
    assert any(s.startswith("已通过即时通讯/短信通知 孙承办") for s in summaries)
    # Our own timeline entries never become messages again.
    assert notifier.round() == 0


def test_escalation_reaches_the_unit_head_then_the_leaders_above(client, sinks):
    smtp, _http = sinks
    set_contact(client, "fgw")
    set_contact(client, "fgw_head")
    set_contact(client, "leader")
    matter = register_signed(client)
    mid, instance = matter["id"], matter["instance_id"]
    notifier = worker(client)
    fire(client, instance, "final_overdue")
    notifier.round()
    smtp.received.clear()

    # domain.md §7: still red after 5 working days → 督办 to the unit head (and its handlers).
    fire(client, instance, "final_escalation")
    notifier.round()
    assert sorted(m["To"] for m in smtp.received) == [
        "周主任 <fgw_head@example.gov.cn>",
        "孙承办 <fgw@example.gov.cn>",
    ]
    assert all(m["Subject"].startswith("【督办通知】") for m in smtp.received)
    smtp.received.clear()

    # … then to the leaders of the government above the unit (省政府), and the unit head.
    fire(client, instance, "final_escalation_leader")
    notifier.round()
    assert sorted(m["To"] for m in smtp.received) == [
        "周主任 <fgw_head@example.gov.cn>",
        "赵副省长 <leader@example.gov.cn>",
    ]
    leader_mail = next(m for m in smtp.received if "leader@" in m["To"])
    assert "江苏省发展和改革委员会承办的督查事项超期仍未报送" in leader_mail.get_content()
    rows = notifications(client, mid)
    leader_rows = [n for n in rows if n["recipient_role"] == "leader"]
    assert [(n["recipient_unit"], n["kind"], n["status"]) for n in leader_rows] == [
        ("320000-GOV", "escalate_leader", "sent")
    ]


def test_new_assignment_return_and_report_sent_back(client, sinks):
    smtp, http = sinks
    set_contact(client, "fgw", im_id="13800000001", channels=["http"])
    set_contact(client, "zjt")
    set_contact(client, "office")
    body = {
        "title": "关于加快城市更新的决定",
        "content": "发改委牵头，住建厅配合。",
        "category": "reform",
        "source_type": "major_decision",
        "lead_unit": "320000-FGW",
        "co_units": ["320000-ZJT"],
        "explicit_due": "2026-04-01",
        "joint": False,
    }
    registered = client.post(f"{API}/matters", json=body, headers=as_(client, "office")).json()
    mid = registered["id"]
    notifier = worker(client)
    notifier.round()
    # A new assignment (交办) reaches each unit's handlers: 发改委 by IM only, as chosen.
    assert [b["kind"] for b in http.bodies] == ["assigned"]
    assert "牵头单位" in http.bodies[0]["content"]
    (zjt_mail,) = smtp.received
    assert zjt_mail["To"].endswith("<zjt@example.gov.cn>")
    assert zjt_mail["Subject"] == f"【交办通知】{body['title']}（{registered['code']}）"
    assert "配合单位" in zjt_mail.get_content()
    smtp.received.clear()

    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    do(client, "office", "draft_plan", plan)
    do(client, "head", "approve_plan", {"decision": "approve"})
    # 住建厅 returns its part: the owner office's staff hear of it with the reason.
    do(client, "zjt", "sign_for", {"decision": "return", "reason": "不属本单位职责"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    notifier.round()
    (returned,) = [m for m in smtp.received if "office@" in m["To"]]
    assert returned["Subject"].startswith("【退回交办】江苏省住房和城乡建设厅退回")
    assert "退回理由：不属本单位职责" in returned.get_content()
    smtp.received.clear()
    http.bodies.clear()

    do(client, "office", "reassign_unit", {"unit": "320000-ZJT"})
    do(client, "zjt", "sign_for", {"decision": "sign"})
    do(client, "zjt", "report_to_lead", {"report": "配合意见", "percent": 50})
    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    do(client, "office", "review_report", {"decision": "reject", "comment": "请补充资金落实情况"})
    notifier.round()
    # The report sent back reaches the reporting (lead) unit's handlers with the comment.
    sent_back = [b for b in http.bodies if b["kind"] == "report_sent_back"]
    assert len(sent_back) == 1 and "审核意见：请补充资金落实情况" in sent_back[0]["content"]
    kinds = {(n["kind"], n["unit_code"], n["status"]) for n in notifications(client, mid)}
    assert ("returned", "320000-ZJT", "sent") in kinds
    assert ("report_sent_back", "320000-FGW", "sent") in kinds


def test_nobody_to_reach_is_a_failed_row_on_the_matter(client, sinks):
    smtp, _http = sinks
    matter = register_signed(client)
    mid, instance = matter["id"], matter["instance_id"]
    notifier = worker(client)
    fire(client, instance, "final_overdue")
    notifier.round()
    assert smtp.received == []
    (row,) = [n for n in notifications(client, mid) if n["kind"] == "urge"]
    assert row["status"] == "failed" and row["recipient_sub"] is None
    assert row["last_error"] == "no contact for unit 320000-FGW role unit_handler"
    failed = [e for e in timeline(client, mid) if e["event"] == "notification_failed"]
    assert any("未能通知 承办人（江苏省发展和改革委员会）" in e["summary"] for e in failed)

    # Once the unit has a contact, the office retries: the message goes to them.
    set_contact(client, "fgw")
    response = client.post(f"{API}/notifications/{row['id']}/retry", headers=as_(client, "office"))
    assert response.status_code == 200, response.text
    (new,) = response.json()
    assert (new["recipient_sub"], new["status"]) == ("fgw", "pending")
    notifier.round()
    assert [m["To"] for m in smtp.received] == ["孙承办 <fgw@example.gov.cn>"]
    # A message that went out is not retried.
    response = client.post(f"{API}/notifications/{new['id']}/retry", headers=as_(client, "office"))
    assert response.status_code == 409 and response.json()["code"] == "not_retryable"


def test_quiet_hours_defer_a_reminder_but_not_an_urging(client, sinks):
    smtp, _http = sinks
    set_contact(client, "fgw", quiet_start="22:00", quiet_end="08:00")
    matter = register_signed(client)
    mid, instance = matter["id"], matter["instance_id"]
    notifier = worker(client)
    notifier.round()  # the assignment, sent at 09:00
    smtp.received.clear()

    # The reminder (non-urgent) comes due at night: 23:00 China time on 27 March.
    assert job_due(client, instance, "final_warning") == datetime(2026, 3, 27, 1, 0, tzinfo=UTC)
    fire(client, instance, "final_warning", at=datetime(2026, 3, 27, 15, 0, tzinfo=UTC))
    notifier.round()
    assert smtp.received == []
    (remind,) = [n for n in notifications(client, mid) if n["kind"] == "remind"]
    assert remind["status"] == "deferred" and not remind["urgent"]
    assert remind["next_attempt_at"] == "2026-03-28T00:00:00Z"  # 08:00 China time
    clock.freeze(datetime(2026, 3, 27, 23, 59, tzinfo=UTC))  # 07:59: still quiet
    notifier.round()
    assert smtp.received == []
    clock.freeze(datetime(2026, 3, 28, 0, 0, tzinfo=UTC))  # 08:00: it goes
    notifier.round()
    assert [m["Subject"][:6] for m in smtp.received] == ["【督查提醒】"]
    smtp.received.clear()

    # An urging notice is urgent: at 00:01 China time on 2 April it goes at once.
    fire(client, instance, "final_overdue", at=datetime(2026, 4, 1, 16, 1, tzinfo=UTC))
    notifier.round()
    assert [m["Subject"][:6] for m in smtp.received] == ["【催办通知】"]
    (urge,) = [n for n in notifications(client, mid) if n["kind"] == "urge"]
    assert (urge["status"], urge["sent_at"]) == ("sent", "2026-04-01T16:01:00Z")


def test_smtp_down_is_retried_with_backoff_then_failed_with_the_reason(settings, sinks):
    smtp, http = sinks
    down = channel_settings(
        settings,
        smtp,
        http,
        notifications_smtp_port=free_port(),  # nothing listens there
        notifications_max_attempts=3,
        notifications_retry_seconds=60,
    )
    with service(down) as client:
        set_contact(client, "fgw")
        matter = register_signed(client)
        notifier = worker(client)
        notifier.round()
        (row,) = notifications(client, matter["id"])
        assert (row["kind"], row["status"], row["attempts"]) == ("assigned", "pending", 1)
        assert row["last_error"].startswith("SMTP 127.0.0.1:")
        assert row["next_attempt_at"] == "2026-03-02T01:01:00Z"  # 60 s later
        assert notifier.deliver() == 0  # not due yet
        clock.freeze(datetime(2026, 3, 2, 1, 1, tzinfo=UTC))
        notifier.round()
        (row,) = notifications(client, matter["id"])
        assert (row["status"], row["attempts"]) == ("pending", 2)
        assert row["next_attempt_at"] == "2026-03-02T01:03:00Z"  # the delay doubles
        clock.freeze(datetime(2026, 3, 2, 1, 3, tzinfo=UTC))
        notifier.round()
        (row,) = notifications(client, matter["id"])
        assert (row["status"], row["attempts"]) == ("failed", 3)
        assert "SMTP 127.0.0.1:" in row["last_error"] and row["next_attempt_at"] is None
        failed = [e for e in timeline(client, matter["id"]) if e["event"] == "notification_failed"]
        assert (
            len(failed) == 1 and "未能通知 孙承办（江苏省发展和改革委员会）" in failed[0]["summary"]
        )
        assert smtp.received == []
        # The office may retry it (a fresh set of attempts); a unit handler may not.
        url = f"{API}/notifications/{row['id']}/retry"
        assert client.post(url, headers=as_(client, "fgw")).status_code == 403
        response = client.post(url, headers=as_(client, "office"))
        assert response.status_code == 200, response.text
        assert [(r["status"], r["attempts"]) for r in response.json()] == [("pending", 0)]


def test_the_gateway_refusing_or_redirecting_is_not_success(settings, sinks):
    smtp, http = sinks
    with service(channel_settings(settings, smtp, http)) as client:
        set_contact(client, "fgw", im_id="13800000001", channels=["http"])
        notifier = worker(client)
        http.status = 302  # a redirect is not followed, and not a delivery
        matter = register_signed(client)
        notifier.round()
        (row,) = notifications(client, matter["id"])
        assert row["status"] == "pending" and "answered 302" in row["last_error"]
        http.status = 403  # refused for good: not retried
        clock.freeze(datetime(2026, 3, 2, 1, 10, tzinfo=UTC))
        notifier.round()
        (row,) = notifications(client, matter["id"])
        assert row["status"] == "failed" and "answered 403" in row["last_error"]
        assert len(http.bodies) == 2


def test_a_rectification_urging_reaches_the_unit(client, sinks):
    # seed 三(三): rectification with a deadline, urged like a matter when late.
    smtp, _http = sinks
    set_contact(client, "fgw")
    response = client.post(
        f"{API}/rectifications",
        json={
            "title": "关于督查发现问题限期整改的通知",
            "problems": ["项目审批超时限"],
            "units": ["320000-FGW"],
            "days": 18,
        },
        headers=as_(client, "office"),
    )
    assert response.status_code == 201, response.text
    opened = response.json()
    clock.freeze(datetime(2026, 3, 20, 16, 1, tzinfo=UTC))  # 21 March 00:01 China time
    client.app.state.scheduler.run_due()
    worker(client).round()
    listed = client.get(
        f"{API}/notifications",
        params={"rectification_id": opened["id"]},
        headers=as_(client, "office"),
    ).json()["items"]
    urged = {(n["kind"], n["status"], n["matter_id"]) for n in listed}
    assert ("urge", "sent", None) in urged
    mail = next(m for m in smtp.received if m["Subject"].startswith("【催办通知】"))
    assert mail["Subject"] == f"【催办通知】{opened['title']}（{opened['code']}）"
    text = mail.get_content()
    assert "整改事项：" in text and f"https://ducha.js.gov.cn/rectifications/{opened['id']}" in text


def test_not_signed_for_in_time_is_an_urgent_notice(client, sinks):
    # domain.md §7: not signed for in time → 催办 to the unit's handlers, urgent.
    smtp, _http = sinks
    set_contact(client, "fgw", quiet_start="00:00", quiet_end="23:59")  # urgent goes anyway
    body = {
        "title": "关于落实安全生产责任的决定",
        "content": "请发改委抓紧落实。",
        "category": "reform",
        "source_type": "major_decision",
        "lead_unit": "320000-FGW",
        "explicit_due": "2026-04-01",
        "joint": False,
    }
    registered = client.post(f"{API}/matters", json=body, headers=as_(client, "office")).json()
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    do(client, "office", "draft_plan", plan)
    do(client, "head", "approve_plan", {"decision": "approve"})
    fire(client, registered["instance_id"], "sign_for_overdue")
    worker(client).round()
    (mail,) = smtp.received  # the 交办通知 waits for the end of quiet hours; this does not
    assert mail["Subject"] == f"【催办通知】请签收：{body['title']}（{registered['code']}）"
    assert "未在时限" in mail.get_content()
    kinds = {(n["kind"], n["status"]) for n in notifications(client, registered["id"])}
    assert kinds == {("assigned", "deferred"), ("sign_overdue", "sent")}
