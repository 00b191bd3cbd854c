"""Signing secrets stored encrypted: each plain secret sealed with WEBHOOK_SECRET_KEY
(integrations.sealing), its last four characters kept as the hint, the plain column
dropped. Reversible: unsealing puts the plain secrets back."""

from django.db import migrations, models


def seal_plain_secrets(apps, schema_editor):
    from integrations import sealing

    Subscription = apps.get_model("integrations", "WebhookSubscription")
    for subscription in Subscription.objects.exclude(secret="").iterator():
        subscription.sealed_secret = sealing.seal(subscription.secret)
        subscription.secret_tail = subscription.secret[-4:]
        subscription.save(update_fields=["sealed_secret", "secret_tail"])


def unseal_secrets(apps, schema_editor):
    from integrations import sealing

    Subscription = apps.get_model("integrations", "WebhookSubscription")
    for subscription in Subscription.objects.exclude(sealed_secret="").iterator():
        subscription.secret = sealing.unseal(subscription.sealed_secret)
        subscription.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_delivery_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="sealed_secret",
            field=models.TextField(
                default="", editable=False, verbose_name="signing secret (encrypted)"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="webhooksubscription",
            name="secret_tail",
            field=models.CharField(
                blank=True, editable=False, max_length=4, verbose_name="signing secret ends with"
            ),
        ),
        migrations.RunPython(seal_plain_secrets, unseal_secrets),
        migrations.RemoveField(
            model_name="webhooksubscription",
            name="secret",
        ),
    ]
