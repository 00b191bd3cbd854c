import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from departments.models import Department, District
from qinqing.listing import UsccFilter

from .commitments.models import Commitment, CommitmentStatus, SubjectKind
from .lists.models import EntryStatus, ListEntry, ListKind
from .records.models import CreditRecord, RecordKind, RecordStatus, Severity


class RecordFilter(django_filters.FilterSet):
    """Shared by the records page and /api/v1/credit/records/."""

    uscc = UsccFilter(field_name="enterprise__uscc")
    kind = django_filters.ChoiceFilter(choices=RecordKind.choices, label=_("Kind"),
                                       empty_label=_("All"))  # fmt: skip
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"),
                                           empty_label=_("All"))  # fmt: skip
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), to_field_name="code", label=_("Department"),
        empty_label=_("All departments"),
    )  # fmt: skip
    district = django_filters.ModelChoiceFilter(
        field_name="enterprise__district", queryset=District.objects.all(),
        to_field_name="code", label=_("District"), empty_label=_("All districts"),
    )  # fmt: skip
    status = django_filters.ChoiceFilter(choices=RecordStatus.choices, label=_("Status"),
                                         empty_label=_("All"))  # fmt: skip

    class Meta:
        model = CreditRecord
        fields = ["uscc", "kind", "severity", "department", "district", "status"]


class CommitmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CommitmentStatus.choices, label=_("Status"),
                                         empty_label=_("All"))  # fmt: skip
    subject_kind = django_filters.ChoiceFilter(
        choices=SubjectKind.choices,
        label=pgettext_lazy("commitment", "Subject"),
        empty_label=_("All"),
    )
    uscc = UsccFilter(field_name="enterprise__uscc")

    class Meta:
        model = Commitment
        fields = ["status", "subject_kind", "uscc"]


class EntryFilter(django_filters.FilterSet):
    list_kind = django_filters.ChoiceFilter(choices=ListKind.choices, label=_("List"),
                                            empty_label=_("Both lists"))  # fmt: skip
    status = django_filters.ChoiceFilter(choices=EntryStatus.choices, label=_("Status"),
                                         empty_label=_("All"))  # fmt: skip

    class Meta:
        model = ListEntry
        fields = ["list_kind", "status"]
