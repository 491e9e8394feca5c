"""A deployment's upload (deploy and its dry run): the diagram and its forms, read from the
multipart request with a size bound."""

import json
from typing import Any

from fastapi import UploadFile

from app.kit.errors import InvalidBpmn


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
