"""The grades' and the history's keys, which carried no check since 0007, checked per
statement by set (qinqing/foreign_keys.py)."""

from django.db import migrations

from qinqing import foreign_keys
from qinqing.foreign_keys import Reference

# The keys as they are when this migration runs.
REFERENCES = (
    Reference("credit_creditgrade", "enterprise_id", "enterprises_enterprise"),
    Reference("credit_creditgrade", "model_id", "credit_scoringmodel"),
    Reference("credit_gradechange", "enterprise_id", "enterprises_enterprise"),
    Reference("credit_gradechange", "model_id", "credit_scoringmodel"),
)


def install(apps, schema_editor):
    foreign_keys.install(REFERENCES)


def uninstall(apps, schema_editor):
    foreign_keys.uninstall(REFERENCES)


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0009_record_key_indexes_where_set"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
