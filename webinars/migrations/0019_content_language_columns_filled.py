"""Existing content moves into its language's column: Japanese text into ``*_ja``, the
rest into ``*_en``. The language is judged once per object, from its first filled field
(a title, a name, a question), so an English description quoting 熊野古道 stays English.
"""

from django.db import migrations

from webinars.migration_helpers import fill_language_columns

FIELDS = {
    "Topic": ("name",),
    "Series": ("name", "tagline", "description"),
    "Speaker": ("title", "organisation", "bio"),
    "Seminar": ("title", "summary", "description"),
    "Recording": ("title", "description"),
    "RegistrationQuestion": ("label", "help_text", "choices"),
}


def forwards(apps, schema_editor):
    for model_name, fields in FIELDS.items():
        fill_language_columns(apps.get_model("webinars", model_name), fields)


class Migration(migrations.Migration):
    dependencies = [("webinars", "0018_content_in_two_languages")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
