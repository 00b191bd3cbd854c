"""Identity numbers never appear unmasked (issue #26, "Done when"): on every page and API
answer a person, an official and an enterprise member can open, in the exports, and in
the log lines written meanwhile, with persons, their reads, their claims (paid, with the
bank account of the social security card) and their disputes present. The walk is
tests/api/test_every_endpoint.py's list of every URL (a new URL joins it there), plus the
URLs of the persons' own objects."""

import io
import logging
import zipfile

import pytest
from django.test import Client

from datahub.catalogue import PERSON_CATALOGUE
from datahub.fetching.pipeline import fetch_person_facts
from disputes.services import raise_dispute
from policies.selectors import describe_claim
from qinqing.resident_ids import mask_resident_id
from tests.api.test_every_endpoint import ENDPOINTS
from tests.factories import AuditorFactory, OfficialFactory, department, member_of

from .conftest import NUMBER, OTHER_NUMBER, person_login
from .rent import ACCOUNT, person_claim, rent_policy

SECRETS = (NUMBER, OTHER_NUMBER, ACCOUNT)


def _text(response) -> str:
    """The body as text; an .xlsx export unzipped (its cells are XML inside)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace")
                             for name in book.namelist())  # fmt: skip
    return content.decode("utf-8", "replace")


def _leaks(text: str) -> list[str]:
    """Every form of a secret found: as it is, lower case, and the number's first 17
    characters (a number cut before its check character is still the number)."""
    found = []
    for secret in SECRETS:
        for form in {secret, secret.lower(), secret[:17]}:
            if form in text:
                found.append(form)
    return found


@pytest.fixture
def world(register):
    employer = register[0]
    first, _user = person_login(NUMBER, "陈小青")
    second, _user = person_login(OTHER_NUMBER, "林大山")
    policy = rent_policy()
    claims = [person_claim(first, policy, employer), person_claim(second, policy, employer)]
    for person in (first, second):  # reads by the system, on the persons' logs
        fetch_person_facts(person, list(PERSON_CATALOGUE), purpose="居民租房补贴资格核验 (check)")
    dispute = raise_dispute(
        actor=first.user, person=first, fact="person.housing.owns_home", claimed_value="否",
        statement=f"我的身份证号是{NUMBER}，我在本市没有住房。", origin="claim",
        claim=describe_claim(first.user, claims[0].pk),
    )  # fmt: skip
    housing = OfficialFactory(department=department("housing"), district=None)
    hrss = OfficialFactory(department=department("hrss"), district=None)
    return {
        "person": first, "claim": claims[0], "dispute": dispute, "employer": employer,
        "readers": {"person": first.user, "member": member_of(employer), "hrss": hrss,
                    "housing": housing, "auditor": AuditorFactory()},
    }  # fmt: skip


def _urls(world) -> list[str]:
    uscc = world["employer"].uscc
    claim, dispute = world["claim"].pk, world["dispute"].pk
    roster = f"{world['claim'].version_id}/{world['employer'].pk}/"
    return [
        *(url.format(uscc=uscc) for url in ENDPOINTS.values()),
        f"/claims/rosters/{roster}", f"/api/v1/rosters/{roster}",
        f"/me/subsidies/{claim}/", f"/claims/{claim}/", f"/claims/{claim}/receipt/",
        f"/api/v1/claims/{claim}/", f"/disputes/{dispute}/", f"/disputes/queue/{dispute}/",
        f"/api/v1/disputes/{dispute}/", "/api/v1/disputes/", "/api/v1/claims/",
        "/claims/?export=csv", "/claims/?export=xlsx", "/official/data-calls/?export=csv",
        "/official/data-calls/?export=xlsx", "/api/v1/data-calls/", "/disputes/queue/?all=on",
    ]  # fmt: skip


@pytest.mark.parametrize("reader", ["person", "member", "hrss", "housing", "auditor"])
def test_no_page_answer_export_or_log_line_shows_an_identity_number(
    world, reader, caplog, django_capture_on_commit_callbacks
):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world["readers"][reader])
    leaks, answered = {}, 0
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        for url in _urls(world):
            response = client.get(url)
            if response.status_code == 200:
                answered += 1
            found = _leaks(_text(response))
            if found:
                leaks[url] = found
        # The person's own posts: asking the departments, checking the open policies,
        # raising a dispute over the API with the number typed into the statement.
        if reader == "person":
            for url in ("/me/records/", "/me/subsidies/check/"):
                response = client.post(url)
                assert response.status_code == 200, url
                if found := _leaks(_text(response)):
                    leaks[url] = found
            raised = client.post("/api/v1/disputes/", {
                "fact": "person.housing.provident_fund", "claimed_value": "是",
                "statement": f"身份证{NUMBER}，我缴存了公积金。",
            }, content_type="application/json")  # fmt: skip
            assert raised.status_code == 201, raised.content
            if found := _leaks(_text(raised)):
                leaks["POST /api/v1/disputes/"] = found
    assert answered > 20  # the walk reached pages, not only refusals
    assert leaks == {}
    assert _leaks(caplog.text) == []


def test_the_walk_shows_the_persons_objects_masked(world, client):
    """The walk above would pass on empty pages: the objects are on them, masked."""
    person = world["person"]
    client.force_login(person.user)
    mine = client.get(f"/me/subsidies/{world['claim'].pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert world["claim"].disbursement.reference in mine.content.decode()
    assert "***************3445" in mine.content.decode()
    client.force_login(world["readers"]["housing"])
    queue = client.get("/disputes/queue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert mask_resident_id(NUMBER) in queue and person.name in queue
    client.force_login(world["readers"]["member"])  # the employer's roster, over the API
    roster = client.get(f"/api/v1/rosters/{world['claim'].version_id}/{world['employer'].pk}/")
    lines = {line["name"]: line["id_masked"] for line in roster.json()["lines"]}
    assert lines[person.name] == mask_resident_id(NUMBER)
    client.force_login(world["readers"]["auditor"])
    log = client.get("/official/data-calls/?export=csv").content.decode()
    assert "hrss.person_insurance" in log
