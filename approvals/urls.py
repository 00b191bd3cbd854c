from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("start/<slug:code>/", views.start, name="start"),
    path("<int:pk>/", views.tracker, name="tracker"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/commitment/", views.commitment, name="commitment"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("items/<int:item_id>/supplement/", views.answer_supplement, name="answer_supplement"),
    path("items/<int:item_id>/resubmit/", views.resubmit, name="resubmit"),
    path("permits/<str:number>/", views.permit_page, name="permit"),
    # Officials
    path("review/", views.queue, name="queue"),
    path("review/overdue/", views.queue, {"tab": "overdue"}, name="overdue"),
    path("review/verifications/", views.queue, {"tab": "verifications"}, name="verifications"),
    path("review/<int:item_id>/", views.item_detail, name="item"),
    path("review/<int:item_id>/approve/", views.item_action, {"action": "approve"}, name="approve"),
    path("review/<int:item_id>/reject/", views.item_action, {"action": "reject"}, name="reject"),
    path(
        "review/<int:item_id>/supplement/",
        views.item_action,
        {"action": "supplement"},
        name="request_supplement",
    ),
    path("review/<int:item_id>/assign/", views.item_action, {"action": "assign"}, name="assign"),
    path("review/<int:item_id>/verify/", views.item_action, {"action": "verify"}, name="verify"),
    path("review/<int:item_id>/pause/", views.item_action, {"action": "pause"}, name="pause"),
    path("review/<int:item_id>/resume/", views.item_action, {"action": "resume"}, name="resume"),
]
