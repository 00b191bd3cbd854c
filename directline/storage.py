"""The direct line's attachments, kept privately (qinqing.private_files): under
var/private/directline, or settings.DIRECTLINE_ATTACHMENT_ROOT."""

from __future__ import annotations

from contextlib import AbstractContextManager

from qinqing.private_files import PrivateStorage
from qinqing.private_files import removed_unless_committed as _removed

private_storage = PrivateStorage("directline", "DIRECTLINE_ATTACHMENT_ROOT")


def removed_unless_committed() -> AbstractContextManager[list[str]]:
    return _removed(private_storage)
