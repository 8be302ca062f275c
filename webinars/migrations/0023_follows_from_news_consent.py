"""Everyone who ticked "Email me about future seminars" follows every seminar.

The consent was collected before alerts existed; it now means a follow of every seminar
(webinars.services.follows). One follow per address, in the language and zone of its
latest registration that ticked it. Addresses that unsubscribed from announcements since
are left out: they asked for less mail, not more.
"""

from django.db import migrations
from django.db.models.functions import Lower


def forwards(apps, schema_editor):
    Registration = apps.get_model("webinars", "Registration")
    Follow = apps.get_model("webinars", "Follow")
    EmailOptOut = apps.get_model("notifications", "EmailOptOut")
    opted_out = {email.lower() for email in EmailOptOut.objects.values_list("email", flat=True)}
    latest = {}
    ticked = (
        Registration.objects.filter(marketing_opt_in=True, anonymised_at=None)
        .annotate(lower_email=Lower("email"))
        .order_by("created_at", "pk")
        .values_list("lower_email", "user_id", "language", "time_zone", "created_at")
    )
    for email, user_id, language, zone, created_at in ticked.iterator(chunk_size=2000):
        if email not in opted_out:
            latest[email] = (user_id, language, zone, created_at)
    existing = set(Follow.objects.filter(kind="all").values_list("email", flat=True))
    Follow.objects.bulk_create(
        [
            Follow(
                email=email,
                user_id=user_id,
                kind="all",
                language=language or "en",
                time_zone=zone,
                source="registration",
                confirmed_at=created_at,
            )
            for email, (user_id, language, zone, created_at) in latest.items()
            if email not in existing
        ],
        batch_size=1000,
    )


def backwards(apps, schema_editor):
    apps.get_model("webinars", "Follow").objects.filter(kind="all", source="registration").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webinars", "0022_follows"),
        ("notifications", "0015_seminar_alerts"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
