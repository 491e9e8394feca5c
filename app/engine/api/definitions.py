"""Routes: deploy and read process definitions."""

import uuid
from typing import Annotated, Any

from fastapi import Depends, File, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app.deps import SessionDep
from app.engine.api import use_cases
from app.engine.api.decisions import read_decisions
from app.engine.api.deps import EngineDep, run
from app.engine.api.uploads import read_upload
from app.engine.persist.models import ProcessDefinition
from app.engine.runtime import deployment, names
from app.engine.schemas import DefinitionOut, DeploymentOut
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import Limit, Offset, Text
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/process-definitions", tags=["definitions"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("definitions.read"))]


def deployed_definition(
    definition_id: uuid.UUID, s: SessionDep, _reader: Reader
) -> ProcessDefinition:
    """The definition of the path; 404 when no such version was deployed."""
    return deployment.get_definition(s, definition_id)


DeployedDefinition = Annotated[ProcessDefinition, Depends(deployed_definition)]


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
    result = await run_in_threadpool(
        run,
        engine,
        use_cases.deploy_definition,
        engine=engine,
        actor=principal,
        xml=xml,
        file_name=file_name,
        forms=form_schemas,
        decision_files=decision_files,
        max_bytes=limit,
    )
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return JSONResponse(result.model_dump(mode="json"), status_code=code)


@router.get("", response_model=Page[DefinitionOut])
def list_definitions(
    s: SessionDep,
    _reader: Reader,
    key: Text | None = None,
    latest: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DefinitionOut]:
    """Deployed definitions; `latest=true` keeps only each process's newest version."""
    items, total = deployment.list_definitions(
        s, key=key, latest=latest, limit=limit, offset=offset
    )
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/{definition_id}", response_model=DefinitionOut)
def get_definition(s: SessionDep, definition: DeployedDefinition) -> DefinitionOut:
    return names.definition_out(s, definition)


@router.get(
    "/{definition_id}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def get_definition_xml(definition: DeployedDefinition) -> Response:
    """The BPMN XML exactly as deployed."""
    return Response(definition.bpmn_xml, media_type="application/xml")


@router.get("/{definition_id}/forms", response_model=dict[str, Any])
def get_definition_forms(definition: DeployedDefinition) -> dict[str, Any]:
    """The forms (JSON Schemas by file name) deployed with this version, so that an edited
    diagram can be deployed again with them."""
    return dict(definition.forms or {})
