"""Claims', disbursements' and ledger legs' keys checked per statement, by set, instead of
per row (qinqing/foreign_keys.py)."""

import django.db.models.deletion
from django.db import migrations, models

from qinqing import foreign_keys
from qinqing.foreign_keys import Reference

# The keys as they are when this migration runs (qinqing/foreign_keys.py): checked per
# statement by triggers instead of per row by constraints.
REFERENCES = (
    Reference("subsidies_claim", "enterprise_id", "enterprises_enterprise"),
    Reference("subsidies_claim", "person_id", "enterprises_person"),
    Reference("subsidies_claim", "policy_id", "policies_policy"),
    Reference("subsidies_claim", "version_id", "policies_policyversion"),
    Reference("subsidies_disbursement", "claim_id", "subsidies_claim"),
    Reference("subsidies_ledgerentry", "claim_id", "subsidies_claim"),
)


def install(apps, schema_editor):
    foreign_keys.install(REFERENCES)


def uninstall(apps, schema_editor):
    foreign_keys.uninstall(REFERENCES)


class Migration(migrations.Migration):

    dependencies = [
        ('enterprises', '0004_person_id_hash_without_like_index'),
        ('policies', '0003_persons_as_beneficiaries'),
        ('subsidies', '0015_batch_run_queued_all'),
    ]

    operations = [
        migrations.AlterField(
            model_name='claim',
            name='enterprise',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='enterprises.enterprise', verbose_name='enterprise'),
        ),
        migrations.AlterField(
            model_name='claim',
            name='person',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='enterprises.person', verbose_name='person'),
        ),
        migrations.AlterField(
            model_name='claim',
            name='policy',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='policies.policy', verbose_name='policy'),
        ),
        migrations.AlterField(
            model_name='claim',
            name='version',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='policies.policyversion', verbose_name='policy version'),
        ),
        migrations.AlterField(
            model_name='disbursement',
            name='claim',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='disbursement', to='subsidies.claim', verbose_name='claim'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='claim',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='subsidies.claim'),
        ),
        migrations.RunPython(install, uninstall),
    ]
