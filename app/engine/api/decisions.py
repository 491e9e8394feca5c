"""Routes: DMN decision tables (决策表) — deploy one alone, list them, read one with its versions.

Tables are also deployed with a diagram (`decisions` parts of `POST /process-definitions`) and
from `processes/*.dmn` at start-up.
"""

from typing import Annotated

from fastapi import Depends, File, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app.deps import SessionDep
from app.engine.api import use_cases
from app.engine.api.deps import EngineDep, run
from app.engine.runtime import decisions
from app.engine.schemas import DecisionDeploymentOut, DecisionDetailOut, DecisionOut
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.bounds import INT32_MAX, Limit, Offset, Text
from app.kit.routing import Router
from app.kit.shared import ERRORS, Page

router = Router(prefix="/api/v1/decisions", tags=["decisions"], responses=ERRORS)
Reader = Annotated[Principal, Depends(permission("definitions.read"))]


async def read_decisions(files: list[UploadFile] | None, limit: int) -> list[tuple[str, bytes]]:
    """Uploaded DMN files (each read up to `limit` + 1 bytes) with their file names."""
    return [(f.filename or "upload.dmn", await f.read(limit + 1)) for f in files or []]


@router.post(
    "",
    response_model=list[DecisionDeploymentOut],
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "the same file was deployed before: nothing new"}},
)
async def deploy_decisions(
    request: Request,
    engine: EngineDep,
    principal: Annotated[Principal, Depends(permission("definitions.deploy"))],
    file: Annotated[UploadFile, File(description="one .dmn file")],
) -> Response:
    """Deploy the decision tables of a DMN file: 201 when a new version of one was made, 200
    when the file was deployed before. Business rule tasks use the new version from now on."""
    limit = request.app.state.settings.max_bpmn_bytes
    files = await read_decisions([file], limit)
    deployed = await run_in_threadpool(
        run, engine, use_cases.deploy_decisions, actor=principal, files=files, max_bytes=limit
    )
    created = any(item.created for item in deployed)
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return JSONResponse([item.model_dump(mode="json") for item in deployed], status_code=code)


@router.get("", response_model=Page[DecisionOut])
def list_decisions(
    s: SessionDep, _reader: Reader, limit: Limit = 50, offset: Offset = 0
) -> Page[DecisionOut]:
    """Each deployed decision's latest version, by key."""
    items, total = decisions.list_latest(s, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/{key}", response_model=DecisionDetailOut)
def get_decision(key: Text, s: SessionDep, _reader: Reader) -> DecisionDetailOut:
    """A decision's latest version and all its versions, newest first."""
    return decisions.detail(s, key)


@router.get(
    "/{key}/xml", response_class=Response, responses={200: {"content": {"application/xml": {}}}}
)
def get_decision_xml(
    key: Text,
    s: SessionDep,
    _reader: Reader,
    version: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
) -> Response:
    """The DMN file of a version (the latest by default) as deployed, to edit and redeploy."""
    return Response(decisions.xml_of(s, key, version), media_type="application/xml")
