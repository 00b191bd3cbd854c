"""My subsidies: the person's claims with their plain status and masked payment; one claim's
steps, reasons and payment; no one else's claims; no second row of tabs."""

import pytest
from django.urls import reverse

from subsidies.models import ClaimStatus
from tests.factories import member_of

from .conftest import NUMBER
from .rent import ACCOUNT, person_claim, rent_policy


@pytest.fixture
def employer(register):
    return register[0]


@pytest.fixture
def paid(person, employer):
    return person_claim(person, rent_policy(), employer)


def _page(client, user, name, *args, language="en"):
    client.force_login(user)
    response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_my_subsidies_lists_the_claim_with_its_payment_masked(client, person, paid):
    page = _page(client, person.user, "person_subsidies")
    assert "Employee rent subsidy" in page
    assert "¥500.00" in page
    assert "Paid into your account." in page
    assert paid.disbursement.reference in page
    assert "***************3445" in page
    assert ACCOUNT not in page
    assert NUMBER not in page
    assert reverse("person_claim", args=[paid.pk]) in page


def test_the_claim_page_shows_its_steps_reasons_and_payment(client, person, paid):
    page = _page(client, person.user, "person_claim", paid.pk)
    assert 'class="steps"' in page and "Paid" in page
    # The reasons, facts named in the reader's language, with who holds them.
    assert "Insured by the employer for 6 months" in page
    assert "Months paid with this employer" in page
    assert "Owns a home in the city" in page
    assert "a fact about your employer" in page  # the employer's registration status
    # Facts about the person may be disputed by them; the employer's may not.
    dispute = reverse("disputes:new") + f"?from=claim&amp;claim={paid.pk}&amp;fact="
    assert dispute + "person.housing.owns_home" in page
    assert dispute + "market.registration_status" not in page
    assert paid.disbursement.reference in page
    assert "***************3445" in page and ACCOUNT not in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_pages_render_in_both_languages(client, person, paid, language):
    for name, args in (("person_subsidies", ()), ("person_claim", (paid.pk,))):
        page = _page(client, person.user, name, *args, language=language)
        assert "租房补贴" in page or "rent subsidy" in page


def test_plain_words_for_each_stage(client, person, employer):
    policy = rent_policy()
    person_claim(person, policy, employer, status=ClaimStatus.OFFERED, period="2026-01",
                 paid=False)  # fmt: skip
    page = _page(client, person.user, "person_subsidies")
    assert "your employer confirms that you still work there" in page


def test_a_person_sees_only_their_own_claims(client, person, other_person, paid):
    page = _page(client, other_person.user, "person_subsidies")
    assert "No subsidy has been paid to you yet." in page
    assert paid.disbursement.reference not in page
    assert reverse("person_claim", args=[paid.pk]) not in page
    client.force_login(other_person.user)
    assert client.get(reverse("person_claim", args=[paid.pk])).status_code == 404


def test_the_employer_sees_no_persons_claim_page(client, paid, employer):
    client.force_login(member_of(employer))
    assert client.get(reverse("person_claim", args=[paid.pk])).status_code == 403
    assert client.get(reverse("subsidies:claim", args=[paid.pk])).status_code == 404


def test_no_second_row_of_tabs_the_nav_is_enough(client, person, paid):
    for name, args in (("person_profile", ()), ("person_subsidies", ()),
                       ("person_data_access", ()), ("person_claim", (paid.pk,))):  # fmt: skip
        page = _page(client, person.user, name, *args)
        assert "person-nav" not in page
        assert page.count(f'href="{reverse("person_subsidies")}"') == 1 + (name == "person_claim")


def test_my_profile_offers_to_dispute_each_fact_but_the_bank_account(client, person):
    client.force_login(person.user)
    page = client.post(reverse("person_check_records"), HTTP_ACCEPT_LANGUAGE="en").content
    page = page.decode()
    link = reverse("disputes:new") + "?from=data_log&amp;fact="
    assert link + "person.housing.owns_home" in page
    assert link + "person.bank.account" not in page
