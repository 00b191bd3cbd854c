from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit")

    def ready(self) -> None:
        # Here, not at the top: apps.py is imported before the models are (hub reads them).
        from datahub.providers import register_local_provider

        from . import hub

        # The hub's credit facts come from this app's tables (the hub never imports us).
        register_local_provider(hub.INTERFACE, hub.answer, hub.extract)
        post_migrate.connect(_defaults, sender=self, dispatch_uid="credit.defaults")


def _defaults(**kwargs) -> None:
    """The first scoring model, list rules and notices, when their tables are empty (a
    flushed test database; the data migration fills a new one)."""
    # Here, not at the top: apps.py is imported before the models are.
    from .commitments.services import ensure_default_notices
    from .grades.selectors import scoring_model_in_force
    from .lists.services import ensure_default_rules

    scoring_model_in_force()
    ensure_default_rules()
    ensure_default_notices()
