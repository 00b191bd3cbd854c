"""The first scoring model, list rules and commitment notices (credit/defaults.py)."""

import hashlib

from django.db import migrations


def add_defaults(apps, schema_editor):
    from credit.defaults import LIST_RULES_V1, NOTICES_V1, SCORING_MODEL_V1

    ScoringModel = apps.get_model("credit", "ScoringModel")
    ListRule = apps.get_model("credit", "ListRule")
    CommitmentNotice = apps.get_model("credit", "CommitmentNotice")
    ScoringModel.objects.get_or_create(
        version=SCORING_MODEL_V1["version"],
        defaults={k: v for k, v in SCORING_MODEL_V1.items() if k != "version"},
    )
    for rule in LIST_RULES_V1:
        ListRule.objects.get_or_create(code=rule["code"], defaults=rule)
    for notice in NOTICES_V1:
        # The historical model has no save(): the hash is computed here, as the model does.
        binding = f"{notice['text']}\n\n{notice['consequences']}"
        CommitmentNotice.objects.get_or_create(
            code=notice["code"], version=notice["version"],
            defaults={**{k: v for k, v in notice.items() if k not in ("code", "version")},
                      "sha256": hashlib.sha256(binding.encode("utf-8")).hexdigest()},
        )


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
