"""The red and black lists: the rules that fill them (as data) and the entries."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.i18n import prefers_chinese
from qinqing.scoping import Reach
from qinqing.transitions import Transitions

from .rules import RuleError, parse_condition


class ListKind(models.TextChoices):
    RED = "red", _("Red list (trustworthy)")
    BLACK = "black", _("Black list (untrustworthy)")


class ListRule(models.Model):
    """When an enterprise goes on a list, as data. `condition` is in the small language of
    credit/lists/rules.py, e.g. {"any": [{"records": {"severities": ["serious"],
    "within_months": 12}, "at_least": 1}, {"records": {"kinds": ["commitment_breached"],
    "within_months": 12}, "at_least": 2}]}."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    list_kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=250)
    legal_basis = models.TextField(_("legal basis"))
    condition = models.JSONField(_("condition"))
    duration_months = models.PositiveSmallIntegerField(_("listed for (months)"))
    ends_when_condition_fails = models.BooleanField(
        _("ends when the condition no longer holds"), default=False,
        help_text=_("Red lists usually: an enterprise that stops qualifying leaves the list. "
                    "Black-list entries usually run their term."),
    )  # fmt: skip
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("list rule")
        verbose_name_plural = _("list rules")
        ordering = ["list_kind", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if prefers_chinese() else self.name_en

    def clean(self) -> None:
        try:
            parse_condition(self.condition)
        except RuleError as error:
            raise ValidationError({"condition": str(error)}) from error


class EntryStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    EXPIRED = "expired", _("Expired")
    REMOVED = "removed", _("Removed")


class ListEntry(models.Model):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_list_entries",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    list_kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    rule = models.ForeignKey(ListRule, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="entries", verbose_name=_("rule"))  # fmt: skip
    legal_basis = models.TextField(_("legal basis"))
    source = models.CharField(_("source"), max_length=200)
    source_department = models.ForeignKey(
        "departments.Department", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("source department"),
    )  # fmt: skip
    reason = models.TextField(_("reason"))
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices,
                              default=EntryStatus.CURRENT)  # fmt: skip
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_reason = models.CharField(_("why it ended"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # Shared across departments like the records (credit/records/models.py).
    reach = Reach(enterprise="enterprise", district="enterprise__district")
    # A current entry ends once: its term over (expired) or taken off (removed: a rule that
    # no longer holds, a black listing, a repair).
    transitions = Transitions(
        {EntryStatus.CURRENT: {EntryStatus.EXPIRED, EntryStatus.REMOVED},
         EntryStatus.EXPIRED: set(), EntryStatus.REMOVED: set()},
        action="credit.list_entry",
        audit_fields=("ended_reason",),
    )  # fmt: skip

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["-valid_from", "-id"]
        constraints = [
            # Two racing rule runs, or a rule and an official: one current entry per list.
            models.UniqueConstraint(
                fields=["enterprise", "list_kind"],
                condition=Q(status="current"),
                name="one_current_entry_per_list",
            ),
            models.CheckConstraint(
                name="list_entry_window_not_empty",
                condition=Q(valid_until__gte=models.F("valid_from")),
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="credit_entry_expiry")]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()} {self.enterprise_id} {self.valid_from}"
