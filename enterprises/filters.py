import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from departments.models import District

from .industries import section_choices
from .models import Enterprise, SizeClass


def _sections() -> list[tuple[str, str]]:
    return section_choices(get_language() or "zh-hans")


class EnterpriseFilter(django_filters.FilterSet):
    """Shared by the API and the list page, so both filter the same way."""

    q = django_filters.CharFilter(label=_("Name or code"), method="filter_text")
    district = django_filters.ModelChoiceFilter(
        queryset=District.objects.all(),
        to_field_name="code",
        label=_("District"),
        empty_label=_("All districts"),
    )
    industry_section = django_filters.ChoiceFilter(
        choices=_sections, label=_("Industry"), empty_label=_("All industries")
    )
    size_class = django_filters.ChoiceFilter(
        choices=SizeClass.choices, label=_("Size"), empty_label=_("All sizes")
    )

    class Meta:
        model = Enterprise
        fields = ["q", "district", "industry_section", "size_class"]

    def filter_text(
        self, queryset: QuerySet[Enterprise], name: str, value: str
    ) -> QuerySet[Enterprise]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(uscc=value.replace(" ", "").upper()))
