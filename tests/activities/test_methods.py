"""seed 四: every supervision method driven through REST, from creation to the conclusion."""

import pytest
from activity_helpers import RUNNERS


@pytest.mark.parametrize("method", list(RUNNERS))
def test_method_smoke(matter_client, method):
    state = RUNNERS[method](matter_client)
    assert state["status"] == "concluded", state
