import hashlib

from django.db import migrations, models


def hash_feed_tokens(apps, schema_editor):
    """Keep every subscribed feed working: store the hash of each existing token."""
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(calendar_token=None).only("pk", "calendar_token"):
        user.calendar_token_hash = hashlib.sha256(user.calendar_token.encode()).hexdigest()
        user.save(update_fields=["calendar_token_hash"])


class Migration(migrations.Migration):
    """The private calendar feed's token is stored hashed, like registration link tokens."""

    dependencies = [
        ("accounts", "0003_user_calendar_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="calendar_token_hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(hash_feed_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="user", name="calendar_token"),
    ]
