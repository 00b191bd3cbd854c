"""Install the industrial project and enterprise establishment packages (approvals/packages.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from approvals.packages import install_packages

    install_packages(*(apps.get_model(*name.split(".")) for name in (
        "approvals.ServicePackage", "approvals.SheetField", "approvals.ItemType",
        "approvals.ItemRule", "departments.Department")))  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("departments", "0002_reference_data"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
