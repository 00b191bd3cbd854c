"""Credit in words: a commitment's record is titled by what it was about (never
"…（approvals.item:10）"), and the grade letter leads the credit page with the score as
its explanation."""

import re

import pytest
from django.urls import reverse

from credit.records.models import CreditRecord, RecordKind
from tests.factories import EnterpriseFactory, member_of

from ..approvals.conftest import applicant, project_package, submitted_project  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_commitment_record_is_titled_in_words(client, applicant, project_package):  # noqa: F811
    user, enterprise = applicant
    application = submitted_project(applicant, project_package, on_commitment=True)
    record = CreditRecord.objects.filter(enterprise=enterprise,
                                         kind=RecordKind.COMMITMENT_MADE).first()  # fmt: skip
    # Stored as a reference to its commitment, in no one language (issue 20)
    assert record is not None and record.title == f"credit.commitment:{record.commitment_id}"
    item = record.commitment.subject_ref.split(":")[1]
    item_name = application.items.get(pk=item).item_type.name_en
    client.force_login(user)
    for url in (reverse("credit:enterprise", args=[enterprise.uscc]), reverse("credit:records"),
                reverse("credit:commitment", args=[record.commitment_id])):  # fmt: skip
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "approvals.item:" not in html and "credit.commitment:" not in html, url
        assert f"{item_name}, application no. {application.pk}" in html, url


def test_the_grade_letter_leads_and_the_score_explains_it(reference_data, client):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    client.force_login(member)
    html = client.get(reverse("credit:enterprise", args=[enterprise.uscc]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    letter = re.search(r'class="grade-letter"><span class="outcome[^"]*">([A-D])</span>', html)
    assert letter is not None
    assert re.search(rf"Grade {letter[1]}, because the score is \d+ of 100", html)
    assert 'href="/static/credit/credit.css"' in html
