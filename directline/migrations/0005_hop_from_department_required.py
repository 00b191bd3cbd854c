import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("directline", "0004_hop_from_department_filled")]

    operations = [
        migrations.AlterField(
            model_name="requesthop",
            name="from_department",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="departments.department",
                verbose_name="from",
            ),
        ),
    ]
