from django.db import migrations, models


class Migration(migrations.Migration):
    """Links that do one thing: every token gets a scope. Tokens minted before this did
    everything (manage, cancel, join), so they become manage tokens."""

    dependencies = [
        ("webinars", "0007_organisers_recording_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="registrationtoken",
            name="scope",
            field=models.CharField(
                choices=[("manage", "manage and join"), ("join", "join only")],
                default="manage",
                max_length=10,
                verbose_name="scope",
            ),
            preserve_default=False,
        ),
    ]
