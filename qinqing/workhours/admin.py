from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.audit.admin import AuditedModelAdmin

from .clock import missing_calendar_years
from .models import CalendarDay


def missing_calendar_warning() -> str:
    """The back office's warning while this year's calendar, or from 1 November next
    year's, is missing; empty otherwise."""
    years = missing_calendar_years()
    if not years:
        return ""
    return gettext(
        "The holiday calendar for %(years)s is missing: deadlines there count only weekends "
        "as days off. Enter its holidays and make-up working days here; open deadlines are "
        "computed again when you save."
    ) % {"years": get_text_list([str(year) for year in years], gettext("and"))}


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        years = (
            CalendarDay.objects.annotate(year=ExtractYear("date"))
            .values_list("year", flat=True)
            .distinct()
            .order_by("-year")
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isascii() and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    """Holidays and make-up working days for years chinesecalendar does not cover yet, and
    corrections: a row wins over the package and over the weekend rule."""

    list_display = ["date", "weekday", "kind", "name", "note", "updated_at"]
    list_filter = [YearFilter, "kind"]
    search_fields = ["name", "note"]
    ordering = ["date"]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "l")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        warning = missing_calendar_warning()
        if warning:
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)
