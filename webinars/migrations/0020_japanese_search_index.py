"""Japanese search through indexes on PostgreSQL (``webinars.search_tokens`` says how).

- ``webinars_japanese_tokens(VARIADIC text[])``: the Japanese tokens of some text in SQL,
  as ``search_tokens.japanese_tokens`` states them (the tests compare the two).
- GIN expression indexes over it: the seminars' titles, summaries and descriptions in
  both languages, and the recordings' new ``search_text_japanese`` (their Japanese lines,
  also what a Japanese search rechecks; stored uncompressed).
- Existing recordings get their Japanese lines, and an English vector without the runs
  of Japanese that the parser glued to their neighbours ("JR東日本" was one word).
- Transcript cues lose their index on ``recording`` alone, which the unique (recording,
  position) index covers: with both, the snippet of a search read every cue.

Nothing happens on SQLite beyond the new column: search reads the plain text there.
"""

import django.db.models.deletion
from django.db import migrations, models

from webinars.search_tokens import search_index_values

# The character class must stay ``search_tokens.JAPANESE_CHARACTERS``, in PostgreSQL's
# spelling. COST: about 3 ms for a 2,000-character description, so the planner must read
# the index rather than compute this for every row (the default cost would let it).
TOKENS_FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION webinars_japanese_tokens(VARIADIC texts text[])
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000
AS $$
    SELECT coalesce(array_to_tsvector(array_agg(substr(run[1], start, size))), ''::tsvector)
    FROM unnest(texts) AS field(value),
        regexp_matches(
            normalize(field.value, NFKC),
            '[\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f'
            '\U00020000-\U0002fa1f]+',
            'g'
        ) AS runs(run),
        generate_series(1, char_length(run[1])) AS starts(start),
        (VALUES (1), (2)) AS sizes(size)
    WHERE start + size - 1 <= char_length(run[1])
$$
"""

# The columns and their order must be those of ``selectors.catalogue``'s
# SEMINAR_JAPANESE_COLUMNS, or the planner will not recognise the expression.
SEMINAR_INDEX_SQL = """
CREATE INDEX webinars_seminar_japanese_gin ON webinars_seminar USING gin (
    webinars_japanese_tokens(
        title_en, title_ja, summary_en, summary_ja, description_en, description_ja
    )
)
"""
# As ``selectors.recordings._japanese_condition`` spells it.
RECORDING_INDEX_SQL = """
CREATE INDEX webinars_recording_japanese_gin ON webinars_recording USING gin (
    webinars_japanese_tokens(search_text_japanese)
)
"""


def _both(obj, field: str) -> list[str]:
    return [text for language in ("en", "ja") if (text := getattr(obj, f"{field}_{language}"))]


def _search_text(recording) -> dict[str, str]:
    """What ``services.recording_search_text`` gathered when this migration was written."""
    seminar = recording.seminar
    speakers = [
        " ".join(
            filter(
                None,
                [link.speaker.name, link.speaker.name_ja, *_both(link.speaker, "organisation")],
            )
        )
        for link in seminar.speaker_links.all()
    ]
    return {
        "A": " ".join([*_both(recording, "title"), *_both(seminar, "title")]),
        "B": "\n".join(
            [
                *_both(seminar, "summary"),
                *_both(recording, "description"),
                *_both(seminar, "description"),
                *speakers,
            ]
        ),
        "C": recording.transcript_text,
    }


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Stored uncompressed: the recheck reads whole texts of the rows the index found, and
    # decompressing them took half its time.
    schema_editor.execute(
        "ALTER TABLE webinars_recording ALTER COLUMN search_text_japanese SET STORAGE EXTERNAL"
    )
    schema_editor.execute(TOKENS_FUNCTION_SQL)
    schema_editor.execute(SEMINAR_INDEX_SQL)
    Recording = apps.get_model("webinars", "Recording")
    recordings = Recording.objects.select_related("seminar").prefetch_related(
        "seminar__speaker_links__speaker"
    )
    for recording in recordings.iterator(chunk_size=100):
        values = search_index_values(_search_text(recording))
        Recording.objects.filter(pk=recording.pk).update(**values)
    # Built once the lines are in: cheaper than keeping it up to date through the updates.
    schema_editor.execute(RECORDING_INDEX_SQL)


def backwards(apps, schema_editor):
    # The English vectors stay as rebuilt: without the Japanese runs, which nothing
    # queried them for before this migration either.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS webinars_recording_japanese_gin")
    schema_editor.execute("DROP INDEX IF EXISTS webinars_seminar_japanese_gin")
    schema_editor.execute("DROP FUNCTION IF EXISTS webinars_japanese_tokens(VARIADIC text[])")


class Migration(migrations.Migration):
    dependencies = [("webinars", "0019_content_language_columns_filled")]

    operations = [
        migrations.AddField(
            model_name="recording",
            name="search_text_japanese",
            field=models.TextField(blank=True, default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="transcriptcue",
            name="recording",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="cues",
                to="webinars.recording",
            ),
        ),
    ]
