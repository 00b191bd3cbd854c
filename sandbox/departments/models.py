"""The simulated departments' switches: latency and failures, per department."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import Department


class SimulationSetting(models.Model):
    """How a simulated department behaves: latency and failures, switchable at run time."""

    department = models.OneToOneField(
        Department,
        on_delete=models.CASCADE,
        related_name="simulation",
        verbose_name=_("department"),
    )
    latency_ms = models.PositiveIntegerField(_("typical latency (ms)"), default=30)
    jitter_ms = models.PositiveIntegerField(_("latency jitter (ms)"), default=20)
    timeout_rate = models.FloatField(_("share of calls that hang"), default=0.0)
    error_rate = models.FloatField(_("share of calls that fail"), default=0.0)
    malformed_rate = models.FloatField(_("share of malformed answers"), default=0.0)
    down = models.BooleanField(_("department down"), default=False)

    class Meta:
        # The table the hub made before the sandbox had its own app (datahub 0001): the
        # rows stay where they were (migrations 0001 here and datahub 0002).
        db_table = "datahub_simulationsetting"
        verbose_name = _("department simulation")
        verbose_name_plural = _("department simulations")
        constraints = [
            models.CheckConstraint(
                name="simulation_rates_are_shares",
                condition=models.Q(timeout_rate__gte=0, timeout_rate__lte=1)
                & models.Q(error_rate__gte=0, error_rate__lte=1)
                & models.Q(malformed_rate__gte=0, malformed_rate__lte=1),
            )
        ]

    def __str__(self) -> str:
        return str(self.department)
