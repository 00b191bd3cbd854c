"""Administrators register partner clients here: one form creates the OAuth application,
the service user and the binding; the client secret is shown once, on the next page."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from departments.models import Department, District
from enterprises.models import Enterprise
from qinqing.audit.admin import AuditedModelAdmin
from qinqing.forms import GuardedModelForm

from .models import PartnerClient
from .scopes import SCOPES
from .services import create_partner_client, update_partner_client

SCOPE_CHOICES = [(scope, f"{scope} — {text}") for scope, text in SCOPES.items()]


class PartnerClientAddForm(GuardedModelForm):
    department = forms.ModelChoiceField(
        Department.objects.all(), label=_("department"), required=False
    )
    district = forms.ModelChoiceField(
        District.objects.all(),
        label=_("district"),
        required=False,
        help_text=_("Optional: narrows a department binding to one district."),
    )
    enterprise_uscc = forms.CharField(
        label=_("enterprise (Unified Social Credit Code)"), max_length=18, required=False
    )
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, label=_("scopes")
    )

    class Meta:
        model = PartnerClient
        fields = ["name", "requests_per_minute"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        uscc = (data.get("enterprise_uscc") or "").strip().upper()
        data["enterprise"] = None
        if uscc:
            data["enterprise"] = Enterprise.objects.filter(uscc=uscc).first()
            if data["enterprise"] is None:
                self.add_error("enterprise_uscc", _("No enterprise has this code."))
        if bool(data.get("department")) == bool(uscc):
            raise ValidationError(
                _("Bind the client to a department or to an enterprise, not both.")
            )
        if data.get("district") and not data.get("department"):
            self.add_error("district", _("A district narrows a department binding only."))
        return data


class PartnerClientChangeForm(GuardedModelForm):
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, label=_("scopes")
    )

    class Meta:
        model = PartnerClient
        fields = ["scopes", "is_active", "requests_per_minute"]


@admin.register(PartnerClient)
class PartnerClientAdmin(AuditedModelAdmin):
    list_display = ["name", "client_id", "binding", "is_active", "rate_per_minute", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "application__client_id", "enterprise__uscc"]
    list_select_related = [
        "application", "enterprise", "service_user__department", "service_user__district",
    ]  # fmt: skip
    readonly_fields = ["name", "client_id", "binding", "service_user", "created_at", "created_by"]
    add_fieldsets = (
        (None, {"fields": ("name", "scopes", "requests_per_minute")}),
        (_("Binding"), {"fields": ("department", "district", "enterprise_uscc")}),
    )
    fieldsets = (
        (None, {"fields": ("name", "client_id", "binding", "service_user")}),
        (_("Access"), {"fields": ("scopes", "is_active", "requests_per_minute")}),
        (None, {"fields": ("created_at", "created_by")}),
    )

    @admin.display(description=_("client ID"))
    def client_id(self, obj: PartnerClient) -> str:
        return obj.application.client_id

    @admin.display(description=_("binding"))
    def binding(self, obj: PartnerClient) -> str:
        return obj.binding

    @admin.display(description=_("requests per minute"))
    def rate_per_minute(self, obj: PartnerClient) -> int:
        return obj.rate_per_minute

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: the audit trail keeps pointing at the client

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        kwargs["form"] = PartnerClientAddForm if obj is None else PartnerClientChangeForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: PartnerClient, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            update_partner_client(
                obj, actor=request.user, scopes=data["scopes"], is_active=data["is_active"],
                requests_per_minute=data["requests_per_minute"],
            )  # fmt: skip
            obj.refresh_from_db()
            return
        client, secret = create_partner_client(
            name=data["name"], scopes=data["scopes"], department=data.get("department"),
            district=data.get("district"), enterprise=data.get("enterprise"),
            requests_per_minute=data.get("requests_per_minute"), actor=request.user,
        )  # fmt: skip
        obj.pk = client.pk
        obj.application = client.application
        obj.service_user = client.service_user
        request._partner_client_secret = (client, secret)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue=None) -> HttpResponse:
        created = getattr(request, "_partner_client_secret", None)
        if created is None:
            return super().response_add(request, obj, post_url_continue)
        client, secret = created
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "client": client,
            "client_id": client.application.client_id,
            "client_secret": secret,
            "title": _("Partner client registered"),
        }
        response = TemplateResponse(request, "admin/partners/partnerclient/secret.html", context)
        # The secret must not be cached anywhere on the way.
        response["Cache-Control"] = "no-store, private"
        return response
