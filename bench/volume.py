"""Volume: a province's years of data on PostgreSQL, and every list the console uses timed at three
volumes (issue "Years of data").

Run from the project root (PostgreSQL; a database is created for the run and dropped after):

    .venv/bin/python -m bench.volume                         # ~400 real matters, 10%, 100,000
    .venv/bin/python -m bench.volume --full-matters 50000 --plans
    .venv/bin/python -m bench.volume --quick                 # ~1–2 minutes: 40 real, full 2,000
    .venv/bin/python -m bench.volume --keep                  # the database is left in place…
    .venv/bin/python -m bench.volume --reuse ducha_vol_…     # …and timed again after a change
    .venv/bin/python -m bench.volume --postgres-url postgresql+psycopg://postgres@127.0.0.1/test

1. Real rows: one service process (uvicorn, JWT mode) and a few asyncio + httpx clients register
   matters through REST as the offices would — the province's office and a city's, lead units from
   the province's departments down to a county's bureau, assigned on days up to eight months back
   (so that some are overdue) — and drive each to one of five stages: registered (立项), plan
   drafted (拟订方案), signed for (签收), reported (办结报告) and closed (审核, 评价).
2. Multiplied in SQL: the real matters and every row hanging off them (process instances, tasks,
   history, jobs, deadlines, assignments, timelines, reports, audit, outbox events and their units,
   …) are copied with fresh ids and consistent foreign keys, their times moved back over ~5 years,
   to 10% and then 100% of `--full-matters`. Copies are closed (completed) work, so open work stays
   roughly constant as history grows, as in the issue. The audit chain is re-chained afterwards
   (`--no-rechain` skips it) and every table analysed.
3. At each volume, every list the console reads is timed as four kinds of users — the province's
   supervision office, a city's office, a department's handler and a county's handler (the audit
   lists as an auditor) — p50/p95 of 100 keep-alive calls after 3 warm-up calls; one table per user
   kind, the growth full/10% and a verdict against the issue's aims. `--plans` prints EXPLAIN
   (ANALYZE, BUFFERS) of the slowest statements at full volume (captured with
   log_min_duration_statement on the bench database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import random
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg

from bench.engine_bench import (
    BENCH_SECRET,
    FIVE_STEPS,
    ROOT,
    Server,
    _libpq_url,
    postgres_database,
    quantile,
)

# Who registers (office, head) and which lead units each office assigns matters to.
OFFICES = {
    "320000-DCS": ["320000-FGW", "320000-ZJT", "320000-JYT", "320100-FGW", "320102-FGJ"],
    "320100-DCS": ["320100-FGW", "320100-ZJJ", "320102-FGJ", "320104-FGJ"],
}
STAGES = ("registered", "plan drafted", "signed for", "reported", "closed")
# The four kinds of users whose reads are timed: (unit, roles).
READERS = {
    "province office": ("320000-DCS", ["supervision_office"]),
    "city office": ("320100-DCS", ["supervision_office"]),
    "department handler": ("320000-FGW", ["unit_handler"]),
    "county handler": ("320102-FGJ", ["unit_handler"]),
}
# The `unit` filter of "matters unit incl. below" per kind: a city, a county, their own unit.
BELOW = {
    "province office": "320100-GOV",
    "city office": "320102-GOV",
    "department handler": "320000-FGW",
    "county handler": "320102-FGJ",
}
CALLS, WARM_UP = 100, 3
"""Timed calls per read: p95 of 30 calls is their second slowest, which one stall of the machine
decides; of 100, the sixth slowest (`--calls` changes it; `--quick` takes 20)."""
AIM_LIST_P95, AIM_INBOX_P95, AIM_GROWTH = 50.0, 20.0, 1.5


def token(sub: str, unit: str, roles: list[str]) -> str:
    """A bearer token signed with the bench server's secret (as bench/load.py mints them)."""
    now = int(time.time())
    claims = {"sub": sub, "name": sub, "unit": unit, "roles": roles, "iat": now, "exp": now + 86400}
    return str(jwt.encode(claims, BENCH_SECRET, algorithm="HS256"))


def headers(sub: str, unit: str, roles: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, unit, roles)}"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- 1. real rows through the service ---------------------------------------------------------


class Seeder:
    """Drives matters through REST to their stage; several of these run concurrently."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.errors: list[str] = []

    async def call(self, hdrs: dict[str, str], method: str, url: str, **kw: Any) -> dict:
        response = await self.client.request(method, url, headers=hdrs, **kw)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        return dict(response.json()) if response.content else {}

    async def complete(
        self, hdrs: dict[str, str], instance: str, element: str, variables: dict
    ) -> None:
        tasks = await self.call(
            hdrs, "GET", "/api/v1/tasks", params={"process_instance_id": instance}
        )
        (task,) = [t for t in tasks["items"] if t["element_id"] == element]
        await self.call(
            hdrs, "POST", f"/api/v1/tasks/{task['id']}/complete", json={"variables": variables}
        )

    async def matter(self, n: int, rng: random.Random) -> None:
        """Register matter `n` and take it to one of the STAGES."""
        office = list(OFFICES)[n % len(OFFICES)]
        leads, k = OFFICES[office], n // len(OFFICES)
        lead = leads[k % len(leads)]  # every lead unit gets matters at every stage
        stage = (k // len(leads)) % len(STAGES)
        staff = headers(f"office-{office}", office, ["supervision_office"])
        head = headers(f"head-{office}", office, ["office_head"])
        handler = headers(f"handler-{lead}", lead, ["unit_handler"])
        assigned = dt.date.today() - dt.timedelta(days=rng.randint(0, 240))
        registered = await self.call(
            staff,
            "POST",
            "/api/v1/matters",
            json={
                "title": f"{rng.choice(['推进', '落实', '督办', '整改'])}重点工作事项 第{n}号",
                "content": "省政府常务会议议定事项，请按期办结并报送进展",
                "category": rng.choice(["meeting_document_policy", "key_work", "reform"]),
                "source_type": "meeting",
                "lead_unit": lead,
                "assigned_on": assigned.isoformat(),
                "joint": False,
            },
        )
        instance = registered["instance_id"]
        if stage >= 1:
            plan = {"plan_title": "方案", "plan_content": "分工", "lead_unit": lead, "joint": False}
            await self.complete(staff, instance, "draft_plan", plan)
        if stage >= 2:
            await self.complete(head, instance, "approve_plan", {"decision": "approve"})
            await self.complete(handler, instance, "sign_for", {"decision": "sign"})
        if stage >= 3:
            report = {"report": "已办结", "finished": True}
            await self.complete(handler, instance, "submit_final_report", report)
        if stage >= 4:
            await self.complete(staff, instance, "review_report", {"decision": "accept"})
            evaluation = {"evaluations": [{"unit": lead, "timeliness": "good", "quality": "good"}]}
            await self.complete(staff, instance, "evaluate_units", evaluation)


async def seed(base_url: str, matters: int, clients: int = 6) -> list[str]:
    """Register `matters` matters through REST with `clients` concurrent clients; the errors."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(matters):
        queue.put_nowait(n)
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        seeder = Seeder(client)

        async def loop(k: int) -> None:
            rng = random.Random(k)
            while not queue.empty():
                n = queue.get_nowait()
                try:
                    await seeder.matter(n, rng)
                except (RuntimeError, ValueError, httpx.TransportError) as exc:
                    seeder.errors.append(str(exc))

        await asyncio.gather(*(loop(k) for k in range(clients)))
    return seeder.errors


# --- 2. multiplied in SQL --------------------------------------------------------------------

# A copy's ids derive from the original's and the copy number, so every foreign key of a copy
# points into the same copy without a mapping table; its times move back by a per-copy shift.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION vol_id(u uuid, r int) RETURNS uuid
  LANGUAGE sql IMMUTABLE AS $$ SELECT md5(u::text || ':' || r)::uuid $$;
CREATE OR REPLACE FUNCTION vol_text_id(t text, r int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN t ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN md5(t || ':' || r)::uuid::text ELSE t END $$;
CREATE OR REPLACE FUNCTION vol_days(u uuid, r int, open boolean) RETURNS int
  LANGUAGE sql IMMUTABLE AS $$
  SELECT 1 + (hashtext(u::text || ':' || r) & 2147483647) % (CASE WHEN open THEN 45 ELSE 1825 END)
$$;
"""
MAX_SHIFT_DAYS = 1825  # copies of closed matters move back up to five years (vol_days)
UUID_RE = r"(^id$|_id$)"
TEXT_ID_COLUMNS = {"business_key", "subject", "object_id"}
# Tables whose rows are copied with the matter, by the column that ties them to it; the rest
# (every other table with a matter_id or instance_id column) are found in the schema.
SPECIAL = {"matters": "id", "process_instances": "id", "outbox_event_units": None}


@dataclass
class Source:
    """The real matters copies are made of: closed ones (history) and open ones (current work)."""

    closed: int
    open: int


def months_back(url: str, days: int) -> None:
    """Make the monthly partitions of history and audit for the months the copies move back to
    (the service's partitions worker makes only the coming months)."""
    from sqlalchemy import create_engine

    from app import partitions
    from app.kit.clock import clock

    now = clock.now()
    first = partitions.Month.of(now - dt.timedelta(days=days + 31))
    engine = create_engine(url)
    with engine.begin() as connection:
        partitions.ensure(connection, partitions.between(first, partitions.Month.of(now)))
    engine.dispose()


def archive_oldest(url: str) -> str:
    """Archive the oldest month of history and of the audit trail (`ducha archive … --drop`),
    timed; what it took, to print."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from app import partitions
    from app.identity import audit  # noqa: F401 - its anchors are taken before a month leaves

    engine = create_engine(url)
    said = []
    for table in partitions.MONTHLY:
        with Session(engine) as session, session.begin():
            connection = session.connection()
            month, rows = next(
                (m, n)
                for m in partitions.months(connection, table)
                if (
                    n := connection.scalar(
                        text(f"SELECT count(*) FROM {partitions.partition_name(table, m)}")
                    )
                )
            )
            started = time.perf_counter()
            partitions.archive(session, table, month, drop=True)
        took = (time.perf_counter() - started) * 1000
        said.append(f"{table} {month}: {rows:,} rows archived in {took:.0f} ms")
    engine.dispose()
    return "Archiving the oldest month (detach and drop, anchors taken): " + "; ".join(said)


class Multiplier:
    """Copies real matters and everything hanging off them, in batches of INSERT … SELECT."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.next_round = 1
        conn.execute(FUNCTIONS)
        conn.execute(
            "CREATE TABLE vol_src AS SELECT row_number() OVER (ORDER BY created_at, id) - 1 AS n,"
            " id AS matter_id, instance_id, status <> 'closed' AS open FROM matters"
        )
        self.source = Source(
            *conn.execute(
                "SELECT count(*) FILTER (WHERE NOT open), count(*) FILTER (WHERE open) FROM vol_src"
            ).fetchone()  # type: ignore[misc]
        )
        conn.execute(
            "UPDATE vol_src s SET n = o.k FROM (SELECT matter_id,"
            " row_number() OVER (PARTITION BY open ORDER BY n) - 1 AS k FROM vol_src) o"
            " WHERE o.matter_id = s.matter_id"
        )
        self.tables = self._tables()
        self.audit_from = self._max_id("audit_log") + 1

    def _max_id(self, table: str) -> int:
        row = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def _tables(self) -> dict[str, tuple[str, list[tuple[str, str, bool]]]]:
        """table -> (the column tying it to a matter, [(column, type, has a sequence default)])."""
        rows = self.conn.execute(
            "SELECT table_name, column_name, data_type, coalesce(column_default, '') LIKE"
            " 'nextval%%' OR column_name = 'txid' FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name NOT IN"  # a month's rows go by its table
            " (SELECT relname FROM pg_class WHERE relispartition)"
            " ORDER BY table_name, ordinal_position"
        ).fetchall()
        columns: dict[str, list[tuple[str, str, bool]]] = {}
        for table, column, kind, generated in rows:
            columns.setdefault(table, []).append((column, kind, bool(generated)))
        chosen: dict[str, tuple[str, list[tuple[str, str, bool]]]] = {}
        for table, cols in columns.items():
            names = {c for c, _, _ in cols}
            if table == "vol_src":
                continue
            if table in SPECIAL:
                key = SPECIAL[table]
            elif "matter_id" in names:
                key = "matter_id"
            elif "instance_id" in names:
                key = "instance_id"
            else:
                continue
            if key is not None:
                chosen[table] = (key, cols)
        # parents first: matters and instances before what references them
        order = ["process_instances", "matters", "outbox_events"]
        return dict(sorted(chosen.items(), key=lambda kv: (kv[0] not in order, kv[0])))

    def _select(self, table: str, key: str, cols: list[tuple[str, str, bool]]) -> str:
        """The INSERT … SELECT of one table for copies r0..r1 of the sources of one kind."""
        target, exprs = [], []
        shift = "vol_days(s.instance_id, r, s.open)"
        for column, kind, generated in cols:
            if generated:
                continue
            c = f't."{column}"'
            if kind == "uuid" and re.search(UUID_RE, column) and column != "definition_id":
                expr = f"vol_id({c}, r)"
            elif column in TEXT_ID_COLUMNS or (table == "audit_log" and column == "instance_id"):
                expr = f"vol_text_id({c}, r)"
            elif kind == "timestamp with time zone":
                expr = f"{c} - make_interval(days => {shift})"
            elif kind == "date":
                expr = f"{c} - {shift}"
            elif table == "matters" and column == "code":
                expr = "'DC-V' || r || '-' || t.code"
            else:
                expr = c
            target.append(f'"{column}"')
            exprs.append(expr)
        if table == "matters":
            join = "s.matter_id = t.id"
        elif table == "process_instances":
            join = "s.instance_id = t.id"
        elif key == "matter_id":
            join = "s.matter_id = t.matter_id"
        elif table == "audit_log":
            join = "s.instance_id::text = t.instance_id"
        else:
            join = "s.instance_id = t.instance_id"
        order = " ORDER BY r, t.id" if any(g for _, _, g in cols) else ""
        return (
            f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(exprs)} FROM {table} t"
            f" JOIN vol_src s ON {join} CROSS JOIN generate_series(%(r0)s::int, %(r1)s::int) r"
            f" WHERE s.open = %(open)s AND (r - %(r0)s) * %(size)s + s.n < %(need)s{order}"
        )

    def add(self, closed: int, open_: int, batch: int = 5000) -> None:
        """Add `closed` copies of closed matters and `open_` copies of open ones."""
        for is_open, need, size in (
            (False, closed, self.source.closed),
            (True, open_, self.source.open),
        ):
            if need <= 0 or size == 0:
                continue
            rounds_per_batch = max(1, batch // size)
            while need > 0:
                rounds = min(rounds_per_batch, -(-need // size))
                params = {
                    "r0": self.next_round,
                    "r1": self.next_round + rounds - 1,
                    "open": is_open,
                    "size": size,
                    "need": min(need, rounds * size),
                }
                with self.conn.transaction():
                    self._copy_batch(params)
                self.next_round += rounds
                need -= rounds * size
        # Copies carry their sources' marks of the dashboard's summary but are not in it: the
        # summary starts over (the service's tally worker takes every closed matter in again).
        with self.conn.transaction():
            self.conn.execute("DELETE FROM matter_tally")
            self.conn.execute(
                "UPDATE matters SET tallied = false, tallied_as = NULL"
                " WHERE tallied OR tallied_as IS NOT NULL"
            )

    def _copy_batch(self, params: dict[str, Any]) -> None:
        for table, (key, cols) in self.tables.items():
            self.conn.execute(self._select(table, key, cols), params)
        # the units of each copied event, through the copy's event_id
        self.conn.execute(
            "INSERT INTO outbox_event_units (event_row_id, unit_code)"
            " SELECT n.id, u.unit_code FROM vol_src s"
            " CROSS JOIN generate_series(%(r0)s::int, %(r1)s::int) r"
            " JOIN outbox_events o ON o.instance_id = s.instance_id"
            " JOIN outbox_event_units u ON u.event_row_id = o.id"
            " JOIN outbox_events n ON n.event_id = vol_id(o.event_id, r)"
            " WHERE s.open = %(open)s AND (r - %(r0)s) * %(size)s + s.n < %(need)s",
            params,
        )

    def rechain_audit(self, database_url: str) -> int:
        """Chain the audit rows added since the last call after the chain's newest real row (as
        app/identity/audit.py computes each hash), and move the chain's head; rows re-hashed."""
        from sqlalchemy import create_engine, select

        from app.identity.audit import _CONTENT, _content, canonical
        from app.identity.models import AuditRecord

        start = self.audit_from
        prev_row = self.conn.execute(
            "SELECT hash FROM audit_log WHERE id < %s ORDER BY id DESC LIMIT 1", (start,)
        ).fetchone()
        previous = prev_row[0] if prev_row else "0" * 64
        table = AuditRecord.__table__
        engine = create_engine(database_url)
        done = 0
        before = previous
        with engine.connect() as reader, self.conn.transaction():
            self.conn.execute("CREATE TEMP TABLE vol_hash (id bigint, prev_hash text, hash text)")
            rows = reader.execution_options(stream_results=True, yield_per=5000).execute(
                select(table.c.id, *(table.c[c] for c in _CONTENT))
                .where(table.c.id >= start)
                .order_by(table.c.id)
            )
            with self.conn.cursor().copy("COPY vol_hash FROM STDIN") as copy:
                for row in rows:
                    content = _content({**row._mapping, "prev_hash": previous})
                    new = hashlib.sha256(canonical(content).encode()).hexdigest()
                    copy.write_row((row.id, previous, new))
                    before, previous, done = previous, new, done + 1
            self.conn.execute(
                "UPDATE audit_log a SET prev_hash = h.prev_hash, hash = h.hash FROM vol_hash h"
                " WHERE a.id = h.id"
            )
            self.conn.execute(
                "UPDATE audit_chain_head SET prev_hash = %s, hash = %s", (before, previous)
            )
            self.conn.execute("DROP TABLE vol_hash")
        engine.dispose()
        self.audit_from = self._max_id("audit_log") + 1
        return done


# --- 3. the reads, timed ---------------------------------------------------------------------

READS = (
    "inbox mine",
    "matters list",
    "matters overdue",
    "matters unit incl. below",
    "matters text",
    "stats by month",
    "audit list",
    "audit by object type",
    "instances list",
    "events feed page",
    "matter detail",
    "instance history",
)
LISTS = READS[:10]  # the detail and the history are one object each, not lists
MAIN_TABLES = (
    "matters",
    "process_instances",
    "tasks",
    "history_events",
    "activity_instances",
    "audit_log",
    "outbox_events",
    "outbox_event_units",
    "matter_timeline",
    "matter_deadlines",
    "assignments",
    "jobs",
)


@dataclass
class Timing:
    """p50/p95 in ms of one read, or the HTTP status that kept it from being timed."""

    p50: float = float("nan")
    p95: float = float("nan")
    status: int = 200

    def __str__(self) -> str:
        return f"{self.p50:.0f}/{self.p95:.0f}" if self.status == 200 else f"HTTP {self.status}"


@dataclass
class Volume:
    """One volume's label, row counts, build time and timings per user kind and read."""

    label: str
    counts: dict[str, int]
    build_s: float
    timings: dict[str, dict[str, Timing]] = field(default_factory=dict)


def requests_of(unit: str, matter: str | None, instance: str | None) -> dict[str, tuple]:
    """Each read: (path, params, auditor?)."""
    return {
        "inbox mine": ("/api/v1/console/inbox", {"scope": "mine"}, False),
        "matters list": ("/api/v1/matters", {}, False),
        "matters overdue": ("/api/v1/matters", {"overdue": "true"}, False),
        "matters unit incl. below": ("/api/v1/matters", {"unit": unit}, False),
        "matters text": ("/api/v1/matters", {"q": "重点工作"}, False),
        "stats by month": ("/api/v1/console/matter-stats", {"group_by": "month"}, False),
        "audit list": ("/api/v1/audit", {}, True),
        "audit by object type": ("/api/v1/audit", {"object_type": "task"}, True),
        "instances list": ("/api/v1/process-instances", {}, False),
        "events feed page": ("/api/v1/events", {"limit": 100}, False),
        "matter detail": (f"/api/v1/matters/{matter}", {}, False),
        "instance history": (f"/api/v1/process-instances/{instance}/history", {}, False),
    }


def first_readable(client: httpx.Client, user: dict[str, str]) -> tuple[str | None, str | None]:
    """The newest matter in the user's list whose instance history they may read (its id and its
    instance's), or the newest matter and None."""
    listed = client.get("/api/v1/matters", headers=user, params={"limit": 10}).json()
    items = listed.get("items") or []
    for item in items:
        history = f"/api/v1/process-instances/{item['instance_id']}/history"
        if client.get(history, headers=user).status_code == 200:
            return item["id"], item["instance_id"]
    return (items[0]["id"] if items else None), None


def time_reads(base_url: str, calls: int) -> dict[str, dict[str, Timing]]:
    """Every read as every kind of user: 3 warm-up calls each, then `calls` timed keep-alive
    calls each, taken in rounds of one call per read. A stall of the machine (the client, the
    service and PostgreSQL share its two cores) then costs every read a call or two, not the
    p95 of the one read that happened to be timed during it."""
    timings: dict[str, dict[str, Timing]] = {}
    reads: dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, str]]] = {}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for kind, (unit, roles) in READERS.items():
            user = headers(kind, unit, roles)
            auditor = headers(f"{kind} auditor", unit, ["auditor"])
            matter, instance = first_readable(client, user)
            timings[kind] = {}
            for read, (path, params, audit) in requests_of(BELOW[kind], matter, instance).items():
                timings[kind][read] = Timing(status=404)  # in the report's order; timed below
                if "None" not in path:
                    reads[(kind, read)] = (path, params, auditor if audit else user)
        samples: dict[tuple[str, str], list[float]] = {key: [] for key in reads}
        failed: dict[tuple[str, str], int] = {}
        for n in range(WARM_UP + calls):
            for key, (path, params, hdrs) in reads.items():
                if key in failed:
                    continue
                started = time.perf_counter()
                response = client.get(path, headers=hdrs, params=params)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    failed[key] = response.status_code
                elif n >= WARM_UP:
                    samples[key].append(elapsed)
        for (kind, read), taken in samples.items():
            timings[kind][read] = (
                Timing(status=failed[(kind, read)])
                if (kind, read) in failed
                else Timing(quantile(taken, 0.5), quantile(taken, 0.95))
            )
    return timings


# --- 4. the report ---------------------------------------------------------------------------


def counts_of(conn: psycopg.Connection) -> dict[str, int]:
    """Rows of the main tables, with the open matters and the ready tasks."""
    counts = {}
    for table in MAIN_TABLES:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    row = conn.execute("SELECT count(*) FROM matters WHERE status <> 'closed'").fetchone()
    counts["open matters"] = int(row[0]) if row else 0
    row = conn.execute("SELECT count(*) FROM tasks WHERE state = 'ready'").fetchone()
    counts["ready tasks"] = int(row[0]) if row else 0
    return counts


def report(volumes: list[Volume]) -> str:
    """Row counts, one table per user kind, and the verdict against the issue's aims."""
    labels = [v.label for v in volumes]
    lines = ["## Rows per volume", "", "| table | " + " | ".join(labels) + " |"]
    lines.append("|---|" + "---|" * len(volumes))
    for name in [*MAIN_TABLES, "open matters", "ready tasks"]:
        lines.append(f"| {name} | " + " | ".join(f"{v.counts[name]:,}" for v in volumes) + " |")
    lines.append("| build time | " + " | ".join(f"{v.build_s:.0f} s" for v in volumes) + " |")
    ten, full = volumes[-2], volumes[-1]
    for kind in READERS:
        unit, roles = READERS[kind]
        lines += ["", f"## {kind} ({unit}, {', '.join(roles)}; audit as auditor)", ""]
        lines.append("| read | " + " | ".join(labels) + " | growth full/10% (p95) |")
        lines.append("|---|" + "---|" * (len(volumes) + 1))
        for read in READS:
            cells = [str(v.timings[kind][read]) for v in volumes]
            a, b = ten.timings[kind][read], full.timings[kind][read]
            growth = f"{b.p95 / a.p95:.1f}×" if a.status == b.status == 200 and a.p95 else "–"
            lines.append(f"| {read} | " + " | ".join(cells) + f" | {growth} |")
    lines += ["", "## Verdict against the issue's aims (full volume)", ""]
    slow, inbox, growing, untimed = [], [], [], []
    for kind in READERS:
        for read in LISTS:
            a, b = ten.timings[kind][read], full.timings[kind][read]
            if b.status != 200:
                untimed.append(f"{kind}: {read} ({b})")
                continue
            if b.p95 > AIM_LIST_P95:
                slow.append(f"{kind}: {read} {b.p95:.0f} ms")
            if read == "inbox mine" and b.p95 > AIM_INBOX_P95:
                inbox.append(f"{kind}: {b.p95:.0f} ms")
            if a.status == 200 and a.p95 and b.p95 / a.p95 > AIM_GROWTH:
                growing.append(f"{kind}: {read} {b.p95 / a.p95:.1f}×")

    def verdict(aim: str, failures: list[str]) -> str:
        if not failures:
            return f"- {aim}: **met**"
        return f"- {aim}: **not met** ({len(failures)}: " + "; ".join(failures) + ")"

    lines.append(verdict(f"every list p95 ≤ {AIM_LIST_P95:.0f} ms", slow))
    lines.append(verdict(f"inbox p95 ≤ {AIM_INBOX_P95:.0f} ms for every user", inbox))
    lines.append(verdict(f"no list more than {AIM_GROWTH}× slower at full than at 10%", growing))
    if untimed:
        lines.append("- not timed (refused or nothing in scope): " + "; ".join(untimed))
    return "\n".join(lines)


LOG_FILE = "/var/log/postgresql/postgresql-15-main.log"


def log_size(conn: psycopg.Connection) -> int:
    """Bytes in the PostgreSQL server's log so far (read as the superuser through SQL)."""
    try:
        row = conn.execute("SELECT (pg_stat_file(%s)).size", (LOG_FILE,)).fetchone()
    except psycopg.Error:
        return -1
    return int(row[0]) if row else -1


def logged_statements(conn: psycopg.Connection, since: int, database: str) -> dict[str, float]:
    """The SELECTs the bench database logged after byte `since`, parameters filled in: the
    slowest duration of each."""
    size = log_size(conn)
    if since < 0 or size <= since:
        return {}
    row = conn.execute(
        "SELECT pg_read_file(%s, %s, %s)", (LOG_FILE, since, size - since)
    ).fetchone()
    text = str(row[0]) if row else ""
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", text)
    slowest: dict[str, float] = {}
    pending: dict[str, tuple[str, float]] = {}

    def keep(sql: str, ms: float) -> None:
        if sql.upper().startswith(("SELECT", "WITH")) and "$1" not in sql:
            slowest[sql] = max(slowest.get(sql, 0.0), ms)

    for entry in entries:
        head = entry.split("\n", 1)[0]
        if f"@{database} " not in head:
            continue
        pid = head.split("[", 1)[-1].split("]", 1)[0]
        found = re.search(r"duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): (.*)", entry, re.S)
        if found:
            if pid in pending:
                keep(*pending.pop(pid))
            pending[pid] = (" ".join(found.group(2).split()), float(found.group(1)))
        elif "DETAIL:  parameters:" in entry and pid in pending:
            sql, ms = pending.pop(pid)
            values = dict(re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", entry))
            keep(re.sub(r"\$(\d+)\b", partial(_fill, values), sql), ms)
    for sql, ms in pending.values():
        keep(sql, ms)
    return slowest


def _fill(values: dict[str, str], match: re.Match[str]) -> str:
    """A logged parameter's literal in place of its placeholder ($n)."""
    return values.get(match.group(1), match.group(0))


def plans(conn: psycopg.Connection, slowest: dict[str, float], top: int = 6) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest distinct statements (longest first)."""
    out = []
    for sql, ms in sorted(slowest.items(), key=lambda kv: -kv[1])[:top]:
        out += ["", f"### {ms:.1f} ms: {sql[:400]}", "", "```"]
        try:
            with conn.transaction():
                rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall()
            out += [r[0] for r in rows]
        except psycopg.Error as exc:
            out.append(f"(not explained: {str(exc).splitlines()[0]})")
        out.append("```")
    return "\n".join(out) if out else "(no statements captured: is the server's log readable?)"


# --- the run ---------------------------------------------------------------------------------


@contextlib.contextmanager
def kept_database(admin_url: str) -> Iterator[str]:
    """A fresh database that is left in place after the run (--keep)."""
    from sqlalchemy.engine import make_url

    name = f"ducha_vol_{int(time.time())}"
    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} is kept after the run")
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def work_directory(stack: ExitStack) -> Path:
    """A directory with the processes the service deploys: the project's and the benchmarks'."""
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ducha-volume-")))
    shutil.copytree(ROOT / "processes", work / "processes")
    shutil.copy(FIVE_STEPS, work / "processes")
    for bpmn in (ROOT / "bench" / "bpmn").glob("*.bpmn"):
        shutil.copy(bpmn, work / "processes")
    return work


def time_kept(admin_url: str, database: str, explain: bool, calls: int) -> int:
    """`--reuse`: every read of a kept database timed once more (after a change of the code),
    one table per user kind; with `--plans`, the slowest statements explained."""
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    with ExitStack() as stack:
        work = work_directory(stack)
        conn = stack.enter_context(psycopg.connect(_libpq_url(url), autocommit=True))
        if explain:
            conn.execute(f'ALTER DATABASE "{database}" SET log_min_duration_statement = 0')
        since = log_size(conn) if explain else -1
        try:
            server = start_server(url, work, stack)
            volume = measure(conn, server.base_url, database, 0.0, calls)
        finally:
            if explain:
                conn.execute(f'ALTER DATABASE "{database}" RESET log_min_duration_statement')
        lines = [f"{volume.counts['matters']:,} matters, p50/p95 ms", ""]
        lines.append("| read | " + " | ".join(READERS) + " |")
        lines.append("|---|" + "---|" * len(READERS))
        for read in READS:
            cells = [str(volume.timings[kind][read]) for kind in READERS]
            lines.append(f"| {read} | " + " | ".join(cells) + " |")
        print("\n".join(lines), flush=True)
        if explain:
            print("\n## Plans of the slowest statements")
            print(plans(conn, logged_statements(conn, since, database)))
    return 0


def start_server(url: str, work: Path, stack: ExitStack) -> Server:
    # The dashboard's summary catches up within seconds of a build (not the service's default
    # minute), so that timing need not wait long for it (`wait_for_tally`).
    os.environ.setdefault("DUCHA_TALLY_INTERVAL_SECONDS", "2")
    server = Server(url, work / "processes", work, cache_size=None)
    server.start()
    stack.callback(server.stop)
    return server


def wait_for_tally(conn: psycopg.Connection, limit_s: float = 900.0) -> None:
    """Until the service's tally worker has taken every closed matter into the dashboard's
    summary (the counts are exact before, but count those matters live)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        row = conn.execute(
            "SELECT count(*) FROM matters WHERE status = 'closed' AND NOT tallied"
        ).fetchone()
        if row is None or row[0] == 0:
            waited = time.perf_counter() - started
            if waited > 1:
                log(f"the dashboard's summary took the closed matters in {waited:.0f} s")
            return
        time.sleep(1)
    log("the dashboard's summary is still being built; timing anyway")


def wait_for_quiet(conn: psycopg.Connection, limit_s: float = 900.0) -> None:
    """Until nothing else runs in the bench database for 3 s: the service's workers catch up
    first (the retention worker removes the copied events older than its window, in batches)
    — a steady state, as a province's service would be in, not the first minutes after years
    of rows arrived at once."""
    started = time.perf_counter()
    quiet = 0
    while time.perf_counter() - started < limit_s and quiet < 6:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active'"
        ).fetchone()
        quiet = quiet + 1 if row is not None and row[0] == 0 else 0
        time.sleep(0.5)


def measure(
    conn: psycopg.Connection, base_url: str, label: str, build_s: float, calls: int
) -> Volume:
    """Wait for the dashboard's summary and the workers, VACUUM ANALYZE, count, time every read."""
    wait_for_tally(conn)
    wait_for_quiet(conn)
    # What autovacuum does to a table in steady state: statistics and the visibility map (an
    # index-only scan can then skip the rows of an all-visible page).
    conn.execute("VACUUM (ANALYZE)")
    volume = Volume(label, counts_of(conn), build_s)
    log(f"{label}: {volume.counts['matters']:,} matters; timing the reads")
    volume.timings = time_reads(base_url, calls)
    return volume


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1/test")
    parser.add_argument("--full-matters", type=int, default=100_000)
    parser.add_argument("--real-matters", type=int, default=400)
    parser.add_argument(
        "--open-share", type=float, default=0.06, help="open matters at 10%% and full, of full"
    )
    parser.add_argument("--quick", action="store_true", help="40 real matters, full 2,000")
    parser.add_argument("--calls", type=int, help=f"timed calls per read (default {CALLS})")
    parser.add_argument("--keep", action="store_true", help="keep the database after the run")
    parser.add_argument("--plans", action="store_true", help="EXPLAIN the slowest at full volume")
    parser.add_argument("--no-rechain", action="store_true", help="leave the audit chain broken")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="time a database kept by --keep as it is (migrated by the service first), no build",
    )
    args = parser.parse_args(argv)
    calls = args.calls or (20 if args.quick else CALLS)
    if args.reuse:
        return time_kept(args.postgres_url, args.reuse, args.plans, calls)
    if args.quick:
        args.full_matters, args.real_matters = 2_000, 40
    volumes: list[Volume] = []
    with ExitStack() as stack:
        make = kept_database if args.keep else postgres_database
        url = stack.enter_context(make(args.postgres_url))
        database = url.rsplit("/", 1)[1].split("?")[0]
        work = work_directory(stack)
        server = start_server(url, work, stack)
        conn = stack.enter_context(psycopg.connect(_libpq_url(url), autocommit=True))

        started = time.perf_counter()
        errors = asyncio.run(seed(server.base_url, args.real_matters))
        if errors:
            print(f"{len(errors)} matters failed while seeding; the first: {errors[0]}")
            return 1
        seeded = time.perf_counter() - started
        volumes.append(measure(conn, server.base_url, "real", seeded, calls))

        months_back(url, MAX_SHIFT_DAYS)
        multiplier = Multiplier(conn)
        full, ten = args.full_matters, args.full_matters // 10
        source = multiplier.source
        open_target = max(source.open, min(int(full * args.open_share), ten * 6 // 10))
        steps = [
            ("10%", ten - open_target - source.closed, open_target - source.open),
            ("full", full - ten, 0),
        ]
        for label, closed, open_ in steps:
            started = time.perf_counter()
            log(f"{label}: copying {closed:,} closed and {max(open_, 0):,} open matters")
            multiplier.add(closed, open_)
            built = time.perf_counter() - started
            if not args.no_rechain:
                rechained = multiplier.rechain_audit(url)
                log(f"{label}: {rechained:,} audit rows chained")
            build_s = time.perf_counter() - started
            log(f"{label}: built in {built:.0f} s, with the audit chain {build_s:.0f} s")
            since = -1
            if args.plans and label == "full":
                conn.execute(f'ALTER DATABASE "{database}" SET log_min_duration_statement = 0')
                server.stop()
                server = start_server(url, work, stack)
                since = log_size(conn)
            volumes.append(measure(conn, server.base_url, label, build_s, calls))
            if since >= 0:
                conn.execute(f'ALTER DATABASE "{database}" RESET log_min_duration_statement')
                slowest = logged_statements(conn, since, database)

        print()
        print(f"p50/p95 in ms of {calls} timed keep-alive calls per read\n")
        print(report(volumes), flush=True)
        if args.plans:
            print("\n## Plans of the slowest statements at full volume")
            print(plans(conn, slowest))
        if not args.no_rechain:
            print("\n" + archive_oldest(url))
            with httpx.Client(base_url=server.base_url, timeout=900) as client:
                auditor = headers("verifier", "320000-DCS", ["auditor"])
                started = time.perf_counter()
                answer = client.get("/api/v1/audit/verify", headers=auditor).json()
                print(
                    f"\nAudit chain at full volume: {answer} "
                    f"({time.perf_counter() - started:.0f} s to verify)"
                )
        conn.execute("DROP TABLE IF EXISTS vol_src")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
