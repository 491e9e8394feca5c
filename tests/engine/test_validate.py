"""The deploy dry run: POST /process-definitions/validate checks like deploy and stores nothing."""

from typing import Any

from engine_helpers import API, bpmn, form
from fastapi.testclient import TestClient
from httpx import Response
from test_deploy import PLAIN_DTD, XXE, assert_refused, diagram, gateway_with_condition


def validate(
    client: TestClient, xml: bytes, forms: dict[str, bytes] | None = None, **kw: Any
) -> Response:
    files: list[Any] = [("file", ("upload.bpmn", xml, "application/xml"))]
    for name, content in (forms or {}).items():
        files.append(("forms", (name, content, "application/json")))
    return client.post(f"{API}/process-definitions/validate", files=files, **kw)


def nothing_stored(client: TestClient) -> None:
    assert client.get(f"{API}/process-definitions").json()["total"] == 0
    assert client.get(f"{API}/audit", params={"action": "definition.deploy"}).json()["total"] == 0


def test_a_valid_diagram_is_valid_and_not_deployed(client: TestClient) -> None:
    response = validate(client, bpmn("exclusive_gateway.bpmn"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True
    assert body["process_keys"] and all(isinstance(k, str) for k in body["process_keys"])
    nothing_stored(client)


def test_a_broken_expression_names_its_element(client: TestClient) -> None:
    xml = diagram(gateway_with_condition("amount.__class__"))
    body = assert_refused(validate(client, xml), "pick_route")
    deployed = client.post(
        f"{API}/process-definitions", files=[("file", ("upload.bpmn", xml, "application/xml"))]
    )
    assert deployed.json() == body  # the same 422 deploy gives
    nothing_stored(client)


def test_xml_with_a_dtd_is_refused(client: TestClient) -> None:
    for xml in (PLAIN_DTD, XXE):
        response = validate(client, xml)
        assert_refused(response)
        assert "root:" not in response.text
    nothing_stored(client)


def test_forms_are_checked_like_deploy(client: TestClient) -> None:
    missing = assert_refused(validate(client, bpmn("user_task_form.bpmn")))
    assert "not provided" in missing["errors"][0]["message"]
    ok = validate(client, bpmn("user_task_form.bpmn"), forms={"report.json": form("report.json")})
    assert ok.status_code == 200, ok.text
    nothing_stored(client)


def test_only_designers_may_validate(client: TestClient) -> None:
    from conftest import login

    headers = login(client, sub="reader", unit="320000-DCS", roles=["supervision_office"])
    response = validate(client, bpmn("exclusive_gateway.bpmn"), headers=headers)
    assert response.status_code == 403
