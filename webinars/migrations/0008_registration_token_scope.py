from django.db import migrations, models


class Migration(migrations.Migration):
    """Links that do one thing: every token gets a scope. A token minted before this did
    everything (manage, cancel, join) and was written into calendar invites, where a
    calendar's delegates can read it: it becomes "earlier", which joins and asks for fresh
    links (emailed to the registrant) but manages, cancels and erases nothing."""

    dependencies = [
        ("webinars", "0007_organisers_recording_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="registrationtoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("manage", "manage and join"),
                    ("join", "join only"),
                    ("earlier", "from an earlier email: joins, asks for fresh links"),
                ],
                default="earlier",
                max_length=10,
                verbose_name="scope",
            ),
            preserve_default=False,
        ),
    ]
