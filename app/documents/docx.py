"""Word documents (.docx) rendered from the templates in `templates/` (docxtpl over python-docx).

Texts are escaped (autoescape) and stripped of characters XML cannot hold; long texts come in
as lists of paragraphs, tables as lists of rows — Word breaks the pages.
"""

import io
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from docxtpl import DocxTemplate, RichText  # type: ignore[import-untyped]
from fastapi import Response

TEMPLATES = Path(__file__).resolve().parent / "templates"
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Characters XML 1.0 cannot contain (a pasted text may carry them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DIGITS = "〇一二三四五六七八九"


def render(template_name: str, context: dict[str, Any]) -> bytes:
    """Render `templates/<template_name>.docx` with `context`; returns the document's bytes."""
    name = template_name if template_name.endswith(".docx") else f"{template_name}.docx"
    path = TEMPLATES / name
    if not path.is_file():
        raise ValueError(f"no document template '{name}'")
    template = DocxTemplate(str(path))
    template.render(_clean(context), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def paragraphs(text: str | None) -> list[str]:
    """A text's non-empty lines, one document paragraph each."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def coloured(text: str, colour: str, *, size: int = 32, bold: bool = True) -> RichText:
    """A run in a colour (hex RGB), e.g. a 督办单's grade; `size` in half-points."""
    return RichText(_clean(text), color=colour, size=size, bold=bold, font="黑体")


def chinese_date(day: date) -> str:
    """二〇二六年三月二日: the date as official documents write it."""
    year = "".join(_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{_number(day.month)}月{_number(day.day)}日"


def _number(n: int) -> str:
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    prefix = "" if tens == 1 else _DIGITS[tens]
    return f"{prefix}十{_DIGITS[ones] if ones else ''}"


def response(content: bytes, filename: str, fallback: str) -> Response:
    """A .docx download named `filename` (Chinese, per RFC 5987) and `fallback` (ASCII) for
    clients that do not read RFC 5987."""
    ascii_name = fallback.encode("ascii", "ignore").decode().replace('"', "") or "document.docx"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=MEDIA_TYPE, headers={"Content-Disposition": disposition})
