"""Three enterprise kinds that meant the same thing — "policy.push" (a published policy
fits), "claim.offered" (a subsidy offered for one click) and "policy.fits" — are one kind
now, "policy.fits". Stored notifications move to it; a person's settings for the three
become one row, as permissive as the most permissive of theirs (a channel on for any of
them stays on: nobody stops hearing of money they wanted to hear about)."""

from django.db import migrations

MERGED = "policy.fits"
OLD = ("policy.push", "claim.offered")


def merge(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Preference = apps.get_model("notifications", "NotificationPreference")
    Notification.objects.filter(kind__in=OLD).update(kind=MERGED)
    kinds = (MERGED, *OLD)
    by_user: dict[int, dict[str, tuple[bool, bool]]] = {}
    for user_id, kind, in_app, email in Preference.objects.filter(kind__in=kinds).values_list(
        "user_id", "kind", "in_app", "email"
    ):
        by_user.setdefault(user_id, {})[kind] = (in_app, email)
    Preference.objects.filter(kind__in=kinds).delete()
    rows = []
    for user_id, chosen in by_user.items():
        # No row for a kind means both channels on.
        settings = [chosen.get(kind, (True, True)) for kind in kinds]
        in_app = any(value[0] for value in settings)
        email = any(value[1] for value in settings)
        if not (in_app and email):
            rows.append(Preference(user_id=user_id, kind=MERGED, in_app=in_app, email=email))
    Preference.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(merge, migrations.RunPython.noop)]
