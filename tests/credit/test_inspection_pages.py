"""Who sees and does what on the campaign, draw-verification and repair pages and
endpoints."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from credit.inspections.models import CampaignStatus, InspectionDraw, InspectionSelection
from credit.inspections.selectors import campaigns_visible_to
from credit.inspections.services import create_campaign
from credit.records.models import RecordKind, RecordStatus
from credit.records.services import add_record
from credit.repair.models import RepairApplication
from tests.credit.draws import EVENT, SECRETS, commitments, publish_campaign, run_draw
from tests.factories import EnterpriseFactory, OfficialFactory, department, district, member_of

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def world(market_official, tax_official):
    xihu = [EnterpriseFactory(district=district("xihu")) for _ in range(6)]
    binjiang = EnterpriseFactory(district=district("binjiang"))
    pool = [
        OfficialFactory(department=department("ecology"), district=district("binjiang"))
        for _ in range(3)
    ]
    campaign = create_campaign(
        actor=market_official,
        title="Food safety 2026",
        items=["licence"],
        ratios={"A": "5", "B": "20", "C": "60", "D": "100"},
        inspectors=pool,
        district_codes=["xihu"],
    )
    publish_campaign(campaign.pk, actor=market_official)
    run_draw(campaign.pk, actor=market_official, public_value="2026-11-27 SSE close")
    # The draw's randomness (within the published bands) picks whom it picks: the first
    # enterprise of the list, whose member these tests act as, is one it selected.
    chosen = set(InspectionSelection.objects.filter(draw__campaign=campaign)
                 .values_list("enterprise_id", flat=True))  # fmt: skip
    assert chosen, "the draw selected nobody"
    xihu.sort(key=lambda enterprise: enterprise.pk not in chosen)
    return {
        "campaign": campaign,
        "xihu": xihu,
        "binjiang": binjiang,
        "pool": pool,
        "member": member_of(xihu[0]),
        "outsider": member_of(binjiang),
    }


def as_(client, user):
    client.force_login(user)
    return client


def test_campaign_pages_are_for_the_department(client, world, market_official, tax_official):
    campaign = world["campaign"]
    page = as_(client, market_official).get(f"/credit/campaigns/{campaign.pk}/")
    assert page.status_code == 200 and b"Results outstanding" in page.content
    assert client.get("/credit/campaigns/").status_code == 200
    as_(client, tax_official)
    assert client.get(f"/credit/campaigns/{campaign.pk}/").status_code == 404
    as_(client, world["member"])
    assert client.get("/credit/campaigns/").status_code == 403


def test_anyone_can_verify_a_draw(client, world):
    page = client.get(f"/credit/draws/{world['campaign'].pk}/verify/")
    assert page.status_code == 200
    assert b"Verified" in page.content
    assert world["campaign"].snapshot_sha256 == ""  # the fixture's object is stale
    draft = create_campaign(
        actor=OfficialFactory(), title="draft", items=["x"], inspectors=world["pool"]
    )
    assert client.get(f"/credit/draws/{draft.pk}/verify/").status_code == 404


def test_a_second_draw_is_refused_on_page_and_api(client, world, market_official):
    campaign = world["campaign"]
    as_(client, market_official)
    response = client.post(
        f"/credit/campaigns/{campaign.pk}/draw/", {"public_value": "x"}, follow=True
    )
    assert b"never repeated" in response.content
    api = client.post(
        f"/api/v1/credit/campaigns/{campaign.pk}/draw/",
        {"public_value": "x"},
        content_type="application/json",
    )
    assert api.status_code == 409 and "never repeated" in api.json()["detail"]
    verified = client.get(f"/api/v1/credit/campaigns/{campaign.pk}/verify/").json()
    drawn = InspectionDraw.objects.get(campaign=campaign)
    assert verified["ok"] is True and verified["selected"] == drawn.selections.count() > 0


def test_api_refuses_bad_ratios_and_short_pools(client, world, market_official):
    as_(client, market_official)
    names = [user.username for user in world["pool"]]
    bad = client.post(
        "/api/v1/credit/campaigns/",
        {"title": "t", "items": ["x"], "ratios": {"A": "120"}, "inspectors": names},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "ratios" in bad.json()["fields"]
    short = client.post(
        "/api/v1/credit/campaigns/",
        {"title": "t", "items": ["x"], "inspectors": names[:1]},
        content_type="application/json",
    )
    assert short.status_code == 400 and "inspectors" in short.json()["fields"]
    made = client.post(
        "/api/v1/credit/campaigns/",
        {"title": "t", "items": ["x"], "inspectors": names, "districts": ["binjiang"]},
        content_type="application/json",
    )
    assert made.status_code == 201
    # Binjiang's enterprise with a pool all based in Binjiang: nobody without a conflict.
    refused = client.post(
        f"/api/v1/credit/campaigns/{made.json()['id']}/publish/",
        {"public_event": EVENT, "public_event_on": str(timezone.localdate()),
         "commitments": commitments()},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 400 and "Fewer eligible" in str(refused.json())


def test_inspections_are_scoped_and_results_published(client, world, market_official):
    as_(client, world["member"])
    mine = client.get("/api/v1/credit/inspections/").json()["results"]
    assert [row["uscc"] for row in mine] == [world["xihu"][0].uscc]
    refused = client.post(
        f"/api/v1/credit/inspections/{mine[0]['id']}/result/",
        {"violation": True, "findings": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    as_(client, world["outsider"])
    assert client.get("/api/v1/credit/inspections/").json()["results"] == []
    # The draw's randomness decides who inspects whom: take an inspector it assigned.
    drawn = InspectionSelection.objects.filter(draw__campaign=world["campaign"]).first()
    inspector = next(user for user in world["pool"] if user.pk in drawn.inspectors)
    as_(client, inspector)
    assigned = client.get("/api/v1/credit/inspections/").json()["results"]
    assert assigned and all(
        inspector.username in [i["username"] for i in row["inspectors"]] for row in assigned
    )
    done = client.post(
        f"/api/v1/credit/inspections/{assigned[0]['id']}/result/",
        {"violation": True, "findings": "无证经营", "severity": "general"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["result"] == "violation"
    recused = client.post(
        f"/api/v1/credit/inspections/{assigned[-1]['id']}/recuse/",
        {"inspector": inspector.username, "reason": "亲属关系"},
        content_type="application/json",
    )
    assert recused.status_code in (200, 400, 409)


def test_repair_pages_and_api(client, world, market_official, tax_official):
    enterprise, member = world["xihu"][0], world["member"]
    record = add_record(
        enterprise=enterprise,
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        severity="general",
        title="无照经营",
        actor=market_official,
        occurred_on=TODAY - timedelta(days=100),
    )
    fresh = add_record(
        enterprise=enterprise,
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        severity="general",
        title="新处罚",
        actor=market_official,
        occurred_on=TODAY - timedelta(days=3),
    )
    as_(client, member)
    page = client.get(f"/credit/enterprises/{enterprise.uscc}/")
    assert f"/credit/records/{record.pk}/repair/".encode() in page.content
    assert client.get(f"/credit/records/{record.pk}/repair/").status_code == 200
    early = client.post(
        f"/credit/records/{fresh.pk}/repair/", {"evidence": "已整改", "accept": "on"}
    )
    assert early.status_code == 200 and b"may be repaired from" in early.content
    api_early = client.post(
        "/api/v1/credit/repairs/",
        {"record": fresh.pk, "evidence": "x"},
        content_type="application/json",
    )
    assert api_early.status_code == 400
    done = client.post(
        f"/credit/records/{record.pk}/repair/", {"evidence": "已补办营业执照", "accept": "on"}
    )
    assert done.status_code == 302
    application = RepairApplication.objects.get(record=record)
    as_(client, world["outsider"])
    assert client.get(f"/credit/records/{record.pk}/repair/").status_code == 404
    assert client.get(f"/api/v1/credit/repairs/{application.pk}/").status_code == 404
    as_(client, tax_official)
    assert b"\xe5\xb7\xb2\xe8\xa1\xa5" not in client.get("/credit/repairs/").content
    assert client.post(f"/api/v1/credit/repairs/{application.pk}/approve/").status_code == 404
    as_(client, market_official)
    queue = client.get("/credit/repairs/?status=pending")
    assert "已补办营业执照".encode() in queue.content
    rejected = client.post(
        f"/api/v1/credit/repairs/{application.pk}/reject/",
        {"reason": ""},
        content_type="application/json",
    )
    assert rejected.status_code == 400
    client.post(f"/credit/repairs/{application.pk}/decide/", {"decision": "approve"})
    record.refresh_from_db()
    assert record.status == RecordStatus.REPAIRED
    again = client.post(
        f"/api/v1/credit/repairs/{application.pk}/approve/", content_type="application/json"
    )
    assert again.status_code == 409
    assert campaigns_visible_to(market_official).get().status == CampaignStatus.DRAWN


def test_campaign_form_publish_and_draw_on_pages(client, world, market_official):
    as_(client, market_official)
    names = ", ".join(user.username for user in world["pool"])
    form = {
        "title": "Fire safety",
        "items": "exits\nextinguishers",
        "districts": "xihu",
        "industries": "",
        "ratio_a": "5",
        "ratio_b": "10",
        "ratio_c": "30",
        "ratio_d": "70",
        "inspectors": names,
        "inspectors_per_enterprise": "2",
    }
    bad = client.post("/credit/campaigns/new/", {**form, "ratio_d": "101"})
    assert bad.status_code == 200 and b"between 0 and 100" in bad.content
    unknown = client.post("/credit/campaigns/new/", {**form, "inspectors": "nobody, x"})
    assert unknown.status_code == 200 and b"Unknown username" in unknown.content
    made = client.post("/credit/campaigns/new/", form)
    assert made.status_code == 302
    url = made["Location"]
    page = client.get(url)
    assert page.status_code == 200 and b"Publish" in page.content
    pk = int(url.rstrip("/").split("/")[-1])
    promised = commitments()
    client.post(
        f"/credit/campaigns/{pk}/publish/",
        {"public_event": EVENT, "public_event_on": str(timezone.localdate()),
         "commitment_department": promised["department"],
         "commitment_supervisor": promised["supervisor"]},
    )  # fmt: skip
    assert b"Snapshot SHA-256" in client.get(url).content
    client.post(
        f"/credit/campaigns/{pk}/draw/",
        {"public_value": "42", "reveal_department": SECRETS["department"]},
    )
    page = client.get(url)
    assert b"Results outstanding" in page.content and b"Recuse" in page.content
    assert client.post(f"/credit/campaigns/{pk}/nothing/").status_code == 404
    as_(client, world["member"])
    assert client.post(f"/credit/campaigns/{pk}/draw/", {"public_value": "1"}).status_code == 404


def test_an_inspector_is_recused_from_the_campaign_page(client, world, market_official):
    from credit.inspections.models import InspectionSelection

    campaign = world["campaign"]
    selection = InspectionSelection.objects.filter(draw__campaign=campaign).first()
    first = selection.inspectors[0]
    page = as_(client, market_official).get(f"/credit/campaigns/{campaign.pk}/")
    assert f'action="/credit/inspections/{selection.pk}/recuse/"'.encode() in page.content
    response = client.post(
        f"/credit/inspections/{selection.pk}/recuse/",
        {"inspector": first, "reason": "亲属关系"},
        follow=True,
    )
    assert b"takes the place" in response.content and b"Recused" in response.content
    selection.refresh_from_db()
    assert selection.inspectors[0] == first and len(selection.inspectors) == 3
    again = client.post(
        f"/credit/inspections/{selection.pk}/recuse/",
        {"inspector": first, "reason": "亲属关系"},
        follow=True,
    )
    assert b"already recused" in again.content
    assert client.get(f"/api/v1/credit/campaigns/{campaign.pk}/verify/").json()["ok"] is True
