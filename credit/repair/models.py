"""Credit repair (信用修复): the least time before a record may be repaired, and the
applications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.scoping import Reach
from qinqing.transitions import Transitions

from ..commitments.models import Commitment
from ..records.models import CreditRecord, Severity

# How long after the record's date an enterprise may apply to repair it, in months, by
# severity (国家发展改革委令2023年第58号 sets the least publicity before repair; the city
# keeps it here as data): a minor record may be repaired at once.
MIN_REPAIR_MONTHS: dict[str, int] = {Severity.MINOR: 0, Severity.GENERAL: 3, Severity.SERIOUS: 12}


class RepairStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RepairApplication(models.Model):
    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT,
                               related_name="repair_applications",
                               verbose_name=_("record"))  # fmt: skip
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("enterprise"))  # fmt: skip
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("applicant"))  # fmt: skip
    evidence = models.TextField(_("evidence of correction"))
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("commitment"))  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=RepairStatus.choices,
                              default=RepairStatus.PENDING)  # fmt: skip
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("applied"), auto_now_add=True)

    # Officials of the record's department (in their district) decide, so they see them.
    reach = Reach(enterprise="enterprise", department="record__department",
                  district="enterprise__district")  # fmt: skip
    transitions = Transitions(
        {RepairStatus.PENDING: {RepairStatus.APPROVED, RepairStatus.REJECTED},
         RepairStatus.APPROVED: set(), RepairStatus.REJECTED: set()},
        action="credit.repair",
        audit_fields=("reason",),
    )  # fmt: skip

    class Meta:
        verbose_name = _("repair application")
        verbose_name_plural = _("repair applications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["record"], condition=Q(status="pending"),
                                               name="one_pending_repair_per_record")]  # fmt: skip

    def __str__(self) -> str:
        return f"repair of record {self.record_id}: {self.status}"
