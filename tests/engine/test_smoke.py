"""The reference process driven over REST on each backend."""

from conftest import complete, deploy, ready, start


def test_five_steps_run_to_completion(client):
    definition = deploy(client, "five_steps.bpmn")
    assert definition["version"] == 1 and definition["created"]
    instance = start(client, "five_steps", variables={"a": 1})
    for index in range(1, 6):
        (task,) = ready(instance)
        assert task["element_id"] == f"step_{index}"
        instance = complete(client, task["id"], {f"v{index}": index})
    assert instance["status"] == "completed"
    assert instance["variables"] == {"a": 1, "v1": 1, "v2": 2, "v3": 3, "v4": 4, "v5": 5}
    assert instance["completed_element_ids"] == [
        "start",
        "step_1",
        "step_2",
        "step_3",
        "step_4",
        "step_5",
        "end",
    ]
