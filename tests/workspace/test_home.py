"""A home that is a to-do list: the signed-in enterprise member starts from the things
waiting for them — an offer to accept, a claim under way, a supplement a department asked
for, a commitment to be verified, an answer to rate, a record that can be repaired — each
with its deadline and one button; other enterprises' things never show. The anonymous
home says what the portal does today, not "coming soon"."""

from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import ItemStatus
from approvals.services.decisions import request_supplement
from directline.models import Category
from directline.services.department_side import answer
from directline.services.raising import raise_request
from subsidies.models import Claim, ClaimStatus
from tests.approvals.conftest import (
    officials_for,
    project_package,  # noqa: F401 - fixture
    submitted_project,
)
from tests.directline.conftest import categories_installed
from tests.factories import (
    CommitmentFactory,
    CreditRecordFactory,
    EnterpriseFactory,
    OfficialFactory,
    member_of,
)
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures
from workspace.selectors import enterprise_todo

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def everything(policy, project_package):  # noqa: F811
    """One enterprise with one thing of every kind waiting, and its member."""
    categories_installed()
    enterprise = EnterpriseFactory(name="杭州待办示范有限公司")
    member = member_of(enterprise)
    version = policy.versions.get()
    offer = Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                 period="2026", status=ClaimStatus.OFFERED,
                                 amount=Decimal("5000.00"))  # fmt: skip
    waiting = Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                   period="2025", status=ClaimStatus.AWAITING_DATA)  # fmt: skip
    application = submitted_project((member, enterprise), project_package)
    item = application.items.get(item_type__code="eia-approval")
    request_supplement(item.pk, actor=officials_for("ecology"), message="请补充危废处置协议")
    request = raise_request(actor=member, enterprise=enterprise,
                            category=Category.objects.get(code="policy_question"),
                            subject="发票开具问题",
                            description="增值税发票无法开具，如何处理？")  # fmt: skip
    answer(request.pk, actor=OfficialFactory(department=request.department, district=None),
           text="请到窗口办理。")  # fmt: skip
    commitment = CommitmentFactory(enterprise=enterprise, accepted_by=member)
    record = CreditRecordFactory(enterprise=enterprise, severity="minor", title="未按期年报")
    CreditRecordFactory(enterprise=enterprise, severity="serious", title="严重违法记录")  # too soon
    return {"member": member, "offer": offer, "waiting": waiting, "item": item,
            "application": application, "request": request, "commitment": commitment,
            "record": record}  # fmt: skip


def test_the_home_lists_every_thing_to_do_with_one_button_each(client, everything):
    item = everything["item"]
    item.refresh_from_db()
    assert item.status == ItemStatus.SUPPLEMENT
    client.force_login(everything["member"])
    page = client.get(reverse("home"), **EN).content.decode()
    assert "Your things to do" in page
    # The offer: accepted with one click, by a form that posts.
    assert f'action="{reverse("subsidies:confirm", args=[everything["offer"].pk])}"' in page
    assert ">Accept</button>" in page
    # The claim under way, by its status.
    assert reverse("subsidies:claim", args=[everything["waiting"].pk]) in page
    assert "Waiting for department data" in page
    # The supplement, with the department's working-hours clock.
    assert reverse("approvals:tracker", args=[everything["application"].pk]) in page
    assert "Send the supplement" in page and "of working time left" in page
    # The answer to rate.
    assert reverse("directline:detail", args=[everything["request"].pk]) in page
    assert "Rate the answer" in page
    # The commitment, due when it is verified.
    commitment = everything["commitment"]
    assert reverse("credit:commitment", args=[commitment.pk]) in page
    assert commitment.verify_by.astimezone().strftime("%Y-%m-%d") in page
    # The record that may be repaired now, and not the one that may not yet.
    assert reverse("credit:repair_new", args=[everything["record"].pk]) in page
    assert "严重违法记录" not in page


def test_the_list_is_the_members_own_and_soonest_first(everything):
    todo = enterprise_todo(everything["member"])
    assert {t.kind for t in todo} == {"offer", "claim", "supplement", "rating", "commitment",
                                      "repair"}  # fmt: skip
    dues = [t.due_at for t in todo if t.due_at is not None]
    assert dues == sorted(dues)
    stranger = member_of(EnterpriseFactory())
    assert enterprise_todo(stranger) == []
    assert enterprise_todo(OfficialFactory()) == []


def test_a_member_with_nothing_to_do_is_told_so(client, policy):  # noqa: F811
    client.force_login(member_of(EnterpriseFactory()))
    page = client.get(reverse("home"), **EN).content.decode()
    assert "Nothing waits for you" in page


def test_the_anonymous_home_says_what_the_portal_does_today(client, reference_data):
    page = client.get(reverse("home")).content.decode()
    assert "即将开通" not in page and "(soon)" not in page
    english = client.get(reverse("home"), **EN).content.decode()
    assert "(soon)" not in english and "coming soon" not in english.lower()
    assert "in one click" in english
