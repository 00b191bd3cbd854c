from django.urls import path

from . import views

app_name = "recovery"
urlpatterns = [
    path("", views.order_list, name="orders"),
    path("raise/", views.raise_order, name="raise"),
    path("<int:pk>/", views.order_page, name="order"),
    path("<int:pk>/repay/", views.repay, name="repay"),
    path("<int:pk>/appeal/", views.appeal_order, name="appeal"),
    path("<int:pk>/waive/", views.waive_order, name="waive"),
]
