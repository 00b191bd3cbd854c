import os

from django.core.wsgi import get_wsgi_application

from qinqing import boot

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
application = get_wsgi_application()


def _load_every_view() -> None:
    """Import the URL configuration (and with it every view) now, not on the first
    request, so that boot.settle() freezes it too."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)


_load_every_view()
boot.settle()
