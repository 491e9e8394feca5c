"""What an uploaded file really is, by its first bytes (never by the name or declared type)."""

import io
import zipfile
from urllib.parse import quote

from app.kit.errors import InvalidData

# kind → (content type, file name extensions)
ALLOWED: dict[str, tuple[str, tuple[str, ...]]] = {
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
    "pdf": ("application/pdf", (".pdf",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "txt": ("text/plain; charset=utf-8", (".txt",)),
    "csv": ("text/csv; charset=utf-8", (".csv",)),
}


def sniff(data: bytes, filename: str) -> str | None:
    """The allowed kind the bytes are, or None. Text has no magic: it must decode and hold no
    control bytes; the name then tells txt from csv."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    if _is_text(data):
        return "csv" if filename.lower().endswith(".csv") else "txt"
    return None


def _office_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _is_text(data: bytes) -> bool:
    if any(b < 0x20 and b not in (0x09, 0x0A, 0x0D) for b in data[:65536]):
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def extension_matches(kind: str, filename: str) -> bool:
    """True when the file's name claims what its bytes are."""
    return filename.lower().endswith(ALLOWED[kind][1])


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the UTF-8 name encoded by RFC 5987/6266."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def upload_name(name: str | None) -> str:
    """The uploaded file's own name, without the client's folders, at most 255 characters;
    422 when it has none."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base:
        raise InvalidData("the file has no name", errors=[{"field": "file", "message": "no name"}])
    return base[-255:]
