from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = _("Subsidies")

    def ready(self) -> None:
        # Imported here: the modules read the models, which are ready only now. The tasks
        # module registers the tasks the services queue by name (qinqing/queueing.py) in
        # every process, not only in workers, where Celery's autodiscovery would.
        from policies.signals import version_published

        from . import tasks  # noqa: F401
        from .batch import start_on_publish

        version_published.connect(start_on_publish, dispatch_uid="subsidies.batch_on_publish")
