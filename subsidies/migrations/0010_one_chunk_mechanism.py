"""One chunk mechanism: a re-evaluation's chunks become BatchChunk rows (with
`reevaluation_run` set instead of `run`), copied over with their figures and times, and
ReevaluationChunk goes. Reversing it recreates the old table empty (the rows stay, as
BatchChunk rows)."""

import django.db.models.deletion
from django.db import migrations, models

COPY = """
INSERT INTO subsidies_batchchunk
    (reevaluation_run_id, number, made, offered, paying, exhausted, paid, failed,
     decided_at, paid_at)
SELECT run_id, number, made, offered, paying, exhausted, paid, failed, decided_at, paid_at
FROM subsidies_reevaluationchunk
"""


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0009_reevaluation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="batchchunk",
            name="run",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="chunk_rows",
                to="subsidies.batchrun",
            ),
        ),
        migrations.AddField(
            model_name="batchchunk",
            name="reevaluation_run",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="subsidies.reevaluationrun",
            ),
        ),
        migrations.RunSQL(COPY, reverse_sql=migrations.RunSQL.noop),
        migrations.DeleteModel(name="ReevaluationChunk"),
        migrations.AlterField(
            model_name="batchchunk",
            name="reevaluation_run",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="chunk_rows",
                to="subsidies.reevaluationrun",
            ),
        ),
        migrations.AddConstraint(
            model_name="batchchunk",
            constraint=models.UniqueConstraint(
                fields=("reevaluation_run", "number"), name="one_row_per_reevaluation_chunk"
            ),
        ),
        migrations.AddConstraint(
            model_name="batchchunk",
            constraint=models.CheckConstraint(
                condition=models.Q(run__isnull=False, reevaluation_run__isnull=True)
                | models.Q(run__isnull=True, reevaluation_run__isnull=False),
                name="batch_chunk_of_one_run",
            ),
        ),
    ]
