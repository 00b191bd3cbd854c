"""Checking an attached file before anything is stored: its type by extension and by its
first bytes (a renamed executable is refused), its size, and how many a request has."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .services.refusals import RequestRefused

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


class AttachmentRefused(RequestRefused):
    """A file refused before anything is stored (400): its name and why."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    content: ContentFile


def check(upload: Any) -> CheckedFile:
    """An uploaded file (Django UploadedFile or any object with name, size and read())."""
    name = PurePath(str(getattr(upload, "name", "") or "")).name[-NAME_MAX:]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise AttachmentRefused(
            _("%(name)s: only PDF, PNG, JPEG, Word (.docx) and Excel (.xlsx) files are accepted.")
            % {"name": name or "?"}
        )
    size = int(getattr(upload, "size", 0) or 0)
    if size > MAX_BYTES:
        raise AttachmentRefused(
            _("%(name)s is too large: at most %(max)d MB.")
            % {"name": name, "max": MAX_BYTES // (1024 * 1024)}
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise AttachmentRefused(_("%(name)s is empty.") % {"name": name})
    if len(data) > MAX_BYTES:
        raise AttachmentRefused(
            _("%(name)s is too large: at most %(max)d MB.")
            % {"name": name, "max": MAX_BYTES // (1024 * 1024)}
        )
    content_type, signatures = ALLOWED[extension]
    if not data.startswith(signatures):
        raise AttachmentRefused(
            _("%(name)s is not really a .%(extension)s file.")
            % {"name": name, "extension": extension}
        )
    stored = ContentFile(data, name=f"{secrets.token_hex(16)}.{extension}")
    return CheckedFile(name=name, content_type=content_type, size=len(data), content=stored)
