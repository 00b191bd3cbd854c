"""The data-access log becomes partitioned by month on PostgreSQL (qinqing/partitions.py);
SQLite keeps the plain table. Rows are moved; the model is unchanged."""

from django.db import migrations

from qinqing.partitions import partition_by_month


def forward(apps, schema_editor):
    partition_by_month(schema_editor, "datahub_datacall")


class Migration(migrations.Migration):
    dependencies = [("datahub", "0003_fact_corrections")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
