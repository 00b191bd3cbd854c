import os

from django.core.wsgi import get_wsgi_application

from qinqing import boot

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
application = get_wsgi_application()
# Every view imported, then what booting made leaves the collector's walks (qinqing/boot.py).
boot.settle_web()
