"""Attachments are stored privately: outside any served folder (by default
var/private/directline, or settings.DIRECTLINE_ATTACHMENT_ROOT), without a public URL,
and handed out only by a scoped view."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:  # read on every use, so tests can point it elsewhere
        default = settings.BASE_DIR / "var" / "private" / "directline"
        return str(getattr(settings, "DIRECTLINE_ATTACHMENT_ROOT", default))

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("private attachments have no public URL")


private_storage = PrivateStorage()
