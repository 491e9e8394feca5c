"""The volume benchmark still runs (issue "Years of data"): a quick run builds its three volumes,
times every read and prints its tables and verdicts. No figure is asserted — a slow machine is not
a broken benchmark."""

import os
import subprocess
import sys

from conftest import POSTGRES_URL, ROOT


def test_the_volume_benchmark_runs_quick_and_prints_its_tables_and_verdict(
    postgres_database: str,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.volume", "--quick", "--postgres-url", POSTGRES_URL],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    out = done.stdout
    assert "## Rows per volume" in out
    for kind in ("province office", "city office", "department handler", "county handler"):
        assert f"## {kind} (" in out
    assert "| inbox mine |" in out and "| audit by object type |" in out
    assert "## Verdict against the issue's aims (full volume)" in out
    assert "- inbox p95 ≤ 20 ms for every user:" in out
    assert "Audit chain at full volume: {'ok': True" in out
