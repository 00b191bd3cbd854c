from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdempotencyConfig(AppConfig):
    """The answers to API requests sent with an Idempotency-Key (qinqing/api/idempotency.py)."""

    name = "qinqing.idempotency"
    label = "idempotency"
    verbose_name = _("Idempotency keys")
    default_auto_field = "django.db.models.BigAutoField"
