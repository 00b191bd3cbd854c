"""Content negotiation whose chosen parser is always a guarded one (qinqing.api.parsers).

A view may declare DRF's own parsers (ObtainAuthToken does, an upload action names
MultiPartParser); the negotiation swaps each for the guarded parser of the same media type,
so the input guard cannot be skipped by a view. Nothing here imports rest_framework.views at
import time: DRF loads this class while loading that module."""

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class GuardedNegotiation(DefaultContentNegotiation):
    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        # Imported here: DRF loads this class while loading rest_framework.views, which
        # the parsers' module needs through qinqing.api.exceptions.
        from .parsers import GUARDED

        parser = super().select_parser(request, parsers)
        if parser is None or isinstance(parser, tuple(GUARDED.values())):
            return parser
        for plain, guarded in GUARDED.items():
            if isinstance(parser, plain):
                return guarded()
        return None  # a parser the guard does not know: refused (415), not trusted
