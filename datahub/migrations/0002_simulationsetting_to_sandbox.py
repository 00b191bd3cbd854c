"""The department simulation's switches moved to the sandbox (sandbox_departments 0001,
issue #18): forgotten here in the migration state only, so the table and its rows stay.
Without the sandbox installed the table simply stays unused."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datahub", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SimulationSetting")],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="datacall",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("ok", "Answered"),
                    ("cached", "Answered from cache"),
                    ("timeout", "Timed out"),
                    ("unavailable", "Department unavailable"),
                    ("malformed", "Malformed answer"),
                    ("not_found", "Not found"),
                    ("circuit_open", "Not asked: department failing"),
                    ("no_provider", "Unknown: no adapter configured"),
                ],
                max_length=20,
                verbose_name="outcome",
            ),
        ),
    ]
