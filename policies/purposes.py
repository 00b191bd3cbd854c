"""The data-access log's words for the policy calculator's reads (datahub.purposes)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from datahub.purposes import PURPOSES, PurposeRef

from .selectors import CALCULATOR_PURPOSE
from .watches import WATCH_PURPOSE


@PURPOSES.register(CALCULATOR_PURPOSE)
def describe_calculator(refs: list[PurposeRef]) -> dict[str, str]:
    return {ref.raw: _("the policy calculator: which open policies fit your enterprise")
            for ref in refs}  # fmt: skip


@PURPOSES.register(WATCH_PURPOSE)
def describe_watch(refs: list[PurposeRef]) -> dict[str, str]:
    return {ref.raw: _("“tell me when I qualify”: checking again whether your enterprise "
                       "now qualifies for a policy you asked about") for ref in refs}  # fmt: skip
