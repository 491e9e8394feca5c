"""A list's total is exact whether or not it is counted: a short first page is its own count,
a full page or a later one asks the database (app.kit.paging)."""

from conftest import deploy, start


def test_the_total_is_exact_for_short_full_and_later_pages(client):
    definition = deploy(client, "review_loop.bpmn")
    instances = [start(client, definition["key"]) for _ in range(3)]
    assert all(len(i["ready_tasks"]) == 1 for i in instances)

    def listed(**params: int) -> dict:
        response = client.get("/api/v1/tasks", params={"state": "ready", **params})
        assert response.status_code == 200, response.text
        return response.json()

    short = listed(limit=10)  # the whole list in one page: counted by the page
    assert (short["total"], len(short["items"])) == (3, 3)
    full = listed(limit=3)  # a full page cannot tell whether more follow: counted
    assert (full["total"], len(full["items"])) == (3, 3)
    first = listed(limit=2)
    assert (first["total"], len(first["items"])) == (3, 2)
    later = listed(limit=2, offset=2)  # a short page after others: counted
    assert (later["total"], len(later["items"])) == (3, 1)
    past = listed(limit=2, offset=5)  # past the end: nothing, but the total still
    assert (past["total"], past["items"]) == (3, [])
    one = client.get(
        "/api/v1/tasks", params={"process_instance_id": instances[0]["id"], "limit": 10}
    ).json()
    assert (one["total"], len(one["items"])) == (1, 1)
