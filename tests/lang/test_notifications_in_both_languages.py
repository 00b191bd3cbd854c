"""Notifications are stored in both languages and shown in the reader's (issue 20): an
English reader never sees a Chinese-only notice; rows from before keep working."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from qinqing.i18n import prefers_chinese
from qinqing.notifications import services
from qinqing.notifications.models import Notification
from qinqing.notifications.text import Message
from subsidies.notification_kinds import NotificationKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


class Titled:
    """Like a policy: its str follows the active language."""

    def __str__(self) -> str:
        return "稳岗补贴" if prefers_chinese() else "Job subsidy"


def test_a_notification_is_stored_in_both_languages_and_shown_in_the_readers(client):
    me = UserFactory(email="me@example.com")
    services.notify([me], NotificationKind.CLAIM_PAID,
                    Message(gettext_lazy("Subsidy paid: ¥{amount} from {policy}"),
                            amount="5,000.00", policy=Titled()),
                    Message("{policy}", policy=Titled()), link="/claims/1/")  # fmt: skip
    row = Notification.objects.get(recipient=me)
    assert "稳岗补贴" in row.title and "Job subsidy" in row.title_en
    assert row.title_en.startswith("Subsidy paid: ¥5,000.00")
    assert row.body == "稳岗补贴" and row.body_en == "Job subsidy"
    client.force_login(me)
    english = client.get(reverse("notifications:list"), **EN).content.decode()
    assert "Subsidy paid: ¥5,000.00 from Job subsidy" in english and "稳岗补贴" not in english
    chinese = client.get(reverse("notifications:list"), **ZH).content.decode()
    assert "稳岗补贴" in chinese and "Job subsidy" not in chinese
    api = client.get("/api/v1/notifications/", **EN).json()
    assert api["results"][0]["title"].endswith("Job subsidy")
    assert api["results"][0]["body"] == "Job subsidy"


def test_a_row_from_before_the_english_column_still_shows(client):
    me = UserFactory()
    Notification.objects.create(recipient=me, kind=NotificationKind.CLAIM_PAID,
                                title="补贴已兑付", body="正文")  # fmt: skip
    client.force_login(me)
    english = client.get(reverse("notifications:list"), **EN).content.decode()
    assert "补贴已兑付" in english and "正文" in english


def test_the_email_is_in_the_recipients_language(settings):
    settings.LANGUAGE_CODE = "en"
    me = UserFactory(email="me@example.com")
    (row,) = services.notify([me], NotificationKind.CLAIM_PAID,
                             Message("{policy}", policy=Titled()))  # fmt: skip
    services.send_emails([row.pk])  # sent on commit already, or now: once either way
    assert [message.subject for message in mail.outbox] == ["Job subsidy"]


def test_a_claim_for_nothing_tells_the_enterprise_in_plain_words(policy):
    from subsidies.claims import submit_claim
    from subsidies.models import ClaimStatus
    from tests.factories import EnterpriseFactory, member_of
    from tests.subsidies.test_nothing_due import formula_gives_nothing

    formula_gives_nothing(policy)
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NOTHING_DUE
    (notice,) = Notification.objects.filter(recipient=member)
    assert notice.kind == NotificationKind.CLAIM_NOTHING_DUE
    assert notice.link == f"/claims/{claim.pk}/"
    with translation.override("en"):
        assert "no payment is made" in notice.shown_body and "¥0.00" in notice.shown_body


def test_a_failed_payment_says_it_is_tried_again_once_the_bank_details_are_updated():
    from subsidies.notifications import TEXTS

    _title, body = TEXTS[NotificationKind.CLAIM_PAYMENT_FAILED]
    assert "tried again automatically once you update your bank details" in str(body)
