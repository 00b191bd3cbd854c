"""One ordering rule for every list of the API (settings: DEFAULT_FILTER_BACKENDS).

`?ordering=a,-b` over the view's explicit `ordering_fields`; an unknown field is a 400 that
names the allowed ones, never silently ignored; without it, the view's `ordering`. The
primary key breaks ties, so that paging through a list ordered by a field many rows share
neither repeats nor skips a row.
"""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request


def ordering_names(view: Any) -> list[str]:
    """The values `?ordering=` accepts on this view (each also with a leading -)."""
    fields = getattr(view, "ordering_fields", None) or []
    return [field if isinstance(field, str) else field[0] for field in fields]


def _term_name(term: Any) -> str:
    """The field's name ("-" first when descending) of a string or an OrderBy expression
    such as F("deadline").asc(nulls_last=True)."""
    if isinstance(term, str):
        return term
    name = getattr(getattr(term, "expression", None), "name", str(term))
    return f"-{name}" if getattr(term, "descending", False) else name


class StrictOrderingFilter(OrderingFilter):
    ordering_description = "Order by these fields, comma-separated; - for descending."

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[Any]:
        raw = request.query_params.get(self.ordering_param)
        terms = [term.strip() for term in (raw or "").split(",") if term.strip()]
        if not terms:
            return list(self.get_default_ordering(view) or [])
        allowed = ordering_names(view)
        unknown = [term for term in terms if term.removeprefix("-") not in allowed]
        if unknown:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        _("Cannot order by %(fields)s. Order by: %(allowed)s (- first for "
                          "descending).")
                        % {"fields": ", ".join(unknown), "allowed": ", ".join(allowed) or "-"}
                    ]
                }
            )  # fmt: skip
        if not any(term.removeprefix("-") in ("pk", "id") for term in terms):
            terms.append("-pk" if terms[-1].startswith("-") else "pk")
        return terms

    def get_template_context(self, request: Request, queryset: QuerySet, view: Any) -> dict:
        """The browsable API's ordering menu, also on the page of a 400 for a bad field."""
        try:
            return super().get_template_context(request, queryset, view)
        except exceptions.ValidationError:
            default = list(self.get_default_ordering(view) or [])
            self.get_ordering = lambda *args: default  # this instance only
            return super().get_template_context(request, queryset, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        allowed = ordering_names(view)
        default = [_term_name(term) for term in (self.get_default_ordering(view) or [])]
        description = (
            f"{self.ordering_description} One of: {', '.join(allowed)}. "
            f"Default: {', '.join(default) or 'unordered'}. Another field is a 400."
        )
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "string"},
            }
        ]


class CreatedBetweenFilterSet(django_filters.FilterSet):
    """`?since=` and `?until=` (dates, both inclusive) on when a row was created: one
    spelling for every list that filters by it."""

    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")


# Filters whose empty value is not "no filter" but a value of the wrong kind (docs/api.md:
# "a date that is not YYYY-MM-DD … is a 400 naming the parameter"): `?until=` was a 200.
_TYPED_FILTERS = (
    django_filters.DateFilter,
    django_filters.DateTimeFilter,
    django_filters.IsoDateTimeFilter,
    django_filters.NumberFilter,
)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, with an empty date or number filter refused (400 naming
    it) instead of silently ignored."""

    def get_filterset(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        empty = {
            name: [_("Enter a value: a date as YYYY-MM-DD.")
                   if isinstance(spec, (django_filters.DateFilter, django_filters.DateTimeFilter))
                   else _("Enter a number.")]
            for name, spec in filterset.filters.items()
            if isinstance(spec, _TYPED_FILTERS)
            and name in request.query_params
            and not request.query_params.get(name, "").strip()
        }  # fmt: skip
        if empty:
            raise exceptions.ValidationError(empty)
        return filterset
