"""Back office: subscriptions (the secret shown once, when created) and deliveries (read
only, with their attempts; redelivery is the one action)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from qinqing.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from qinqing.errors import ServiceError
from qinqing.events.registry import event_type_choices
from qinqing.forms import GuardedModelForm

from . import dispatching, signing, subscribing
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class SubscriptionForm(GuardedModelForm):
    url = forms.CharField(label=_("URL"), max_length=500)
    event_types = forms.MultipleChoiceField(
        label=_("event types"), choices=event_type_choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["owner", "name", "url", "event_types", "active"]

    def clean_url(self) -> str:
        try:
            return subscribing.check_url(self.cleaned_data.get("url"))
        except subscribing.WebhookRefused as error:
            raise forms.ValidationError(error.fields.get("url") or [str(error)]) from error


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AuditedModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "owner", "url", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url", "owner__username"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["secret_hint", "created_at"]

    @admin.display(description=_("signing secret"))
    def secret_hint(self, subscription: WebhookSubscription) -> str:
        return signing.secret_hint(subscription)

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        secret = "" if change else signing.new_secret()
        if secret:
            signing.set_secret(obj, secret)  # stored sealed; shown in the message only
        super().save_model(request, obj, form, change)
        if secret:
            messages.warning(request, _("The signing secret, shown this once: %(secret)s")
                             % {"secret": secret})  # fmt: skip


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "manual", "started_at", "status_code", "error", "response_ms",
              "succeeded"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "subscription", "event", "status", "attempts", "last_status_code",
                    "next_attempt_at", "created_at"]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["subscription__name", "event__subject"]
    list_select_related = ["subscription", "event"]
    inlines = [AttemptInline]
    actions = ["redeliver"]
    show_full_result_count = False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_superuser or (user.is_staff and not getattr(user, "is_auditor", False))

    @admin.action(description=_("Redeliver now"), permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for delivery_id in queryset.values_list("pk", flat=True):
            try:
                dispatching.redeliver(delivery_id, actor=request.user)
                done += 1
            except ServiceError as error:
                messages.error(request, str(error))
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", done)
            % {"n": done},
        )
