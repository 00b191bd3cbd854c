"""Draws nobody can steer: the randomness is fixed at publication (a named future public
event and two parties' commitments), reveals must match, a missing reveal is replaced by
the published fallback, no draw before the event's day, ratios within their bands."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from credit.errors import CreditRefused
from credit.inspections import draw as algorithm
from credit.inspections.models import CampaignStatus, InspectionDraw
from credit.inspections.verification import verify
from tests.credit.draws import SECRETS, commitments, publish_campaign, run_draw
from tests.credit.test_inspections import campaign_for, manager, pool, population  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_draw_combines_the_public_value_with_both_reveals(population, manager, pool):  # noqa: F811
    campaign = campaign_for(manager, pool)
    publish_campaign(campaign.pk, actor=manager)
    campaign.refresh_from_db()
    assert campaign.commitments == commitments() and campaign.algorithm == "qinqing-draw-2"
    assert campaign.strata_sizes == {"A": 10, "B": 10, "C": 10, "D": 10}
    drawn = run_draw(campaign.pk, actor=manager, public_value="3012.45")
    campaign.refresh_from_db()
    text = f"3012.45\ndepartment={SECRETS['department']}\nsupervisor={SECRETS['supervisor']}"
    assert drawn.seed == algorithm.make_seed(campaign.pk, campaign.snapshot_sha256, text).hex()
    assert drawn.reveals == SECRETS
    assert verify(campaign).ok


def test_another_reveal_would_give_another_draw(population, manager, pool):  # noqa: F811
    """The secrets count: the same public value with other secrets gives another seed."""
    seeds = []
    for secrets in (SECRETS, {"department": "d2", "supervisor": "s2"}):
        campaign = campaign_for(manager, pool)
        publish_campaign(campaign.pk, actor=manager, commitments=commitments(secrets))
        drawn = run_draw(campaign.pk, actor=manager, public_value="1", reveals=secrets)
        campaign.refresh_from_db()
        text = f"1\ndepartment={secrets['department']}\nsupervisor={secrets['supervisor']}"
        assert drawn.seed == algorithm.make_seed(campaign.pk, campaign.snapshot_sha256, text).hex()
        seeds.append(drawn.seed)
    assert seeds[0] != seeds[1]


def test_a_reveal_that_does_not_match_is_refused(population, manager, pool):  # noqa: F811
    campaign = campaign_for(manager, pool)
    publish_campaign(campaign.pk, actor=manager)
    with pytest.raises(CreditRefused) as refused:
        run_draw(campaign.pk, actor=manager, public_value="1",
                 reveals={**SECRETS, "supervisor": "a guess"})  # fmt: skip
    assert "reveal_supervisor" in refused.value.fields
    assert "does not match the commitment" in " ".join(refused.value.fields["reveal_supervisor"])
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED
    assert not InspectionDraw.objects.filter(campaign=campaign).exists()


def test_a_party_that_does_not_reveal_is_replaced_by_the_fallback(population, manager, pool):  # noqa: F811
    campaign = campaign_for(manager, pool)
    publish_campaign(campaign.pk, actor=manager)
    drawn = run_draw(campaign.pk, actor=manager, public_value="77",
                     reveals={"department": SECRETS["department"]})  # fmt: skip
    campaign.refresh_from_db()
    assert drawn.reveals == {"department": SECRETS["department"], "supervisor": None}
    fallback = "fallback:" + hashlib.sha256(b"77").hexdigest()
    text = f"77\ndepartment={SECRETS['department']}\nsupervisor={fallback}"
    assert drawn.seed == algorithm.make_seed(campaign.pk, campaign.snapshot_sha256, text).hex()
    assert verify(campaign).ok


def test_no_draw_before_the_public_event(population, manager, pool):  # noqa: F811
    campaign = campaign_for(manager, pool)
    tomorrow = timezone.localdate() + timedelta(days=1)
    publish_campaign(campaign.pk, actor=manager, public_event_on=tomorrow)
    with pytest.raises(CreditRefused, match="waits for its public event"):
        run_draw(campaign.pk, actor=manager, public_value="1")
    drawn = run_draw(campaign.pk, actor=manager, public_value="1", today=tomorrow)
    assert drawn.seed


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"public_event": ""}, "public_event"),
        ({"public_event_on": timezone.localdate() - timedelta(days=1)}, "public_event_on"),
        ({"commitments": {"department": "ab" * 32}}, "commitment_supervisor"),
        ({"commitments": {"department": "x" * 64, "supervisor": "ab" * 32}},
         "commitment_department"),
        ({"commitments": {"department": "ab" * 32, "supervisor": "ab" * 32}},
         "commitment_supervisor"),
    ],
)  # fmt: skip
def test_publication_requires_the_event_and_two_commitments(population, manager, pool, extra,  # noqa: F811
                                                            field):  # fmt: skip
    campaign = campaign_for(manager, pool)
    with pytest.raises(CreditRefused) as refused:
        publish_campaign(campaign.pk, actor=manager, **extra)
    assert field in refused.value.fields
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


@pytest.mark.parametrize(
    "ratios", [{"A": "6"}, {"B": "4.99"}, {"B": "21"}, {"C": "20"}, {"C": "61"}, {"D": "60"}]
)
def test_ratios_outside_their_grade_band_are_refused(manager, pool, ratios):  # noqa: F811
    with pytest.raises(CreditRefused) as refused:
        campaign_for(manager, pool, ratios=ratios)
    assert "published band" in " ".join(refused.value.fields["ratios"])


def test_a_draft_stored_outside_the_bands_is_refused_at_publication(population, manager, pool):  # noqa: F811
    campaign = campaign_for(manager, pool)
    campaign.ratios = {**campaign.ratios, "A": "50.00"}  # a draft from before the bands
    campaign.save(update_fields=["ratios"])
    with pytest.raises(CreditRefused) as refused:
        publish_campaign(campaign.pk, actor=manager)
    assert "ratios" in refused.value.fields


def test_the_api_refuses_a_mismatched_reveal_with_a_400(client, population, manager, pool):  # noqa: F811
    campaign = campaign_for(manager, pool)
    publish_campaign(campaign.pk, actor=manager)
    client.force_login(manager)
    answer = client.post(
        f"/api/v1/credit/campaigns/{campaign.pk}/draw/",
        {"public_value": "1", "reveals": {"department": "wrong"}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400 and "reveal_department" in answer.json()["fields"]


def test_the_public_index_lists_draws_without_login(client, population, manager, pool):  # noqa: F811
    campaign = campaign_for(manager, pool)
    publish_campaign(campaign.pk, actor=manager)
    index = client.get("/credit/draws/", HTTP_ACCEPT_LANGUAGE="en")
    assert index.status_code == 200 and campaign.title.encode() in index.content
    page = client.get(f"/credit/draws/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and commitments()["supervisor"].encode() in page.content
    assert client.get(f"/credit/draws/{campaign.pk}/draw.json").status_code == 404  # not drawn
    run_draw(campaign.pk, actor=manager, public_value="5")
    page = client.get(f"/credit/draws/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert SECRETS["supervisor"].encode() in page.content and b"population.txt" in page.content
    assert client.get(f"/credit/draws/{campaign.pk}/other.txt").status_code == 404
