"""Fact disputes: an enterprise contests one fact the hub holds for it ("our insured staff
were 12 in October, not 6"), or a person one fact about themselves ("I own no home in the
city"); the department that owns the fact (datahub.catalogue) confirms it or corrects it,
on the shared working-hours clock (qinqing.workhours). A correction becomes the hub's answer
for that fact about the enterprise or the person (datahub.corrections).

A dispute's subject is exactly one of `enterprise` and `person` (a database constraint).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qinqing.events.services import Event
from qinqing.private_files import PrivateStorage, StoredAttachment
from qinqing.scoping import Reach
from qinqing.transitions import Transitions
from qinqing.workhours.cases import CasePause, ClockedCase
from qinqing.workhours.clock import TimeLimit

# The department's time to answer a dispute, in working hours (office hours on working
# days): five working days.
LIMIT_HOURS = 40

private_storage = PrivateStorage("disputes", "DISPUTES_ATTACHMENT_ROOT")


class DisputeStatus(models.TextChoices):
    RAISED = "raised", _("Awaiting the department")
    CONFIRMED = "confirmed", _("Confirmed by the department")
    CORRECTED = "corrected", _("Corrected by the department")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = DisputeStatus
TRANSITIONS: dict[str, set[str]] = {
    S.RAISED: {S.CONFIRMED, S.CORRECTED, S.WITHDRAWN},
    S.CONFIRMED: set(),
    S.CORRECTED: set(),
    S.WITHDRAWN: set(),
}


class Origin(models.TextChoices):
    CLAIM = "claim", _("A claim's explanation")
    CALCULATOR = "calculator", _("The policy calculator")
    DATA_LOG = "data_log", _("The data-access log")


def _outbox(dispute: Dispute, to: str):
    """Partners hear of an enterprise's dispute decided (confirmed or corrected); a
    person's dispute is nobody's business but the person's and the department's."""
    if to not in (S.CONFIRMED, S.CORRECTED) or dispute.enterprise_id is None:
        return None
    return Event(
        "dispute.decided",
        {
            "reference": dispute.reference,
            "enterprise": dispute.enterprise.uscc,
            "fact": dispute.fact,
            "period": dispute.period,
            "status": to,
        },
        subject=dispute.reference,
        enterprise_id=dispute.enterprise_id,
        department_id=dispute.department_id,
        district_id=dispute.district_id,
    )


class Dispute(ClockedCase):
    reference = models.CharField(_("dispute no."), max_length=30, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fact_disputes",
        verbose_name=_("enterprise"),
    )
    # A person disputing a fact about themselves (issue #26); `enterprise` is then empty.
    person = models.ForeignKey(
        "enterprises.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fact_disputes",
        verbose_name=_("person"),
    )
    # The enterprise's district; none for a person's dispute (the department's city-wide
    # officials decide it).
    district = models.ForeignKey(
        "departments.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="fact_disputes",
        verbose_name=_("raised by"),
    )
    # The department that owns the fact (datahub.catalogue).
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="fact_disputes",
        verbose_name=_("department"),
    )
    fact = models.CharField(_("fact"), max_length=80)
    period = models.CharField(_("period"), max_length=20, blank=True)
    origin = models.CharField(_("raised from"), max_length=20, choices=Origin.choices)
    claim_id = models.PositiveBigIntegerField(_("claim no."), null=True, blank=True)
    policy = models.ForeignKey(
        "policies.Policy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy"),
    )
    held_value = models.JSONField(_("value held"), null=True, blank=True)
    # Both values typed as the hub stores facts (datahub.normalise.to_json), shown in the
    # reader's language (FactSpec.display).
    claimed_value = models.JSONField(_("value given by the disputant"))
    statement = models.TextField(_("statement"))
    status = models.CharField(
        _("status"), max_length=20, choices=DisputeStatus.choices, default=S.RAISED, db_index=True
    )
    limit_hours = models.PositiveIntegerField(_("time limit (working hours)"), default=LIMIT_HOURS)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    corrected_value = models.JSONField(_("corrected value"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)

    transitions = Transitions(
        TRANSITIONS,
        action="disputes.dispute",
        audit_fields=("decided_by", "decided_at", "corrected_value", "withdrawn_at"),
        outbox=_outbox,
    )
    # The enterprise's members; the person themself; officials of the fact's department,
    # within their district (a person's dispute: the city-wide ones).
    reach = Reach(
        enterprise="enterprise", department="department", district="district", person="person"
    )

    class Meta:
        verbose_name = _("fact dispute")
        verbose_name_plural = _("fact disputes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="disputes_dispute_status_valid",
                condition=Q(status__in=[choice.value for choice in DisputeStatus]),
            ),
            # One open dispute per enterprise, fact and period: a second is the first.
            models.UniqueConstraint(
                fields=["enterprise", "fact", "period"],
                condition=Q(status="raised"),
                name="one_open_dispute_per_fact",
            ),
            # The same for a person.
            models.UniqueConstraint(
                fields=["person", "fact", "period"],
                condition=Q(status="raised", person__isnull=False),
                name="one_open_person_dispute_per_fact",
            ),
            # Exactly one subject: an enterprise's fact or a person's.
            models.CheckConstraint(
                name="disputes_dispute_one_subject",
                condition=(
                    Q(enterprise__isnull=False, person__isnull=True)
                    | Q(enterprise__isnull=True, person__isnull=False)
                ),
            ),
        ]
        indexes = [models.Index(fields=["department", "status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.fact}"

    def time_limit(self) -> TimeLimit:
        return TimeLimit(self.limit_hours, "hours")


class DisputePause(CasePause):
    """The clocked case's pauses (qinqing.workhours.cases); a dispute has none today, the
    clock reads them."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="pauses", verbose_name=_("dispute")
    )

    class Meta(CasePause.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"],
                condition=Q(ended_at__isnull=True),
                name="one_open_pause_per_dispute",
            )
        ]


def _attachment_storage():
    """A callable, so that migrations name it rather than the storage's settings."""
    return private_storage


class DisputeAttachment(StoredAttachment):
    """The enterprise's evidence (qinqing.attachments checks it), stored privately."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("dispute")
    )
    file = models.FileField(_("file"), upload_to="disputes/%Y/%m/", storage=_attachment_storage)

    def get_absolute_url(self) -> str:
        return reverse("disputes:attachment", args=[self.dispute_id, self.pk])
