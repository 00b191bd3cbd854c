"""Every hop names where it came from: the routing hops recorded without one came from the
coordinating office, where every request enters (or, in a city without one, from the
department they went to)."""

from django.db import migrations

COORDINATING_OFFICE = "data"


def fill(apps, schema_editor):
    RequestHop = apps.get_model("directline", "RequestHop")
    Department = apps.get_model("departments", "Department")
    office = Department.objects.filter(code=COORDINATING_OFFICE).first()
    empty = RequestHop.objects.filter(from_department__isnull=True)
    if office is not None:
        empty.update(from_department=office)
    else:
        for hop in empty.iterator():
            hop.from_department_id = hop.to_department_id
            hop.save(update_fields=["from_department"])


class Migration(migrations.Migration):
    dependencies = [("directline", "0003_attachments"), ("departments", "0002_reference_data")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
