"""The unit tree: demo tree loaded, listing, children, creation rules, CSV loading."""

import csv

from conftest import login

from app.org import service


def test_demo_tree_has_three_levels(client):
    units = client.get("/api/v1/units", params={"limit": 1000}).json()
    levels = {u["level"] for u in units["items"]}
    assert levels == {"province", "city", "county"}
    province = client.get("/api/v1/units/320000-GOV").json()
    assert {"320100-GOV", "320200-GOV"} <= {c["code"] for c in province["children"]}
    county = client.get("/api/v1/units/320102-GOV").json()
    assert county["path"] == "320000-GOV/320100-GOV/320102-GOV/"
    cities = client.get("/api/v1/units", params={"level": "city", "kind": "government"}).json()
    assert [u["code"] for u in cities["items"]] == ["320100-GOV", "320200-GOV"]
    assert client.get("/api/v1/units", params={"q": "玄武"}).json()["total"] == 3


def test_only_admins_change_units_and_bad_parents_are_refused(client):
    unit = {
        "code": "320101-X",
        "name": "测试单位",
        "kind": "department",
        "level": "county",
        "parent_code": "320100-GOV",
    }
    office = login(client, "wang", "320000-DCS", ["supervision_office"])
    assert client.post("/api/v1/units", json=unit, headers=office).status_code == 403
    admin = login(client, "root", "320000-GO", ["admin"])
    bad = client.post("/api/v1/units", json={**unit, "parent_code": "NOPE"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "parent_code"
    upward = client.post("/api/v1/units", json={**unit, "level": "province"}, headers=admin)
    assert upward.status_code == 422 and upward.json()["errors"][0]["field"] == "level"
    invalid = client.post("/api/v1/units", json={**unit, "kind": "ministry"}, headers=admin)
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"].endswith("kind")
    assert client.get("/api/v1/units/320101-X").status_code == 404
    assert client.post("/api/v1/units", json=unit, headers=admin).status_code == 201


def test_moving_a_unit_moves_its_subtree(client):
    admin = login(client, "root", "320000-GO", ["admin"])
    moved = {
        "code": "320102-GOV",
        "name": "玄武区人民政府",
        "kind": "government",
        "level": "county",
        "parent_code": "320200-GOV",
    }
    assert client.post("/api/v1/units", json=moved, headers=admin).status_code == 200
    office = client.get("/api/v1/units/320102-DCS").json()
    assert office["path"] == "320000-GOV/320200-GOV/320102-GOV/320102-DCS/"
    cycle = {**moved, "parent_code": "320102-DCS", "level": "county"}
    assert client.post("/api/v1/units", json=cycle, headers=admin).status_code == 422


def test_csv_loader_accepts_children_before_parents(client, tmp_path):
    path = tmp_path / "units.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["code", "name", "kind", "level", "parent_code"])
        writer.writeheader()
        writer.writerow(
            {
                "code": "320300-DCS",
                "name": "徐州市人民政府督查室",
                "kind": "supervision_office",
                "level": "city",
                "parent_code": "320300-GOV",
            }
        )
        writer.writerow(
            {
                "code": "320300-GOV",
                "name": "徐州市人民政府",
                "kind": "government",
                "level": "city",
                "parent_code": "320000-GOV",
            }
        )
    db = client.app.state.db
    assert db.transaction(lambda s: service.load(s, service.read_file(path))) == 2
    assert client.get("/api/v1/units/320300-DCS").json()["parent_code"] == "320300-GOV"
