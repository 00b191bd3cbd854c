"""The change triggers again (dashboards.deltas.trigger_sql): subjects that read the same
rows through the same joins (payments and claim to cash, data calls and their latency)
join a statement's changed rows once per image, into one CTE their GROUP BYs share
(PostgreSQL only)."""

from django.db import migrations

from dashboards import deltas


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    deltas.install()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0004_guarded_triggers"),
        ("subsidies", "0014_claim_updates_in_place"),
    ]

    operations = [migrations.RunPython(install, install)]
