"""Attachments kept in the database: size limit, type by magic bytes, empty files, download."""

import hashlib
from urllib.parse import quote

import pytest
from activity_helpers import API, PDF, PNG, as_, create, docx_bytes, upload


def _post(client, aid, name, data, who="office", content_type="application/octet-stream"):
    return client.post(
        f"{API}/activities/{aid}/attachments",
        files={"file": (name, data, content_type)},
        headers=as_(client, who),
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("照片.png", PNG, "image/png"),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + bytes(20), "image/jpeg"),
        ("报告.pdf", PDF, "application/pdf"),
        ("情况说明.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument"),
        ("说明.txt", "现场情况良好\n".encode(), "text/plain"),
        ("名单.csv", "单位,得分\n发改委,90\n".encode("gb18030"), "text/csv"),
    ],
)
def test_allowed_types_are_stored_with_their_digest(matter_client, name, data, content_type):
    client = matter_client
    aid = create(client, "on_site")["id"]
    row = upload(client, aid, name, data)
    assert row["size"] == len(data) and row["sha256"] == hashlib.sha256(data).hexdigest()
    assert row["uploaded_by"] == "office" and row["uploaded_unit"] == "320000-DCS"
    download = client.get(f"{API}/attachments/{row['id']}", headers=as_(client, "fgw"))
    assert download.status_code == 200 and download.content == data
    disposition = download.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote(name)}" in disposition  # RFC 5987 for Chinese names
    listed = client.get(f"{API}/activities/{aid}/attachments", headers=as_(client, "office"))
    assert [a["id"] for a in listed.json()] == [row["id"]]


def test_the_size_limit_answers_413(matter_client):
    client = matter_client
    aid = create(client, "on_site")["id"]
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(update={"attachment_max_bytes": 1024})
    try:
        big = _post(client, aid, "大图.png", PNG + bytes(2000))
        assert big.status_code == 413
        assert big.json()["code"] == "payload_too_large"
        assert big.json()["errors"][0]["field"] == "file"
        assert _post(client, aid, "小图.png", PNG).status_code == 201
    finally:
        client.app.state.settings = settings


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("照片.png", b"", 422),  # empty
        ("报告.pdf", PNG, 415),  # a PNG named .pdf
        ("照片.png", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(40), 415),  # an executable
        ("表格.xlsx", docx_bytes(), 415),  # a .docx named .xlsx
        ("说明.txt", PDF, 415),  # a PDF named .txt
        ("压缩包.zip", b"PK\x03\x04" + bytes(30), 415),  # not an office document
    ],
)
def test_spoofed_or_empty_files_are_refused(matter_client, name, data, status):
    client = matter_client
    aid = create(client, "on_site")["id"]
    response = _post(client, aid, name, data, content_type="image/png")
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == "file"
    listed = client.get(f"{API}/activities/{aid}/attachments", headers=as_(client, "office"))
    assert listed.json() == []  # nothing kept


def test_attachments_are_scoped_to_the_activity(matter_client):
    client = matter_client
    aid = create(client, "on_site")["id"]
    row = upload(client, aid, "照片.png", PNG)
    # A city's office sees neither the province's activity nor its files.
    assert _post(client, aid, "x.png", PNG, who="nanjing_office").status_code == 404
    other = client.get(f"{API}/attachments/{row['id']}", headers=as_(client, "nanjing_office"))
    assert other.status_code == 404
