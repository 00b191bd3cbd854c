from django.urls import path

from . import receipts
from .views import enterprise, officials, permits, tracking

app_name = "approvals"
urlpatterns = [
    path("", enterprise.application_list, name="list"),
    path("start/<slug:code>/", enterprise.start, name="start"),
    path("<int:pk>/", tracking.tracker, name="tracker"),
    path("<int:pk>/edit/", enterprise.edit, name="edit"),
    path("<int:pk>/review/", enterprise.review, name="review"),
    path("<int:pk>/submit/", enterprise.submit, name="submit"),
    path("<int:pk>/commitment/", enterprise.commitment, name="commitment"),
    path("<int:pk>/withdraw/", enterprise.withdraw, name="withdraw"),
    path("items/<int:item_id>/supplement/", tracking.answer_supplement, name="answer_supplement"),
    path("items/<int:item_id>/resubmit/", tracking.resubmit, name="resubmit"),
    path("permits/<str:number>/", permits.permit_page, name="permit"),
    path("items/<int:item_id>/receipt/", receipts.receipt_download, name="receipt"),
    # Officials
    path("review/", officials.queue, name="queue"),
    path("review/overdue/", officials.queue, {"tab": "overdue"}, name="overdue"),
    path("review/verifications/", officials.queue, {"tab": "verifications"}, name="verifications"),
    path("review/<int:item_id>/", officials.item_detail, name="item"),
    path(
        "review/<int:item_id>/approve/",
        officials.item_action,
        {"action": "approve"},
        name="approve",
    ),
    path(
        "review/<int:item_id>/reject/", officials.item_action, {"action": "reject"}, name="reject"
    ),
    path(
        "review/<int:item_id>/supplement/",
        officials.item_action,
        {"action": "supplement"},
        name="request_supplement",
    ),
    path(
        "review/<int:item_id>/assign/", officials.item_action, {"action": "assign"}, name="assign"
    ),
    path(
        "review/<int:item_id>/verify/", officials.item_action, {"action": "verify"}, name="verify"
    ),
    path("review/<int:item_id>/pause/", officials.item_action, {"action": "pause"}, name="pause"),
    path(
        "review/<int:item_id>/resume/", officials.item_action, {"action": "resume"}, name="resume"
    ),
]
