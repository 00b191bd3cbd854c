"""The claims' Idempotency-Keys move to the one mechanism of the whole API
(qinqing.idempotency): each stored answer is copied there, scoped to POST /api/v1/claims/,
so that a key used before the move still replays its answer (or is refused with another
body) until it expires."""

from django.db import migrations

CLAIMS_ENDPOINT = "POST /api/v1/claims/"


def copy_forward(apps, schema_editor) -> None:
    old = apps.get_model("subsidies", "IdempotentRequest")
    new = apps.get_model("idempotency", "IdempotencyKey")
    new.objects.bulk_create(
        [
            new(
                user_id=row.user_id,
                endpoint=CLAIMS_ENDPOINT,
                key=row.key,
                request_hash=row.body_hash,
                status_code=row.status_code,
                response=row.response,
                created_at=row.created_at,
                locked_at=None,
            )
            for row in old.objects.iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def copy_back(apps, schema_editor) -> None:
    old = apps.get_model("subsidies", "IdempotentRequest")
    new = apps.get_model("idempotency", "IdempotencyKey")
    rows = new.objects.filter(endpoint=CLAIMS_ENDPOINT, status_code__isnull=False)
    old.objects.bulk_create(
        [
            old(
                user_id=row.user_id,
                key=row.key[:200],
                body_hash=row.request_hash,
                status_code=row.status_code,
                response=row.response,
                created_at=row.created_at,
            )
            for row in rows.iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0005_budget_paid_from_ledger"),
        ("idempotency", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_forward, copy_back),
        migrations.DeleteModel(name="IdempotentRequest"),
    ]
