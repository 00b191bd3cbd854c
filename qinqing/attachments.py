"""Checking an attached file before anything is stored, written once for every app that takes
files (the direct line's requests, fact disputes): its type by extension and by its first
bytes (a renamed executable is refused), for Office files their package structure (any ZIP
renamed .docx is not a Word file), its size, and how many a case may have. Where they are
kept: qinqing.private_files."""

from __future__ import annotations

import io
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .errors import Refused

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_REQUEST = 5
NAME_MAX = 200
ZIP = b"PK\x03\x04"
# extension -> (content type, accepted leading bytes)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
}
CONTENT_TYPES = "[Content_Types].xml"
# extension -> (the main part an Office Open XML package of that kind has, the content type
# its [Content_Types].xml declares for it). A macro-enabled document (.docm renamed) declares
# another type and is refused.
OOXML_MAIN: dict[str, tuple[str, bytes]] = {
    "docx": (
        "word/document.xml",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
}
# At most this much of [Content_Types].xml is inflated (a real one is a few kilobytes).
CONTENT_TYPES_MAX = 256 * 1024


class AttachmentRefused(Refused):
    """A file refused before anything is stored (400): its name and why."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    content: ContentFile


def check(upload: Any, refused: type[Refused] = AttachmentRefused) -> CheckedFile:
    """An uploaded file (Django UploadedFile or any object with name, size and read());
    a refusal is raised as `refused` (the app's own name for it)."""
    name = PurePath(str(getattr(upload, "name", "") or "")).name[-NAME_MAX:]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise refused(
            _("%(name)s: only PDF, PNG, JPEG, Word (.docx) and Excel (.xlsx) files are accepted.")
            % {"name": name or "?"}
        )
    size = int(getattr(upload, "size", 0) or 0)
    if size > MAX_BYTES:
        raise refused(
            _("%(name)s is too large: at most %(max)d MB.")
            % {"name": name, "max": MAX_BYTES // (1024 * 1024)}
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise refused(_("%(name)s is empty.") % {"name": name})
    if len(data) > MAX_BYTES:
        raise refused(
            _("%(name)s is too large: at most %(max)d MB.")
            % {"name": name, "max": MAX_BYTES // (1024 * 1024)}
        )
    content_type, signatures = ALLOWED[extension]
    if not data.startswith(signatures):
        raise refused(
            _("%(name)s is not really a .%(extension)s file.")
            % {"name": name, "extension": extension}
        )
    if extension in OOXML_MAIN and not is_office_package(data, extension):
        raise refused(
            _("%(name)s is not really a .%(extension)s file.")
            % {"name": name, "extension": extension}
        )
    stored = ContentFile(data, name=f"{secrets.token_hex(16)}.{extension}")
    return CheckedFile(name=name, content_type=content_type, size=len(data), content=stored)


def is_office_package(data: bytes, extension: str) -> bool:
    """An Office Open XML package of that kind: a readable ZIP holding [Content_Types].xml
    that declares the kind's main part, and that part. Only the directory and (a bounded
    piece of) the content types are read: nothing else is inflated."""
    main_part, main_type = OOXML_MAIN[extension]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if CONTENT_TYPES not in names or main_part not in names:
                return False
            with package.open(CONTENT_TYPES) as declared:
                content_types = declared.read(CONTENT_TYPES_MAX)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an encrypted member
    ):
        return False
    return main_type in content_types
