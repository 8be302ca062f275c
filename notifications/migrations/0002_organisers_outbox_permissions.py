from django.db import migrations

# Organisers see the outbox and may resend failed mail (the "Resend" action needs change).
OUTBOX_PERMISSIONS = ("view_outgoingemail", "change_outgoingemail")


def grant_outbox_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organisers")
    for codename in OUTBOX_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="notifications", codename=codename)
        )


def revoke_outbox_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Organisers").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="notifications", codename__in=OUTBOX_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("webinars", "0002_organisers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_outbox_permissions, revoke_outbox_permissions)]
