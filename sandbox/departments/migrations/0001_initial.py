"""The department simulation's switches, taken over from the hub (datahub 0002, issue #18):
created in the migration state only, on the table the hub made (datahub 0001), so the rows
an administrator set stay as they were."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("departments", "0002_reference_data"),
        ("datahub", "0002_simulationsetting_to_sandbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SimulationSetting",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("latency_ms", models.PositiveIntegerField(
                            default=30, verbose_name="typical latency (ms)")),
                        ("jitter_ms", models.PositiveIntegerField(
                            default=20, verbose_name="latency jitter (ms)")),
                        ("timeout_rate", models.FloatField(
                            default=0.0, verbose_name="share of calls that hang")),
                        ("error_rate", models.FloatField(
                            default=0.0, verbose_name="share of calls that fail")),
                        ("malformed_rate", models.FloatField(
                            default=0.0, verbose_name="share of malformed answers")),
                        ("down", models.BooleanField(default=False,
                                                     verbose_name="department down")),
                        ("department", models.OneToOneField(
                            on_delete=django.db.models.deletion.CASCADE,
                            related_name="simulation", to="departments.department",
                            verbose_name="department")),
                    ],
                    options={
                        "verbose_name": "department simulation",
                        "verbose_name_plural": "department simulations",
                        "db_table": "datahub_simulationsetting",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("timeout_rate__gte", 0), ("timeout_rate__lte", 1),
                                    ("error_rate__gte", 0), ("error_rate__lte", 1),
                                    ("malformed_rate__gte", 0), ("malformed_rate__lte", 1),
                                ),
                                name="simulation_rates_are_shares",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
