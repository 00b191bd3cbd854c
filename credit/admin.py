"""Back office: the scoring model, list rules and notices are data edited here (audited);
a model version or notice that has been used is evidence and is read-only. Records,
grades, list entries and commitments change only through the services, so here they are
read-only."""

from django.contrib import admin
from django.http import HttpRequest

from qinqing.audit.admin import AuditedModelAdmin, ReadOnlyAdmin

from .models import (
    Commitment,
    CommitmentNotice,
    CreditGrade,
    CreditRecord,
    GradeChange,
    InspectorRelation,
    ListEntry,
    ListRule,
    ScoringModel,
)


@admin.register(ScoringModel)
class ScoringModelAdmin(AuditedModelAdmin):
    list_display = ["version", "title", "base_score", "in_force_from", "created_at"]

    def _used(self, obj: ScoringModel | None) -> bool:
        return obj is not None and (
            CreditGrade.objects.filter(model=obj).exists()
            or GradeChange.objects.filter(model=obj).exists()
        )

    def get_readonly_fields(self, request: HttpRequest, obj: ScoringModel | None = None):
        if self._used(obj):
            return ["version", "title", "notes", "base_score", "weights", "thresholds",
                    "in_force_from"]  # fmt: skip
        return []

    def has_delete_permission(self, request: HttpRequest, obj: ScoringModel | None = None):
        return not self._used(obj) and super().has_delete_permission(request, obj)


@admin.register(ListRule)
class ListRuleAdmin(AuditedModelAdmin):
    list_display = ["code", "list_kind", "name_zh", "duration_months", "active"]
    list_filter = ["list_kind", "active"]

    def has_delete_permission(self, request: HttpRequest, obj: ListRule | None = None):
        # A rule that listed someone is their entry's basis: deactivate it instead.
        if obj is not None and obj.entries.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CommitmentNotice)
class CommitmentNoticeAdmin(AuditedModelAdmin):
    list_display = ["code", "version", "title", "in_force_from", "sha256"]
    list_filter = ["code"]
    readonly_fields = ["sha256"]

    def get_readonly_fields(self, request: HttpRequest, obj: CommitmentNotice | None = None):
        if obj is not None:  # the text is evidence: a change is a new version
            return ["code", "version", "title", "title_en", "text", "text_en", "consequences",
                    "consequences_en", "in_force_from", "sha256"]  # fmt: skip
        return ["sha256"]

    def has_delete_permission(self, request: HttpRequest, obj: CommitmentNotice | None = None):
        if obj is not None and obj.commitments.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "enterprise", "kind", "severity", "department", "status"]
    list_filter = ["kind", "severity", "status", "department"]
    search_fields = ["enterprise__uscc", "enterprise__name", "title", "reference"]
    show_full_result_count = False


@admin.register(CreditGrade)
class CreditGradeAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "grade", "score", "model", "grade_since", "computed_at"]
    list_filter = ["grade"]
    search_fields = ["enterprise__uscc", "enterprise__name"]
    show_full_result_count = False


@admin.register(GradeChange)
class GradeChangeAdmin(ReadOnlyAdmin):
    list_display = ["computed_at", "enterprise", "previous_grade", "grade", "score", "cause"]
    search_fields = ["enterprise__uscc"]
    show_full_result_count = False


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "list_kind", "status", "valid_from", "valid_until", "source"]
    list_filter = ["list_kind", "status"]
    search_fields = ["enterprise__uscc", "enterprise__name"]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "notice", "subject_kind", "subject_ref", "status",
                    "department", "verify_by"]  # fmt: skip
    list_filter = ["status", "subject_kind", "department"]
    search_fields = ["enterprise__uscc", "subject_ref"]


@admin.register(InspectorRelation)
class InspectorRelationAdmin(AuditedModelAdmin):
    """Relations officials declare with enterprises: never drawn to inspect them."""

    list_display = ["inspector", "enterprise", "relation", "created_at"]
    search_fields = ["inspector__username", "enterprise__uscc"]
    raw_id_fields = ["inspector", "enterprise"]
