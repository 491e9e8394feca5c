"""A caller's unit must be in the unit tree: 401 `unknown_unit` in both auth modes, unless an SSO
deployment lets the first sign-in create it (DUCHA_AUTH_AUTO_CREATE_UNITS)."""

from fastapi.testclient import TestClient

from app.main import create_app

API = "/api/v1"


def _get_me(client: TestClient, unit: str) -> tuple[int, dict]:
    token = client.app.state.authenticator.mint(
        sub="stranger", name="外来", unit=unit, roles=["supervision_office"]
    )
    response = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def test_a_token_of_a_unit_outside_the_tree_is_refused(client: TestClient):
    status, body = _get_me(client, "999999-DCS")
    assert status == 401 and body["code"] == "unknown_unit", body
    assert "999999-DCS" in body["detail"]
    # Refused everywhere (every route takes the same dependency), and created nowhere.
    token = client.app.state.authenticator.mint(
        sub="stranger", name="外来", unit="999999-DCS", roles=["admin"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/matters", headers=headers).status_code == 401
    assert client.get(f"{API}/units/999999-DCS").status_code == 404
    # A known unit still signs in.
    assert _get_me(client, "320102-DCS")[0] == 200


def test_header_mode_refuses_an_unknown_unit(settings):
    header_settings = settings.model_copy(update={"auth_mode": "header"})
    app = create_app(header_settings)
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        base = {"X-Remote-User": "wang", "X-Remote-Roles": "supervision_office"}
        known = client.get(f"{API}/me", headers={**base, "X-Remote-Unit": "320000-DCS"})
        assert known.status_code == 200
        unknown = client.get(f"{API}/me", headers={**base, "X-Remote-Unit": "NOPE-1"})
        assert unknown.status_code == 401 and unknown.json()["code"] == "unknown_unit"


def test_auto_created_units_sit_under_the_configured_parent(settings):
    auto = settings.model_copy(
        update={"auth_auto_create_units": True, "auth_auto_create_parent": "320100-GOV"}
    )
    with TestClient(create_app(auto)) as client:
        status, body = _get_me(client, "320100-NEW")
        assert status == 200, body
        admin = client.app.state.authenticator.mint(
            sub="root", name="root", unit="320000-GO", roles=["admin", "auditor"]
        )
        headers = {"Authorization": f"Bearer {admin}"}
        unit = client.get(f"{API}/units/320100-NEW", headers=headers).json()
        assert (unit["parent_code"], unit["kind"], unit["level"]) == (
            "320100-GOV",
            "department",
            "city",
        )
        assert unit["path"] == "320000-GOV/320100-GOV/320100-NEW/"
        # Its office role reaches no further than its government (the city), as any unit there.
        assert _get_me(client, "320100-NEW")[0] == 200  # again: no second creation
        rows = client.get(
            f"{API}/audit", params={"action": "unit.auto_create"}, headers=headers
        ).json()["items"]
        assert [r["object_id"] for r in rows if r["action"] == "unit.auto_create"] == ["320100-NEW"]


def test_auto_created_units_are_top_level_without_a_parent(settings):
    auto = settings.model_copy(update={"auth_auto_create_units": True})
    with TestClient(create_app(auto)) as client:
        assert _get_me(client, "EXT-9")[0] == 200
        admin = client.app.state.authenticator.mint(
            sub="root", name="root", unit="320000-GO", roles=["admin"]
        )
        unit = client.get(f"{API}/units/EXT-9", headers={"Authorization": f"Bearer {admin}"}).json()
        assert (unit["parent_code"], unit["path"], unit["level"]) == (None, "EXT-9/", "province")
        # A code that cannot be a unit is refused, not created.
        status, body = _get_me(client, "bad code!")
        assert status == 401 and body["code"] == "unknown_unit"
