"""Retention benchmark: removing a month of outbox events on PostgreSQL, by batches and by the
month's partition (years of data, issue 19).

Two fresh databases on one server get the same month: `--events` events about two units each
(the events' units written as the service writes them), older than the retention window, every
consumer past them. On the first, the month cannot be dropped — one event of it waits for a
webhook delivery — so the retention round removes the rest by batches of 5,000; on the second,
the round drops the month's partitions. Prints each round's time and what it left.

    .venv/bin/python -m bench.retention                    # 1,000,000 events (~1 minute)
    .venv/bin/python -m bench.retention --events 20000     # a smoke run
"""

import argparse
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.events.retention import Retention  # noqa: E402
from app.kit.clock import clock  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import load_all  # noqa: E402
from app.partitions import Month, Partitions  # noqa: E402
from app.webhooks import retention as webhooks_retention  # noqa: E402
from bench.engine_bench import postgres_database  # noqa: E402

MONTH = (
    "INSERT INTO outbox_events (event_id, type, source, subject, time, data, units)"
    " SELECT gen_random_uuid(), 'ducha.task.completed', '/ducha', 'x', :at,"
    ' \'{"summary": "办理情况"}\', \'["320000-DCS", "320100-GOV"]\' FROM generate_series(1, :n);'
    " INSERT INTO outbox_event_units SELECT id, u FROM outbox_events,"
    " unnest(ARRAY['320000-DCS', '320100-GOV']) u;"
    " INSERT INTO event_consumers SELECT c, (SELECT max(txid) FROM outbox_events),"
    " (SELECT max(id) FROM outbox_events) FROM unnest(ARRAY['webhooks', 'notifications']) c"
)
HOOK = (
    "INSERT INTO webhooks (id, url, secret, event_types, unit_scope, active, after_event,"
    " created_by, created_at, updated_at) VALUES (:hook, 'https://example.invalid/', 'whsec_b',"
    " '[]', '[]', true, 0, 'b', now(), now());"
    " INSERT INTO webhook_deliveries (id, subscription_id, event_id, webhook_id, event_type,"
    " status, attempts, tries, created_at) SELECT gen_random_uuid(), :hook, min(id), 'w',"
    " 'ducha.task.completed', 'pending', 0, 0, now() FROM outbox_events"
)


def one_month(url: str, events: int, *, held: bool) -> tuple[float, int, int]:
    """The retention round's seconds, the events it removed and the events it left."""
    settings = Settings(database_url=url, _env_file=None)
    engine = create_engine(url)
    now = clock.now()
    with engine.begin() as connection:
        at = now - timedelta(days=settings.outbox_retention_days + 30)
        for statement in MONTH.split(";"):
            connection.execute(text(statement), {"at": at, "n": events})
        if held:
            hook = uuid.uuid4()
            for statement in HOOK.split(";"):
                connection.execute(text(statement), {"hook": hook})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    db = Database(settings)
    clock.freeze(Month.of(now).next().start + timedelta(days=1))  # the month is over
    try:
        Partitions(db).round()
        started = time.perf_counter()
        removed = Retention(db, settings).round()
        seconds = time.perf_counter() - started
    finally:
        clock.reset()
        db.close()
    with engine.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM outbox_events")).scalar_one()
    engine.dispose()
    return seconds, removed, left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUCHA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    load_all()
    webhooks_retention.register()  # a delivery not yet made keeps its event
    print(f"a month of {args.events:,} outbox events ({2 * args.events:,} unit rows), expired")
    print("| how | retention round | events removed | events left |")
    print("|---|---:|---:|---:|")
    for held in (True, False):
        with postgres_database(args.postgres_url) as url:
            upgrade(url)
            seconds, removed, left = one_month(url, args.events, held=held)
        how = "by batches (one event held)" if held else "by its partition"
        print(f"| {how} | {seconds:.2f} s | {removed:,} | {left:,} |")
        expected = (args.events - 1, 1) if held else (args.events, 0)
        if (removed, left) != expected:
            sys.exit(f"{how}: removed {removed}, left {left}; expected {expected}")


if __name__ == "__main__":
    main()
