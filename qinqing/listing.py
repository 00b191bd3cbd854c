"""The list pages' common steps: filter (never widening the caller's scope) and paginate."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django_filters import FilterSet


def filtered(
    filterset_class: type[FilterSet], request: HttpRequest, queryset: QuerySet
) -> tuple[FilterSet, QuerySet]:
    """The filterset for the form, and its rows. Invalid filters show nothing rather than
    everything; `queryset` is already scoped to the caller."""
    filterset = filterset_class(request.GET or None, queryset=queryset)
    if not filterset.is_bound:
        return filterset, queryset
    return filterset, filterset.qs if filterset.is_valid() else queryset.none()


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int) -> tuple[Page, str]:
    """The requested page, and the query string without `page` for the page links."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
