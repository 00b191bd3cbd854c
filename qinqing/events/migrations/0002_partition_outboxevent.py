"""The outbox becomes partitioned by month on PostgreSQL (qinqing/partitions.py); SQLite
keeps the plain table. The webhook deliveries' foreign key to it is dropped in the
database (a partitioned table has no unique key on id alone); Django's PROTECT stays. After
integrations' migrations, so that the key exists to be dropped."""

from django.db import migrations

from qinqing.partitions import partition_by_month


def forward(apps, schema_editor):
    partition_by_month(schema_editor, "events_outboxevent")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("integrations", "0004_delivery_queued_at"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
