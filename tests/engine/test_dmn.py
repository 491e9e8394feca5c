"""DMN decision tables: deployed with a diagram or alone, versioned, listed, evaluated by
business rule tasks through the restricted evaluator; refusals name the element or the rule."""

from typing import Any
from xml.sax.saxutils import escape

import pytest
from engine_helpers import API, BPMN_DIR, bpmn, events, instance, start_instance
from fastapi.testclient import TestClient

DMN_13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN_11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"


def dmn_file(name: str) -> bytes:
    """The bytes of a test decision table."""
    return (BPMN_DIR / name).read_bytes()


def table(
    hit_policy: str,
    rules: list[tuple[str, list[str], list[str]]],
    *,
    key: str = "dmn_policy",
    inputs: tuple[str, ...] = ("amount",),
    outputs: tuple[tuple[str, str], ...] = (("action", ""),),
    aggregation: str | None = None,
    namespace: str = DMN_13,
) -> bytes:
    """A DMN file with one decision table; outputs are (name, outputValues text)."""
    policy = f' hitPolicy="{hit_policy}"' if hit_policy != "UNIQUE" else ""
    policy += f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<definitions xmlns="{namespace}" id="defs" name="t" namespace="urn:t">']
    parts.append(f'<decision id="{key}" name="Policy"><decisionTable id="t"{policy}>')
    for index, text in enumerate(inputs):
        parts.append(
            f'<input id="in{index}"><inputExpression id="ie{index}" typeRef="string">'
            f"<text>{escape(text)}</text></inputExpression></input>"
        )
    for index, (name, values) in enumerate(outputs):
        listed = f"<outputValues><text>{escape(values)}</text></outputValues>" if values else ""
        parts.append(f'<output id="out{index}" name="{name}">{listed}</output>')
    for rule_id, tests, entries in rules:
        parts.append(f'<rule id="{rule_id}">')
        parts += [f"<inputEntry><text>{escape(t)}</text></inputEntry>" for t in tests]
        parts += [f"<outputEntry><text>{escape(e)}</text></outputEntry>" for e in entries]
        parts.append("</rule>")
    parts.append("</decisionTable></decision></definitions>")
    return "".join(parts).encode()


def deploy(client: TestClient, diagram: str, decisions: dict[str, bytes] | None = None) -> Any:
    """POST a test diagram with DMN parts; the raw response."""
    files: list[Any] = [("file", (diagram, bpmn(diagram), "application/xml"))]
    for name, content in (decisions or {}).items():
        files.append(("decisions", (name, content, "application/xml")))
    return client.post(f"{API}/process-definitions", files=files)


def deploy_table(client: TestClient, content: bytes, name: str = "policy.dmn") -> Any:
    """POST one DMN file alone; the raw response."""
    return client.post(f"{API}/decisions", files=[("file", (name, content, "application/xml"))])


def decide(client: TestClient, content: bytes, **variables: Any) -> Any:
    """Deploy `content` as decision dmn_policy, run decide_policy with `variables`: its result."""
    assert deploy_table(client, content).status_code in (200, 201)
    assert deploy(client, "dmn_decide_policy.bpmn").status_code in (200, 201)
    started = start_instance(client, "decide_policy", variables=variables)
    assert started.status_code == 201, started.text
    done = started.json()
    assert done["status"] == "completed", done
    assert "decide" in done["completed_element_ids"]
    return done["variables"]["result"]


@pytest.mark.parametrize(("score", "end", "points"), [(92, "end_high", 12), (40, "end_low", 0)])
def test_a_business_rule_tasks_result_routes_the_gateway(
    client: TestClient, score: int, end: str, points: int
) -> None:
    response = deploy(
        client, "dmn_route_by_grade.bpmn", {"dmn_grade.dmn": dmn_file("dmn_grade.dmn")}
    )
    assert response.status_code == 201, response.text
    (decision,) = response.json()["decisions"]
    assert (decision["key"], decision["version"], decision["created"]) == ("dmn_grade", 1, True)
    started = start_instance(client, "route_by_grade", variables={"score": score}).json()
    assert started["status"] == "completed"
    assert started["variables"]["grade"] == {"level": end.removeprefix("end_"), "points": points}
    assert end in started["completed_element_ids"]
    other = "end_low" if end == "end_high" else "end_high"
    assert other not in started["completed_element_ids"]
    completed = [e["element_id"] for e in events(client, started["id"], "element_completed")]
    assert completed.index("grade_score") < completed.index("grade_is_high")


def test_spiffs_called_decision_id_puts_the_result_under_the_decision_id(
    client: TestClient,
) -> None:
    assert deploy_table(client, dmn_file("dmn_grade.dmn"), "dmn_grade.dmn").status_code == 201
    assert deploy(client, "dmn_spiff_rule.bpmn").status_code == 201
    done = start_instance(client, "decide_with_spiff", variables={"score": 80}).json()
    assert done["variables"]["dmn_grade"] == {"level": "high", "points": 0}


RULES = [
    ("small", ["< 100"], ['"small"']),
    ("middle", ["[100..1000]"], ['"middle"']),
    ("any_big", ["> 500"], ['"big"']),
]


@pytest.mark.parametrize(
    ("policy", "amount", "expected"),
    [
        ("FIRST", 50, {"action": "small"}),
        ("FIRST", 800, {"action": "middle"}),
        ("FIRST", -5, {"action": "small"}),
        ("FIRST", 5000, {"action": "big"}),
        ("RULE ORDER", 800, [{"action": "middle"}, {"action": "big"}]),
        ("RULE ORDER", 5000, [{"action": "big"}]),
        ("COLLECT", 800, [{"action": "middle"}, {"action": "big"}]),
        ("UNIQUE", 50, {"action": "small"}),
    ],
)
def test_hit_policies_over_rest(
    client: TestClient, policy: str, amount: int, expected: Any
) -> None:
    assert decide(client, table(policy, RULES), amount=amount) == expected


def test_unique_gives_none_when_no_rule_matches_and_collect_an_empty_list(
    client: TestClient,
) -> None:
    rules = [("only", ["> 10"], ['"x"'])]
    assert decide(client, table("UNIQUE", rules), amount=1) is None
    assert decide(client, table("COLLECT", rules), amount=1) == []


def test_priority_and_output_order_follow_the_output_values(client: TestClient) -> None:
    rules = [
        ("blue", ["> 0"], ['"blue"']),
        ("red", ["> 10"], ['"red"']),
        ("orange", ["> 5"], ['"orange"']),
    ]
    outputs = (("action", '"red","orange","blue"'),)
    assert decide(client, table("PRIORITY", rules, outputs=outputs), amount=7) == {
        "action": "orange"
    }
    assert decide(client, table("PRIORITY", rules, outputs=outputs), amount=20) == {"action": "red"}
    ordered = decide(client, table("OUTPUT ORDER", rules, outputs=outputs), amount=20)
    assert ordered == [{"action": "red"}, {"action": "orange"}, {"action": "blue"}]


def test_any_accepts_matches_that_agree(client: TestClient) -> None:
    rules = [("one", ["> 0"], ['"same"']), ("two", ["> 5"], ['"same"'])]
    assert decide(client, table("ANY", rules), amount=9) == {"action": "same"}


@pytest.mark.parametrize(
    ("aggregation", "expected"), [("SUM", 6), ("MIN", 1), ("MAX", 3), ("COUNT", 3)]
)
def test_collect_aggregations(client: TestClient, aggregation: str, expected: int) -> None:
    rules = [
        ("a", ["-"], ["1"]),
        ("b", ["> 0"], ["2"]),
        ("c", ["< 100"], ["3"]),
        ("d", ["> 99"], ["4"]),
    ]
    content = table("COLLECT", rules, aggregation=aggregation, outputs=(("points", ""),))
    assert decide(client, content, amount=50) == expected


@pytest.mark.parametrize(
    ("test", "value", "matches"),
    [
        ('"a","b"', "b", True),
        ('"a","b"', "c", False),
        ('not("a","b")', "c", True),
        ('not("a")', "a", False),
        ("-", "anything", True),
        ("", "anything", True),
        ('"a"', "a", True),
    ],
)
def test_feel_unary_tests_on_strings(
    client: TestClient, test: str, value: str, matches: bool
) -> None:
    content = table("UNIQUE", [("r", [test], ["true"])], inputs=("kind",))
    assert decide(client, content, kind=value) == ({"action": True} if matches else None)


@pytest.mark.parametrize(
    ("test", "value", "matches"),
    [
        ("[1..5]", 5, True),
        ("[1..5[", 5, False),
        ("]1..5]", 1, False),
        ("(1..5)", 3, True),
        ("<= 3", 3, True),
        ("< 3, > 8", 9, True),
        ("< 3, > 8", 5, False),
        ("not([1..5])", 6, True),
        ("limit", 7, True),
        ("> limit", 7, False),
        ("null", None, True),
    ],
)
def test_feel_unary_tests_on_numbers(
    client: TestClient, test: str, value: Any, matches: bool
) -> None:
    content = table("UNIQUE", [("r", [test], ['"yes"'])], inputs=("n",))
    assert decide(client, content, n=value, limit=7) == ({"action": "yes"} if matches else None)


def test_unique_with_two_matching_rules_is_an_incident_naming_element_and_decision(
    client: TestClient,
) -> None:
    assert deploy_table(client, table("UNIQUE", RULES)).status_code == 201
    assert deploy(client, "dmn_decide_policy.bpmn").status_code == 201
    response = start_instance(client, "decide_policy", variables={"amount": 800})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["element_id"] == "decide"
    (failed,) = client.get(f"{API}/process-instances", params={"status": "error"}).json()["items"]
    (incident,) = instance(client, failed["id"])["incidents"]
    assert incident["element_id"] == "decide"
    assert "dmn_policy" in incident["message"] and "UNIQUE" in incident["message"]
    assert "middle" in incident["message"] and "any_big" in incident["message"]


def test_a_missing_input_variable_is_an_incident_naming_the_decision(client: TestClient) -> None:
    assert deploy_table(client, table("FIRST", RULES)).status_code == 201
    assert deploy(client, "dmn_decide_policy.bpmn").status_code == 201
    response = start_instance(client, "decide_policy", variables={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["element_id"] == "decide"
    assert "dmn_policy" in response.json()["detail"]


def test_camunda_map_decision_result_single_entry(client: TestClient) -> None:
    xml = bpmn("dmn_decide_policy.bpmn").replace(
        b'camunda:resultVariable="result"',
        b'camunda:resultVariable="result" camunda:mapDecisionResult="singleEntry"',
    )
    assert deploy_table(client, table("FIRST", RULES)).status_code == 201
    files = [("file", ("d.bpmn", xml, "application/xml"))]
    assert client.post(f"{API}/process-definitions", files=files).status_code == 201
    done = start_instance(client, "decide_policy", variables={"amount": 800}).json()
    assert done["variables"]["result"] == "middle"


def test_a_decision_that_is_not_deployed_is_refused_naming_the_element(
    client: TestClient,
) -> None:
    response = deploy(client, "dmn_route_by_grade.bpmn")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["element_id"] == "grade_score"
    assert "dmn_grade" in error["message"] and "not deployed" in error["message"]


@pytest.mark.parametrize(
    ("rules", "kwargs", "element_id", "words"),
    [
        ([("r1", ["= 5"], ['"x"'])], {}, "r1", ["dmn_policy", "r1", "= 5"]),
        ([("r1", ["[1..5]"], ['__import__("os")'])], {}, "r1", ["dmn_policy", "r1"]),
        ([("r1", ["date and time(x)"], ['"x"'])], {}, "r1", ["dmn_policy", "r1"]),
        ([("r1", ["${x}"], ['"x"'])], {}, "r1", ["JUEL"]),
        ([("r1", ["1"], ['"x"'])], {"inputs": ("x.__class__",)}, "in0", ["dmn_policy"]),
        ([("r1", ["1", "2"], ['"x"'])], {}, "r1", ["2 input"]),
    ],
)
def test_untranslatable_entries_are_refused_naming_decision_and_rule(
    client: TestClient,
    rules: list[tuple[str, list[str], list[str]]],
    kwargs: dict[str, Any],
    element_id: str,
    words: list[str],
) -> None:
    response = deploy_table(client, table("UNIQUE", rules, **kwargs))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == element_id
    for word in words:
        assert word in error["message"]
    assert client.get(f"{API}/decisions").json()["total"] == 0


@pytest.mark.parametrize(
    ("policy", "kwargs", "words"),
    [
        ("PRIORITY", {}, ["PRIORITY", "output values"]),
        ("UNIQUE", {"aggregation": "SUM"}, ["SUM", "COLLECT"]),
        ("COLLECT", {"aggregation": "AVG"}, ["AVG", "not supported"]),
        (
            "COLLECT",
            {"aggregation": "SUM", "outputs": (("a", ""), ("b", ""))},
            ["exactly one output"],
        ),
        ("WHATEVER", {}, ["WHATEVER", "not supported"]),
    ],
)
def test_unsupported_tables_are_refused_naming_the_decision(
    client: TestClient, policy: str, kwargs: dict[str, Any], words: list[str]
) -> None:
    kwargs = dict(kwargs)  # the parameters are shared by both backends' runs
    outputs = kwargs.pop("outputs", (("action", ""),))
    rules = [("r1", ["1"], ['"x"'] * len(outputs))]
    response = deploy_table(client, table(policy, rules, outputs=outputs, **kwargs))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "dmn_policy"
    for word in words:
        assert word in error["message"]


def test_a_renamed_cell_input_is_refused_naming_the_input(client: TestClient) -> None:
    content = table("UNIQUE", [("r1", ["1"], ['"x"'])]).replace(
        b'<input id="in0">',
        b'<input id="in0" xmlns:camunda="http://camunda.org/schema/1.0/dmn" '
        b'camunda:inputVariable="value">',
    )
    response = deploy_table(client, content)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["element_id"] == "in0" and "inputVariable" in error["message"]


def test_dtds_and_entities_are_refused(client: TestClient) -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]>' + table(
        "UNIQUE", [("r1", ["&x;"], ['"x"'])]
    )
    response = deploy_table(client, evil)
    assert response.status_code == 422
    assert "DTD" in response.json()["detail"]


def test_a_file_that_is_not_dmn_is_refused(client: TestClient) -> None:
    response = deploy_table(client, bpmn("dmn_spiff_rule.bpmn"))
    assert response.status_code == 422
    assert "not a DMN" in response.json()["detail"]


@pytest.mark.parametrize(
    ("attributes", "words"),
    [
        ('camunda:decisionRef="dmn_grade" camunda:decisionRefBinding="version"', ["Binding"]),
        ('camunda:decisionRef="${which}"', ["not a decision id"]),
        ('camunda:decisionRef="dmn_grade" camunda:mapDecisionResult="all"', ["mapDecisionResult"]),
        ('camunda:class="com.example.Rules"', ["camunda:class"]),
        ("", ["without a decision"]),
    ],
)
def test_business_rule_tasks_we_cannot_honour_are_refused_naming_the_element(
    client: TestClient, attributes: str, words: list[str]
) -> None:
    xml = bpmn("dmn_route_by_grade.bpmn").replace(
        b'camunda:decisionRef="dmn_grade" camunda:resultVariable="grade"', attributes.encode()
    )
    files: list[Any] = [
        ("file", ("d.bpmn", xml, "application/xml")),
        ("decisions", ("dmn_grade.dmn", dmn_file("dmn_grade.dmn"), "application/xml")),
    ]
    response = client.post(f"{API}/process-definitions", files=files)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["element_id"] == "grade_score"
    for word in words:
        assert word in error["message"]


def test_tables_are_versioned_by_their_bytes_and_listed(client: TestClient) -> None:
    first = table("FIRST", RULES)
    created = deploy_table(client, first)
    assert created.status_code == 201
    assert [(d["key"], d["version"], d["created"]) for d in created.json()] == [
        ("dmn_policy", 1, True)
    ]
    again = deploy_table(client, first)
    assert again.status_code == 200
    assert again.json()[0]["version"] == 1 and not again.json()[0]["created"]
    edited = deploy_table(client, table("RULE ORDER", RULES, namespace=DMN_11))
    assert edited.status_code == 201 and edited.json()[0]["version"] == 2
    listed = client.get(f"{API}/decisions").json()
    assert listed["total"] == 1
    assert [(d["key"], d["version"], d["hit_policy"]) for d in listed["items"]] == [
        ("dmn_policy", 2, "RULE ORDER")
    ]
    detail = client.get(f"{API}/decisions/dmn_policy").json()
    assert detail["version"] == 2
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    xml = client.get(f"{API}/decisions/dmn_policy/xml", params={"version": 1})
    assert xml.content == first
    assert client.get(f"{API}/decisions/nothing").status_code == 404


def test_a_redeployed_table_changes_the_next_decision_of_a_deployed_diagram(
    client: TestClient,
) -> None:
    assert decide(client, table("FIRST", RULES), amount=800) == {"action": "middle"}
    edited = [("middle", ["[100..1000]"], ['"urgent"'])]
    assert decide(client, table("FIRST", edited), amount=800) == {"action": "urgent"}
    versions = client.get(f"{API}/process-definitions", params={"key": "decide_policy"}).json()
    assert versions["total"] == 1  # the diagram was not redeployed


LADDER = BPMN_DIR.parents[2] / "processes" / "escalation_ladder.dmn"


@pytest.mark.parametrize(
    ("light", "days", "reds", "action", "grade", "bulletin", "proposal"),
    [
        ("green", 0, 0, "none", None, False, None),
        ("yellow", 0, 0, "reminder", None, False, None),
        ("red", 4, 1, "urging", None, False, None),
        ("red", 5, 1, "graded_urging", "blue", True, None),
        ("red", 9, 2, "graded_urging", "orange", True, None),
        ("red", 12, 3, "graded_urging", "red", True, "admonitory_talk_or_accountability"),
        ("red", 30, 7, "graded_urging", "red", True, "admonitory_talk_or_accountability"),
    ],
)
def test_the_escalation_ladder_of_processes(
    client: TestClient,
    light: str,
    days: int,
    reds: int,
    action: str,
    grade: str | None,
    bulletin: bool,
    proposal: str | None,
) -> None:
    xml = bpmn("dmn_decide_policy.bpmn").replace(b'"dmn_policy"', b'"escalation_ladder"')
    files: list[Any] = [
        ("file", ("ladder.bpmn", xml, "application/xml")),
        ("decisions", ("escalation_ladder.dmn", LADDER.read_bytes(), "application/xml")),
    ]
    assert client.post(f"{API}/process-definitions", files=files).status_code == 201
    variables = {"light": light, "red_workdays": days, "reds": reds}
    done = start_instance(client, "decide_policy", variables=variables).json()
    assert done["variables"]["result"] == {
        "action": action,
        "grade": grade,
        "bulletin_entry": bulletin,
        "proposal": proposal,
    }
