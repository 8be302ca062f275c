"""Recordings indexed before Japanese search came are found by it once migration 0020 runs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from webinars import selectors
from webinars.models import Recording
from webinars.recording_access import ANONYMOUS

BEFORE = [("webinars", "0019_content_language_columns_filled")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search index is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_existing_recordings_get_their_japanese_tokens_and_recheck_text():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    series = old_apps.get_model("webinars", "Series").objects.create(name="JLGC", slug="jlgc")
    starts_at = datetime(2025, 5, 1, 10, tzinfo=UTC)
    seminar = old_apps.get_model("webinars", "Seminar").objects.create(
        title_en="Wakayama",
        slug="wakayama",
        series=series,
        summary_en="Walks.",
        description_ja="世界遺産の熊野古道を歩きます。",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        status="published",
        published_at=starts_at - timedelta(days=30),
    )
    speaker = old_apps.get_model("webinars", "Speaker").objects.create(
        name="Hanako Sato", name_ja="佐藤 花子", slug="sato"
    )
    old_apps.get_model("webinars", "SeminarSpeaker").objects.create(
        seminar=seminar, speaker=speaker, position=1
    )
    old_apps.get_model("webinars", "Recording").objects.create(
        seminar=seminar,
        title_en="Kumano Kodo",
        slug="kumano",
        video_provider="youtube",
        video_id="dQw4w9WgXcQ",
        transcript_text="Welcome.\n宿はｵﾝｾﾝ旅館です。",
        speakers_consented=True,
        speaker_consent_note="Signed.",
        published_at=starts_at + timedelta(days=1),
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    recording = Recording.objects.get(slug="kumano")
    assert recording.search_text_japanese == (
        "世界遺産の熊野古道を歩きます。\nhanako sato 佐藤 花子\n宿はオンセン旅館です。"
    )

    def archive(query: str) -> list[str]:
        return [item.slug for item in selectors.recordings_archive(viewer=ANONYMOUS, query=query)]

    assert archive("熊野古道") == ["kumano"]
    assert archive("花子") == ["kumano"]
    assert archive("オンセン旅館") == ["kumano"]
    assert archive("Wakayama") == ["kumano"]
    assert [seminar.slug for seminar in selectors.seminars_past(query="熊野古道")] == ["wakayama"]
