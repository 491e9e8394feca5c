"""Accountability (问责), seed 三(三); 条例 Art. 21 (approval), Art. 23 (clues to the
supervisory authority); domain.md §7 (repeated reds → a proposal)."""

from datetime import UTC, datetime

from results_helpers import (
    API,
    as_,
    decide_accountability,
    do,
    get,
    open_docx,
    propose,
    register_matter,
    run_until,
    text_of,
)


def _three_late_matters(client) -> list[dict]:
    late = [
        register_matter(client, f"关于推进老旧小区改造第{n}批项目的批示", lead="320000-ZJT")
        for n in (1, 2, 3)
    ]
    run_until(client, datetime(2026, 4, 30, 2, 0, tzinfo=UTC))
    return late


def _body(matters: list[dict], **extra) -> dict:
    return {
        "measure": "admonitory_talk",
        "unit_codes": ["320000-ZJT"],
        "persons": [{"name": "张某某", "post": "省住房和城乡建设厅副厅长"}],
        "matter_ids": [m["id"] for m in matters],
        "facts": "省住建厅承办的3项省政府领导批示事项均超期未办结，经两次督办仍未报送办理情况。",
        "basis": "《江苏省人民政府办公厅关于进一步加强政府督查工作的实施意见》三（三）",
        "proposal": "建议由分管副省长对省住建厅主要负责同志进行约谈。",
        **extra,
    }


def test_repeated_reds_suggest_a_proposal(matter_client):
    # domain.md §7: repeated reds (default 3) → proposal of an admonitory talk or accountability.
    client = matter_client
    late = _three_late_matters(client)
    response = client.get(f"{API}/accountability/suggestions", headers=as_(client, "office"))
    assert response.status_code == 200, response.text
    (suggestion,) = response.json()
    assert suggestion["unit_code"] == "320000-ZJT" and suggestion["figures"]["reds"] == 3
    assert set(suggestion["matter_ids"]) == {m["id"] for m in late}
    # It reached the leader in charge (督办 to the leader): an accountability decision.
    assert suggestion["verdict"] == "accountability_decision"
    higher = client.get(
        f"{API}/accountability/suggestions", params={"threshold": 4}, headers=as_(client, "office")
    )
    assert higher.json() == []


def test_admonitory_talk_decided_by_the_leader_and_its_document(matter_client):
    # seed 三(三): criticism and admonitory talks; 条例 Art. 21: the leader approves.
    client = matter_client
    late = _three_late_matters(client)
    case = decide_accountability(client, _body(late))
    assert case["status"] == "decided" and case["decided_by"] == "leader"
    assert case["doc_number"] == "苏督责〔2026〕1号"
    # The unit concerned (its personnel department too) reads the decision once it is made.
    assert get(client, f"/accountability/{case['id']}", who="personnel")["status"] == "decided"
    document = open_docx(client, f"/accountability/{case['id']}/document.docx")
    text = text_of(document)
    assert "关于对江苏省住房和城乡建设厅予以约谈的决定" in text
    assert "苏督责〔2026〕1号" in text and "经两次督办仍未报送办理情况" in text
    assert "江苏省人民政府" in text
    persons, matters = document.tables
    assert [c.text for c in persons.rows[1].cells] == ["1", "张某某", "省住房和城乡建设厅副厅长"]
    assert len(matters.rows) == 4


def test_clue_transfer_records_the_authority_and_date(matter_client):
    # seed 三(三), 条例 Art. 23: clues of dereliction go to the supervisory authority.
    client = matter_client
    late = _three_late_matters(client)
    body = _body(late, measure="clue_transfer", proposal="建议将有关线索移送省监察委员会。")
    case = propose(client, body)
    instance = case["instance_id"]
    do(client, "office", "draft_accountability", {}, instance)
    do(client, "head", "review_accountability", {"decision": "approve"}, instance)
    do(client, "leader", "approve_accountability", {"decision": "approve"}, instance)
    assert get(client, f"/accountability/{case['id']}")["status"] == "decided"
    task = next(
        t
        for t in client.get(
            f"{API}/tasks", params={"mine": True}, headers=as_(client, "office")
        ).json()["items"]
        if t["element_id"] == "transfer_clues"
    )
    missing = client.post(
        f"{API}/tasks/{task['id']}/complete",
        json={"variables": {"receiving_authority": "江苏省监察委员会"}},
        headers=as_(client, "office"),
    )
    assert missing.status_code == 422
    do(
        client,
        "office",
        "transfer_clues",
        {"receiving_authority": "江苏省监察委员会", "transferred_on": "2026-05-06"},
        instance,
    )
    done = get(client, f"/accountability/{case['id']}")
    assert done["status"] == "transferred"
    assert (done["receiving_authority"], done["transferred_on"]) == (
        "江苏省监察委员会",
        "2026-05-06",
    )
    text = text_of(open_docx(client, f"/accountability/{case['id']}/document.docx"))
    assert "二〇二六年五月六日移送江苏省监察委员会" in text


def test_leader_returns_and_rejects_nothing_decided_without_approval(matter_client):
    # 条例 Art. 21: no accountability without the government's or its head's approval.
    client = matter_client
    late = _three_late_matters(client)
    case = propose(client, _body(late, measure="criticism"))
    instance = case["instance_id"]
    do(client, "office", "draft_accountability", {}, instance)
    do(client, "head", "review_accountability", {"decision": "approve"}, instance)
    state = get(client, f"/accountability/{case['id']}")
    assert state["status"] == "approving" and state["decided_at"] is None
    personnel = as_(client, "personnel")
    assert client.get(f"{API}/accountability/{case['id']}", headers=personnel).status_code == 404
    do(
        client,
        "leader",
        "approve_accountability",
        {"decision": "return", "comment": "事实部分请补充督办经过"},
        instance,
    )
    assert get(client, f"/accountability/{case['id']}")["status"] == "drafting"
    do(
        client,
        "office",
        "draft_accountability",
        {"facts": "补充后的事实：经两次督办仍未办结。"},
        instance,
    )
    do(client, "head", "review_accountability", {"decision": "approve"}, instance)
    do(
        client,
        "leader",
        "approve_accountability",
        {"decision": "reject", "comment": "不予问责"},
        instance,
    )
    final = get(client, f"/accountability/{case['id']}")
    assert final["status"] == "rejected" and final["facts"].startswith("补充后的事实")
    assert client.get(f"{API}/accountability/{case['id']}", headers=personnel).status_code == 404


def test_bad_proposals_and_scope(matter_client):
    client = matter_client
    late = _three_late_matters(client)
    office = as_(client, "office")
    for change, field in [
        ({"measure": "dismissal"}, "measure"),
        ({"unit_codes": []}, "unit_codes"),
        ({"unit_codes": ["999999-XXX"]}, "unit_codes/0"),
        ({"facts": ""}, "facts"),
        ({"persons": [{"name": "张某某"}]}, "post"),
        ({"matter_ids": ["00000000-0000-0000-0000-000000000000"]}, "matter_ids/0"),
    ]:
        response = client.post(f"{API}/accountability", json=_body(late, **change), headers=office)
        assert response.status_code == 422, (change, response.text)
        fields = [e.get("field", "") for e in response.json()["errors"]]
        assert any(f.endswith(field) for f in fields), response.text
    # Only the office proposes; a unit's handler cannot even read proposals.
    assert (
        client.post(
            f"{API}/accountability", json=_body(late), headers=as_(client, "fgw")
        ).status_code
        == 403
    )
    assert client.get(f"{API}/accountability", headers=as_(client, "fgw")).status_code == 403
    case = propose(client, _body(late))
    city = as_(client, "city_office")
    assert client.get(f"{API}/accountability/{case['id']}", headers=city).status_code == 404
    assert client.get(f"{API}/accountability", headers=city).json()["total"] == 0
    assert get(client, "/accountability", who="auditor")["total"] == 1
