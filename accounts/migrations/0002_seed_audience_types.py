from django.db import migrations
from django.utils.text import slugify

AUDIENCE_TYPES = [
    "Travel agent",
    "Tour operator",
    "Destination marketing organisation",
    "Public sector partner",
    "Japan enthusiast",
    "Local government (Japan)",
    "Local government (Europe)",
    "Media",
    "Academic",
    "Other",
]


def seed_audience_types(apps, schema_editor):
    AudienceType = apps.get_model("accounts", "AudienceType")
    for position, name in enumerate(AUDIENCE_TYPES):
        AudienceType.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "position": position * 10}
        )


def name_the_site(apps, schema_editor):
    from urllib.parse import urlsplit

    from django.conf import settings

    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "localhost:8000"
    Site.objects.update_or_create(
        id=settings.SITE_ID, defaults={"domain": domain, "name": "Kizuna"}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [
        migrations.RunPython(seed_audience_types, migrations.RunPython.noop),
        migrations.RunPython(name_the_site, migrations.RunPython.noop),
    ]
