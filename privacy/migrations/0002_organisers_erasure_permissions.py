from django.db import migrations

# Organisers answer erasure requests ("add" an erasure) and see the log; nobody edits it.
ORGANISER_PERMISSIONS = ("add_erasure", "view_erasure")


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(
            content_type__app_label="privacy", codename__in=ORGANISER_PERMISSIONS
        )
    )
    if len(permissions) != len(ORGANISER_PERMISSIONS):
        found = {permission.codename for permission in permissions}
        raise RuntimeError(f"Missing permissions: {sorted(set(ORGANISER_PERMISSIONS) - found)}")
    return permissions


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("privacy")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="Organisers")
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Organisers").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("webinars", "0007_organisers_recording_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
