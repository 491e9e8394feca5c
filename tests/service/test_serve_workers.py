"""How many processes `ducha serve` runs: one per core (at most four) on PostgreSQL, one on
SQLite — where more are refused, loudly — and one when watching processes/."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

from app.cli import MAX_AUTO_WORKERS, service_workers

PG = "postgresql+psycopg://ducha@db/ducha"
SQLITE = "sqlite:///var/ducha.db"


@pytest.mark.parametrize(
    ("requested", "url", "cores", "watch", "expected"),
    [
        (None, PG, 2, False, 2),
        (None, PG, 1, False, 1),
        (None, PG, None, False, 1),  # cores unknown
        (None, PG, 32, False, MAX_AUTO_WORKERS),  # bounded: each holds a pool of connections
        (None, PG, 8, True, 1),  # --watch: one process watches processes/
        (6, PG, 2, False, 6),  # asked for: as asked
        (None, SQLITE, 8, False, 1),
        (1, SQLITE, 8, False, 1),
    ],
)
def test_the_number_of_service_processes(requested, url, cores, watch, expected):
    assert service_workers(requested, url, cores, watch) == expected


@pytest.mark.parametrize(("requested", "url"), [(2, SQLITE), (0, PG)])
def test_impossible_counts_are_refused(requested, url):
    with pytest.raises(ValueError, match="--workers"):
        service_workers(requested, url, 4, False)


def test_serve_refuses_several_processes_on_sqlite_before_starting(tmp_path):
    env = {**os.environ, "DUCHA_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--workers > 1 needs PostgreSQL" in done.stderr
