"""The list pages' common steps: filter (never widening the caller's scope) and paginate,
and say so on the page when a filter could not be applied, instead of silently showing
nothing (a malformed value) or everything (a parameter the page does not know)."""

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import django_filters
from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import FilterSet

from qinqing.i18n import join_list
from qinqing.identifiers import find_uscc_problem, normalise_uscc

T = TypeVar("T")
# Query parameters every list page reads besides its filters.
PAGE_PARAMETERS = frozenset({"page", "export"})


class UsccField(forms.CharField):
    """A Unified Social Credit Code typed into a filter: spaces and case forgiven, and a
    malformed code says what is wrong with it (not "0 records")."""

    def clean(self, value: str | None) -> str:
        value = normalise_uscc(super().clean(value) or "")
        if value:
            problem = find_uscc_problem(value)
            if problem is not None:
                raise forms.ValidationError(problem.message, code=f"uscc_{problem.code}")
        return value


class UsccFilter(django_filters.CharFilter):
    field_class = UsccField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("lookup_expr", "exact")
        kwargs.setdefault("label", gettext_lazy("USCC"))
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)


def filter_problems(filterset: FilterSet, params: Iterable[str],
                    extra: Iterable[str] = ()) -> list[str]:  # fmt: skip
    """What the page must say about its filters: each one that could not be applied, and
    each query parameter that is no filter here (it would otherwise be silently ignored)."""
    problems = []
    form = filterset.form
    for name in form.errors:
        if name in form.fields:  # the field shows its own error; this says what it means
            problems.append(
                _("Nothing is listed until the filter “%(filter)s” is corrected.")
                % {"filter": form.fields[name].label or name}
            )
    known = set(filterset.filters) | PAGE_PARAMETERS | set(extra)
    labels = join_list(str(form.fields[name].label or name) for name in filterset.filters
                       if name in form.fields)  # fmt: skip
    for name in params:
        if name not in known:
            problems.append(
                _(
                    "“%(name)s” is not a filter on this page and was ignored. Filter by: "
                    "%(filters)s."
                )
                % {"name": name[:40], "filters": labels}
            )
    return problems


def filtered(
    filterset_class: type[FilterSet], request: HttpRequest, queryset: QuerySet,
    extra: Iterable[str] = (),
) -> tuple[FilterSet, QuerySet]:  # fmt: skip
    """The filterset for the form, and its rows. Invalid filters show nothing rather than
    everything; `queryset` is already scoped to the caller. What went wrong is on the
    filterset as `problems`, and in the form's non-field errors so the filter form shows
    it (`extra`: the page's own parameters that are no filters)."""
    filterset = filterset_class(request.GET or None, queryset=queryset)
    filterset.problems = []
    if not filterset.is_bound:
        return filterset, queryset
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    filterset.problems = filter_problems(filterset, request.GET.keys(), extra)
    filterset.form.problems = filterset.problems  # for includes/filter_fields.html
    return filterset, rows


def chosen(request: HttpRequest, options: Sequence[T], *, param: str,
           key: Callable[[T], str], name: Callable[[T], str] = str,
           normalise: Callable[[str], str] = normalise_uscc) -> T | None:  # fmt: skip
    """The option the query names (`?uscc=…` among the user's own enterprises), the first
    when it names none. An unknown value is not silently replaced: the page says which
    one it shows instead. None when there are no options."""
    if not options:
        return None
    wanted = normalise(request.GET.get(param, ""))
    if not wanted:
        return options[0]
    for option in options:
        if key(option) == wanted:
            return option
    messages.warning(
        request,
        _("None of your enterprises has the code “%(code)s”; showing %(name)s instead.")
        % {"code": wanted[:40], "name": name(options[0])},
    )
    return options[0]


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int) -> tuple[Page, str]:
    """The requested page, and the query string without `page` for the page links."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
