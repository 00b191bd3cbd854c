from django.contrib import admin

from qinqing.audit.admin import ReadOnlyAdmin

from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Written by the code only; the back office looks, for support questions."""

    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", "in_app"]
    search_fields = ["recipient__username", "title"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    """People choose for themselves at /notifications/preferences/."""

    list_display = ["user", "kind", "in_app", "email"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
