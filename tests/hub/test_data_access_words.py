"""The data-access log in plain words: purposes described by the app that made the read
(never `subsidies.claim:2175`), the extracts a batch run read before paying the enterprise,
and the milliseconds column for officials only."""

import pytest
from django.urls import reverse

from datahub.fetching.pipeline import fetch_facts
from policies.models import DeliveryMode
from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus
from tests.factories import AuditorFactory, EnterpriseFactory, member_of

from ..approvals.conftest import applicant, draft_project, project_package  # noqa: F401
from ..subsidies.test_batch import publish
from ..subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def data_access(client, user, enterprise) -> str:
    client.force_login(user)
    url = reverse("enterprise_data_access", args=[enterprise.uscc])
    return client.get(url, **EN).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_claim_check_is_named_by_its_policy_and_period(client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member)
    page = data_access(client, member, enterprise)
    assert f"checking your claim for {policy.title_en}" in page
    assert f"subsidies.claim:{claim.pk}" not in page
    assert ">ms<" not in page  # milliseconds are for officials
    official_page = data_access(client, AuditorFactory(), enterprise)
    assert ">ms<" in official_page


@pytest.mark.django_db(transaction=True)
def test_the_commitment_route_and_the_prefill_are_named(client, applicant, project_package):  # noqa: F811
    user, enterprise = applicant
    application = draft_project(applicant, project_package)
    fetch_facts(enterprise, ["credit.grade"], requested_by=user,
                purpose=f"approvals.application:{application.pk} commitment route")  # fmt: skip
    page = data_access(client, user, enterprise)
    assert f"application no. {application.pk} — checking your credit" in page
    assert f"filling in your {project_package.name_en or project_package.name_zh}" in page
    assert "approvals.application:" not in page and "prefill<" not in page


@pytest.mark.django_db(transaction=True)
def test_the_extracts_a_batch_run_read_before_paying_are_listed(client, officials_pair):  # noqa: F811
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    paid = Claim.objects.filter(version=version, status=ClaimStatus.PAID).first()
    page = data_access(client, member_of(paid.enterprise), paid.enterprise)
    assert "without an application" in page
    assert page.count("without an application") == 2  # Human Resources and Market Supervision
    assert "Nobody has read" not in page
