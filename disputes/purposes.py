"""The data-access log's words for the reads a fact dispute makes (datahub.purposes)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from datahub.purposes import PURPOSES, PurposeRef

from .services import HELD_PURPOSE


@PURPOSES.register(HELD_PURPOSE)
def describe_held_value(refs: list[PurposeRef]) -> dict[str, str]:
    return {ref.raw: _("your fact dispute: the value the department holds, shown to the "
                       "official who decides it") for ref in refs}  # fmt: skip
