"""policy.controls and policy.sees_contact, table-driven over the demo unit tree (docs/access.md):
the owner unit, the supervision offices above it and admins control; involved or sibling units
never do. A person's contact: themself, their government's office and above, admins."""

from fastapi.testclient import TestClient

from app.identity.policy import controls, sees_contact
from app.identity.principal import Principal

NANJING_OFFICE, XUANWU_OFFICE = "320100-DCS", "320102-DCS"

# (caller's unit, caller's roles, owner unit, controls?)
CONTROL = [
    (NANJING_OFFICE, ["supervision_office"], NANJING_OFFICE, True),  # the registering office
    (NANJING_OFFICE, ["office_head"], NANJING_OFFICE, True),
    (NANJING_OFFICE, ["unit_handler"], NANJING_OFFICE, True),  # own unit: roles gate the act
    ("320000-DCS", ["supervision_office"], NANJING_OFFICE, True),  # the province above
    ("320000-DCS", ["office_head"], "320102-FGJ", True),  # two levels above
    ("320000-GO", ["admin"], "320206-FGJ", True),
    (NANJING_OFFICE, ["supervision_office"], XUANWU_OFFICE, True),  # the city above its district
    (XUANWU_OFFICE, ["supervision_office"], NANJING_OFFICE, False),  # the issue: lead ≠ control
    (XUANWU_OFFICE, ["office_head"], NANJING_OFFICE, False),
    ("320100-GOV", ["leader"], NANJING_OFFICE, False),  # sees the subtree, controls nothing
    (NANJING_OFFICE, ["auditor"], XUANWU_OFFICE, False),
    ("320100-FGW", ["unit_handler"], NANJING_OFFICE, False),  # co-operating unit
    ("320104-DCS", ["supervision_office"], XUANWU_OFFICE, False),  # sibling district
    ("320200-DCS", ["supervision_office"], NANJING_OFFICE, False),  # sibling city
    (NANJING_OFFICE, ["supervision_office"], "320000-DCS", False),  # never upwards
    (NANJING_OFFICE, ["supervision_office"], None, False),
]

# (caller's sub, unit, roles, the person's sub, the person's unit, sees?)
CONTACT = [
    ("sun", "320100-FGW", ["unit_handler"], "sun", "320100-FGW", True),  # themself
    ("zhou", "320100-FGW", ["unit_handler"], "sun", "320100-FGW", False),  # a colleague
    ("zhou", "320100-FGW", ["unit_head"], "sun", "320100-FGW", False),  # their head
    ("wang", NANJING_OFFICE, ["supervision_office"], "sun", "320100-FGW", True),  # their office
    ("li", "320000-DCS", ["office_head"], "sun", "320100-FGW", True),  # above
    ("root", "320000-GO", ["admin"], "sun", "320100-FGW", True),
    ("feng", XUANWU_OFFICE, ["supervision_office"], "sun", "320100-FGW", False),  # below
    ("chen", NANJING_OFFICE, ["auditor"], "sun", "320100-FGW", False),
    ("zhao", "320100-GOV", ["leader"], "sun", "320100-FGW", False),
    ("wang", NANJING_OFFICE, ["supervision_office"], "wu", "320206-FGJ", False),  # elsewhere
]


def _principal(sub: str, unit: str, roles: list[str]) -> Principal:
    return Principal(sub=sub, name=sub, unit=unit, roles=frozenset(roles))


def test_who_controls(client: TestClient):
    with client.app.state.db.session() as s:
        for unit, roles, owner, expected in CONTROL:
            assert controls(s, _principal("x", unit, roles), owner) is expected, (
                unit,
                roles,
                owner,
            )


def test_who_sees_contacts(client: TestClient):
    with client.app.state.db.session() as s:
        for caller, unit, roles, person, person_unit, expected in CONTACT:
            seen = sees_contact(
                s, _principal(caller, unit, roles), sub=person, unit_code=person_unit
            )
            assert seen is expected, (caller, unit, roles, person_unit)
