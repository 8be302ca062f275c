"""Existing announcements move into their language's column (see webinars 0019)."""

from django.db import migrations

from webinars.migration_helpers import fill_language_columns


def forwards(apps, schema_editor):
    fill_language_columns(apps.get_model("notifications", "Announcement"), ("subject", "body"))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0011_announcement_in_two_languages"),
        ("webinars", "0019_content_language_columns_filled"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
