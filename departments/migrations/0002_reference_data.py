"""Load Hangzhou's districts and municipal departments (departments/reference_data.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from departments.services import sync_reference_data

    sync_reference_data(apps.get_model("departments", "District"), apps.get_model("departments", "Department"))


class Migration(migrations.Migration):
    dependencies = [("departments", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
