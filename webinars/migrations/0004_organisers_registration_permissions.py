from django.db import migrations

# What organisers do with registrations in the admin: change details, mark attendance and
# promote from the waitlist (never delete: a registration is a record of consent), manage
# each seminar's registration questions, and read who used their join link.
ORGANISER_PERMISSIONS = {
    "registration": ("add", "change", "view"),
    "registrationquestion": ("add", "change", "delete", "view"),
    "joinclick": ("view",),
}


def _codenames() -> list[str]:
    return [
        f"{action}_{model}"
        for model, actions in ORGANISER_PERMISSIONS.items()
        for action in actions
    ]


def grant_registration_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("webinars")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organisers")
    wanted = _codenames()
    permissions = list(
        Permission.objects.filter(content_type__app_label="webinars", codename__in=wanted)
    )
    if len(permissions) != len(wanted):  # A renamed model must not silently drop a grant.
        found = {permission.codename for permission in permissions}
        raise RuntimeError(f"Missing permissions: {sorted(set(wanted) - found)}")
    group.permissions.add(*permissions)


def revoke_registration_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Organisers").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="webinars", codename__in=_codenames()
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("webinars", "0003_registrations"),
        ("webinars", "0002_organisers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant_registration_permissions, revoke_registration_permissions)
    ]
