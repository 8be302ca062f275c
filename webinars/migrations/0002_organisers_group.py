from django.db import migrations

# What organisers run in the admin: the catalogue, speakers and audience types.
# Later apps extend the group in their own migrations.
ORGANISER_MODELS = {
    "webinars": ["series", "seminar", "speaker", "seminarspeaker", "topic", "audiencequota"],
    "accounts": ["audiencetype"],
}
READ_ONLY_MODELS = {"accounts": ["user"]}


def create_organisers_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organisers")
    wanted = []
    for app_label, models in ORGANISER_MODELS.items():
        for model in models:
            for action in ("add", "change", "delete", "view"):
                wanted.append((app_label, f"{action}_{model}"))
    for app_label, models in READ_ONLY_MODELS.items():
        wanted += [(app_label, f"view_{model}") for model in models]
    for app_label, codename in wanted:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_organisers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Organisers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webinars", "0001_initial"),
        ("accounts", "0002_seed_audience_types"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_organisers_group, remove_organisers_group)]
