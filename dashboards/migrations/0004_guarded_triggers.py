"""The change triggers again (dashboards.deltas.trigger_sql): an UPDATE's tally rows only
for the subjects whose columns it changed, and the joins found by key (PostgreSQL only)."""

from django.db import migrations

from dashboards import deltas


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    deltas.install()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0003_tally_fillfactor"),
        ("subsidies", "0012_disbursement_payee"),
    ]

    operations = [migrations.RunPython(install, install)]
