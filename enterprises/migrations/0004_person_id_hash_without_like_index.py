"""Person.id_hash unique by a constraint, without the LIKE index (varchar_pattern_ops)
Django adds on PostgreSQL for a unique CharField: nothing searches a keyed hash by prefix.
The constraint is added first, so the column is never without uniqueness; AlterField then
drops the old unique constraint and its LIKE index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0003_persons"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(fields=("id_hash",), name="one_person_per_number"),
        ),
        migrations.AlterField(
            model_name="person",
            name="id_hash",
            field=models.CharField(
                editable=False, max_length=64, verbose_name="identity number (keyed hash)"
            ),
        ),
    ]
