"""Claims and disbursements change status in place (PostgreSQL only): half of every page
left free (fillfactor 50) and no index on a claim's status, so a batch moving thousands
of claims from paying to paid, and their disbursements from sent to confirmed, rewrites
each row on its own page (a HOT update) and adds nothing to the tables' indexes. The
space is the same as before: an updated row's old version takes it until vacuumed, on
the same page now instead of on a new one."""

from django.db import migrations


def fillfactor(value: int):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            for table in ("subsidies_claim", "subsidies_disbursement"):
                schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0013_person_reevaluation"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="claim",
            name="claim_version_status",
        ),
        migrations.RunPython(fillfactor(50), fillfactor(100)),
    ]
