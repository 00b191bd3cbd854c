"""What a commitment will verify, and its credit record's title, in the reader's language
(issue 20): stored in both languages, or as a reference rendered at read time."""

import pytest
from django.urls import reverse

from credit.commitments.models import Commitment
from credit.records.models import CreditRecord, RecordKind

from ..approvals.conftest import applicant, project_package, submitted_project  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_what_will_be_verified_reads_in_each_language(client, applicant, project_package):  # noqa: F811
    user, enterprise = applicant
    application = submitted_project(applicant, project_package, on_commitment=True)
    commitment = Commitment.objects.filter(enterprise=enterprise).first()
    item = application.items.get(pk=commitment.subject_ref.split(":")[1])
    item_type = item.item_type
    english = item_type.commitment_checks_en or item_type.name_en
    chinese = item_type.commitment_checks_zh or item_type.name_zh
    assert english and chinese and english != chinese
    assert (commitment.verify_what, commitment.verify_what_en) == (chinese, english)
    record = CreditRecord.objects.get(commitment=commitment, kind=RecordKind.COMMITMENT_MADE)
    assert record.title == f"credit.commitment:{commitment.pk}"
    client.force_login(user)
    for url in (reverse("credit:commitment", args=[commitment.pk]),
                reverse("credit:enterprise", args=[enterprise.uscc])):  # fmt: skip
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert english.splitlines()[0] in page and chinese.splitlines()[0] not in page, url
        assert commitment.notice.title not in page, url  # the notice's English title
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert chinese.splitlines()[0] in page, url
    api = client.get("/api/v1/credit/records/", HTTP_ACCEPT_LANGUAGE="en").json()
    titles = [row["title"] for row in api["results"] if row["commitment"] == commitment.pk]
    assert titles and all("credit.commitment:" not in title for title in titles)
    assert all(commitment.notice.title_en in title for title in titles)


def test_a_commitment_written_before_the_english_column_still_shows(
    client,
    applicant,  # noqa: F811
    project_package,  # noqa: F811
):
    user, enterprise = applicant
    submitted_project(applicant, project_package, on_commitment=True)
    commitment = Commitment.objects.filter(enterprise=enterprise).first()
    Commitment.objects.filter(pk=commitment.pk).update(
        verify_what="旧的核查内容", verify_what_en=""
    )
    client.force_login(user)
    page = client.get(reverse("credit:commitment", args=[commitment.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert "旧的核查内容" in page


def test_a_records_legal_basis_cites_articles_in_the_readers_language(
    client,
    applicant,  # noqa: F811
    project_package,  # noqa: F811
):
    user, enterprise = applicant
    submitted_project(applicant, project_package, on_commitment=True)
    CreditRecord.objects.filter(enterprise=enterprise).update(legal_basis="《条例》第十四条")
    client.force_login(user)
    english = client.get(reverse("credit:records"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "《条例》Art. 14" in english and "第十四条" not in english
    chinese = client.get(reverse("credit:records"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "《条例》第十四条" in chinese.content.decode()
