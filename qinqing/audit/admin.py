"""Back office: the audit trail is read-only, and every admin edit writes an event."""

import json
import re
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import BaseFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from qinqing.exports import csv_response
from qinqing.masking import mask_personal_data, needs_personal_data

from .display import action_label, audit_rows, local_time_text
from .models import AuditEvent
from .services import record_change, record_event, snapshot


def _is_auditor(request: HttpRequest) -> bool:
    return getattr(request.user, "is_auditor", False)


def _masked_for(request: HttpRequest, response: Any) -> Any:
    """Auditors look at the back office read-only and need no one's ID, phone or bank
    account number: the page they get has them masked (administrators, who correct the
    records, see them as stored)."""
    if needs_personal_data(request.user) or not _is_auditor(request):
        return response
    if hasattr(response, "render"):
        response.render()
    if not getattr(response, "streaming", False) and response.get("Content-Type", "").startswith(
        "text/html"
    ):
        response.content = mask_personal_data(response.content.decode()).encode()
    return response


class AuditedModelAdmin(admin.ModelAdmin):
    """Base for every ModelAdmin: edits are audited; auditors may look but not touch.

    `audit_every_model_admin()` puts this under admins that apps register themselves
    (groups, tokens, lockouts), so nothing in the back office escapes the trail.
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_auditor(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _is_auditor(request) or super().has_view_permission(request, obj)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        return _masked_for(request, super().changelist_view(request, extra_context))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: Any = None) -> Any:  # fmt: skip
        return _masked_for(
            request, super().change_view(request, object_id, form_url, extra_context)
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None):
        return _masked_for(request, super().history_view(request, object_id, extra_context))

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            record_event(actor=request.user, action="admin.add", obj=obj, after=snapshot(obj))
            return
        stored = type(obj)._default_manager.get(pk=obj.pk)
        raw_before = snapshot(stored, masked=False)
        super().save_model(request, obj, form, change)
        record_change(actor=request.user, action="admin.change", obj=obj, raw_before=raw_before)

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseFormSet, change: bool
    ) -> None:
        """Inline rows (e.g. who may act for an enterprise) are audited like the parent."""
        originals = {
            inline_form.instance.pk: snapshot(
                type(inline_form.instance)._default_manager.get(pk=inline_form.instance.pk),
                masked=False,
            )
            for inline_form in formset.initial_forms
            if inline_form.instance.pk is not None and inline_form.has_changed()
        }
        deleted = [
            (inline_form.instance, snapshot(inline_form.instance))
            for inline_form in formset.initial_forms
            if inline_form in formset.deleted_forms and inline_form.instance.pk is not None
        ]
        super().save_formset(request, form, formset, change)
        for instance, before in deleted:
            record_event(actor=request.user, action="admin.delete", obj=instance, before=before)
        for instance in formset.new_objects:
            record_event(
                actor=request.user, action="admin.add", obj=instance, after=snapshot(instance)
            )
        for instance, _changed_fields in formset.changed_objects:
            if instance.pk in originals:
                record_change(
                    actor=request.user,
                    action="admin.change",
                    obj=instance,
                    raw_before=originals[instance.pk],
                )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        record_event(actor=request.user, action="admin.delete", obj=obj, before=snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            record_event(actor=request.user, action="admin.delete", obj=obj, before=snapshot(obj))
        super().delete_queryset(request, queryset)


class ReadOnlyMixin:
    """Records written only by the code (the trail, call logs): nobody edits them here."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, AuditedModelAdmin):
    pass


# An ISO time as DjangoJSONEncoder writes it into a snapshot: 2026-12-05T12:30:00.123Z.
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def _local_times(value: Any) -> Any:
    """A snapshot with its stored (UTC) times shown in the portal's time: an auditor
    reads 2026-12-05 20:30:00, as everywhere else, not 12:30Z."""
    if isinstance(value, dict):
        return {key: _local_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_local_times(item) for item in value]
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    return value


def snapshot_text(value: Any) -> str:
    """A before/after snapshot as readable JSON, times local."""
    if value is None:
        return "—"
    return json.dumps(_local_times(value), ensure_ascii=False, indent=2, sort_keys=True)


class ActionFilter(admin.SimpleListFilter):
    """Filter by what happened, each action named in words."""

    title = _("what happened")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditEvent.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    # Times in the portal's time (Asia/Shanghai); actions in words (qinqing.audit.display).
    list_display = ["local_time", "actor_label", "action_words", "object_type", "object_label"]
    list_filter = [ActionFilter, "object_type"]
    actions = ["download_csv"]
    search_fields = ["object_id", "object_label", "actor_label", "request_id"]
    date_hierarchy = "occurred_at"
    readonly_fields = [
        "local_time",
        "action_words",
        *(
            field.name
            for field in AuditEvent._meta.fields
            if field.name not in ("before", "after", "occurred_at")
        ),
        "before_local",
        "after_local",
    ]
    fields = readonly_fields
    show_full_result_count = False

    @admin.display(description=_("time"), ordering="occurred_at")
    def local_time(self, event: AuditEvent) -> str:
        return local_time_text(event.occurred_at)

    @admin.display(description=_("what happened"), ordering="action")
    def action_words(self, event: AuditEvent) -> str:
        return action_label(event.action)

    @admin.action(description=_("Download the selected events (CSV)"))
    def download_csv(self, request: HttpRequest, queryset: QuerySet) -> Any:
        return csv_response("audit-trail.csv", *audit_rows(queryset.order_by("occurred_at", "id")))

    @admin.display(description=_("before"))
    def before_local(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", snapshot_text(event.before))

    @admin.display(description=_("after"))
    def after_local(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", snapshot_text(event.after))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_auditor(request) or request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _is_auditor(request) or request.user.is_superuser


def audit_every_model_admin(site: admin.AdminSite = admin.site) -> None:
    """Re-register third-party admins (auth groups, API tokens, django-axes) with auditing."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedModelAdmin | AuditEventAdmin):
            continue
        audited = type(
            f"Audited{type(model_admin).__name__}", (AuditedModelAdmin, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, audited)
