"""Room on every page of the tally table for the changes applied to it (PostgreSQL only):
an UPDATE of `n` and `amount`, which no index holds, then stays on its page (a HOT update)
and writes no index entry, where a full page would have sent the new row elsewhere and
added it to all five indexes. A fifth more pages for a page's few thousand rows to read."""

from django.db import migrations


def fillfactor(value: int):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE dashboards_tally SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_changes")]

    operations = [migrations.RunPython(fillfactor(80), fillfactor(100))]
