"""Routes: deploy and read process definitions."""

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.engine.api.decisions import read_decisions
from app.engine.api.deps import EngineDep
from app.engine.runtime import deployment
from app.engine.schemas import DefinitionOut, DeploymentOut
from app.identity import audit
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.errors import InvalidBpmn
from app.kit.shared import ERRORS, Page

router = APIRouter(prefix="/api/v1/process-definitions", tags=["definitions"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("definitions.read"))]


async def read_upload(
    file: UploadFile, forms: list[UploadFile] | None, limit: int
) -> tuple[bytes, dict[str, Any], str]:
    """The uploaded diagram (up to `limit` + 1 bytes), its forms parsed as JSON, its file name."""
    xml = await file.read(limit + 1)
    form_schemas = {}
    for form in forms or []:
        raw = await form.read(limit + 1)
        try:
            form_schemas[form.filename or ""] = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InvalidBpmn(
                f"form '{form.filename}' is not JSON",
                errors=[{"field": form.filename, "message": str(exc)}],
            ) from exc
    return xml, form_schemas, file.filename or "upload.bpmn"


@router.post(
    "",
    response_model=DeploymentOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": DeploymentOut, "description": "identical content: existing version"}},
)
async def deploy_definition(
    request: Request,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("definitions.deploy"))],
    file: Annotated[UploadFile, File(description="one .bpmn file")],
    forms: Annotated[list[UploadFile] | None, File(description="JSON Schema form files")] = None,
    decisions: Annotated[
        list[UploadFile] | None, File(description="DMN decision table files (.dmn)")
    ] = None,
) -> Response:
    """Deploy a BPMN file: 201 with a new version, 200 with the existing one when identical.
    DMN files given as `decisions` are deployed first, each a new version when changed."""
    limit = request.app.state.settings.max_bpmn_bytes
    xml, form_schemas, file_name = await read_upload(file, forms, limit)
    decision_files = await read_decisions(decisions, limit)

    def work(s: Session) -> DeploymentOut:
        result = deployment.deploy(
            engine,
            s,
            xml=xml,
            file_name=file_name,
            forms=form_schemas,
            actor=principal.sub,
            max_bytes=limit,
            decision_files=decision_files,
        )
        if result.created:
            audit.record(
                s,
                principal,
                "definition.deploy",
                object_type="process_definition",
                object_id=str(result.id),
                data={
                    "key": result.key,
                    "version": result.version,
                    "file_name": file_name,
                    "content_hash": result.content_hash,
                },
            )
        return result

    result = await run_in_threadpool(engine.db.transaction, work)
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return JSONResponse(result.model_dump(mode="json"), status_code=code)


@router.get("", response_model=Page[DefinitionOut])
def list_definitions(
    engine: EngineDep,
    _reader: Reader,
    key: Text | None = None,
    latest: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DefinitionOut]:
    """Deployed definitions; `latest=true` keeps only each process's newest version."""
    with engine.db.session() as s:
        items, total = deployment.list_definitions(
            s, key=key, latest=latest, limit=limit, offset=offset
        )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/{definition_id}", response_model=DefinitionOut)
def get_definition(definition_id: uuid.UUID, engine: EngineDep, _reader: Reader) -> DefinitionOut:
    with engine.db.session() as s:
        return DefinitionOut.model_validate(deployment.get_definition(s, definition_id))


@router.get(
    "/{definition_id}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def get_definition_xml(definition_id: uuid.UUID, engine: EngineDep, _reader: Reader) -> Response:
    """The BPMN XML exactly as deployed."""
    with engine.db.session() as s:
        xml = deployment.get_definition(s, definition_id).bpmn_xml
    return Response(xml, media_type="application/xml")


@router.get("/{definition_id}/forms", response_model=dict[str, Any])
def get_definition_forms(
    definition_id: uuid.UUID, engine: EngineDep, _reader: Reader
) -> dict[str, Any]:
    """The forms (JSON Schemas by file name) deployed with this version, so that an edited
    diagram can be deployed again with them."""
    with engine.db.session() as s:
        return dict(deployment.get_definition(s, definition_id).forms or {})
