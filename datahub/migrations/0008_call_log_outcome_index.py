"""The officials' filtered call log (a department's calls of one outcome since a day) reads
only the rows it lists: an index on (department, outcome, started_at) of the partitioned
data-access log (issue #25). Without it the capped count of "timeouts, last 30 days" read
every call of the department in the window, a number that grows with the log.

PostgreSQL only: created on the partitioned parent, so every month's partition has it and
the months created later (qinqing/partitions.py) get it too. SQLite's log (the embedded
default) is small; the model keeps no record of the index, so `makemigrations` does not
ask for it."""

from django.db import migrations

INDEX = "datahub_datacall_dept_outcome_started"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON datahub_datacall (department_id, outcome, started_at)"
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("datahub", "0007_person_corrections")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
