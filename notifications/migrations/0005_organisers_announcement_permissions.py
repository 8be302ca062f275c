from django.db import migrations

# Organisers write and send announcements, manage opt-outs (e.g. someone who asked by
# email), and may look at pending change notices and the scheduler's runs.
PERMISSIONS = (
    "view_announcement",
    "add_announcement",
    "change_announcement",
    "view_emailoptout",
    "add_emailoptout",
    "delete_emailoptout",
    "view_seminarchangenotice",
    "view_periodictaskrun",
)


def grant_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organisers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notifications", codename__in=PERMISSIONS
        )
    )


def revoke_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Organisers").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="notifications", codename__in=PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_change_notices_announcements_scheduler"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
