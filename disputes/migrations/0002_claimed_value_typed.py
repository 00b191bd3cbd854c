"""The value the enterprise gives is stored typed (JSON, like the held value) and shown in
the reader's language; disputes raised before keep their text as a JSON string."""

from django.db import migrations, models


def copy_text(apps, schema_editor):
    Dispute = apps.get_model("disputes", "Dispute")
    for dispute in Dispute.objects.only("pk", "claimed_text_old").iterator():
        Dispute.objects.filter(pk=dispute.pk).update(claimed_value=dispute.claimed_text_old)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_fact_disputes")]

    operations = [
        migrations.RenameField("dispute", "claimed_value", "claimed_text_old"),
        migrations.AddField(
            model_name="dispute",
            name="claimed_value",
            field=models.JSONField(null=True, verbose_name="value the enterprise gives"),
        ),
        migrations.RunPython(copy_text, migrations.RunPython.noop),
        migrations.RemoveField("dispute", "claimed_text_old"),
        migrations.AlterField(
            model_name="dispute",
            name="claimed_value",
            field=models.JSONField(verbose_name="value the enterprise gives"),
        ),
    ]
