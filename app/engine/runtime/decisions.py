"""Decision tables (DMN 决策表): deploy versions, list them, hand the latest to business rule tasks.

A decision binds late, as in Camunda: a business rule task evaluates the latest version deployed
when it runs, so an office that edits a table and deploys it again changes the next decisions
without redeploying the diagrams that use it.
"""

import hashlib
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import Conflict
from app.engine.parser import dmn
from app.engine.persist.models import DecisionDefinition
from app.engine.schemas import DecisionDeploymentOut, DecisionDetailOut, DecisionOut
from app.engine.script.decisions import DecisionTable
from app.kit.clock import clock
from app.kit.errors import InvalidBpmn, NotFound

# Stored tables were checked at deploy against the settings' size limit; re-reading them is not.
_STORED_MAX_BYTES = 1 << 40


class DecisionCache:
    """Parsed tables per decision version: parsed once, shared read-only."""

    def __init__(self) -> None:
        self._items: dict[uuid.UUID, DecisionTable] = {}
        self._lock = threading.Lock()

    def table(self, session: Session, row: DecisionDefinition) -> DecisionTable:
        """The parsed table of one stored version."""
        cached = self._items.get(row.id)
        if cached is not None:
            return cached
        xml = session.scalar(
            select(DecisionDefinition.dmn_xml).where(DecisionDefinition.id == row.id)
        )
        _, tables = dmn.read_decisions(
            (xml or "").encode(), file_name=row.file_name, max_bytes=_STORED_MAX_BYTES
        )
        table = next(t for t in tables if t.key == row.key)
        with self._lock:
            self._items[row.id] = table
        return table


def deploy_files(
    session: Session, files: Sequence[tuple[str, bytes]], *, actor: str | None, max_bytes: int
) -> list[DecisionDeploymentOut]:
    """Deploy every decision of these DMN files: a new version when a file's bytes changed."""
    deployed = []
    for file_name, xml in files:
        text, tables = dmn.read_decisions(xml, file_name=file_name, max_bytes=max_bytes)
        digest = hashlib.sha256(xml).hexdigest()
        for table in tables:
            row, created = _store_version(
                session, table, text=text, file_name=file_name, digest=digest, actor=actor
            )
            deployed.append(
                DecisionDeploymentOut(
                    **DecisionOut.model_validate(row).model_dump(), created=created
                )
            )
    return deployed


def _store_version(
    session: Session,
    table: DecisionTable,
    *,
    text: str,
    file_name: str,
    digest: str,
    actor: str | None,
) -> tuple[DecisionDefinition, bool]:
    latest = latest_version(session, table.key)
    if latest is not None and latest.content_hash == digest:
        return latest, False
    row = DecisionDefinition(
        id=uuid.uuid4(),
        key=table.key,
        version=(latest.version + 1) if latest else 1,
        name=table.name,
        hit_policy=table.hit_policy,
        file_name=file_name,
        content_hash=digest,
        dmn_xml=text,
        deployed_at=clock.now(),
        deployed_by=actor,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent deploy took this version number
        raise Conflict(str(exc)) from exc
    return row, True


def latest_version(session: Session, key: str) -> DecisionDefinition | None:
    """The newest version of a decision, or None."""
    return session.scalars(
        select(DecisionDefinition)
        .where(DecisionDefinition.key == key)
        .order_by(DecisionDefinition.version.desc())
        .limit(1)
    ).first()


def check_deployed(session: Session, refs: Mapping[str, list[str]]) -> None:
    """Every decision a diagram's business rule tasks name is deployed (else 422 naming them)."""
    known = set(_latest_rows(session, refs))
    errors = [
        {"element_id": element_id, "message": f"decision '{key}' is not deployed"}
        for key in sorted(set(refs) - known)
        for element_id in refs[key]
    ]
    if errors:
        raise InvalidBpmn("the diagram names decisions that are not deployed", errors=errors)


def latest_tables(
    cache: DecisionCache, session: Session, keys: Iterable[str]
) -> dict[str, DecisionTable]:
    """The latest deployed table of each of these decisions (missing ones left out)."""
    return {key: cache.table(session, row) for key, row in _latest_rows(session, keys).items()}


def evaluate(cache: DecisionCache, session: Session, key: str, data: Mapping[str, Any]) -> Any:
    """The latest deployed version of decision `key` evaluated against `data` (404 if none)."""
    row = latest_version(session, key)
    if row is None:
        raise NotFound(f"decision '{key}' is not deployed")
    return cache.table(session, row).evaluate(data)


def _latest_rows(session: Session, keys: Iterable[str]) -> dict[str, DecisionDefinition]:
    keys = sorted(set(keys))
    if not keys:
        return {}
    newest = (
        select(DecisionDefinition.key, func.max(DecisionDefinition.version).label("v"))
        .where(DecisionDefinition.key.in_(keys))
        .group_by(DecisionDefinition.key)
        .subquery()
    )
    rows = session.scalars(
        select(DecisionDefinition).join(
            newest,
            (DecisionDefinition.key == newest.c.key) & (DecisionDefinition.version == newest.c.v),
        )
    )
    return {row.key: row for row in rows}


def list_latest(session: Session, *, limit: int, offset: int) -> tuple[list[DecisionOut], int]:
    """Each decision's latest version, by key."""
    newest = (
        select(DecisionDefinition.key, func.max(DecisionDefinition.version).label("v"))
        .group_by(DecisionDefinition.key)
        .subquery()
    )
    query = select(DecisionDefinition).join(
        newest,
        (DecisionDefinition.key == newest.c.key) & (DecisionDefinition.version == newest.c.v),
    )
    total = session.scalar(select(func.count()).select_from(newest)) or 0
    rows = session.scalars(query.order_by(DecisionDefinition.key).limit(limit).offset(offset))
    return [DecisionOut.model_validate(r) for r in rows], total


def detail(session: Session, key: str) -> DecisionDetailOut:
    """A decision's latest version with all its versions, newest first (404 if none)."""
    rows = list(
        session.scalars(
            select(DecisionDefinition)
            .where(DecisionDefinition.key == key)
            .order_by(DecisionDefinition.version.desc())
        )
    )
    if not rows:
        raise NotFound(f"decision '{key}' is not deployed")
    versions = [DecisionOut.model_validate(r) for r in rows]
    return DecisionDetailOut(**versions[0].model_dump(), versions=versions)


def xml_of(session: Session, key: str, version: int | None) -> str:
    """The DMN file of a decision's version (latest when None) as deployed (404 if none)."""
    query = select(DecisionDefinition.dmn_xml).where(DecisionDefinition.key == key)
    if version is not None:
        query = query.where(DecisionDefinition.version == version)
    xml = session.scalar(query.order_by(DecisionDefinition.version.desc()).limit(1))
    if xml is None:
        raise NotFound(f"decision '{key}' version {version or 'latest'} is not deployed")
    return xml
