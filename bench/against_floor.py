"""The engine aims as ratios that machine noise cannot fake: the service and the floor, alternated.

    .venv/bin/python -m bench.against_floor [--rounds 6] [--instances 20] [--clients 8]

`bench.engine_bench` measures the hand-written floor (`bench/floor_app.py`) once, after the
service, so a machine that slows down or speeds up between the two moves the ratios (on this
2-core machine the floor's own CPU per completion moved between 1.5 and 2.1 ms across runs).
Here both servers run at once on one PostgreSQL database (the floor's tables are its own), and
each round measures the service and the floor back to back with the same httpx clients and the
same reference process (`five_steps`: start, then five completions per instance), 1 client and
N clients, in the order A B B A … so that a drift within a round hits both alike. Each round
gives the three ratios of the aims; the verdict uses their median, and the spread is printed.

Aims (issue 18, PostgreSQL, one service process): completion p50 ≤ 1.0× the floor's; server CPU
per completion ≤ 1.2× the floor's; completions/s with N clients ≥ 1.2× the floor's. Only
127.0.0.1 is used; the database is created and dropped, both servers are stopped.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.engine_bench import (  # noqa: E402
    BPMN_FILES,
    KEY_FIVE,
    FloorServer,
    Server,
    check_local,
    floor_lifecycle,
    http_client,
    lifecycle,
    log,
    postgres_database,
    ratio,
    table,
)

AIMS = (
    ("completion p50, 1 client", "p50", "≤", 1.0),
    ("server CPU per completion, 1 client", "cpu", "≤", 1.2),
    ("completions/s, N clients", "rate", "≥", 1.2),
)


def measure(server: Server, *, floor: bool, clients: int, instances: int) -> dict[str, float]:
    """One block: `instances` reference instances per client, started then completed."""
    pool = [http_client(server.base_url) for _ in range(clients)]
    try:
        if floor:
            row = floor_lifecycle(server, pool, instances)
        else:
            row = lifecycle(server, KEY_FIVE, pool, instances)
    finally:
        for client in pool:
            client.close()
    return {
        "p50": row["completion"]["p50"],
        "cpu": row["server_cpu_ms_per_completion"],
        "rate": row["completions_per_s"],
    }


def one_round(
    service: Server, floor: Server, index: int, clients: int, instances: int
) -> dict[str, dict[str, float]]:
    """Service and floor at 1 and at N clients; the order alternates from round to round."""
    order = [False, True] if index % 2 == 0 else [True, False]
    out: dict[str, dict[str, float]] = {}
    for n in (1, clients):
        for is_floor in order if n == 1 else order[::-1]:
            name = f"{'floor' if is_floor else 'service'}-{n}"
            out[name] = measure(
                floor if is_floor else service, floor=is_floor, clients=n, instances=instances
            )
    return out


def ratios(measured: dict[str, dict[str, float]], clients: int) -> dict[str, float]:
    """The three ratios of a round; NaN where the floor's figure read 0 (see `ratio`)."""
    return {
        "p50": ratio(measured["service-1"]["p50"], measured["floor-1"]["p50"]),
        "cpu": ratio(measured["service-1"]["cpu"], measured["floor-1"]["cpu"]),
        "rate": ratio(measured[f"service-{clients}"]["rate"], measured[f"floor-{clients}"]["rate"]),
    }


def times(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}×"


def report(rounds: list[dict[str, dict[str, float]]], clients: int) -> bool:
    """Print each round and the verdicts; True when every aim is met."""
    rows = []
    for i, measured in enumerate(rounds, 1):
        r = ratios(measured, clients)
        s1, f1 = measured["service-1"], measured["floor-1"]
        sn, fn = measured[f"service-{clients}"], measured[f"floor-{clients}"]
        rows.append(
            [
                str(i),
                f"{s1['p50']:.2f} / {f1['p50']:.2f}",
                times(r["p50"]),
                f"{s1['cpu']:.2f} / {f1['cpu']:.2f}",
                times(r["cpu"]),
                f"{sn['rate']:.0f} / {fn['rate']:.0f}",
                times(r["rate"]),
            ]
        )
    print(
        table(
            [
                "round",
                "p50 ms service / floor",
                "ratio",
                "CPU ms service / floor",
                "ratio",
                f"compl/s {clients} clients",
                "ratio",
            ],
            rows,
        )
    )
    met = True
    verdicts = []
    for label, key, sense, aim in AIMS:
        name = f"{label.replace('N clients', f'{clients} clients')} {sense} {aim:.1f}× the floor"
        values = [v for m in rounds if not math.isnan(v := ratios(m, clients)[key])]
        if not values:
            # A run too short for the /proc clock: say so, never a PASS.
            met = False
            verdicts.append([name, "not measured (the floor read 0: run longer)", "n/a"])
            continue
        median = statistics.median(values)
        ok = median <= aim if sense == "≤" else median >= aim
        met &= ok
        left = len(rounds) - len(values)
        verdicts.append(
            [
                name,
                f"{median:.2f}× (rounds {min(values):.2f}–{max(values):.2f}"
                + (f"; {left} not measured)" if left else ")"),
                "PASS" if ok else "FAIL",
            ]
        )
    print()
    print(table(["aim (median of the rounds)", "measured", "verdict"], verdicts))
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--instances", type=int, default=20, help="instances per client a block")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 100 or not 1 <= args.instances <= 1000:
        parser.error("--rounds must be 1..100 and --instances 1..1000")
    if not 2 <= args.clients <= 64:
        parser.error("--clients must be 2..64")
    check_local(args.postgres_url)
    with postgres_database(args.postgres_url) as url, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        processes = work / "processes"
        processes.mkdir()
        for path in BPMN_FILES:
            shutil.copy(path, processes / path.name)
        service = Server(url, processes, work, cache_size=None)
        floor = FloorServer(url, work)
        try:
            service.start()
            floor.start()
            log("warm-up round (not counted)")
            one_round(service, floor, 0, args.clients, max(2, args.instances // 4))
            rounds: list[dict[str, Any]] = []
            for index in range(args.rounds):
                log(f"round {index + 1} of {args.rounds}")
                rounds.append(one_round(service, floor, index, args.clients, args.instances))
        finally:
            service.stop()
            floor.stop()
    print(
        f"\nThe service and the floor alternated, PostgreSQL, reference process (five_steps), "
        f"{args.instances} instances per client a block, {os.cpu_count()} cores"
    )
    report(rounds, args.clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
