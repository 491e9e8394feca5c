"""An admin loads next year's holiday schedule; deadlines falling on its holidays roll forward
(domain.md §5), and the schedule survives a restart."""

from datetime import date

import pytest
from conftest import login
from fastapi.testclient import TestClient
from matter_helpers import API, as_

from app.main import create_app
from app.supervision.calendar import default_calendar

# A schedule made for this test only (the real 2027 notice is not in the repository).
TEST_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-01-15"],
    "workdays": [],
    "source": "测试用放假安排（非官方）",
}


@pytest.fixture
def forget_2027():
    yield
    default_calendar()._loaded.pop(2027, None)  # the calendar is process-wide


def test_a_loaded_schedule_moves_deadlines_and_survives_restart(
    matter_client, settings, forget_2027
):
    client = matter_client
    admin = login(client, sub="root", unit="320000-GO", roles=["admin"])
    office = as_(client, "office")
    assert (
        client.put(f"{API}/calendar/years/2027", json=TEST_2027, headers=office).status_code == 403
    )
    mismatch = client.put(f"{API}/calendar/years/2028", json=TEST_2027, headers=admin)
    assert mismatch.status_code == 422
    wrong_year = {**TEST_2027, "holidays": ["2026-12-31"]}
    assert (
        client.put(f"{API}/calendar/years/2027", json=wrong_year, headers=admin).status_code == 422
    )
    assert (
        client.put(f"{API}/calendar/years/2027", json=TEST_2027, headers=admin).status_code == 200
    )
    body = {
        "title": "年度重点工作",
        "content": "内容",
        "category": "key_work",
        "source_type": "annual_key_work",
        "lead_unit": "320000-FGW",
    }
    registered = client.post(f"{API}/matters", json=body, headers=office).json()
    final = next(d for d in registered["deadlines"] if d["kind"] == "final_report")
    # 15 January 2027 is a holiday in the loaded schedule: the deadline rolls to Monday 18th.
    assert (final["due"], final["rolled_from"], final["calendar_basis"]) == (
        "2027-01-18",
        "2027-01-15",
        "loaded",
    )
    default_calendar()._loaded.pop(2027, None)
    with TestClient(create_app(settings)) as restarted:
        restarted.get("/health")
    assert default_calendar().basis(date(2027, 1, 15)) == "loaded"
