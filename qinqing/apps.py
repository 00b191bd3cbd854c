from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class QinqingConfig(AppConfig):
    """The project package is an app too: it owns the shared static files and tasks, and
    it wires every app in at start, once, the way the admin finds `admin` modules."""

    name = "qinqing"
    verbose_name = _("Qinqing")

    def ready(self) -> None:
        # Each app's `receivers` module connects its signal receivers and registers what it
        # plugs into others (fact providers, post-migrate defaults); its `tasks` module
        # registers the tasks services queue by name (qinqing.queueing) in every process,
        # not only in workers. Found here, so no app imports inside its ready().
        autodiscover_modules("receivers", "tasks")
