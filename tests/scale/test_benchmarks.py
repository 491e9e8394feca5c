"""The benchmarks still run (issues: speed; years of data) — smoke runs in CI that fail on a broken
benchmark or a server error during one, never on a slow machine: no figure is asserted, only that
each run completes without errors and prints what it promises."""

import os
import subprocess
import sys

from conftest import POSTGRES_URL, ROOT


def _bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_the_engine_benchmark_runs_quick_and_prints_its_verdicts(postgres_database):
    out = _bench(
        "bench.engine_bench", "--quick", "--backend", "postgresql", "--postgres-url", POSTGRES_URL
    )
    assert "Hand-written completion floor, this run" in out
    assert "Summary against the aims" in out
    assert "× the floor measured in this run" in out and "× the floor's" in out


def test_the_lifecycle_load_runs_without_errors_and_accounts_for_the_cpu(postgres_database):
    out = _bench(
        "bench.load",
        "--postgres-url",
        POSTGRES_URL,
        "--processes",
        "1",
        "--clients",
        "4",
        "--matters",
        "8",
    )
    assert "matters through their lifecycle: 8 in" in out
    assert "- errors: 0" in out
    assert "CPU per matter: service" in out


def test_the_lifecycle_profile_accounts_for_every_request_of_a_matter(postgres_database):
    out = _bench(
        "bench.profile_lifecycle", "--matters", "5", "--statements", "--postgres-url", POSTGRES_URL
    )
    assert "5 matters through their lifecycle" in out
    for kind in ("register", "list tasks", "sign_for", "evaluate_units"):
        assert f"| {kind} |" in out
    assert "| domain recorders (supervision, events) |" in out
    assert "\nsign_for:\n" in out


def test_the_volume_benchmark_runs_quick_and_prints_its_tables_and_verdict(postgres_database):
    out = _bench("bench.volume", "--quick", "--postgres-url", POSTGRES_URL)
    assert "## Rows per volume" in out
    for kind in ("province office", "city office", "department handler", "county handler"):
        assert f"## {kind} (" in out
    assert "| inbox mine |" in out and "| audit by object type |" in out
    assert "HTTP 5" not in out, "a read failed with a server error"
    assert "## Verdict against the issue's aims (full volume)" in out
    assert "- inbox p95 ≤ 20 ms for every user:" in out
    assert "Audit chain at full volume: {'ok': True" in out


def test_the_retention_benchmark_removes_a_month_both_ways(postgres_database):
    # the benchmark exits non-zero when a way removed or left other than what it should
    out = _bench("bench.retention", "--events", "2000", "--postgres-url", POSTGRES_URL)
    assert "| by batches (one event held) |" in out and "| 1,999 | 1 |" in out
    assert "| by its partition |" in out and "| 2,000 | 0 |" in out


def test_the_routing_benchmark_times_every_path_both_ways():
    out = _bench("bench.routing", "--rounds", "1", "--block", "5")
    assert "| POST /api/v1/tasks/{id}/complete |" in out
    assert "| GET /health |" in out and "| GET /api/v1/nowhere |" in out
    assert out.count("× |") == 10


def test_the_floor_comparison_alternates_both_servers_and_prints_the_three_aims(postgres_database):
    # One small round: the other test worker's timing tests share these two cores.
    out = _bench(
        "bench.against_floor",
        "--rounds",
        "1",
        "--instances",
        "1",
        "--clients",
        "2",
        "--postgres-url",
        POSTGRES_URL,
    )
    assert "The service and the floor alternated" in out
    assert out.count("\n1 ") == 1  # the round's line
    for aim in ("completion p50, 1 client", "server CPU per completion", "completions/s, 2"):
        assert aim in out
    # a verdict per aim: PASS, FAIL, or n/a when a figure of so short a run read 0
    assert out.count("PASS") + out.count("FAIL") + out.count(" n/a\n") == 3


def test_a_floor_figure_that_read_zero_is_not_measured_never_a_division_by_zero(capsys):
    # CPU comes from /proc in 10 ms ticks: one small round on a busy CI machine read the floor's
    # CPU as 0 and the comparison died (ZeroDivisionError). Such a round is left out of its
    # aim's median, and an aim with no measured round is "not measured" and not met.
    from bench.against_floor import report

    def round_(floor_cpu: float) -> dict[str, dict[str, float]]:
        return {
            "service-1": {"p50": 6.0, "cpu": 4.0, "rate": 150.0},
            "floor-1": {"p50": 3.0, "cpu": floor_cpu, "rate": 300.0},
            "service-2": {"p50": 9.0, "cpu": 4.0, "rate": 200.0},
            "floor-2": {"p50": 5.0, "cpu": floor_cpu, "rate": 320.0},
        }

    assert report([round_(0.0)], 2) is False
    out = capsys.readouterr().out
    assert "not measured (the floor read 0: run longer)" in out
    assert out.count(" n/a\n") == 1 and out.count("FAIL") == 2

    assert report([round_(0.0), round_(2.0), round_(4.0)], 2) is False
    out = capsys.readouterr().out
    cpu_line = next(line for line in out.splitlines() if "CPU per completion, 1 client ≤" in line)
    assert "1.50× (rounds 1.00–2.00; 1 not measured)" in cpu_line and cpu_line.endswith("FAIL")
