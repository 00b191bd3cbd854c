"""The simulated treasury's books (TreasuryRecord) move to the sandbox (issue #18):
sandbox_treasury 0001 takes the model over with the same table. Here only Django's idea
of the model goes; the table and its rows stay, so a database keeps its payments
whether or not the sandbox is installed."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0006_idempotent_requests_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="TreasuryRecord")],
            database_operations=[],
        ),
    ]
