"""The request categories with their time limits, and a few routing rules (data that
administrators edit afterwards)."""

from django.db import migrations

CATEGORIES = [
    # code, order, Chinese, English, limit in working hours
    ("policy_question", 1, "政策咨询", "Policy question", 14),
    ("difficulty", 2, "困难诉求", "Difficulty or appeal", 35),
    ("suggestion", 3, "意见建议", "Suggestion", 35),
    ("service_complaint", 4, "服务投诉", "Complaint about a service", 21),
]

RULES = [
    # priority, category, keywords, department
    (10, "", "税,发票,退税,纳税", "taxation"),
    (20, "", "社保,招聘,用工,人才", "hrss"),
    (30, "", "营业执照,商标,登记", "market"),
    (40, "", "公积金", "housing_fund"),
]


def load(apps, schema_editor):
    Category = apps.get_model("directline", "Category")
    RoutingRule = apps.get_model("directline", "RoutingRule")
    Department = apps.get_model("departments", "Department")
    for code, order, zh, en, hours in CATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"order": order, "name_zh": zh, "name_en": en,
                                 "limit_hours": hours},
        )  # fmt: skip
    for priority, _category, keywords, department in RULES:
        target = Department.objects.filter(code=department).first()
        if target is not None:
            RoutingRule.objects.get_or_create(priority=priority, keywords=keywords,
                                              department=target)  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("directline", "0001_initial"), ("departments", "0002_reference_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
