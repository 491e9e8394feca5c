"""Schemathesis against the service's own OpenAPI document, in-process, on both backends.

Every operation gets `EXAMPLES` generated requests (valid and invalid ones: Schemathesis's
positive and negative modes), sent as TESTER (every role) to the ASGI app with `processes/`
deployed, so that a valid matter, plan or rectification really starts its process. Each
response must not be a server error (`not_a_server_error`) and must conform to the document: a
documented status code, the documented content type and, for documented responses, the response
schema.

The run is bounded and repeatable: 10 examples per operation (about 1,000 requests), derandomised
Hypothesis (the same cases on every run), no example database; it fails past 180 s per backend,
a bound against a run that is no longer bounded, not a speed test (measured: 15–30 s alone, up
to twice that on a busy machine, 102 s once on a machine running 2–2.5× slower than usual). To
search longer locally (no time limit then; 100 examples took 3.5–4.5 min per backend):

    DUCHA_SCHEMATHESIS_EXAMPLES=200 PYTHONPATH=$PWD .venv/bin/python -m pytest -q \
        tests/service/test_schemathesis.py

(`DUCHA_SCHEMATHESIS_SEED=<n>` changes the cases instead of their number.)
"""

import os
import time
from typing import Any

import hypothesis
import pytest
import schemathesis
from conftest import TESTER, login
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("DUCHA_SCHEMATHESIS_EXAMPLES", "10"))
SEED = int(os.environ.get("DUCHA_SCHEMATHESIS_SEED", "0"))
BUDGET_SECONDS = 180 if "DUCHA_SCHEMATHESIS_EXAMPLES" not in os.environ else None
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _run(operation: Any, headers: dict[str, str]) -> None:
    """`EXAMPLES` cases of one operation, valid and invalid ones; raises on the first failure."""
    # A long poll (`GET /events?wait=`) waits as documented: the run does not wait with it.
    names = {p.name for p in operation.query}
    query = {"wait": 0} if "wait" in names else None
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE, query=query),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, query=query),
    )

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=SEED == 0,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(matter_client):
    schema = schemathesis.openapi.from_asgi("/openapi.json", matter_client.app)
    headers = login(matter_client, **TESTER)
    started = time.monotonic()
    failures, ran = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        ran += 1
        try:
            _run(operation, headers)
        except (Exception, BaseExceptionGroup) as exc:  # list every operation that fails
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    elapsed = time.monotonic() - started
    print(f"schemathesis: {ran} operations × {EXAMPLES} examples in {elapsed:.1f} s")
    assert ran > 100
    assert not failures, "\n\n".join(failures)
    if BUDGET_SECONDS is not None:
        assert elapsed < BUDGET_SECONDS, f"the bounded run took {elapsed:.0f} s"


@pytest.fixture(autouse=True)
def _quiet_hypothesis_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis reports each falsifying example on stdout; the assertion lists them all."""
    monkeypatch.setattr(hypothesis.reporting, "default", lambda _value: None)
