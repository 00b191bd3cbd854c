from django.urls import path

from . import receipts, views

app_name = "subsidies"
urlpatterns = [
    path("", views.claim_list, name="claims"),
    path("<int:pk>/", views.claim_page, name="claim"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/receipt/", receipts.receipt_download, name="receipt"),
    path("claim/<slug:code>/", views.make_claim, name="make_claim"),
    path("review/", views.review_queue, name="review_queue"),
    path("<int:pk>/approve/", views.review, {"decision": "approve"}, name="approve"),
    path("<int:pk>/reject/", views.review, {"decision": "reject"}, name="reject"),
    path("<int:pk>/retry-payment/", views.retry, name="retry_payment"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("batches/<int:pk>/", views.batch_run, name="batch_run"),
    path("rosters/", views.rosters, name="rosters"),
    path("rosters/<int:version_pk>/<int:enterprise_pk>/", views.roster_page, name="roster"),
    path(
        "rosters/<int:version_pk>/<int:enterprise_pk>/confirm/",
        views.roster_confirm,
        name="roster_confirm",
    ),
]
