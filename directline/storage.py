"""Attachments are stored privately: outside any served folder (by default
var/private/directline, or settings.DIRECTLINE_ATTACHMENT_ROOT), without a public URL,
and handed out only by a scoped view."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

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
logger = logging.getLogger(__name__)


@contextmanager
def removed_unless_committed() -> Iterator[list[str]]:
    """Wrap a service's transaction (outside its `atomic`): the names of the files written
    inside it are collected in the list yielded, and if the block fails — an error after
    the file was written, or the commit itself — those files are deleted, so that no file
    stays on disk without its row. The file is written before the commit, so that a file
    that cannot be written leaves no row either."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            try:
                private_storage.delete(name)
            except OSError:
                logger.exception("could not remove the attachment %s after a rollback", name)
        raise
