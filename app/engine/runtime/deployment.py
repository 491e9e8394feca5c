"""Deployment: untrusted BPMN in, versioned definitions out; `processes/` at start-up."""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import Conflict
from app.engine.parser import parsing
from app.engine.persist import state
from app.engine.persist.models import ProcessDefinition
from app.engine.runtime import caches, decisions, names
from app.engine.runtime.engine import Engine
from app.engine.runtime.steps import StepRegistry
from app.engine.schemas import DecisionDeploymentOut, DefinitionOut, DeploymentOut, DeployWarning
from app.kit.clock import clock
from app.kit.errors import InvalidBpmn, NotFound


def deploy(
    engine: Engine,
    session: Session,
    *,
    xml: bytes,
    file_name: str,
    forms: dict[str, Any],
    actor: str | None,
    max_bytes: int,
    decision_files: Sequence[tuple[str, bytes]] = (),
    late_binding: bool = True,
) -> DeploymentOut:
    """Deploy every executable process of a file: a new version, or the identical existing one.

    The DMN files given with it (file name, bytes) are deployed first, in the same transaction.
    A called process not deployed yet is bound when an instance starts, with a warning (422
    instead when `late_binding` is off).
    """
    deployed_decisions = decisions.deploy_files(
        session, decision_files, actor=actor, max_bytes=max_bytes
    )
    checked = check(
        session,
        engine,
        xml=xml,
        file_name=file_name,
        forms=forms,
        max_bytes=max_bytes,
        late_binding=late_binding,
    )
    results = [
        _store_version(
            session,
            bundle,
            xml=checked.xml,
            file_name=file_name,
            forms=checked.forms,
            digest=checked.digest,
            dependencies={k: str(d.id) for k, d in checked.dependencies.items()},
            actor=actor,
        )
        for bundle in checked.bundles
    ]
    first, created = results[0]
    out = DeploymentOut(
        **names.definition_out(session, first).model_dump(),
        created=created,
        others=[names.definition_out(session, d) for d, _ in results[1:]],
        warnings=checked.warnings,
        decisions=deployed_decisions,
    )
    return out


@dataclass(frozen=True)
class Checked:
    """A file that passed every deploy-time check: its processes, ready to be stored."""

    forms: dict[str, Any]
    digest: str
    dependencies: dict[str, ProcessDefinition]
    bundles: list[parsing.Bundle]
    # Vendor attributes read and ignored, calls to processes not deployed yet (deploy answers
    # them).
    warnings: list[DeployWarning]
    xml: bytes  # the file as UTF-8, as it is stored


def check(
    session: Session,
    engine: Engine,
    *,
    xml: bytes,
    file_name: str,
    forms: dict[str, Any],
    max_bytes: int,
    late_binding: bool = True,
) -> Checked:
    """Every check deploy makes, storing nothing: 422 (InvalidBpmn) naming the elements.

    A called process that is deployed is pinned at its latest version; one that is not is
    bound later (a warning names each call to it), or refused unless `late_binding`.
    """
    info = parsing.read_document(xml, file_name=file_name, max_bytes=max_bytes)
    forms = {name: forms[name] for name in sorted(info.form_names & set(forms))}
    parsing.check_forms(forms, info.form_users)
    digest = parsing.content_hash(info.xml, forms)
    dependencies = _resolve_called(session, info, late_binding=late_binding)
    called = caches.pinned_closure(session, [d.id for d in dependencies.values()])
    documents = [(info.root, file_name)]
    documents += [(parsing.parse_stored(d.bpmn_xml), d.file_name) for d in called]
    bundle_forms = parsing.merge_forms(forms, [(d.key, d.forms) for d in called])
    bundles = []
    missing: set[str] = set()
    for key, _name in info.executable:
        bundle = parsing.build_bundle(key, documents, bundle_forms)
        _check_markers(engine.steps, bundle)
        _check_candidate_groups(engine.roles, bundle)
        decisions.check_deployed(session, bundle.decisions)
        _check_instantiable(bundle)
        bundles.append(bundle)
        missing.update(bundle.missing)
    warnings = [DeployWarning(**w) for w in info.warnings]
    warnings += _late_calls(documents, missing)
    return Checked(forms, digest, dependencies, bundles, warnings, info.xml)


def _late_calls(documents: list[tuple[Any, str]], missing: set[str]) -> list[DeployWarning]:
    """A warning for each call activity (of the file, or of a process it calls) whose called
    process is not deployed yet."""
    warnings = []
    for index, (root, _file_name) in enumerate(documents):
        for element in root.iter(f"{{{parsing.BPMN_NS}}}callActivity"):
            called = element.get("calledElement")
            if called not in missing:
                continue
            message = (
                f"called process '{called}' is not deployed yet: an instance that reaches this"
                " call fails with an incident until it is"
            )
            if index:  # a call inside an already deployed process this file calls
                process = element.getparent()
                while process is not None and process.tag != f"{{{parsing.BPMN_NS}}}process":
                    process = process.getparent()
                owner = process.get("id") if process is not None else None
                message += f" (in called process '{owner}')"
            warnings.append(
                DeployWarning(
                    element_id=element.get("id"), attribute="calledElement", message=message
                )
            )
    return warnings


def _check_markers(steps: StepRegistry, bundle: parsing.Bundle) -> None:
    """A domain marker (`matterStep="…"` etc.) that no step handler knows would be skipped."""
    unknown = steps.unknown(bundle.properties)
    if unknown:
        raise InvalidBpmn("the diagram marks steps that no handler knows", errors=unknown)


def _check_candidate_groups(roles: frozenset[str] | None, bundle: parsing.Bundle) -> None:
    """A candidate group that is no role of the service would give a task nobody may claim.

    A task's candidate groups are its `candidateGroups` (or a modeler's equivalent), else the
    name of its lane; `roles` is what the app installs (None: not checked).
    """
    if roles is None:
        return
    errors = []
    for (_process, element_id), meta in sorted(bundle.meta.items()):
        explicit = "candidateGroups" in meta.extra
        for group in meta.candidate_groups:
            if group in roles:
                continue
            what = f"candidate group '{group}'" if explicit else f"lane '{group}'"
            message = f"{what} is not a role of this service, so nobody could claim the task"
            if not explicit:
                message += " (a task's lane is its candidate group when it has no candidateGroups)"
            errors.append({"element_id": element_id, "message": message, "candidate_group": group})
    if errors:
        known = ", ".join(sorted(roles))
        raise InvalidBpmn(
            f"the diagram names roles that do not exist (roles: {known})", errors=errors
        )


def _check_instantiable(bundle: parsing.Bundle) -> None:
    """Build (and drop) one workflow now, so that no start can fail on the diagram's shape."""
    try:
        state.new_workflow(bundle.spec, bundle.subprocess_specs)
    except Exception as exc:  # e.g. RecursionError on shapes the checks above do not know
        message = f"the process cannot be started: {type(exc).__name__}: {exc}"[:500]
        raise InvalidBpmn(
            "the diagram cannot be deployed", errors=[{"element_id": None, "message": message}]
        ) from exc


def _resolve_called(
    session: Session, info: parsing.DocumentInfo, *, late_binding: bool
) -> dict[str, ProcessDefinition]:
    """The latest version of each process the file calls that is deployed (pinned); a missing
    one is left to late binding, or refused (422) without it."""
    resolved, missing = {}, []
    for key in sorted(info.called):
        found = latest_version(session, key)
        if found is None:
            missing.append(key)
        else:
            resolved[key] = found
    if missing and not late_binding:
        errors = []
        for element in info.root.iter(f"{{{parsing.BPMN_NS}}}callActivity"):
            called = element.get("calledElement")
            if called in missing:
                message = f"called process '{called}' is not deployed"
                errors.append({"element_id": element.get("id"), "message": message})
        raise InvalidBpmn("the diagram calls processes that are not deployed", errors=errors)
    return resolved


def _store_version(
    session: Session,
    bundle: parsing.Bundle,
    *,
    xml: bytes,
    file_name: str,
    forms: dict[str, Any],
    digest: str,
    dependencies: dict[str, str],
    actor: str | None,
) -> tuple[ProcessDefinition, bool]:
    latest = latest_version(session, bundle.key)
    if latest is not None and latest.content_hash == digest:
        return latest, False
    definition = ProcessDefinition(
        id=uuid.uuid4(),
        key=bundle.key,
        version=(latest.version + 1) if latest else 1,
        name=bundle.name,
        file_name=file_name,
        content_hash=digest,
        bpmn_xml=xml.decode("utf-8"),
        forms=forms,
        dependencies=dependencies,
        message_starts=bundle.message_starts,
        deployed_at=clock.now(),
        deployed_by=actor,
    )
    session.add(definition)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent deploy took this version number
        raise Conflict(str(exc)) from exc
    return definition, True


def latest_version(session: Session, key: str) -> ProcessDefinition | None:
    """The highest deployed version of process `key`, if any."""
    return caches.latest_definition(session, key)


def list_definitions(
    session: Session, *, key: str | None, latest: bool, limit: int, offset: int
) -> tuple[list[DefinitionOut], int]:
    """Definitions, newest first; `latest` keeps only each key's highest version."""
    query = select(ProcessDefinition)
    if key:
        query = query.where(ProcessDefinition.key == key)
    if latest:
        newest = (
            select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
            .group_by(ProcessDefinition.key)
            .subquery()
        )
        query = query.join(
            newest,
            (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v),
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return [names.definition_out(session, r) for r in rows], total


def get_definition(session: Session, definition_id: uuid.UUID) -> ProcessDefinition:
    """One definition, or 404."""
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"process definition {definition_id} not found")
    return definition


def deploy_directory(engine: Engine, directory: Path, *, max_bytes: int) -> list[DeploymentOut]:
    """Deploy every `.dmn` of a directory, then every `.bpmn` (forms from `forms/`), callees
    before callers."""
    deploy_decision_files(engine, sorted(directory.glob("*.dmn")), max_bytes=max_bytes)
    forms = {p.name: _read_json(p) for p in sorted((directory / "forms").glob("*.json"))}
    deployed, failures = deploy_in_rounds(
        engine, sorted(directory.glob("*.bpmn")), forms, max_bytes
    )
    if failures:
        path, error = next(iter(failures.items()))
        raise InvalidBpmn(f"{path.name}: {error.detail}", errors=error.errors)
    return [result for _, result in deployed]


def deploy_in_rounds(
    engine: Engine, paths: Sequence[Path], forms: dict[str, Any], max_bytes: int
) -> tuple[list[tuple[Path, DeploymentOut]], dict[Path, InvalidBpmn]]:
    """Deploy files callees first: in rounds until a round deploys none (a caller waits for its
    callee's round, and is pinned to it); then one file whose callee is not among them, bound
    late with a warning, and rounds again. What deployed, and each refused file's refusal."""
    deployed: list[tuple[Path, DeploymentOut]] = []
    pending = list(paths)
    while pending:
        failures: dict[Path, InvalidBpmn] = {}
        for path in pending:
            try:
                deployed.append((path, deploy_file(engine, path, forms, max_bytes, late=False)))
            except InvalidBpmn as exc:
                failures[path] = exc
        if len(failures) == len(pending):  # none deployed: each waits for a callee, or is wrong
            late = _deploy_one_late(engine, failures, forms, max_bytes)
            if late is None:
                return deployed, failures
            deployed.append(late)
            del failures[late[0]]
        pending = list(failures)
    return deployed, {}


def _deploy_one_late(
    engine: Engine, failures: dict[Path, InvalidBpmn], forms: dict[str, Any], max_bytes: int
) -> tuple[Path, DeploymentOut] | None:
    """The first waiting file that deploys with its missing callees bound late; the refusals of
    the others are updated to what deploy says without waiting (None: none deploys)."""
    for path in list(failures):
        try:
            return path, deploy_file(engine, path, forms, max_bytes)
        except InvalidBpmn as exc:
            failures[path] = exc
    return None


def deploy_file(
    engine: Engine, path: Path, forms: dict[str, Any], max_bytes: int, *, late: bool = True
) -> DeploymentOut:
    """Deploy one file (its forms among `forms`) in a transaction of its own, by `system`;
    `late`: a called process not deployed yet is bound late (else refused)."""

    def work(session: Session) -> DeploymentOut:
        return deploy(
            engine,
            session,
            xml=path.read_bytes(),
            file_name=path.name,
            forms=forms,
            actor="system",
            max_bytes=max_bytes,
            late_binding=late,
        )

    return engine.db.transaction(work)


def deploy_decision_files(
    engine: Engine, paths: Sequence[Path], *, max_bytes: int
) -> list[DecisionDeploymentOut]:
    """Deploy DMN files (a new version of each decision whose file changed), by `system`."""
    files = [(path.name, path.read_bytes()) for path in paths]

    def work(session: Session) -> list[DecisionDeploymentOut]:
        return decisions.deploy_files(session, files, actor="system", max_bytes=max_bytes)

    return engine.db.transaction(work) if files else []


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
