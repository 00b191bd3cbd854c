"""Attachments are stored privately: outside any served folder (by default
var/private/<folder>, or the setting the app names), without a public URL, and handed out
only by a scoped view. Written once for every app that keeps files (the direct line's
requests, fact disputes)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class PrivateStorage(FileSystemStorage):
    def __init__(self, folder: str = "directline", setting: str = "DIRECTLINE_ATTACHMENT_ROOT"):
        self.folder = folder
        self.setting = setting
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:  # read on every use, so tests can point it elsewhere
        default = settings.BASE_DIR / "var" / "private" / self.folder
        return str(getattr(settings, self.setting, default))

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("private attachments have no public URL")

    def deconstruct(self):  # migrations name the app's callable, never the storage
        return ("qinqing.private_files.PrivateStorage", (self.folder, self.setting), {})


@contextmanager
def removed_unless_committed(storage: PrivateStorage) -> Iterator[list[str]]:
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
                storage.delete(name)
            except OSError:
                logger.exception("could not remove the attachment %s after a rollback", name)
        raise


class StoredAttachment(models.Model):
    """What every app keeps of an attached file (checked by qinqing.attachments, stored
    privately here): each app adds its case's foreign key and its `file` field (with its
    own folder and storage)."""

    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        abstract = True
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """Where a reader downloads it (each app's own view checks who may)."""
        raise NotImplementedError
