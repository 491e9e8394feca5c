"""Display names per language of deployed definitions (一种语言), read once per BPMN content.

A deployed version never changes, so its names are kept by content hash: a page of definitions
reads the XML only of contents not seen yet, in one query.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.parser.names import Names, display_names, split_bilingual
from app.engine.persist.models import ProcessDefinition, ProcessInstance
from app.engine.schemas import DefinitionOut, TaskOut

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


_BY_DEFINITION: dict[uuid.UUID, dict[str, Names]] = {}


def definition_element_names(
    session: Session, definition_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Names]]:
    """`element_names`, kept by definition id (a deployed definition and the ones it calls never
    change): once a definition has been named, naming its elements again reads nothing."""
    ids = set(definition_ids)
    missing = ids - set(_BY_DEFINITION)
    if missing:
        _BY_DEFINITION.update(element_names(session, missing))
    return {d: _BY_DEFINITION.get(d, {}) for d in ids}


def name_tasks(
    session: Session,
    tasks: Sequence[TaskOut],
    definitions: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> None:
    """Give each task its element's name per language (`TaskOut.names`).

    `definitions` maps instance id to definition id when the caller knows it; otherwise one
    query reads it for all the tasks. The names themselves are a dict lookup per (definition,
    element) once the definition has been named (`definition_element_names`)."""
    if not tasks:
        return
    if definitions is None:
        instance_ids = {t.instance_id for t in tasks}
        rows = session.execute(
            select(ProcessInstance.id, ProcessInstance.definition_id).where(
                ProcessInstance.id.in_(instance_ids)
            )
        )
        definitions = {instance_id: definition_id for instance_id, definition_id in rows}
    by_definition = definition_element_names(
        session, {d for d in definitions.values() if d is not None}
    )
    for task in tasks:
        definition_id = definitions.get(task.instance_id)
        found = by_definition.get(definition_id, {}) if definition_id else {}
        task.names = dict(
            found.get(task.element_id) or split_bilingual(task.name or task.element_id)
        )


def task_outs(
    session: Session,
    records: Iterable[Any],
    definitions: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> list[TaskOut]:
    """Task rows as their answer, each named per language (`name_tasks`; `definitions` as
    there)."""
    tasks = [TaskOut.model_validate(r) for r in records]
    name_tasks(session, tasks, definitions)
    return tasks
