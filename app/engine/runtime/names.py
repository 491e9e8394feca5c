"""Display names per language of deployed definitions (一种语言), read once per BPMN content.

A deployed version never changes, so its names are kept by content hash: a page of definitions
reads the XML only of contents not seen yet, in one query.
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.parser.names import Names, display_names, split_bilingual
from app.engine.persist.models import ProcessDefinition
from app.engine.schemas import DefinitionOut

_BY_HASH: dict[str, dict[str, Names]] = {}


def names_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, dict[str, Names]]:
    """{content hash: {element or process id: names}} for the given contents."""
    wanted = set(hashes)
    missing = wanted - set(_BY_HASH)
    if missing:
        rows = session.execute(
            select(ProcessDefinition.content_hash, ProcessDefinition.bpmn_xml).where(
                ProcessDefinition.content_hash.in_(missing)
            )
        )
        for content_hash, xml in rows:
            _BY_HASH.setdefault(content_hash, display_names(xml))
    return {h: _BY_HASH.get(h, {}) for h in wanted}


def process_names(session: Session, definition: ProcessDefinition) -> Names:
    """The definition's process name per language."""
    names = names_by_hash(session, [definition.content_hash])[definition.content_hash]
    return names.get(definition.key) or split_bilingual(definition.name or definition.key)


def element_names(
    session: Session, definition_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Names]]:
    """{definition id: {element id: names}} for the given definitions, each with the elements
    of the processes it calls (their steps run and are recorded in the calling instance)."""
    ids = set(definition_ids)
    if not ids:
        return {}
    found = session.execute(
        select(
            ProcessDefinition.id, ProcessDefinition.content_hash, ProcessDefinition.dependencies
        ).where(ProcessDefinition.id.in_(ids))
    ).all()
    called = {d: [uuid.UUID(str(c)) for c in (deps or {}).values()] for d, _, deps in found}
    hashes = {definition_id: content_hash for definition_id, content_hash, _ in found}
    others = {c for cs in called.values() for c in cs} - set(hashes)
    if others:
        rows = session.execute(
            select(ProcessDefinition.id, ProcessDefinition.content_hash).where(
                ProcessDefinition.id.in_(others)
            )
        ).all()
        hashes.update({definition_id: content_hash for definition_id, content_hash in rows})
    by_hash = names_by_hash(session, hashes.values())
    out: dict[uuid.UUID, dict[str, Names]] = {}
    for definition_id in {d for d, _, _ in found}:
        merged: dict[str, Names] = {}
        for c in called[definition_id]:
            merged.update(by_hash.get(hashes.get(c, ""), {}))
        merged.update(by_hash.get(hashes[definition_id], {}))
        out[definition_id] = merged
    return out


def definition_out(session: Session, definition: ProcessDefinition) -> DefinitionOut:
    """The definition's answer, with its process name per language."""
    out = DefinitionOut.model_validate(definition)
    out.display_names = process_names(session, definition)
    return out
