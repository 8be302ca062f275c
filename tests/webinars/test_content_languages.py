"""Content in English and Japanese: each reader sees their language, else the other one
marked with its own ``lang`` (WCAG 3.1.2); search finds either; copies keep both; existing
text moved into its language's column."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from tests.factories import (
    RecordingFactory,
    RegistrationQuestionFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    TopicFactory,
)
from tests.utils import form_errors, rendered, seminar_change_url, seminar_form_data
from webinars.content_languages import shown_order
from webinars.exports import answer_text
from webinars.migration_helpers import text_is_japanese
from webinars.models import Registration, RegistrationQuestion, Seminar, Topic
from webinars.services import seminar_duplicate

pytestmark = pytest.mark.django_db


def _read_in(client, language: str, path: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _register_in_japanese(client, seminar, answers: dict[str, str] | None = None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    return client.post(
        reverse("webinars:register", args=[seminar.slug]),
        {
            "name": "田中 愛子",
            "email": "aiko@example.jp",
            "country": "JP",
            "audience_type": str(AudienceType.objects.get(slug="travel-agent").pk),
            "privacy_consent": "on",
            "website": "",
            **(answers or {}),
        },
    )


def test_a_japanese_reader_sees_the_english_title_marked_english_when_no_japanese_is_given(
    client,
):
    seminar = SeminarFactory(title_en="Onsen towns of Kyushu", title_ja=None)

    page = _read_in(client, "ja", seminar.get_absolute_url())

    assert '<html lang="ja"' in page
    assert '<h1 id="seminar-title"><span lang="en">Onsen towns of Kyushu</span></h1>' in page


def test_each_reader_sees_their_own_language_unmarked_when_both_are_given(client):
    seminar = SeminarFactory(
        title_en="Onsen towns of Kyushu",
        title_ja="九州の温泉街",
        description_en="Hot springs.",
        description_ja="温泉のお話です。",
    )

    japanese = _read_in(client, "ja", seminar.get_absolute_url())
    english = _read_in(client, "en", seminar.get_absolute_url())

    assert '<h1 id="seminar-title">九州の温泉街</h1>' in japanese
    assert '<div class="prose"><p>温泉のお話です。</p>' in japanese
    assert '<h1 id="seminar-title">Onsen towns of Kyushu</h1>' in english
    assert '<div class="prose"><p>Hot springs.</p>' in english


def test_an_english_reader_sees_a_japanese_only_seminar_marked_japanese_never_empty(client):
    seminar = SeminarFactory(
        title_en=None,
        title_ja="津軽の冬",
        summary_en="",
        summary_ja="地吹雪体験のご紹介です。",
        description_en="",
        description_ja="ストーブ列車に乗ります。",
    )

    detail = _read_in(client, "en", seminar.get_absolute_url())
    listing = _read_in(client, "en", reverse("webinars:seminar_list"))

    assert '<h1 id="seminar-title"><span lang="ja">津軽の冬</span></h1>' in detail
    assert '<div class="prose" lang="ja"><p>ストーブ列車に乗ります。</p>' in detail
    assert '<span lang="ja">津軽の冬</span></a>' in listing
    assert '<span lang="ja">地吹雪体験のご紹介です。</span>' in listing


def test_speaker_series_and_topic_texts_fall_back_marked(client):
    speaker = SpeakerFactory(bio_en="", bio_ja="青森県庁の職員です。", organisation_en="Aomori")
    series = SeriesFactory(name_en="JLGC Seminars", name_ja=None, tagline_ja="自治体の交流")
    topic = TopicFactory(name_en="Tourism", name_ja="観光")
    seminar = SeminarFactory(series=series)
    seminar.topics.add(topic)
    SeminarSpeakerFactory(seminar=seminar, speaker=speaker)

    speaker_page = _read_in(client, "en", speaker.get_absolute_url())
    series_page = _read_in(client, "ja", series.get_absolute_url())
    seminar_page = _read_in(client, "ja", seminar.get_absolute_url())

    assert '<div class="prose" lang="ja"><p>青森県庁の職員です。</p>' in speaker_page
    assert '<h1><span lang="en">JLGC Seminars</span></h1>' in series_page
    assert '<p class="lead">自治体の交流</p>' in series_page
    assert ">観光</a>" in seminar_page


def test_the_catalogue_search_finds_text_in_either_language_whatever_the_reader_reads(client):
    japanese_only = SeminarFactory(title_en=None, title_ja="温泉の町")
    english_only = SeminarFactory(title_en="Snow monsters of Zao", title_ja=None)

    english_reader = _read_in(client, "en", reverse("webinars:seminar_list") + "?q=温泉")
    japanese_reader = _read_in(client, "ja", reverse("webinars:seminar_list") + "?q=monsters")

    assert japanese_only.get_absolute_url() in english_reader
    assert english_only.get_absolute_url() not in english_reader
    assert english_only.get_absolute_url() in japanese_reader
    assert japanese_only.get_absolute_url() not in japanese_reader


def test_answers_to_options_in_japanese_are_stored_as_the_english_option(client):
    seminar = SeminarFactory()
    question = RegistrationQuestionFactory(
        seminar=seminar,
        label_en="Do you sell tours to Tohoku?",
        label_ja="東北へのツアーを販売していますか。",
        kind=RegistrationQuestion.Kind.SINGLE_CHOICE,
        choices_en="Yes, already\nNot yet",
        choices_ja="はい、販売しています\nまだです",
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    page = client.get(reverse("webinars:register", args=[seminar.slug])).content.decode()

    response = _register_in_japanese(client, seminar, {f"question_{question.pk}": "Not yet"})

    assert "東北へのツアーを販売していますか。" in page
    assert 'value="Not yet"' in page and "まだです" in page
    assert response.status_code in (200, 302)
    assert Registration.objects.get().answers == {str(question.pk): "Not yet"}


def test_a_question_with_only_english_options_shows_them_marked_english_to_a_japanese_reader(
    client,
):
    seminar = SeminarFactory()
    RegistrationQuestionFactory(
        seminar=seminar,
        label_en="Which region?",
        label_ja=None,
        kind=RegistrationQuestion.Kind.SINGLE_CHOICE,
        choices_en="Kyushu\nTohoku",
    )

    page = _read_in(client, "ja", reverse("webinars:register", args=[seminar.slug]))

    assert '<span lang="en">Which region?</span>' in page
    assert '<span lang="en">Tohoku</span>' in page


def test_a_japanese_registrants_email_marks_an_english_only_title_in_html(client):
    seminar = SeminarFactory(title_en="Tottori sand dunes", title_ja=None)

    _register_in_japanese(client, seminar)

    email = rendered(OutgoingEmail.objects.get(kind="registration_confirmed"))
    assert '<strong><span lang="en">Tottori sand dunes</span></strong>' in email.body_html
    assert "Tottori sand dunes" in email.subject
    assert "<span" not in email.body_text


# --- The admin: both languages side by side, at least one required ------------------


def test_the_seminar_form_shows_english_and_japanese_on_one_line(admin_client):
    page = admin_client.get(reverse("admin:webinars_seminar_add")).content.decode()

    row_start = page.index('name="title_en"')
    row = page[page.rindex('class="form-row', 0, row_start) : row_start + 2000]
    assert 'name="title_ja"' in row
    assert "Title (English)" in page and "Title (Japanese)" in page
    # Long texts are narrowed so the two languages share a line on a wide screen.
    assert "css/content-languages.css" in page
    assert "js/seminar-times.js" in page


def test_a_seminar_in_japanese_only_is_saved(admin_client):
    data = seminar_form_data(title_en="", title_ja="津軽の冬", summary_ja="地吹雪体験です。")

    response = admin_client.post(reverse("admin:webinars_seminar_add"), data)

    assert response.status_code == 302, form_errors(response)
    seminar = Seminar.objects.get()
    assert (seminar.title_en, seminar.title_ja) in {("", "津軽の冬"), (None, "津軽の冬")}
    with translation.override("en"):
        assert seminar.title == "津軽の冬"


def test_a_seminar_without_a_title_in_either_language_is_refused_with_why(admin_client):
    data = seminar_form_data(title_en="", title_ja="  ")

    response = admin_client.post(reverse("admin:webinars_seminar_add"), data)

    assert response.status_code == 200
    assert form_errors(response) == {"title_en": ["Give this in English or Japanese, or in both."]}
    assert not Seminar.objects.exists()


def test_options_must_match_line_by_line_in_both_languages(admin_client):
    seminar = SeminarFactory()
    data = seminar_form_data(seminar)
    data.update(
        {
            "questions-TOTAL_FORMS": "1",
            "questions-0-position": "1",
            "questions-0-kind": "single_choice",
            "questions-0-label_en": "Which region?",
            "questions-0-choices_en": "Kyushu\nTohoku",
            "questions-0-choices_ja": "九州\n東北\n北海道",
        }
    )

    response = admin_client.post(seminar_change_url(seminar), data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][-1].formset.errors
    assert errors[0]["choices_ja"][0].startswith("Give the same options in each language")
    assert not seminar.questions.exists()


def test_a_duplicate_keeps_both_languages_and_marks_the_copy_in_each():
    seminar = SeminarFactory(
        title_en="Onsen towns", title_ja="温泉街", summary_en="Hot springs.", summary_ja="温泉。"
    )
    RegistrationQuestionFactory(seminar=seminar, label_en="Company?", label_ja="会社名")

    copy = seminar_duplicate(seminar=seminar, days_later=7)

    assert copy.title_en == "Onsen towns (copy)"
    assert copy.title_ja == "温泉街（コピー）"
    assert (copy.summary_en, copy.summary_ja) == ("Hot springs.", "温泉。")
    question = copy.questions.get()
    assert (question.label_en, question.label_ja) == ("Company?", "会社名")


@pytest.mark.parametrize(
    ("text", "japanese"),
    [
        ("熊野古道を歩く", True),
        ("2026年度 自治体DX", True),
        ("JETプログラム 2025", True),
        ("A long English description that quotes おもてなし once in passing", False),
        ("温泉", True),
        ("ｵﾝｾﾝ", True),
        ("Kumano Kodo: walking 熊野古道", False),
        ("Onsen towns of Kyushu", False),
        ("", False),
        ("2026", False),
    ],
)
def test_existing_text_is_judged_japanese_by_most_of_its_letters(text, japanese):
    assert text_is_japanese(text) is japanese


def test_a_fallback_title_inside_the_players_label_stays_plain_text(client):
    recording = RecordingFactory(title_en="Onsen towns", title_ja=None)

    page = _read_in(client, "ja", recording.get_absolute_url())

    assert 'title="動画：Onsen towns"' in page
    assert '<h1 id="recording-title"><span lang="en">Onsen towns</span></h1>' in page


def test_answers_are_read_by_position_whichever_language_they_were_stored_in():
    question = RegistrationQuestionFactory(
        kind=RegistrationQuestion.Kind.SINGLE_CHOICE, choices_en=None, choices_ja="九州\n東北"
    )
    # Japanese-only at first: answers were stored in Japanese. English options come later.
    question.choices_en = "Kyushu\nTohoku"
    question.save()

    with translation.override("en"):
        assert question.choice_options == [("Kyushu", "Kyushu"), ("Tohoku", "Tohoku")]
        assert [question.choice_label(answer) for answer in ("東北", "Tohoku")] == [
            "Tohoku",
            "Tohoku",
        ]
        assert answer_text(["九州", "Tohoku"], question) == "Kyushu; Tohoku"
    with translation.override("ja"):
        assert question.choice_label("Kyushu") == "九州"
        assert question.choice_label("Other: Shikoku") == "Other: Shikoku"


def test_topics_sort_by_the_name_each_reader_sees():
    TopicFactory(slug="zen", name_en="Zen gardens", name_ja=None)
    TopicFactory(slug="onsen", name_en="Onsen", name_ja="温泉")
    TopicFactory(slug="autumn", name_en="Autumn leaves", name_ja=None)

    with translation.override("ja"):
        ordered = list(Topic.objects.order_by(shown_order("name"), "pk"))

    # In Japanese, English-only topics sort by their English names, not as equal blanks.
    assert [topic.slug for topic in ordered] == ["autumn", "zen", "onsen"]


def test_the_filters_mark_a_topic_named_in_the_other_language(client):
    seminar = SeminarFactory()
    seminar.topics.add(TopicFactory(slug="zen", name_en="Zen gardens", name_ja=None))
    seminar.topics.add(TopicFactory(slug="onsen", name_en="Onsen", name_ja="温泉"))
    seminar.topics.add(TopicFactory(slug="autumn", name_en="Autumn leaves", name_ja=None))

    page = _read_in(client, "ja", reverse("webinars:seminar_list"))

    assert '<option value="autumn" lang="en">Autumn leaves</option>' in page
    assert '<option value="onsen">温泉</option>' in page
    # In the order the reader sees the names, untranslated ones by their English name.
    order = [page.index(f'<option value="{slug}"') for slug in ("autumn", "zen", "onsen")]
    assert order == sorted(order)
