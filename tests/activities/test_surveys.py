"""seed 四(四): 民意调查 — survey CSV import (UTF-8, BOM, GB18030), cell-precise errors."""

import pytest
from activity_helpers import API, SURVEY_CSV, activity, as_, create, do, prepare

from app.activities import surveys
from app.kit.errors import InvalidData


def _import(client, aid, data: bytes, who="office"):
    return client.post(
        f"{API}/activities/{aid}/survey-results",
        files={"file": ("调查结果.csv", data, "text/csv")},
        headers=as_(client, who),
    )


@pytest.mark.parametrize(
    "encoded",
    [
        SURVEY_CSV.encode("utf-8"),
        b"\xef\xbb\xbf" + SURVEY_CSV.encode("utf-8"),  # UTF-8 with BOM
        SURVEY_CSV.replace("\n", "\r\n").encode("gb18030"),  # what Excel in China writes
    ],
    ids=["utf8", "bom", "gb18030"],
)
def test_encodings_excel_and_others_write(matter_client, encoded):
    client = matter_client
    aid = create(client, "survey")["id"]
    prepare(client)
    response = _import(client, aid, encoded)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["imports"][0]["questions"] == ["对项目进度是否满意", "主要意见"]
    assert body["aggregate"]["questions"][0]["satisfaction_rate"] == 75.0


def test_cell_errors_name_row_and_column(matter_client):
    client = matter_client
    aid = create(client, "survey")["id"]
    rows = ["respondent,channel,q1,q2,q3"] + [f"R{i},web,满意,满意,满意" for i in range(5)]
    rows.append("R6,wechat,满意,满意,满意")  # row 7: a bad channel
    rows.append(",phone,满意,满意,满意")  # row 8: no respondent
    response = _import(client, aid, "\n".join(rows).encode())
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["row 7, column channel", "row 8, column respondent"]
    assert activity(client, aid)["survey"] is None  # nothing kept


def test_missing_column_and_limits(matter_client):
    client = matter_client
    aid = create(client, "survey")["id"]
    missing = _import(client, aid, "respondent,q1\nR1,满意\n".encode())
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "row 1, column channel"
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(update={"survey_max_rows": 3})
    try:
        too_many = _import(client, aid, SURVEY_CSV.encode())
        assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "file"
    finally:
        client.app.state.settings = settings
    assert _import(client, aid, b"").status_code == 422
    assert _import(client, aid, b"\xff\xfe\x00\x00garbage").status_code == 422
    # Survey results belong to survey activities, imported by the office running them.
    on_site = create(client, "on_site")["id"]
    assert _import(client, on_site, SURVEY_CSV.encode()).status_code == 409
    assert _import(client, aid, SURVEY_CSV.encode(), who="fgw").status_code == 403


def test_analysis_needs_imported_results(matter_client):
    client = matter_client
    create(client, "survey")
    prepare(client)
    refused = do(client, "office", "analyse_survey", {"analysis": "分析"}, status=409)
    assert refused["code"] == "activity_records_missing"


def test_parse_and_aggregate_rules():
    survey = surveys.parse(SURVEY_CSV.encode(), max_rows=10)
    assert survey.encoding == "utf-8" and len(survey.responses) == 4
    assert surveys.parse(SURVEY_CSV.encode("gb18030"), max_rows=10).encoding == "gb18030"
    with pytest.raises(InvalidData) as error:
        surveys.parse(b"respondent,channel\nR1,web\n", max_rows=10)
    assert error.value.errors[0]["message"] == "no question columns"
    with pytest.raises(InvalidData) as error:
        surveys.parse("respondent,channel,q1\nR1,web,满意,多余\n".encode(), max_rows=10)
    assert error.value.errors[0]["field"] == "row 2"
    aggregate = surveys.aggregate(
        ["q"], [{"respondent": "a", "channel": "web", "q": a} for a in ["满意", "满意", "不满意"]]
    )
    assert aggregate["questions"][0]["satisfaction_rate"] == 66.7
