from django.db import migrations

# Organisers see who follows what (interest by region, topic and series) and stop a
# follow for someone who asks by email; they never write one (a person confirms their
# own address). They also see which seminars were announced to followers, and to how many.
PERMISSIONS = (
    ("webinars", "view_follow"),
    ("webinars", "delete_follow"),
    ("notifications", "view_seminaralert"),
)


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    found = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]
    return found


def grant_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="Organisers")
    group.permissions.add(*_permissions(apps))


def revoke_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Organisers").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("webinars", "0023_follows_from_news_consent"),
        ("notifications", "0015_seminar_alerts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
