from django.urls import path

from . import views

# Included by the composition root (qinqing/urls.py) at /official/, names un-namespaced.
urlpatterns = [
    path("", views.official_workspace, name="official_workspace"),
]
