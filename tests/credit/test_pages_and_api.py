"""Who sees and does what, on every credit page and endpoint: two enterprises (Xihu and
Binjiang), Market Supervision officials city-wide and for Binjiang, a Taxation official,
an auditor, and anonymous visitors."""

from datetime import date, timedelta

import pytest

from credit.commitments.models import Commitment, CommitmentStatus
from credit.grades.services import recompute_grade
from credit.lists.models import ListEntry
from credit.records.models import CreditRecord
from credit.sweep import daily_sweep
from tests.factories import (
    CommitmentFactory,
    CreditRecordFactory,
    EnterpriseFactory,
    department,
    district,
    member_of,
)

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def world():
    xihu = EnterpriseFactory(district=district("xihu"))
    binjiang = EnterpriseFactory(district=district("binjiang"))
    xihu_member, binjiang_member = member_of(xihu), member_of(binjiang)
    public = CreditRecordFactory(enterprise=xihu, title="公开的处罚", severity="general")
    hidden = CreditRecordFactory(enterprise=xihu, title="不公开的轻微记录", severity="minor")
    over = CreditRecordFactory(
        enterprise=xihu,
        title="公示期已过的处罚",
        severity="general",
        occurred_on=TODAY - timedelta(days=400),
    )
    theirs = CreditRecordFactory(
        enterprise=binjiang, title="滨江的记录", department=department("taxation")
    )
    market_commitment = CommitmentFactory(enterprise=xihu, accepted_by=xihu_member)
    tax_commitment = CommitmentFactory(
        enterprise=binjiang, accepted_by=binjiang_member, department=department("taxation")
    )
    return {"xihu": xihu, "binjiang": binjiang, "xihu_member": xihu_member,
            "binjiang_member": binjiang_member, "public": public, "hidden": hidden,
            "over": over, "theirs": theirs, "market_commitment": market_commitment,
            "tax_commitment": tax_commitment}  # fmt: skip


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def as_(client, user):
    client.force_login(user)
    return client


# --- Pages ---------------------------------------------------------------------------------


def test_the_enterprise_page_is_for_its_members_and_officials_in_scope(
    client, world, market_binjiang, auditor
):
    xihu, binjiang = world["xihu"], world["binjiang"]
    url = f"/credit/enterprises/{xihu.uscc}/"
    assert client.get(url).status_code == 302  # to the login page
    as_(client, world["xihu_member"])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for title in ("公开的处罚", "不公开的轻微记录", "现场核查"):
        assert title in text
    assert "-15" in text  # the explanation: the public general penalty
    assert client.get(f"/credit/enterprises/{binjiang.uscc}/").status_code == 404
    as_(client, market_binjiang)
    assert client.get(url).status_code == 404
    assert client.get(f"/credit/enterprises/{binjiang.uscc}/").status_code == 200
    as_(client, auditor)
    assert client.get(url).status_code == 200


def test_the_public_page_shows_only_records_within_their_window(client, world):
    page = client.get(f"/credit/public/{world['xihu'].uscc.lower()}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "公开的处罚" in text
    assert "不公开的轻微记录" not in text and "公示期已过的处罚" not in text
    assert "现场核查" not in text  # commitments are not public
    assert client.get("/credit/public/91330100MA0000000X/").status_code == 404


def test_the_records_list_is_scoped(client, world, market_binjiang, tax_official, auditor):
    expected = {
        world["xihu_member"]: {"公开的处罚", "不公开的轻微记录", "公示期已过的处罚"},
        market_binjiang: {"滨江的记录"},
        tax_official: {"公开的处罚", "不公开的轻微记录", "公示期已过的处罚", "滨江的记录"},
        auditor: {"公开的处罚", "不公开的轻微记录", "公示期已过的处罚", "滨江的记录"},
    }
    titles = set(CreditRecord.objects.values_list("title", flat=True))
    for user, visible in expected.items():
        text = as_(client, user).get("/credit/records/").content.decode()
        shown = {title for title in titles if title in text}
        assert shown == visible, user


def test_an_official_adds_a_record_for_their_department(client, world, market_official):
    as_(client, market_official)
    assert client.get("/credit/records/new/").status_code == 200
    response = client.post(
        "/credit/records/new/",
        {
            "uscc": world["xihu"].uscc,
            "kind": "administrative_penalty",
            "severity": "serious",
            "title": "无证经营",
            "occurred_on": TODAY.isoformat(),
            "publicity_months": "24",
        },
    )
    assert response.status_code == 302
    record = CreditRecord.objects.get(title="无证经营")
    assert record.department.code == "market" and record.publicity_months == 24
    assert ListEntry.objects.get(enterprise=world["xihu"]).list_kind == "black"


@pytest.mark.parametrize(("data", "message"), [
    ({"severity": "general", "publicity_months": "1"}, "3 to 12 months"),
    ({"occurred_on": (TODAY + timedelta(days=3)).isoformat()}, "in the future"),
    ({"kind": "tax_grade"}, "Select a valid choice"),
    ({"uscc": "91330100MA0000000X"}, ""),
])  # fmt: skip
def test_bad_records_are_refused_on_the_form(client, world, market_official, data, message):
    as_(client, market_official)
    form = {"uscc": world["xihu"].uscc, "kind": "reward", "severity": "general",
            "title": "x", "occurred_on": TODAY.isoformat(), **data}  # fmt: skip
    response = client.post("/credit/records/new/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CreditRecord.objects.filter(title="x").exists()


def test_outside_their_district_or_not_an_official(client, world, market_binjiang, auditor):
    as_(client, market_binjiang)
    response = client.post(
        "/credit/records/new/",
        {
            "uscc": world["xihu"].uscc,
            "kind": "reward",
            "severity": "general",
            "title": "x",
            "occurred_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 200
    assert "within your access" in response.content.decode()
    for user in (world["xihu_member"], auditor):
        assert as_(client, user).get("/credit/records/new/").status_code == 403


def test_the_lists_page_is_for_officials_and_auditors(client, world, market_official, auditor):
    CreditRecordFactory(enterprise=world["xihu"], severity="serious")
    daily_sweep()
    assert as_(client, world["xihu_member"]).get("/credit/lists/").status_code == 403
    text = as_(client, market_official).get("/credit/lists/").content.decode()
    assert world["xihu"].name in text
    assert as_(client, auditor).get("/credit/lists/").status_code == 200


def test_commitments_list_and_decisions_are_scoped(client, world, market_official,
                                                   tax_official, auditor):  # fmt: skip
    mine, theirs = world["market_commitment"], world["tax_commitment"]
    as_(client, market_official)
    text = client.get("/credit/commitments/").content.decode()
    assert f"/credit/commitments/{mine.pk}/" in text
    assert f"/credit/commitments/{theirs.pk}/" not in text
    assert client.get(f"/credit/commitments/{theirs.pk}/").status_code == 404
    page = client.get(f"/credit/commitments/{mine.pk}/").content.decode()
    assert mine.notice.sha256 in page and "/start/" in page
    assert client.post(f"/credit/commitments/{mine.pk}/start/").status_code == 302
    assert Commitment.objects.get(pk=mine.pk).status == CommitmentStatus.VERIFYING
    # A breach without a reason: refused with a message, nothing changes.
    client.post(f"/credit/commitments/{mine.pk}/breach/", {"breach-reason": ""})
    assert Commitment.objects.get(pk=mine.pk).status == CommitmentStatus.VERIFYING
    client.post(
        f"/credit/commitments/{mine.pk}/breach/",
        {"breach-reason": "现场不符", "breach-severity": "general"},
    )
    assert Commitment.objects.get(pk=mine.pk).status == CommitmentStatus.BREACHED
    assert client.post(f"/credit/commitments/{theirs.pk}/start/").status_code == 404
    assert client.post(f"/credit/commitments/{mine.pk}/no-such-step/").status_code == 404
    as_(client, tax_official)
    assert client.get(f"/credit/commitments/{theirs.pk}/").status_code == 200
    as_(client, auditor)
    assert client.get(f"/credit/commitments/{theirs.pk}/").status_code == 200
    assert client.post(f"/credit/commitments/{theirs.pk}/start/").status_code == 404


def test_the_enterprise_withdraws_its_commitment_on_the_page(client, world):
    commitment = world["market_commitment"]
    as_(client, world["xihu_member"])
    assert "/withdraw/" in client.get(f"/credit/commitments/{commitment.pk}/").content.decode()
    client.post(f"/credit/commitments/{commitment.pk}/withdraw/", {"withdraw-reason": "项目取消"})
    assert Commitment.objects.get(pk=commitment.pk).status == CommitmentStatus.WITHDRAWN
    # Starting verification is the department's step, not the enterprise's.
    other = CommitmentFactory(enterprise=world["xihu"], accepted_by=world["xihu_member"])
    assert "/start/" not in client.get(f"/credit/commitments/{other.pk}/").content.decode()
    assert client.post(f"/credit/commitments/{other.pk}/start/").status_code == 403


# --- API -----------------------------------------------------------------------------------


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_records_api_is_scoped(api_client, world, market_binjiang, auditor):
    assert api_client.get("/api/v1/credit/records/").status_code == 401
    api_client.force_authenticate(world["xihu_member"])
    xihu_ids = {world[name].pk for name in ("public", "hidden", "over")}
    assert ids(api_client.get("/api/v1/credit/records/")) == xihu_ids
    assert api_client.get(f"/api/v1/credit/records/{world['theirs'].pk}/").status_code == 404
    api_client.force_authenticate(market_binjiang)
    assert ids(api_client.get("/api/v1/credit/records/")) == {world["theirs"].pk}
    api_client.force_authenticate(auditor)
    assert len(ids(api_client.get("/api/v1/credit/records/?kind=administrative_penalty"))) == 4


def test_records_api_creates_for_officials_only(api_client, world, market_official, auditor):
    body = {"uscc": world["xihu"].uscc.lower(), "kind": "reward", "severity": "general",
            "title": "守合同重信用", "occurred_on": TODAY.isoformat()}  # fmt: skip
    for user in (world["xihu_member"], auditor):
        api_client.force_authenticate(user)
        assert api_client.post("/api/v1/credit/records/", body, format="json").status_code == 403
    api_client.force_authenticate(market_official)
    created = api_client.post("/api/v1/credit/records/", body, format="json")
    assert created.status_code == 201
    assert created.json()["department"] == "market" and created.json()["public_until"]
    bad = api_client.post("/api/v1/credit/records/", {**body, "publicity_months": 20},
                          format="json")  # fmt: skip
    assert bad.status_code == 400 and "publicity_months" in bad.json()["fields"]
    missing = api_client.post(
        "/api/v1/credit/records/", {**body, "uscc": "91330100MA0000000X"}, format="json"
    )
    assert missing.status_code == 404


def test_grades_api(api_client, world, market_binjiang):
    api_client.force_authenticate(world["binjiang_member"])
    listing = api_client.get("/api/v1/credit/grades/").json()["results"]
    assert [(row["uscc"], row["black_list"]) for row in listing] == [
        (world["binjiang"].uscc, False)
    ]
    assert api_client.get(f"/api/v1/credit/grades/{world['xihu'].uscc}/").status_code == 404
    detail = api_client.get(f"/api/v1/credit/grades/{world['binjiang'].uscc.lower()}/").json()
    # Its record went straight to the table, no grade computed yet: the model's base grade,
    # and an explanation derived from the records in effect.
    assert (detail["grade"], detail["score"], detail["grade_since"]) == ("B", 80, None)
    assert detail["explanation"]["score"] == 65
    recompute_grade(world["binjiang"], cause="test")
    detail = api_client.get(f"/api/v1/credit/grades/{world['binjiang'].uscc}/").json()
    assert (detail["grade"], detail["score"]) == ("C", 65)
    assert detail["explanation"]["records"][0]["points"] == -15
    api_client.force_authenticate(market_binjiang)
    assert [row["uscc"] for row in api_client.get("/api/v1/credit/grades/").json()["results"]] == [
        world["binjiang"].uscc
    ]


def test_commitments_api_scope_and_steps(api_client, world, market_official, tax_official,
                                         auditor):  # fmt: skip
    mine, theirs = world["market_commitment"], world["tax_commitment"]
    base = "/api/v1/credit/commitments"
    api_client.force_authenticate(market_official)
    assert ids(api_client.get(f"{base}/")) == {mine.pk}
    assert api_client.post(f"{base}/{theirs.pk}/start-verification/").status_code == 404
    started = api_client.post(f"{base}/{mine.pk}/start-verification/")
    assert started.status_code == 200 and started.json()["status"] == "verifying"
    again = api_client.post(f"{base}/{mine.pk}/start-verification/")
    assert again.status_code == 409 and again.json()["detail"]
    no_reason = api_client.post(f"{base}/{mine.pk}/breach/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["fields"]["reason"]
    fulfilled = api_client.post(f"{base}/{mine.pk}/fulfil/", {"reason": "核查属实"},
                                format="json")  # fmt: skip
    assert fulfilled.json()["status"] == "fulfilled" and fulfilled.json()["decided_by"]
    api_client.force_authenticate(world["binjiang_member"])
    assert ids(api_client.get(f"{base}/")) == {theirs.pk}
    assert api_client.post(f"{base}/{theirs.pk}/start-verification/").status_code == 403
    assert api_client.post(f"{base}/{theirs.pk}/withdraw/").json()["status"] == "withdrawn"
    api_client.force_authenticate(auditor)
    assert ids(api_client.get(f"{base}/")) == {mine.pk, theirs.pk}
    assert api_client.post(f"{base}/{mine.pk}/withdraw/").status_code == 403
    api_client.force_authenticate(tax_official)
    assert ids(api_client.get(f"{base}/")) == {theirs.pk}


def test_the_schema_documents_the_credit_endpoints(api_client, auditor):
    api_client.force_authenticate(auditor)
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/credit/records/",
        "/api/v1/credit/grades/{uscc}/",
        "/api/v1/credit/commitments/{id}/breach/",
    ):
        assert path in schema


def test_the_back_office_edits_the_data_tables_and_keeps_used_versions(client, world):
    from tests.factories import AdminFactory

    admin = AdminFactory()
    as_(client, admin)
    for path in ("scoringmodel", "listrule", "commitmentnotice", "creditrecord", "creditgrade",
                 "gradechange", "listentry", "commitment"):  # fmt: skip
        assert client.get(f"/admin/credit/{path}/").status_code == 200, path
    notice = world["market_commitment"].notice
    page = client.get(f"/admin/credit/commitmentnotice/{notice.pk}/change/").content.decode()
    assert 'name="text"' not in page  # the accepted text is read-only
    recompute_grade(world["xihu"], cause="test")
    page = client.get("/admin/credit/scoringmodel/1/change/").content.decode()
    assert 'name="weights"' not in page  # a model that graded someone is read-only
    added = client.post(
        "/admin/credit/listrule/add/",
        {
            "code": "bad",
            "list_kind": "black",
            "name_zh": "x",
            "name_en": "x",
            "legal_basis": "x",
            "duration_months": 6,
            "active": "on",
            "condition": '{"records": {"within_months": 12}, "at_most": 0}',
        },
    )
    assert added.status_code == 200 and "at_least" in added.content.decode()
    assert not ListEntry.objects.exists()
