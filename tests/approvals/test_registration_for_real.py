"""Registering a business for real (issue 20): the establishment sheet collects the bank
account (validated, shown masked, never written to the audit trail in full), so the new
enterprise's first payment has somewhere to go; and the code issued to it is valid in its
organisation code (GB 11714) as well as its own check character (GB 32100)."""

import pytest
from django.urls import reverse

from approvals.models import ApplicationStatus
from approvals.services.applications import save_answers, start_application, submit_application
from approvals.services.refusals import SheetInvalid
from approvals.services.registration import issue_uscc
from enterprises.models import Enterprise
from qinqing.audit.models import AuditEvent
from qinqing.identifiers import find_uscc_problem, is_valid_uscc, new_uscc
from tests.factories import EnterpriseFactory, UserFactory

from .conftest import ESTABLISHMENT

pytestmark = pytest.mark.django_db
ACCOUNT = "6222020200112233445"
REAL_CODES = ["91110000600037341L", "91330100716105852F", "914403001922038216"]


def test_the_validator_checks_the_organisation_codes_check_character():
    # The code the portal used to issue: its own check character right, the organisation
    # code's (the 17th character) wrong.
    problem = find_uscc_problem("91330106MA0000006M")
    assert problem is not None and problem.code == "organisation_check"
    assert "“6”" in problem.message and "“7”" in problem.message
    assert all(find_uscc_problem(code) is None for code in REAL_CODES)


def test_codes_made_for_new_enterprises_and_by_the_factories_are_valid():
    assert all(is_valid_uscc(new_uscc("330106", f"MA{n:06d}")) for n in range(500))
    assert all(is_valid_uscc(EnterpriseFactory.build().uscc) for _ in range(50))


def test_the_code_issued_to_a_new_enterprise_is_valid(establishment_package):
    founder = UserFactory()
    application = start_application(package=establishment_package, actor=founder)
    save_answers(application.pk, actor=founder, answers=ESTABLISHMENT)
    application.refresh_from_db()
    issued = issue_uscc(application)
    assert find_uscc_problem(issued) is None, issued


def test_the_sheet_collects_the_bank_account_and_the_register_takes_it(
    establishment_package, django_capture_on_commit_callbacks
):
    founder = UserFactory()
    application = start_application(package=establishment_package, actor=founder)
    save_answers(application.pk, actor=founder, answers=ESTABLISHMENT)
    with django_capture_on_commit_callbacks(execute=True):
        submit_application(application.pk, actor=founder)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    enterprise = Enterprise.objects.get(pk=application.created_enterprise_id)
    assert enterprise.bank_account == ACCOUNT and enterprise.bank_name == "杭州银行滨江支行"
    assert find_uscc_problem(enterprise.uscc) is None
    registered = AuditEvent.objects.get(action="enterprise.registered")
    assert ACCOUNT not in str(registered.after) and ACCOUNT not in str(registered.before)


def test_a_bank_account_is_required_and_validated_on_the_sheet(establishment_package):
    founder = UserFactory()
    application = start_application(package=establishment_package, actor=founder)
    with pytest.raises(SheetInvalid) as caught:
        save_answers(application.pk, actor=founder,
                     answers={**ESTABLISHMENT, "bank_account": "6222-abc"})  # fmt: skip
    assert "bank_account" in caught.value.fields
    without = {key: value for key, value in ESTABLISHMENT.items() if key != "bank_account"}
    save_answers(application.pk, actor=founder, answers=without)
    from approvals.services.applications import review_sheet

    application.refresh_from_db()
    assert "bank_account" in review_sheet(application)["missing"]


def test_the_check_your_answers_page_shows_the_account_masked(establishment_package, client):
    founder = UserFactory()
    application = start_application(package=establishment_package, actor=founder)
    save_answers(application.pk, actor=founder, answers=ESTABLISHMENT)
    client.force_login(founder)
    page = client.get(reverse("approvals:review", args=[application.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert ACCOUNT not in text and "*3445" in text
