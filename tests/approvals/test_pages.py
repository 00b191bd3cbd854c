"""The approvals pages: each renders for the right people in both languages, everything
outside a caller's scope is a 404, input survives an error, and every action goes through
the services with a message."""

from pathlib import Path

import pytest
from django.urls import reverse

from approvals.models import Application, ApplicationStatus, ItemStatus, Permit
from approvals.services.applications import save_answers, start_application, submit_application
from approvals.services.decisions import approve_item, assign_item, reject_item, request_supplement
from approvals.views import enterprise as enterprise_views
from enterprises.models import EnterpriseMembership
from tests.factories import AuditorFactory, EnterpriseFactory, UserFactory, district, member_of

from .conftest import (
    ESTABLISHMENT,
    FIVE_ITEM_PROJECT,
    draft_project,
    officials_for,
    submitted_project,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("zh-hans", "en")


def get(client, url, language="zh-hans", **extra):
    client.cookies["django_language"] = language
    return client.get(url, **extra)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def project(applicant, project_package):
    """A submitted five-item project of the applicant's enterprise in Xihu."""
    return submitted_project(applicant, project_package)


def item_of(application, code):
    return application.items.get(item_type__code=code)


class TestEnterpriseSide:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_my_applications_lists_them_and_offers_the_packages(
        self, client, applicant, project, language
    ):
        client.force_login(applicant[0])
        page = get(client, reverse("approvals:list"), language)
        assert page.status_code == 200
        html = page.content.decode()
        assert project.reference in html
        name = "Industrial project approval" if language == "en" else "工业项目审批"
        assert name in html
        assert f'lang="{"en" if language == "en" else "zh-Hans"}"' in html
        assert page.context["page"].object_list[0].item_total == 5

    def test_the_status_filter(self, client, applicant, project, project_package):
        draft = draft_project(applicant, project_package)
        client.force_login(applicant[0])
        shown = client.get(reverse("approvals:list"), {"status": "draft"}).context["page"]
        assert [a.pk for a in shown.object_list] == [draft.pk]
        bad = client.get(reverse("approvals:list"), {"status": "nonsense"})
        assert bad.status_code == 200 and bad.context["page"].paginator.count == 0

    def test_a_member_of_two_enterprises_picks_which_applies(
        self, client, applicant, project_package
    ):
        user = applicant[0]
        second = EnterpriseFactory(district=district("binjiang"))
        member_of(second)
        EnterpriseMembership.objects.create(enterprise=second, user=user, role="agent")
        client.force_login(user)
        page = client.get(reverse("approvals:list"))
        assert 'name="uscc"' in page.content.decode() and second.name in page.content.decode()
        started = client.post(
            reverse("approvals:start", args=["industrial-project"]), {"uscc": second.uscc}
        )
        application = Application.objects.get()
        assert started["Location"] == reverse("approvals:edit", args=[application.pk])
        assert application.enterprise == second
        # Someone else's enterprise is refused with a message, nothing started.
        other = EnterpriseFactory()
        refused = client.post(
            reverse("approvals:start", args=["industrial-project"]),
            {"uscc": other.uscc},
            follow=True,
        )
        assert Application.objects.count() == 1 and messages_of(refused)

    def test_a_person_without_an_enterprise_starts_an_establishment(self, client):
        founder = UserFactory()
        client.force_login(founder)
        response = client.post(reverse("approvals:start", args=["enterprise-establishment"]))
        application = Application.objects.get()
        assert application.enterprise is None and application.applicant == founder
        assert response["Location"] == reverse("approvals:edit", args=[application.pk])
        for language in LANGUAGES:
            sheet = get(client, response["Location"], language)
            assert sheet.status_code == 200 and 'name="shareholders"' in sheet.content.decode()
            assert "wrong__" not in sheet.content.decode()  # nothing was prefilled
        client.post(response["Location"], {**ESTABLISHMENT, "shareholders": "李明\r\n\r\n王芳"})
        application.refresh_from_db()
        assert application.answers["shareholders"] == [{"name": "李明"}, {"name": "王芳"}]
        again = client.get(response["Location"])
        assert "李明\n王芳" in again.content.decode()
        review = client.get(reverse("approvals:review", args=[application.pk]))
        assert review.context["missing_count"] == 0
        # A list as the page's language joins it (qinqing.i18n.join_list): 、 or ", "
        html = review.content.decode()
        assert ("李明, 王芳" if '<html lang="en"' in html else "李明、王芳") in html
        assert not review.context["commitment_possible"]

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_sheet_shows_sections_the_task_list_and_prefill_sources(
        self, client, applicant, project_package, language
    ):
        user, enterprise = applicant
        application = start_application(package=project_package, actor=user, enterprise=enterprise)
        client.force_login(user)
        page = get(client, reverse("approvals:edit", args=[application.pk]), language)
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="section-project"' in html and 'id="section-site"' in html
        source = {"en": "Filled in from the enterprise register", "zh-hans": "来自企业登记信息"}
        assert source[language] in html  # the district
        assert 'name="wrong__district"' in html
        assert [task["key"] for task in page.context["progress"]] == [
            "project",
            "site",
            "operations",
        ]
        label = "Land parcel number" if language == "en" else "地块编号"
        assert label in html

    def test_save_draft_keeps_what_was_typed_when_an_answer_is_wrong(
        self, client, applicant, project_package
    ):
        user, enterprise = applicant
        application = start_application(package=project_package, actor=user, enterprise=enterprise)
        client.force_login(user)
        url = reverse("approvals:edit", args=[application.pk])
        response = client.post(
            url,
            {"project_name": "滨江智造园二期", "total_investment": "很多", "land_parcel": "XH-9"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert "滨江智造园二期" in html and "很多" in html and "XH-9" in html
        assert response.context["form"].errors["total_investment"]
        assert 'href="#field-total_investment"' in html
        application.refresh_from_db()
        assert "project_name" not in application.answers  # nothing saved

    def test_save_draft_saves_any_part_and_a_prefilled_answer_can_be_called_wrong(
        self, client, applicant, project_package
    ):
        user, enterprise = applicant
        application = start_application(package=project_package, actor=user, enterprise=enterprise)
        client.force_login(user)
        url = reverse("approvals:edit", args=[application.pk])
        saved = client.post(
            url,
            {
                "project_name": "电机工厂",
                "hazardous_chemicals": "false",
                "wrong__district": "on",
                "wrong_note__district": "项目在滨江，不在注册地",
            },
            follow=True,
        )
        assert saved.redirect_chain[-1][0] == url
        application.refresh_from_db()
        assert application.answers["project_name"] == "电机工厂"
        assert application.answers["hazardous_chemicals"] is False
        assert application.prefill["district"]["disputed"] is True
        assert "项目在滨江" in saved.content.decode()
        # "Save and check" goes on to the review page.
        check = client.post(url, {"project_name": "电机工厂", "check": "1"})
        assert check["Location"] == reverse("approvals:review", args=[application.pk])

    def test_the_review_page_flags_what_is_missing_and_lists_the_items(
        self, client, applicant, project_package
    ):
        user, enterprise = applicant
        application = start_application(package=project_package, actor=user, enterprise=enterprise)
        client.force_login(user)
        url = reverse("approvals:review", args=[application.pk])
        page = client.get(url)
        assert page.context["missing_count"] > 0
        assert f"{reverse('approvals:edit', args=[application.pk])}#field-project_name" in (
            page.content.decode()
        )
        assert reverse("approvals:submit", args=[application.pk]) not in page.content.decode()
        save_answers(application.pk, actor=user, answers=FIVE_ITEM_PROJECT)
        for language in LANGUAGES:
            page = get(client, url, language)
            assert page.context["missing_count"] == 0
            assert [entry["type"].code for entry in page.context["item_types"]] == [
                "project-filing",
                "planning-permit",
                "construction-permit",
                "eia-approval",
                "fire-design-review",
            ]
            assert reverse("approvals:submit", args=[application.pk]) in page.content.decode()
        assert "Natural Resources" in page.content.decode() or "规划" in page.content.decode()

    def test_submitting_twice_shows_a_message_not_an_error(
        self, client, applicant, project_package
    ):
        application = draft_project(applicant, project_package)
        client.force_login(applicant[0])
        url = reverse("approvals:submit", args=[application.pk])
        first = client.post(url, follow=True)
        assert first.status_code == 200
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.IN_REVIEW
        second = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert second.status_code == 200
        assert second.redirect_chain[-1][0] == reverse("approvals:tracker", args=[application.pk])
        assert any("already been submitted" in m for m in messages_of(second))
        assert application.items.count() == 5  # nothing created twice
        # The sheet of a submitted application sends the person to the tracker.
        edit = client.get(reverse("approvals:edit", args=[application.pk]))
        assert edit["Location"] == reverse("approvals:tracker", args=[application.pk])

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_tracker_shows_items_countdowns_and_the_timeline(
        self, client, applicant, project, language
    ):
        client.force_login(applicant[0])
        page = get(client, reverse("approvals:tracker", args=[project.pk]), language)
        assert page.status_code == 200
        assert len(page.context["rows"]) == 5 and page.context["live"]
        html = page.content.decode()
        assert 'hx-trigger="every 5s"' in html
        assert "clock-" in html  # a countdown per open item
        assert page.context["timeline"] and reverse("approvals:withdraw", args=[project.pk]) in html

    def test_htmx_gets_only_the_live_part_and_learns_of_changes(self, client, applicant, project):
        client.force_login(applicant[0])
        url = reverse("approvals:tracker", args=[project.pk])
        since = client.get(url).context["since"]
        live = client.get(url, {"since": since}, HTTP_HX_REQUEST="true")
        assert live.status_code == 200
        assert live.content.decode().lstrip().startswith('<section id="tracker-live"')
        assert not live.context["changed"]
        official = officials_for("ndrc")
        approve_item(item_of(project, "project-filing").pk, actor=official)
        changed = client.get(url, {"since": since}, HTTP_HX_REQUEST="true")
        assert changed.context["changed"] and "changed-note" in changed.content.decode()

    def test_a_paused_item_shows_paused_and_the_supplement_is_answered_on_the_page(
        self, client, applicant, project
    ):
        planning = item_of(project, "planning-permit")
        official = officials_for("planning")
        request_supplement(planning.pk, actor=official, message="请补充总平面图说明")
        client.force_login(applicant[0])
        url = reverse("approvals:tracker", args=[project.pk])
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        row = next(r for r in page.context["rows"] if r.item.pk == planning.pk)
        assert row.clock.state == "paused" and "Paused" in page.content.decode()
        assert "请补充总平面图说明" in page.content.decode()
        answer_url = reverse("approvals:answer_supplement", args=[planning.pk])
        empty = client.post(answer_url, {"message": "   "})
        assert empty.status_code == 400  # the tracker again, with the reason
        assert next(r for r in empty.context["rows"] if r.item.pk == planning.pk).error
        answered = client.post(answer_url, {"message": "总平面图说明见附件"}, follow=True)
        assert answered.status_code == 200 and messages_of(answered)
        planning.refresh_from_db()
        assert planning.status == ItemStatus.PENDING

    def test_a_rejected_item_shows_the_reasons_and_is_resubmitted(self, client, applicant, project):
        fire = item_of(project, "fire-design-review")
        reject_item(fire.pk, actor=officials_for("emergency"), reasons="疏散宽度不足")
        client.force_login(applicant[0])
        page = client.get(reverse("approvals:tracker", args=[project.pk]))
        assert "疏散宽度不足" in page.content.decode()
        assert reverse("approvals:resubmit", args=[fire.pk]) in page.content.decode()
        kept = client.post(reverse("approvals:resubmit", args=[fire.pk]), {"message": ""})
        assert kept.status_code == 400
        client.post(reverse("approvals:resubmit", args=[fire.pk]), {"message": "已加宽疏散通道"})
        fire.refresh_from_db()
        assert fire.status == ItemStatus.PENDING

    def test_withdraw(self, client, applicant, project):
        client.force_login(applicant[0])
        done = client.post(reverse("approvals:withdraw", args=[project.pk]), follow=True)
        assert messages_of(done)
        assert Application.objects.get(pk=project.pk).status == ApplicationStatus.WITHDRAWN
        again = client.post(reverse("approvals:withdraw", args=[project.pk]), follow=True)
        assert again.status_code == 200 and messages_of(again)

    def test_an_approved_establishment_says_the_enterprise_is_registered(
        self, client, establishment_package, django_capture_on_commit_callbacks
    ):
        founder = UserFactory()
        application = start_application(package=establishment_package, actor=founder)
        save_answers(application.pk, actor=founder, answers=ESTABLISHMENT)
        client.force_login(founder)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("approvals:submit", args=[application.pk]))
        application.refresh_from_db()
        assert application.status == ApplicationStatus.APPROVED
        for language in LANGUAGES:
            page = get(client, reverse("approvals:tracker", args=[application.pk]), language)
            html = page.content.decode()
            assert application.created_enterprise.uscc in html
            assert reverse("enterprises:detail", args=[application.created_enterprise.uscc]) in html
            assert not page.context["live"]  # nothing open: no more polling
            assert "hx-trigger" not in html


class TestCommitmentPage:
    def test_the_notice_its_consequences_and_the_checks_are_shown(
        self, client, applicant, project_package, monkeypatch
    ):
        notice = FakeNotice()
        monkeypatch.setattr(enterprise_views, "commitment_notice", lambda: notice)
        application = draft_project(applicant, project_package)
        client.force_login(applicant[0])
        url = reverse("approvals:commitment", args=[application.pk])
        for language in LANGUAGES:
            page = get(client, url, language)
            assert page.status_code == 200
            html = page.content.decode()
            assert notice.text in html and notice.consequences in html
            assert len(page.context["targets"]) == 5
        checks = "设计方案符合地块规划条件" if language == "zh-hans" else "planning conditions"
        assert checks in get(client, url, "zh-hans").content.decode() or checks in html
        # Without "I accept": the page again with the reason, nothing submitted.
        refused = client.post(url, {"notice": notice.sha256})
        assert refused.status_code == 400 and refused.context["error"]
        changed = client.post(url, {"notice": "0" * 64, "accept": "on"})
        assert changed.status_code == 400
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DRAFT

    def test_without_a_notice_in_force_the_route_is_closed_but_the_page_works(
        self, client, applicant, project_package, monkeypatch
    ):
        monkeypatch.setattr(enterprise_views, "commitment_notice", lambda: None)
        application = draft_project(applicant, project_package)
        client.force_login(applicant[0])
        url = reverse("approvals:commitment", args=[application.pk])
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200 and page.context["notice"] is None
        posted = client.post(url, {"accept": "on"}, follow=True)
        assert posted.status_code == 200 and messages_of(posted)
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DRAFT

    def test_accepting_submits_and_approves_at_once_and_officials_verify(
        self, client, applicant, project_package
    ):
        notice = enterprise_views.commitment_notice()
        assert notice is not None  # credit's notice "approval-item" is in force
        application = draft_project(applicant, project_package)
        client.force_login(applicant[0])
        url = reverse("approvals:commitment", args=[application.pk])
        done = client.post(url, {"notice": notice.sha256, "accept": "on"}, follow=True)
        assert done.status_code == 200 and messages_of(done)
        application.refresh_from_db()
        assert application.status == ApplicationStatus.APPROVED
        assert set(application.items.values_list("status", flat=True)) == {ItemStatus.COMMITTED}
        again = client.post(url, {"notice": notice.sha256, "accept": "on"}, follow=True)
        assert again.status_code == 200 and messages_of(again)
        # The departments verify afterwards, from their "commitments to verify" list.
        filing, fire = (
            item_of(application, code) for code in ("project-filing", "fire-design-review")
        )
        client.force_login(officials_for("ndrc"))
        due = client.get(reverse("approvals:verifications"))
        assert [r["item"].pk for r in due.context["rows"]] == [filing.pk]
        client.post(reverse("approvals:verify", args=[filing.pk]), {"outcome": "passed"})
        filing.refresh_from_db()
        assert filing.status == ItemStatus.VERIFIED
        client.force_login(officials_for("emergency"))
        no_reason = client.post(
            reverse("approvals:verify", args=[fire.pk]),
            {"outcome": "failed", "text": ""},
            follow=True,
        )
        assert messages_of(no_reason)
        fire.refresh_from_db()
        assert fire.status == ItemStatus.COMMITTED
        client.post(
            reverse("approvals:verify", args=[fire.pk]),
            {"outcome": "failed", "text": "现场检查：消防通道被占用"},
        )
        fire.refresh_from_db()
        assert fire.status == ItemStatus.REVOKED and not fire.permit.valid
        client.force_login(applicant[0])
        tracker = client.get(reverse("approvals:tracker", args=[application.pk]))
        assert "现场检查" in tracker.content.decode()

    def test_after_a_failed_verification_the_item_names_the_verifying_official(
        self, client, applicant, project_package
    ):
        notice = enterprise_views.commitment_notice()
        application = draft_project(applicant, project_package)
        signer = applicant[0]
        signer.display_name = "王经理"
        signer.save()
        client.force_login(signer)
        client.post(
            reverse("approvals:commitment", args=[application.pk]),
            {"notice": notice.sha256, "accept": "on"},
        )
        fire = item_of(application, "fire-design-review")
        official = officials_for("emergency")
        official.display_name = "李科长"
        official.save()
        client.force_login(official)
        client.post(
            reverse("approvals:verify", args=[fire.pk]),
            {"outcome": "failed", "text": "现场检查：消防通道被占用"},
        )
        page = client.get(reverse("approvals:item", args=[fire.pk]), HTTP_ACCEPT_LANGUAGE="en")
        html = page.content.decode()
        decided = html.split('<dd class="decided">', 1)[1].split("</dd>", 1)[0]
        assert "李科长" in decided and "王经理" not in decided
        assert page.context["verification"].by == official

    def test_open_items_of_a_submitted_application_are_approved_on_commitment(
        self, client, applicant, project
    ):
        notice = enterprise_views.commitment_notice()
        client.force_login(applicant[0])
        tracker = client.get(reverse("approvals:tracker", args=[project.pk]))
        assert tracker.context["can_commit"]
        filing = item_of(project, "project-filing")
        url = reverse("approvals:commitment", args=[project.pk])
        page = client.get(url, {"item": filing.pk})
        assert [t["id"] for t in page.context["targets"]] == [filing.pk]
        client.post(url, {"notice": notice.sha256, "accept": "on", "item": [filing.pk]})
        statuses = dict(project.items.values_list("item_type__code", "status"))
        assert statuses["project-filing"] == ItemStatus.COMMITTED
        assert statuses["planning-permit"] == ItemStatus.PENDING


class FakeNotice:
    title = "告知承诺书"
    text = "本企业承诺所填报信息真实、准确、完整。"
    consequences = "承诺不实的，撤销审批并记入信用记录。"
    sha256 = "a" * 64
    version = 1


class TestScoping:
    def test_anonymous_callers_are_sent_to_log_in(self, client, project):
        item = project.items.first()
        for url in (
            reverse("approvals:list"),
            reverse("approvals:tracker", args=[project.pk]),
            reverse("approvals:edit", args=[project.pk]),
            reverse("approvals:review", args=[project.pk]),
            reverse("approvals:commitment", args=[project.pk]),
            reverse("approvals:queue"),
            reverse("approvals:overdue"),
            reverse("approvals:item", args=[item.pk]),
            reverse("approvals:permit", args=["FG-2026-0000001"]),
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        posted = client.post(reverse("approvals:approve", args=[item.pk]))
        assert posted.status_code == 302 and "/accounts/login/" in posted["Location"]

    def test_another_enterprise_gets_404(self, client, project):
        outsider = member_of(EnterpriseFactory())
        client.force_login(outsider)
        item = project.items.first()
        for url in (
            reverse("approvals:tracker", args=[project.pk]),
            reverse("approvals:edit", args=[project.pk]),
            reverse("approvals:review", args=[project.pk]),
            reverse("approvals:commitment", args=[project.pk]),
        ):
            assert client.get(url).status_code == 404
        for url in (
            reverse("approvals:submit", args=[project.pk]),
            reverse("approvals:withdraw", args=[project.pk]),
            reverse("approvals:answer_supplement", args=[item.pk]),
            reverse("approvals:resubmit", args=[item.pk]),
        ):
            assert client.post(url, {"message": "x"}).status_code == 404
        assert project.reference not in client.get(reverse("approvals:list")).content.decode()
        assert Application.objects.get(pk=project.pk).status == ApplicationStatus.IN_REVIEW

    def test_officials_of_another_department_or_district_get_404(self, client, project):
        filing = item_of(project, "project-filing")
        for official in (officials_for("planning"), officials_for("ndrc", "binjiang")):
            client.force_login(official)
            assert client.get(reverse("approvals:item", args=[filing.pk])).status_code == 404
            for name in ("approve", "reject", "request_supplement", "assign", "verify"):
                response = client.post(
                    reverse(f"approvals:{name}", args=[filing.pk]), {"text": "x"}
                )
                assert response.status_code == 404, name
            assert filing.pk not in [
                r["item"].pk for r in client.get(reverse("approvals:queue")).context["rows"]
            ]
        filing.refresh_from_db()
        assert filing.status == ItemStatus.PENDING

    def test_enterprise_users_cannot_open_the_queue(self, client, applicant, project):
        client.force_login(applicant[0])
        assert client.get(reverse("approvals:queue")).status_code == 403
        assert (
            client.get(reverse("approvals:item", args=[project.items.first().pk])).status_code
            == 403
        )


class TestOfficials:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_queue_sorted_by_time_left_with_tabs_and_export(self, client, project, language):
        official = officials_for("ndrc", "xihu")
        client.force_login(official)
        page = get(client, reverse("approvals:queue"), language)
        assert page.status_code == 200
        assert [r["item"].item_type.code for r in page.context["rows"]] == ["project-filing"]
        for name in ("overdue", "verifications"):
            assert get(client, reverse(f"approvals:{name}"), language).status_code == 200
        csv = client.get(reverse("approvals:queue"), {"export": "csv"})
        assert csv["Content-Type"].startswith("text/csv")
        assert project.reference in csv.content.decode("utf-8-sig")
        xlsx = client.get(reverse("approvals:queue"), {"export": "xlsx", "mine": "on"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    def test_the_queue_filters(self, client, project):
        official = officials_for("planning")
        client.force_login(official)
        planning = item_of(project, "planning-permit")
        assert client.get(reverse("approvals:queue"), {"mine": "on"}).context["rows"] == []
        assign_item(planning.pk, actor=official, assignee=official)
        mine = client.get(reverse("approvals:queue"), {"mine": "on"}).context["rows"]
        assert [r["item"].pk for r in mine] == [planning.pk]
        assert (
            client.get(reverse("approvals:queue"), {"status": "supplement"}).context["rows"] == []
        )
        assert client.get(reverse("approvals:queue"), {"status": "bogus"}).status_code == 200

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_item_shows_only_the_departments_answers(
        self, client, applicant, project, project_package, language
    ):
        fire = item_of(project, "fire-design-review")
        client.force_login(officials_for("emergency"))
        page = get(client, reverse("approvals:item", args=[fire.pk]), language)
        assert page.status_code == 200
        keys = [row.field.key for section in page.context["sections"] for row in section.rows]
        assert keys == ["project_name", "floor_area", "hazardous_chemicals"]
        html = page.content.decode()
        assert FIVE_ITEM_PROJECT["land_parcel"] not in html  # planning's answer, not theirs
        assert reverse("approvals:approve", args=[fire.pk]) in html

    def test_a_disputed_prefilled_answer_reaches_the_department(
        self, client, applicant, project_package
    ):
        user, enterprise = applicant
        application = start_application(package=project_package, actor=user, enterprise=enterprise)
        save_answers(
            application.pk, actor=user, answers=FIVE_ITEM_PROJECT, disputes={"district": "地址有误"}
        )
        submit_application(application.pk, actor=user)
        filing = item_of(application, "project-filing")
        client.force_login(officials_for("ndrc"))
        html = client.get(reverse("approvals:item", args=[filing.pk])).content.decode()
        assert "地址有误" in html

    def test_approve_reject_and_supplement_through_the_pages(self, client, applicant, project):
        filing, planning, fire = (
            item_of(project, code)
            for code in ("project-filing", "planning-permit", "fire-design-review")
        )
        client.force_login(officials_for("ndrc"))
        done = client.post(
            reverse("approvals:approve", args=[filing.pk]), {"text": "同意备案"}, follow=True
        )
        assert done.redirect_chain[-1][0] == reverse("approvals:item", args=[filing.pk])
        assert messages_of(done)
        filing.refresh_from_db()
        assert filing.status == ItemStatus.APPROVED and Permit.objects.filter(item=filing).exists()
        twice = client.post(reverse("approvals:approve", args=[filing.pk]), follow=True)
        assert twice.status_code == 200 and messages_of(twice)  # a conflict, said plainly

        client.force_login(officials_for("emergency"))
        empty = client.post(
            reverse("approvals:reject", args=[fire.pk]),
            {"text": ""},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert empty.status_code == 400 and "reasons" in str(empty.context["form"].errors)
        fire.refresh_from_db()
        assert fire.status == ItemStatus.PENDING
        client.post(reverse("approvals:reject", args=[fire.pk]), {"text": "缺少消防设计文件"})
        fire.refresh_from_db()
        assert fire.status == ItemStatus.REJECTED

        planner = officials_for("planning", "xihu")
        client.force_login(planner)
        client.post(
            reverse("approvals:request_supplement", args=[planning.pk]),
            {"text": "请补充用地红线图"},
        )
        planning.refresh_from_db()
        assert planning.status == ItemStatus.SUPPLEMENT and planning.deadline is None
        page = client.get(reverse("approvals:item", args=[planning.pk]))
        assert (
            page.context["clock"].state == "paused" and "请补充用地红线图" in page.content.decode()
        )
        bogus = client.get(reverse("approvals:item", args=[planning.pk]))
        assert bogus.status_code == 200

    def test_approving_asks_for_confirmation(self, client, project):
        filing = item_of(project, "project-filing")
        client.force_login(officials_for("ndrc"))
        url = reverse("approvals:approve", args=[filing.pk])
        item_page = client.get(reverse("approvals:item", args=[filing.pk])).content.decode()
        assert f'method="post" action="{url}"' not in item_page  # one click no longer decides
        assert f'href="{url}"' in item_page
        confirm = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert confirm.status_code == 200
        assert f'method="post" action="{url}"' in confirm.content.decode()
        filing.refresh_from_db()
        assert filing.status == ItemStatus.PENDING
        done = client.post(url, {"text": "同意备案"})
        assert done.status_code == 302
        filing.refresh_from_db()
        assert filing.status == ItemStatus.APPROVED and filing.decision_note == "同意备案"

    def test_an_empty_rejection_reason_shows_on_its_field(self, client, project):
        fire = item_of(project, "fire-design-review")
        client.force_login(officials_for("emergency"))
        empty = client.post(
            reverse("approvals:reject", args=[fire.pk]), {"text": "  "}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert empty.status_code == 400
        html = empty.content.decode()
        assert 'href="#id_text"' in html.split('class="error-summary"', 1)[1]
        field = html.split('class="field field-error"', 1)[1]
        assert "Write the reasons for the rejection" in field.split("</textarea>", 1)[0]
        fire.refresh_from_db()
        assert fire.status == ItemStatus.PENDING

    def test_assign_and_reassign_within_the_department(self, client, project):
        planning = item_of(project, "planning-permit")
        me, colleague = officials_for("planning"), officials_for("planning", "xihu")
        elsewhere = officials_for("planning", "binjiang")
        client.force_login(me)
        page = client.get(reverse("approvals:item", args=[planning.pk]))
        assert {o.pk for o in page.context["colleagues"]} == {me.pk, colleague.pk}
        client.post(reverse("approvals:assign", args=[planning.pk]), {"assignee": colleague.pk})
        planning.refresh_from_db()
        assert planning.assigned_to == colleague
        refused = client.post(
            reverse("approvals:assign", args=[planning.pk]), {"assignee": elsewhere.pk}, follow=True
        )
        assert messages_of(refused)
        client.post(reverse("approvals:assign", args=[planning.pk]), {"assignee": "x1"})
        client.post(reverse("approvals:assign", args=[planning.pk]), {"assignee": ""})
        planning.refresh_from_db()
        assert planning.assigned_to is None

    def test_verify_needs_a_result(self, client, project):
        filing = item_of(project, "project-filing")
        client.force_login(officials_for("ndrc"))
        response = client.post(
            reverse("approvals:verify", args=[filing.pk]), {"outcome": "maybe"}, follow=True
        )
        assert response.status_code == 200 and messages_of(response)


class TestReadOnly:
    def test_an_official_follows_the_applications_holding_their_items(self, client, project):
        client.force_login(officials_for("ndrc", "xihu"))
        listed = client.get(reverse("approvals:list"))
        assert [a.pk for a in listed.context["page"].object_list] == [project.pk]
        assert not listed.context["packages"]
        page = client.get(reverse("approvals:tracker", args=[project.pk]))
        assert page.status_code == 200
        assert [row.item.item_type.code for row in page.context["rows"]] == ["project-filing"]
        assert not page.context["can_withdraw"] and not page.context["can_commit"]
        filing = item_of(project, "project-filing")
        assert reverse("approvals:item", args=[filing.pk]) in page.content.decode()

    def test_an_auditor_reads_everything_and_acts_on_nothing(self, client, project):
        client.force_login(AuditorFactory())
        for language in LANGUAGES:
            queue = get(client, reverse("approvals:queue"), language)
            assert queue.status_code == 200 and len(queue.context["rows"]) == 5
        filing = item_of(project, "project-filing")
        page = client.get(reverse("approvals:item", args=[filing.pk]))
        assert page.status_code == 200 and not page.context["acting"]
        assert reverse("approvals:approve", args=[filing.pk]) not in page.content.decode()
        refused = client.post(reverse("approvals:approve", args=[filing.pk]), follow=True)
        assert refused.status_code == 200 and messages_of(refused)
        filing.refresh_from_db()
        assert filing.status == ItemStatus.PENDING


class TestPermits:
    @pytest.fixture
    def permit(self, project):
        filing = item_of(project, "project-filing")
        approve_item(filing.pk, actor=officials_for("ndrc"))
        return Permit.objects.get(item=filing)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_anyone_verifies_a_permit_by_its_code(self, client, applicant, permit, language):
        page = get(
            client, reverse("permit_verify") + f"?code={permit.verification_code.lower()}", language
        )
        assert page.status_code == 200
        html = page.content.decode()
        assert permit.number in html and applicant[1].name in html
        assert applicant[1].uscc not in html and applicant[1].legal_representative not in html
        assert FIVE_ITEM_PROJECT["project_name"] not in html
        missing = get(client, reverse("permit_verify") + "?code=NOSUCHCODE", language)
        assert missing.status_code == 404 and missing.context["searched"]
        assert get(client, reverse("permit_verify"), language).status_code == 200

    def test_a_revoked_permit_says_so(self, client, permit):
        Permit.objects.filter(pk=permit.pk).update(revoked_at="2026-11-25T10:00:00+08:00")
        page = client.get(
            reverse("permit_verify"), {"code": permit.verification_code}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert not page.context["permit"].valid and "revoked" in page.content.decode()

    def test_the_printable_permit_is_scoped(self, client, applicant, permit):
        url = reverse("approvals:permit", args=[permit.number])
        client.force_login(applicant[0])
        page = client.get(url)
        assert page.status_code == 200 and permit.verification_code in page.content.decode()
        assert "@media print" in (ROOT / "approvals/static/approvals/approvals.css").read_text()
        client.force_login(officials_for("ndrc"))
        assert client.get(url).status_code == 200
        for outsider in (
            member_of(EnterpriseFactory()),
            officials_for("planning"),
            officials_for("ndrc", "binjiang"),
        ):
            client.force_login(outsider)
            assert client.get(url).status_code == 404


GARBAGE = [
    {},
    {
        "text": "x" * 5000,
        "message": "x" * 5000,
        "assignee": "9" * 30,
        "outcome": "failed",
        "accept": "on",
        "notice": "",
        "item": ["x", "99999999999999"],
        "uscc": "%",
    },
    {
        "project_name": "\x00",
        "total_investment": "1e999",
        "district": ["a", "b"],
        "wrong__nope": "on",
        "wrong_note__district": "x" * 600,
        "hazardous_chemicals": "maybe",
        "floor_area": "NaN",
        "check": "1",
    },
]


def test_no_input_on_a_real_application_makes_a_500(client, applicant, project_package):
    draft = draft_project(applicant, project_package)
    submitted = submitted_project(applicant, project_package)
    item = item_of(submitted, "project-filing")
    urls = [
        reverse(name, args=[pk])
        for pk in (draft.pk, submitted.pk)
        for name in (
            "approvals:edit",
            "approvals:review",
            "approvals:submit",
            "approvals:commitment",
            "approvals:withdraw",
            "approvals:tracker",
        )
    ]
    urls += [
        reverse(name, args=[item.pk])
        for name in (
            "approvals:answer_supplement",
            "approvals:resubmit",
            "approvals:item",
            "approvals:approve",
            "approvals:reject",
            "approvals:request_supplement",
            "approvals:assign",
            "approvals:verify",
        )
    ]
    urls += [reverse("approvals:start", args=["industrial-project"]), reverse("approvals:list")]
    failures = []
    for who in (applicant[0], officials_for("ndrc"), officials_for("planning")):
        client.force_login(who)
        for url in urls:
            for body in GARBAGE:
                response = client.post(url, body)
                if response.status_code >= 500:
                    failures.append((who.username, url, response.status_code))
    assert failures == []
