"""The simulated treasury's books, taken over from subsidies (issue #18) with their table
(subsidies_treasuryrecord, created by subsidies 0001): the model is created in Django's
state only, the table and its rows are left as they are."""

import qinqing.money
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("subsidies", "0007_treasury_books_to_sandbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TreasuryRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=80, unique=True)),
                        ("amount", qinqing.money.MoneyField(decimal_places=2, max_digits=16)),
                        ("account", models.CharField(max_length=30)),
                        ("reference", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={"db_table": "subsidies_treasuryrecord"},
                ),
            ],
            database_operations=[],
        ),
    ]
