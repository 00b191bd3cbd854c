"""The data-access log's words for the policy calculator's reads (datahub.purposes)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from datahub.purposes import PURPOSES, PurposeRef

from .selectors import CALCULATOR_PURPOSE


@PURPOSES.register(CALCULATOR_PURPOSE)
def describe_calculator(refs: list[PurposeRef]) -> dict[str, str]:
    return {ref.raw: _("the policy calculator: which open policies fit your enterprise")
            for ref in refs}  # fmt: skip
