"""Who may see which data calls, and the facts API: an enterprise sees who read its own
data and nothing else; officials their department's (and district's); auditors all."""

import pytest
from django.urls import reverse

from datahub.fetching.pipeline import fetch_facts
from datahub.models import DataCall
from tests.factories import AuditorFactory, EnterpriseFactory, OfficialFactory, department, district

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads(enterprise, other_enterprise, official_xihu):
    """Tax data of both enterprises read; market data of `enterprise` read by an official."""
    fetch_facts(enterprise, ["tax.arrears"], purpose="claim:1 eligibility check")
    fetch_facts(other_enterprise, ["tax.arrears"], purpose="claim:2 eligibility check")
    fetch_facts(enterprise, ["market.registration_status"], purpose="approval:9 prefill",
                requested_by=official_xihu)  # fmt: skip


def api_purposes(api_client, user) -> set[str]:
    api_client.force_authenticate(user)
    response = api_client.get(reverse("v1:data-call-list"))
    assert response.status_code == 200
    return {row["purpose"] for row in response.json()["results"]}


def test_an_enterprise_sees_only_reads_of_its_own_data(
    client, api_client, reads, member, enterprise, other_enterprise
):
    assert api_purposes(api_client, member) == {"claim:1 eligibility check", "approval:9 prefill"}
    client.force_login(member)
    page = client.get(reverse("enterprise_data_access", args=[enterprise.uscc]))
    assert page.status_code == 200
    assert {c.purpose for c in page.context["page"].object_list} == {
        "claim:1 eligibility check",
        "approval:9 prefill",
    }
    assert "claim:2" not in page.content.decode()
    other = client.get(reverse("enterprise_data_access", args=[other_enterprise.uscc]))
    assert other.status_code == 404


def test_the_transparency_page_names_the_official_and_the_facts(
    client, reads, member, enterprise, official_xihu
):
    client.force_login(member)
    html = client.get(
        reverse("enterprise_data_access", args=[enterprise.uscc]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert str(official_xihu) in html
    assert "Registration status" in html and "approval:9 prefill" in html


def test_an_official_sees_their_departments_calls_and_their_own(api_client, reads, official_xihu):
    tax_city = OfficialFactory(department=department("taxation"), district=None)
    assert api_purposes(api_client, tax_city) == {
        "claim:1 eligibility check",
        "claim:2 eligibility check",
    }
    # A market official in Xihu: market calls in Xihu, plus the ones they made.
    assert api_purposes(api_client, official_xihu) == {"approval:9 prefill"}


def test_a_district_official_does_not_see_other_districts(api_client):
    in_xihu = EnterpriseFactory(district=district("xihu"))
    in_binjiang = EnterpriseFactory(district=district("binjiang"))
    fetch_facts(in_xihu, ["tax.arrears"], purpose="xihu read")
    fetch_facts(in_binjiang, ["tax.arrears"], purpose="binjiang read")
    tax_xihu = OfficialFactory(department=department("taxation"), district=district("xihu"))
    assert api_purposes(api_client, tax_xihu) == {"xihu read"}


def test_an_auditor_sees_everything(api_client, reads):
    assert len(api_purposes(api_client, AuditorFactory())) == 3


def test_the_call_log_page_is_for_officials_and_auditors(client, reads, member, official_xihu):
    client.force_login(member)
    assert client.get(reverse("data_calls")).status_code == 403
    client.force_login(AuditorFactory())
    page = client.get(reverse("data_calls"), {"department": "taxation"})
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 2
    assert {row.department.code for row in page.context["stats"]} == {"taxation", "market"}
    export = client.get(reverse("data_calls"), {"department": "taxation", "export": "csv"})
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("started_at,department")


def test_facts_api_for_an_official_in_scope(api_client, enterprise, official_xihu):
    api_client.force_authenticate(official_xihu)
    url = reverse("v1:enterprise-facts", args=[enterprise.uscc])
    response = api_client.get(
        url, {"names": "tax.arrears,market.established_on", "purpose": "approval:9 check"}
    )
    assert response.status_code == 200
    facts = {fact["name"]: fact for fact in response.json()["facts"]}
    assert facts["market.established_on"]["value"] == enterprise.established_on.isoformat()
    assert facts["tax.arrears"]["known"] is True
    call = DataCall.objects.get(department__code="taxation")
    assert call.requested_by == official_xihu and call.purpose == "approval:9 check"


def test_facts_api_refuses_members_out_of_scope_officials_and_bad_requests(
    api_client, enterprise, member, official_binjiang, official_xihu
):
    url = reverse("v1:enterprise-facts", args=[enterprise.uscc])
    api_client.force_authenticate(member)
    assert api_client.get(url, {"names": "tax.arrears", "purpose": "x"}).status_code == 403
    api_client.force_authenticate(official_binjiang)
    assert api_client.get(url, {"names": "tax.arrears", "purpose": "x"}).status_code == 404
    api_client.force_authenticate(official_xihu)
    missing = api_client.get(url, {"names": "tax.arrears"}, HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 400 and "purpose" in missing.json()["fields"]
    unknown = api_client.get(url, {"names": "tax.arrears,tax.shoe_size", "purpose": "x"},
                             HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert unknown.status_code == 400
    assert "tax.shoe_size" in unknown.json()["fields"]["names"][0]
    assert not DataCall.objects.exists()  # nothing was read for the refused requests


def test_failure_rates_and_circuit_states_are_for_officials(client, member, official_xihu):
    client.force_login(member)
    page = client.get(reverse("data_interfaces"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "typical latency" not in page and "tax.annual_summary" in page
    client.force_login(official_xihu)
    page = client.get(reverse("data_interfaces"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "typical latency" in page


def test_refused_reads_are_logged(enterprise, caplog):
    import logging

    from datahub.catalogue import UnknownFactError
    from datahub.purposes import PurposeRequired

    with caplog.at_level(logging.WARNING, logger="datahub.fetching.pipeline"):
        with pytest.raises(PurposeRequired):
            fetch_facts(enterprise, ["tax.arrears"], purpose="")
        with pytest.raises(UnknownFactError):
            fetch_facts(enterprise, ["tax.favourite_colour"], purpose="test")
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "without a purpose" in messages and "tax.favourite_colour" in messages
