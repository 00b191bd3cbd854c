"""The audit trail becomes partitioned by month on PostgreSQL (qinqing/partitions.py); SQLite
keeps the plain table. It stays append-only: the trigger of 0002 is created again on the
partitioned table, and PostgreSQL puts it on every partition, present and future."""

from django.db import migrations

from qinqing.partitions import partition_by_month

TRIGGER = """
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    partition_by_month(schema_editor, "audit_auditevent")
    schema_editor.execute(TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
