from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qinqing.audit.admin import AuditedModelAdmin
from qinqing.forms import GuardedModelForm

from .forms import EXPECTED_STATUS
from .models import Policy, PolicyTestCase, PolicyVersion, VersionStatus


class VersionInline(admin.TabularInline):
    model = PolicyVersion
    fields = ["number", "status", "valid_from", "valid_until", "budget", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# Who a policy is for and how it pays decide payments: once a version has left the draft,
# they change only with the policy's replacement, not by editing it here.
LOCKED_ONCE_PUBLISHED = ["department", "delivery_mode", "target_districts",
                         "target_industry_sections", "benefit_type"]  # fmt: skip


@admin.register(Policy)
class PolicyAdmin(AuditedModelAdmin):
    list_display = ["code", "title_zh", "department", "benefit_type", "delivery_mode"]
    list_filter = ["department", "benefit_type", "delivery_mode"]
    search_fields = ["code", "title_zh", "title_en"]
    filter_horizontal = ["target_districts"]
    inlines = [VersionInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.versions.exclude(status=VersionStatus.DRAFT).exists():
            return LOCKED_ONCE_PUBLISHED
        return []

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.versions.exists():
            return False
        return super().has_delete_permission(request, obj)


class TestCaseAdminForm(GuardedModelForm):
    """A generated boundary case checks one criterion and leaves the overall result empty:
    the expected result is a choice that may be left empty (the model's text field would
    refuse every generated row with "This field is required")."""

    expected_status = forms.ChoiceField(label=_("expected result"), choices=EXPECTED_STATUS,
                                        required=False)  # fmt: skip

    class Meta:
        model = PolicyTestCase
        fields = ["name", "facts", "expected_status", "expected_criteria", "expected_amount",
                  "generated"]  # fmt: skip


class TestCaseInline(admin.TabularInline):
    model = PolicyTestCase
    form = TestCaseAdminForm
    extra = 0


@admin.register(PolicyVersion)
class PolicyVersionAdmin(AuditedModelAdmin):
    """Drafts are edited here or through the API; publication goes through the services
    (four eyes), so the status is never edited by hand."""

    list_display = ["__str__", "status", "valid_from", "valid_until", "budget", "published_at"]
    list_filter = ["status", "policy__department"]
    readonly_fields = ["status", "submitted_by", "submitted_at", "approved_by", "published_at",
                       "drafted_by"]  # fmt: skip
    inlines = [TestCaseInline]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)
