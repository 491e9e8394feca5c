"""Route: a dry run of deploy — every check a deployment makes, nothing stored."""

from typing import Annotated

from fastapi import Depends, File, Request, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.deps import SessionDep
from app.engine.api.deps import EngineDep
from app.engine.api.uploads import read_upload
from app.engine.runtime import deployment
from app.engine.schemas import DeployWarning
from app.identity.policy import permission
from app.identity.principal import Principal
from app.kit.routing import Router
from app.kit.shared import ERRORS

router = Router(prefix="/api/v1/process-definitions", tags=["definitions"], responses=ERRORS)


class ValidationOut(BaseModel):
    valid: bool
    process_keys: list[str]
    warnings: list[DeployWarning] = []


@router.post("/validate", response_model=ValidationOut)
async def validate_definition(
    request: Request,
    engine: EngineDep,
    s: SessionDep,
    _principal: Annotated[Principal, Depends(permission("definitions.deploy"))],
    file: Annotated[UploadFile, File(description="one .bpmn file")],
    forms: Annotated[list[UploadFile] | None, File(description="JSON Schema form files")] = None,
) -> ValidationOut:
    """Check a BPMN file as deploy would (200, or deploy's 422 naming the elements); stores
    nothing, so the modeler can show the errors on the diagram before deploying."""
    limit = request.app.state.settings.max_bpmn_bytes
    xml, form_schemas, file_name = await read_upload(file, forms, limit)
    checked = await run_in_threadpool(
        deployment.check,
        s,
        engine,
        xml=xml,
        file_name=file_name,
        forms=form_schemas,
        max_bytes=limit,
    )
    keys = [b.key for b in checked.bundles]
    return ValidationOut(valid=True, process_keys=keys, warnings=checked.warnings)
