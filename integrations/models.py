"""Subscriptions, deliveries and every attempt at one."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.scoping import Reach
from qinqing.transitions import Transitions


class WebhookSubscription(models.Model):
    """A partner's endpoint and the events it wants. The owner is the partner's API account:
    what it receives is exactly what that account may see."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions",
        verbose_name=_("owner"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list)
    # An HMAC needs the key itself, so it is kept encrypted (integrations.sealing, with
    # WEBHOOK_SECRET_KEY), opened only to sign. Shown once, in the answer that created it.
    sealed_secret = models.TextField(_("signing secret (encrypted)"), editable=False)
    # Its last four characters: which secret is in use, never the secret.
    secret_tail = models.CharField(_("signing secret ends with"), max_length=4, editable=False,
                                   blank=True)  # fmt: skip
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The trail shows that the secret changed, never the secret (qinqing.audit).
    audit_masked_fields = {"sealed_secret": 0, "secret_tail": 0}
    # Everyone manages their own subscriptions only, auditors included (another's is a 404).
    reach = Reach(own=("owner",), officials=False, auditors=False)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed, will be retried")
    GIVEN_UP = "given_up", _("Given up")


class WebhookDelivery(models.Model):
    """One event for one subscription: tried until the partner answers 2xx or the attempts
    run out. One row per pair (a constraint), so a dispatcher run twice sends nothing twice."""

    reach = Reach(own=("subscription__owner",), officials=False, auditors=False)
    # An attempt's outcome books succeeded, failed (retried) or given up; a redelivery by
    # hand starts a fresh series from any state.
    transitions = Transitions(
        {
            DeliveryStatus.PENDING: {
                DeliveryStatus.PENDING,
                DeliveryStatus.SUCCEEDED,
                DeliveryStatus.FAILED,
                DeliveryStatus.GIVEN_UP,
            },
            DeliveryStatus.FAILED: {
                DeliveryStatus.PENDING,
                DeliveryStatus.SUCCEEDED,
                DeliveryStatus.FAILED,
                DeliveryStatus.GIVEN_UP,
            },
            DeliveryStatus.SUCCEEDED: {DeliveryStatus.PENDING},
            DeliveryStatus.GIVEN_UP: {DeliveryStatus.PENDING},
        },
        action="webhooks.delivery",
        audit_fields=("attempts", "last_status_code"),
    )

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries",
        verbose_name=_("subscription"),
    )  # fmt: skip
    event = models.ForeignKey(
        "events.OutboxEvent", on_delete=models.PROTECT, related_name="webhook_deliveries",
        verbose_name=_("event"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True,
                                           default=timezone.now)  # fmt: skip
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True,
                                                        blank=True)  # fmt: skip
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    # Set by a redelivery by hand, cleared by the attempt it asked for (marked manual).
    redelivery_requested = models.BooleanField(_("redelivery requested"), default=False)
    # Raised by every attempt taken and every redelivery, never reset: an attempt books its
    # outcome only while the lease it took is still the latest one.
    lease = models.PositiveIntegerField(_("lease"), default=0)
    # When a task for it was last queued; cleared by the attempt that task takes. The retry
    # sweep skips a delivery still waiting in the queue (dispatching.QUEUED_LEASE).
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="one_delivery_per_event")
        ]
        indexes = [
            # The retry sweep's question: what is due now.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "failed"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id}"


class WebhookAttempt(models.Model):
    """One POST and what came back: the evidence when a partner says it never got it."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows",
        verbose_name=_("delivery"),
    )  # fmt: skip
    number = models.PositiveSmallIntegerField(_("attempt"))
    manual = models.BooleanField(_("redelivered by hand"), default=False)
    started_at = models.DateTimeField(_("started"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"))
    succeeded = models.BooleanField(_("succeeded"))

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
