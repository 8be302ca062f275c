from django.db import migrations

# Organisers publish recordings with their chapters and materials; transcripts are
# replaced by uploading a new file, and views are counted by the site, so both are read-only.
ORGANISER_PERMISSIONS = {
    "recording": ("add", "change", "delete", "view"),
    "recordingchapter": ("add", "change", "delete", "view"),
    "recordingmaterial": ("add", "change", "delete", "view"),
    "transcriptcue": ("view",),
    "recordingview": ("view",),
}


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    wanted = [
        f"{action}_{model}"
        for model, actions in ORGANISER_PERMISSIONS.items()
        for action in actions
    ]
    permissions = list(
        Permission.objects.filter(content_type__app_label="webinars", codename__in=wanted)
    )
    if len(permissions) != len(wanted):  # A renamed model must not silently drop a grant.
        found = {permission.codename for permission in permissions}
        raise RuntimeError(f"Missing permissions: {sorted(set(wanted) - found)}")
    return permissions


def grant_recording_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("webinars")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="Organisers")
    group.permissions.add(*_permissions(apps))


def revoke_recording_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Organisers").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("webinars", "0006_recordings"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_recording_permissions, revoke_recording_permissions)]
