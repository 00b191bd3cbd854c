"""Both languages, all of it: article references and lists read in the reader's language,
and the policy pages name parameters in words (issue 20)."""

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from qinqing.i18n import article_ref, join_list

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.parametrize(
    ("chinese", "english"),
    [("第二条", "Art. 2"), ("第三条第一款", "Art. 3(1)"), ("第二十三条", "Art. 23"),
     ("第一百零五条第二款第三项", "Art. 105(2)(3)"),
     ("杭政办〔2025〕1号 第三条", "杭政办〔2025〕1号 Art. 3")],
)  # fmt: skip
def test_article_references_read_in_each_language(chinese, english):
    with translation.override("en"):
        assert article_ref(chinese) == english
    with translation.override("zh-hans"):
        assert article_ref(english) == chinese
        assert article_ref(chinese) == chinese


def test_an_article_reference_that_is_no_number_stays_as_written():
    with translation.override("en"):
        assert article_ref("§3") == "§3"
        assert article_ref("第某条") == "第某条"


def test_lists_are_joined_as_each_language_joins_them():
    with translation.override("en"):
        assert join_list(["tax", "market", ""]) == "tax, market"
        assert join_list(["a", "b", "c"], conjunction=True) == "a, b and c"
        assert Template("{% load qinqing_format %}{{ v|joined }}").render(
            Context({"v": ["x", "y"]})) == "x, y"  # fmt: skip
    with translation.override("zh-hans"):
        assert join_list(["税务", "市场"]) == "税务、市场"


def test_fact_lists_in_english_have_no_chinese_comma():
    from datahub.templatetags.hub_tags import fact_labels

    with translation.override("en"):
        assert "、" not in fact_labels(["hrss.insured_employees", "tax.arrears"])


@pytest.mark.django_db
def test_the_policy_page_names_parameters_by_label_or_clause_never_by_name(client, published):
    page = client.get(reverse("policies:detail", args=["jobs"]), **EN).content.decode()
    assert "min_staff" not in page
    assert "§3" in page  # the clause the parameter comes from names it (it has no label)


@pytest.mark.django_db
def test_the_policy_page_shows_a_parameter_label_and_english_article_references(
    client, officials, published
):
    from datetime import date, timedelta

    from policies.models import Policy
    from policies.services.boundary_cases import generate_boundary_cases
    from policies.services.drafts import create_draft
    from policies.services.publication import approve, submit_for_approval
    from tests.factories import department
    from tests.policies.test_lifecycle import SIMPLE_CRITERIA, version_fields

    author, approver = officials
    today = date.today()
    criteria = {"all": [dict(SIMPLE_CRITERIA["all"][0], clause="第三条第一款"),
                        SIMPLE_CRITERIA["all"][1]]}  # fmt: skip
    parameters = {"min_staff": {"type": "integer", "label": {"zh": "最低参保人数",
                                                             "en": "Minimum insured staff"},
                                "values": [{"from": "2026-01-01", "value": 10,
                                            "reference": "第三条"}]}}  # fmt: skip
    policy = Policy.objects.create(
        code="labelled", department=department("hrss"), title_zh="稳岗", title_en="Jobs",
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="employment_subsidy",
        delivery_mode="apply")  # fmt: skip
    version = create_draft(policy=policy, actor=author, **version_fields(
        valid_from=today - timedelta(days=1), valid_until=today + timedelta(days=30),
        criteria=criteria, parameters=parameters))  # fmt: skip
    generate_boundary_cases(version)
    approve(submit_for_approval(version, actor=author), actor=approver)
    english = client.get(reverse("policies:detail", args=["labelled"]), **EN).content.decode()
    assert "Minimum insured staff" in english and "min_staff" not in english
    assert "Art. 3(1)" in english and "第三条第一款" not in english
    chinese = client.get(reverse("policies:detail", args=["labelled"]), **ZH).content.decode()
    assert "最低参保人数" in chinese and "第三条第一款" in chinese


@pytest.mark.django_db
def test_an_unknown_uscc_on_the_calculator_says_so(client, published, member, enterprise):
    client.force_login(member)
    page = client.get(reverse("policies:calculator"), {"uscc": "91330100MA0000000X"}, **EN)
    assert page.status_code == 200
    text = page.content.decode()
    assert "None of your enterprises has the code" in text
    assert page.context["enterprise"] == enterprise
