"""Notifications and preferences, for the tests that talk about them."""

import factory

from qinqing.notifications.models import Notification, NotificationPreference
from subsidies.notification_kinds import NotificationKind
from tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.CLAIM_PAID
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = "Something happened."
    link = "/claims/1/"


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.CLAIM_PAID
    in_app = True
    email = True
