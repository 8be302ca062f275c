"""Existing content moves into its language's column when the two-language columns come."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from webinars.models import Series, Topic

BEFORE = [
    ("webinars", "0018_content_in_two_languages"),
    ("notifications", "0011_announcement_in_two_languages"),
]


@pytest.mark.django_db(transaction=True)
def test_existing_text_moves_into_the_column_of_its_language():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    old_topic = old_apps.get_model("webinars", "Topic")
    old_series = old_apps.get_model("webinars", "Series")
    old_topic.objects.create(name="温泉", slug="onsen")
    old_topic.objects.create(name="Rail travel", slug="rail")
    # Judged once per object by its first field: the description goes with the name.
    old_series.objects.create(
        name="地域の魅力セミナー", slug="chiiki", description="Seminars with English notes."
    )
    old_series.objects.create(
        name="JLGC Seminars", slug="jlgc", description="Kumano Kodo (熊野古道) walks."
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    onsen, rail = Topic.objects.get(slug="onsen"), Topic.objects.get(slug="rail")
    assert (onsen.name_en, onsen.name_ja) == (None, "温泉")
    assert (rail.name_en, rail.name_ja) == ("Rail travel", None)
    chiiki, jlgc = Series.objects.get(slug="chiiki"), Series.objects.get(slug="jlgc")
    assert (chiiki.name_ja, chiiki.description_ja) == (
        "地域の魅力セミナー",
        "Seminars with English notes.",
    )
    assert chiiki.name_en is None
    assert (jlgc.name_en, jlgc.description_en) == ("JLGC Seminars", "Kumano Kodo (熊野古道) walks.")
    assert jlgc.description_ja is None
