"""Drive supervision activities over REST as the demo users (shared by activity tests and the
year-long end-to-end test). Each `run_*` drives one method from creation to its conclusion."""

import io
import zipfile

from fastapi.testclient import TestClient
from rest import API, DEPUTY_UNIT, EVALUATOR_UNIT, USERS, as_, do, inbox  # noqa: F401 - re-exported

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def tasks_of(client: TestClient, who: str, element: str) -> list[dict]:
    """`who`'s ready tasks of one element, with their input data."""
    headers = as_(client, who)
    return [
        client.get(f"{API}/tasks/{t['id']}", headers=headers).json()
        for t in inbox(client, who)
        if t["element_id"] == element
    ]


def activity(client: TestClient, activity_id: str, who: str = "office") -> dict:
    response = client.get(f"{API}/activities/{activity_id}", headers=as_(client, who))
    assert response.status_code == 200, response.text
    return response.json()


def ensure_units(client: TestClient) -> None:
    """The deputies' liaison group and the commissioned evaluator, as units of the tree."""
    for code, name in [(DEPUTY_UNIT, "代表委员联络组"), (EVALUATOR_UNIT, "受托第三方评估机构")]:
        response = client.post(
            f"{API}/units",
            json={
                "code": code,
                "name": name,
                "kind": "department",
                "level": "province",
                "parent_code": "320000-GOV",
            },
            headers=as_(client, "admin"),
        )
        assert response.status_code in (200, 201), response.text


def create(client: TestClient, method: str, **body: object) -> dict:
    """An office activity (条例 Art. 14 routine follow-up) by the province's office."""
    payload = {
        "title": f"关于城市更新项目推进情况的{method}督查",
        "content": "核查项目进度、资金到位和群众满意情况",
        "kind": "follow_up",
        "method": method,
        "target_units": ["320000-FGW", "320000-ZJT"],
        "period_start": "2026-03-02",
        "period_end": "2026-04-30",
        **body,
    }
    response = client.post(f"{API}/activities", json=payload, headers=as_(client, "office"))
    assert response.status_code == 201, response.text
    return response.json()


def prepare(client: TestClient, **extra: object) -> None:
    """组建督查组 (条例 Art. 8); unannounced unless told (Art. 12)."""
    do(
        client,
        "office",
        "prepare_activity",
        {"team_leader": "王督查", "team_members": ["李干部"], "advance_notice": False, **extra},
    )


def upload(
    client: TestClient,
    activity_id: str,
    name: str,
    data: bytes,
    who: str = "office",
    content_type: str = "application/octet-stream",
) -> dict:
    response = client.post(
        f"{API}/activities/{activity_id}/attachments",
        files={"file": (name, data, content_type)},
        headers=as_(client, who),
    )
    assert response.status_code == 201, response.text
    return response.json()


def conclude(client: TestClient, text: str = "项目总体推进顺利，部分资金未到位，限期整改") -> None:
    """督查结论 (条例 Art. 16), delivered to the target units."""
    do(
        client,
        "office",
        "draw_conclusion",
        {"conclusion": text, "evidence": "现场核查记录、照片和单位报告"},
    )


def run_on_site(client: TestClient, **body: object) -> dict:
    created = create(client, "on_site", **body)
    aid = created["id"]
    prepare(client)
    photo = upload(client, aid, "现场照片.png", PNG)
    for target in created["target_units"]:
        (task,) = [
            t
            for t in tasks_of(client, "office", "record_site_findings")
            if t["input"]["target"] == target
        ]
        response = client.post(
            f"{API}/tasks/{task['id']}/complete",
            json={
                "variables": {
                    "findings": f"{target} 项目已开工，进度符合计划",
                    "problems": "配套资金到位率不足60%",
                    "photos": [photo["id"]],
                }
            },
            headers=as_(client, "office"),
        )
        assert response.status_code == 200, response.text
    conclude(client)
    return activity(client, aid)


def run_invited_inspection(client: TestClient, **body: object) -> dict:
    ensure_units(client)
    aid = create(client, "invited_inspection", **body)["id"]
    invitees = [
        {"user": "deputy_li", "unit": DEPUTY_UNIT, "name": "李代表", "capacity": "npc_deputy"},
        {"user": "deputy_zhao", "unit": DEPUTY_UNIT, "name": "赵委员", "capacity": "cppcc_member"},
    ]
    prepare(client, invitees=invitees, advance_notice=True, notice="请于3月10日参加视察")
    for who in ("deputy_li", "deputy_zhao"):
        do(
            client,
            who,
            "record_inspection_opinion",
            {"opinion": f"{who}：项目推进有力", "suggestions": "加快配套资金拨付"},
        )
    conclude(client)
    return activity(client, aid)


def run_third_party(client: TestClient, score: int = 86, **body: object) -> dict:
    ensure_units(client)
    aid = create(client, "third_party", **body)["id"]
    prepare(client, evaluator_unit=EVALUATOR_UNIT)
    report = upload(client, aid, "评估报告.pdf", PDF, who="evaluator")
    do(client, "evaluator", "submit_evaluation", {"report": "初稿", "score": 70})
    do(client, "office", "review_evaluation", {"decision": "return", "comment": "补充问卷数据"})
    do(
        client,
        "evaluator",
        "submit_evaluation",
        {"report": "政策落实总体到位", "score": score, "attachments": [report["id"]]},
    )
    do(client, "office", "review_evaluation", {"decision": "accept"})
    conclude(client)
    return activity(client, aid)


SURVEY_CSV = (
    "respondent,channel,对项目进度是否满意,主要意见\n"
    "R001,questionnaire,满意,无\n"
    "R002,phone,基本满意,加快进度\n"
    "R003,web,不满意,噪声扰民\n"
    "R004,web,满意,\n"
)


def run_survey(client: TestClient, **body: object) -> dict:
    aid = create(client, "survey", **body)["id"]
    prepare(client)
    response = client.post(
        f"{API}/activities/{aid}/survey-results",
        files={"file": ("民意调查.csv", SURVEY_CSV.encode("utf-8"), "text/csv")},
        headers=as_(client, "office"),
    )
    assert response.status_code == 201, response.text
    do(client, "office", "analyse_survey", {"analysis": "群众满意率75%，噪声问题需关注"})
    conclude(client)
    return activity(client, aid)


def run_media(client: TestClient, **body: object) -> dict:
    aid = create(client, "media", **body)["id"]
    prepare(client)
    response = client.post(
        f"{API}/activities/{aid}/coverage",
        json={
            "outlet": "新华日报",
            "published_on": "2026-03-05",
            "title": "城市更新项目加速推进",
            "url": "https://xh.xhby.net/example",
            "tone": "positive",
            "summary": "报道项目进展",
        },
        headers=as_(client, "office"),
    )
    assert response.status_code == 201, response.text
    do(
        client,
        "office",
        "record_coverage",
        {
            "summary": "媒体关注度高，总体正面，个别批评报道指出噪声问题",
            "coverage": [
                {
                    "outlet": "荔枝网",
                    "published_on": "2026-03-08",
                    "title": "工地夜间施工噪声扰民",
                    "tone": "critical",
                }
            ],
        },
    )
    conclude(client)
    return activity(client, aid)


def close_matter(client: TestClient) -> str:
    """A matter driven to closure (for look backs); returns its id."""
    response = client.post(
        f"{API}/matters",
        json={
            "title": "关于推进老旧小区改造的决策部署",
            "content": "请发改委牵头落实",
            "category": "reform",
            "source_type": "major_decision",
            "explicit_due": "2026-04-30",
            "lead_unit": "320000-FGW",
        },
        headers=as_(client, "office"),
    )
    assert response.status_code == 201, response.text
    mid = response.json()["id"]
    plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": "320000-FGW", "joint": False}
    do(client, "office", "draft_plan", plan)
    do(client, "head", "approve_plan", {"decision": "approve"})
    do(client, "fgw", "sign_for", {"decision": "sign"})
    do(client, "fgw", "submit_final_report", {"report": "已完成", "finished": True})
    do(client, "office", "review_report", {"decision": "accept"})
    do(
        client,
        "office",
        "evaluate_units",
        {"evaluations": [{"unit": "320000-FGW", "timeliness": "good", "quality": "good"}]},
    )
    return mid


def run_look_back(client: TestClient, **body: object) -> dict:
    mid = close_matter(client)
    aid = create(client, "look_back", matter_ids=[mid], target_units=["320000-FGW"], **body)["id"]
    prepare(client)
    response = client.post(
        f"{API}/activities/{aid}/look-backs", json={"check_days": 10}, headers=as_(client, "office")
    )
    assert response.status_code == 201, response.text
    do(
        client,
        "office",
        "verify_implementation",
        {"result": "passed", "findings": "整改到位，群众满意"},
    )
    do(client, "office", "record_look_back", {"summary": "回头看1件事项，均落实到位"})
    conclude(client, "回头看事项落实到位")
    return activity(client, aid)


RUNNERS = {
    "on_site": run_on_site,
    "look_back": run_look_back,
    "invited_inspection": run_invited_inspection,
    "third_party": run_third_party,
    "survey": run_survey,
    "media": run_media,
}


def docx_bytes() -> bytes:
    """A minimal .docx (a zip holding word/document.xml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()
