"""GET /api/v1/console/matter-stats: the dashboard's counts, scoped and filtered like the list."""

from rest import API, as_


def register(client, who: str, **fields) -> dict:
    body = {
        "title": "关于推进重点项目建设的督办事项",
        "content": "请按期办结。",
        "category": "key_work",
        "source_type": "annual_key_work",
        "lead_unit": "320000-FGW",
        "co_units": [],
        **fields,
    }
    response = client.post(f"{API}/matters", json=body, headers=as_(client, who))
    assert response.status_code == 201, response.text
    return response.json()


def stats(client, who: str, group_by: str, **filters) -> dict:
    response = client.get(
        f"{API}/console/matter-stats",
        params={"group_by": group_by, **filters},
        headers=as_(client, who),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == group_by
    return body


def counts(body: dict) -> dict[str, tuple[int, int, int]]:
    return {g["key"]: (g["count"], g["closed"], g["overdue"]) for g in body["groups"]}


def listed(client, who: str, **filters) -> int:
    params = {"limit": 1, **filters}
    response = client.get(f"{API}/matters", params=params, headers=as_(client, who))
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def test_counts_per_group_match_the_list(matter_client):
    client = matter_client  # today: 2026-03-02
    register(client, "office")
    register(client, "office", category="reform", source_type="meeting")
    # domain.md §7: overdue is red — an open obligation past due. Assigned 5 January, its
    # sign-for was due 8 January (3 working days) and is still open: overdue.
    register(client, "office", lead_unit="320000-ZJT", assigned_on="2026-01-05")
    # Past its explicit final due date (and its sign-for) and not closed: overdue.
    register(
        client,
        "office",
        lead_unit="320000-ZJT",
        assigned_on="2026-01-05",
        source_type="reform_deployment",
        explicit_due="2026-02-20",
    )
    # The city's office: outside the province office's own units but inside its scope.
    register(client, "city_office", lead_unit="320100-FGW")

    assert counts(stats(client, "office", "unit")) == {
        "320000-FGW": (2, 0, 0),
        "320000-ZJT": (2, 0, 2),
        "320100-FGW": (1, 0, 0),
    }
    by_category = stats(client, "office", "category")
    assert by_category["total"] == 5 == listed(client, "office")
    assert counts(by_category) == {"key_work": (4, 0, 2), "reform": (1, 0, 0)}
    assert [g["key"] for g in by_category["groups"]] == ["key_work", "reform"]
    months = stats(client, "office", "month")
    assert [(g["key"], g["count"]) for g in months["groups"]] == [("2026-01", 2), ("2026-03", 3)]
    for light, (count, _, _) in counts(stats(client, "office", "light")).items():
        assert count == listed(client, "office", light=light)
    assert counts(stats(client, "office", "status")) == {"planning": (5, 0, 2)}
    assert counts(stats(client, "office", "source_type")) == {
        "annual_key_work": (3, 0, 1),
        "meeting": (1, 0, 0),
        "reform_deployment": (1, 0, 1),
    }

    # The list's filters apply.
    assert counts(stats(client, "office", "unit", category="reform")) == {"320000-FGW": (1, 0, 0)}
    assert counts(stats(client, "office", "month", overdue=True)) == {"2026-01": (2, 0, 2)}
    assert stats(client, "office", "light", q="没有这样的事项") == {
        "group_by": "light",
        "total": 0,
        "groups": [],
        "summary_as_of": None,  # a text filter: counted live
    }

    # Scope: the city's office counts only its own; a unit handler only what it was assigned.
    assert counts(stats(client, "city_office", "unit")) == {"320100-FGW": (1, 0, 0)}
    assert stats(client, "zjt", "unit")["total"] == 2 == listed(client, "zjt")


def test_a_bad_grouping_is_refused(matter_client):
    response = matter_client.get(
        f"{API}/console/matter-stats",
        params={"group_by": "colour"},
        headers=as_(matter_client, "office"),
    )
    assert response.status_code == 422
    anonymous = matter_client.get(f"{API}/console/matter-stats")
    assert anonymous.status_code == 401
