"""The dashboards' figures as JSON (`/api/v1/stats/…`), the same filters and scope as the
pages: an integrating system reads exactly what an official sees."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .figures import Section
from .forms import FilterForm
from .refresh import fresh_refresh, latest_refresh
from .scope import scope_of
from .selectors import pages
from .selectors.board import Board

FILTER_PARAMETERS = [
    OpenApiParameter("period", str, description="Empty: all time; YYYY: a year; YYYY-MM: a month"),
    OpenApiParameter("district", str, description="District code"),
    OpenApiParameter("department", str, description="Department code"),
    OpenApiParameter("policy", str, description="Policy code"),
    OpenApiParameter(
        "industry",
        str,
        description='Industry section letter (GB/T 4754); "-": enterprises not yet registered',
    ),
]


class _StatsView(APIView):
    scope_resource = "stats"
    permission_classes = [IsAuthenticated]

    def board(self, request: Request) -> tuple[Board, FilterForm]:
        scope = scope_of(request.user)
        if scope is None:
            raise exceptions.PermissionDenied(_("Dashboards are for officials and auditors."))
        self.refresh = fresh_refresh()
        today = timezone.localdate()
        form = FilterForm(request.query_params, scope=scope, today=today)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        return Board(form.filters(), scope, today), form

    @staticmethod
    def envelope(form: FilterForm, **payload: Any) -> dict[str, Any]:
        refresh = latest_refresh()
        filters = {
            name: (getattr(value, "code", value) or "") for name, value in form.cleaned_data.items()
        }
        return {
            "refreshed_at": refresh.finished_at.isoformat() if refresh else None,
            "filters": filters,
            **payload,
        }

    @staticmethod
    def sections_json(sections: list[Section]) -> list[dict[str, Any]]:
        return [
            {
                "key": section.key,
                "title": section.title,
                "figures": [figure.as_json() for figure in section.figures],
            }
            for section in sections
        ]


class StatsOverviewView(_StatsView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        """The overview's figures: each section's headline numbers and main charts."""
        board, form = self.board(request)
        sections = pages.remembered(board, self.refresh, "overview", lambda: pages.overview(board))
        return Response(self.envelope(form, sections=self.sections_json(sections)))


class StatsSectionView(_StatsView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, section: str) -> Response:
        """Every figure of one section: funds, approvals, credit, requests or data."""
        if section not in pages.SECTIONS:
            raise exceptions.NotFound(_("No such section."))
        board, form = self.board(request)
        sections = pages.remembered(
            board, self.refresh, section, lambda: [pages.section(board, section)]
        )
        return Response(self.envelope(form, sections=self.sections_json(sections)))


class StatsFigureView(_StatsView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, key: str) -> Response:
        """One figure by its key (the keys are listed by each section)."""
        if key not in pages.FIGURES:
            raise exceptions.NotFound(_("No such figure."))
        board, form = self.board(request)
        return Response(self.envelope(form, figure=pages.figure(board, key).as_json()))
