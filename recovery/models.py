"""Recovery orders: money paid that was not due (a breached commitment, a correction that
makes a paid claim ineligible, an official's decision), what came back of it by offset
against later payments or by repayment through the treasury, and the one table of each
order's transitions. Amounts are Decimal yuan; what came back never exceeds what is owed
(a database constraint, not a hope)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qinqing.money import MoneyField
from qinqing.scoping import Reach
from qinqing.transitions import Transitions

from .events import order_event, order_events


class Grounds(models.TextChoices):
    BREACH = "breach", _("A commitment made for the subsidy was breached")
    INELIGIBLE = "ineligible", _("Corrected data show the claim was not eligible")
    DECISION = "decision", _("An official's decision")


class OrderStatus(models.TextChoices):
    RAISED = "raised", pgettext_lazy("recovery order", "Outstanding")
    PAUSED = "paused", _("Paused: appeal under review")
    COLLECTING = "collecting", _("Repayment being collected")
    SETTLED = "settled", _("Settled")
    WAIVED = "waived", _("Waived")


R = OrderStatus
ORDER_TRANSITIONS: dict[str, set[str]] = {
    # Raised: offset against the next payments, repaid, appealed or waived.
    R.RAISED: {R.PAUSED, R.COLLECTING, R.SETTLED, R.WAIVED},
    # An appeal pauses it (no offset, no collection) until the appeal is answered.
    R.PAUSED: {R.RAISED, R.WAIVED},
    # A repayment in flight: settled when the treasury confirms it all, else back.
    R.COLLECTING: {R.RAISED, R.SETTLED},
    R.SETTLED: set(),
    R.WAIVED: set(),
}
OPEN_STATES = (R.RAISED, R.PAUSED, R.COLLECTING)


class RecoveryOrder(models.Model):
    transitions = Transitions(ORDER_TRANSITIONS, action="recovery_order",
                              audit_fields=("reason", "waive_reason"),
                              outbox=order_event, outbox_many=order_events)  # fmt: skip
    # The enterprise's members; officials of the paying policy's department (district).
    reach = Reach(enterprise="enterprise", department="claim__policy__department",
                  district="enterprise__district")  # fmt: skip

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="recovery_orders",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    # The undue payment: its budget gets the money back.
    claim = models.ForeignKey(
        "subsidies.Claim", on_delete=models.PROTECT, related_name="recovery_orders",
        verbose_name=_("claim"),
    )  # fmt: skip
    grounds = models.CharField(_("grounds"), max_length=12, choices=Grounds.choices)
    # The official's reason, or the system's (the breach's reason, the correction's).
    reason = models.TextField(_("reason"))
    commitment = models.ForeignKey(
        "credit.Commitment", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("commitment"),
    )  # fmt: skip
    amount = MoneyField(_("amount owed"))
    recovered = MoneyField(_("recovered"), default=Decimal("0.00"))
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices,
                              default=OrderStatus.RAISED)  # fmt: skip
    # The direct-line request appealing it (recovery sits above the direct line).
    appeal = models.ForeignKey(
        "directline.Request", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("appeal"),
    )  # fmt: skip
    waive_reason = models.TextField(_("reason for waiving"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("raised by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("raised"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery order")
        verbose_name_plural = _("recovery orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "status"], name="recovery_ent_status")]
        constraints = [
            models.CheckConstraint(name="recovery_amount_positive", condition=Q(amount__gt=0)),
            # Never more than is owed, never less than nothing.
            models.CheckConstraint(
                name="recovery_never_over",
                condition=Q(recovered__gte=0) & Q(recovered__lte=F("amount")),
            ),
            # One open order per undue payment: a breach told twice raises one.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status__in=["raised", "paused", "collecting"]),
                name="one_open_recovery_per_claim",
            ),
        ]

    def __str__(self) -> str:
        return _("Recovery order %(number)s") % {"number": self.pk}

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.recovered


class RecoveryOffset(models.Model):
    """Part of a later subsidy payment withheld against the order: the enterprise sees the
    subsidy and the part withheld. Booked with the payment's disbursement."""

    order = models.ForeignKey(RecoveryOrder, on_delete=models.PROTECT, related_name="offsets",
                              verbose_name=_("recovery order"))  # fmt: skip
    # The claim whose payment was reduced.
    claim = models.ForeignKey("subsidies.Claim", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("claim paid"))  # fmt: skip
    subsidy = MoneyField(_("subsidy"))
    amount = MoneyField(_("withheld"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("recovery offset")
        verbose_name_plural = _("recovery offsets")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "claim"], name="one_offset_per_payment"),
            models.CheckConstraint(name="offset_positive_within_subsidy",
                                   condition=Q(amount__gt=0) & Q(amount__lte=F("subsidy"))),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.order_id}/{self.claim_id}"

    @property
    def paid_out(self) -> Decimal:
        """What reached the enterprise's bank account of that subsidy."""
        return self.subsidy - self.amount


class CollectionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent; outcome not yet known")
    CONFIRMED = "confirmed", _("Collected")
    FAILED = "failed", _("Refused by the treasury")


C = CollectionStatus


class RecoveryCollection(models.Model):
    """One attempt to collect the outstanding amount through the treasury. Its key is the
    order's and the attempt's: a task retried, or an answer lost, never collects twice."""

    transitions = Transitions(
        {C.PENDING: {C.SENT, C.FAILED}, C.SENT: {C.SENT, C.PENDING, C.CONFIRMED, C.FAILED},
         C.CONFIRMED: set(), C.FAILED: set()},
        action="recovery_collection", audit_fields=("reference", "last_error"),
    )  # fmt: skip
    reach = Reach(enterprise="order__enterprise", department="order__claim__policy__department",
                  district="order__enterprise__district")  # fmt: skip

    order = models.ForeignKey(RecoveryOrder, on_delete=models.PROTECT, related_name="collections",
                              verbose_name=_("recovery order"))  # fmt: skip
    attempt = models.PositiveIntegerField(_("attempt"))
    key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    amount = MoneyField(_("amount"))
    account = models.CharField(_("bank account"), max_length=30)
    status = models.CharField(_("status"), max_length=12, choices=CollectionStatus.choices,
                              default=CollectionStatus.PENDING)  # fmt: skip
    reference = models.CharField(_("treasury reference"), max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("times sent"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("requested by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    audit_masked_fields = {"account": 0}

    class Meta:
        verbose_name = _("recovery collection")
        verbose_name_plural = _("recovery collections")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "attempt"], name="one_collection_attempt"),
            models.CheckConstraint(name="collection_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return self.key


def collection_key(order_id: int, attempt: int) -> str:
    return f"qinqing-recovery-{order_id}-{attempt}"


def offset_keys(order_id: int, claim_id: int) -> tuple[str, str]:
    """The two ledger transactions of an offset: the withheld part of the subsidy paid by
    its budget to the enterprise, and the enterprise repaying it to the order's budget."""
    base = f"qinqing-recovery-{order_id}-offset-{claim_id}"
    return f"{base}-subsidy", base
