"""Answering the survey from the emailed link, and the answers on the organiser's page."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import AudienceTypeFactory, RegistrationFactory, SeminarFactory, SeriesFactory
from webinars.models import RegistrationToken, SurveyQuestion, SurveyResponse
from webinars.services import registration_token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions():
    series = SeriesFactory(slug="local-attraction")
    return {
        "rating": SurveyQuestion.objects.create(
            series=series, kind="rating", label_en="How useful?", label_ja="役立ちましたか？"
        ),
        "choice": SurveyQuestion.objects.create(
            series=series,
            kind="single_choice",
            label_en="Most useful part?",
            label_ja="最も役立った部分は？",
            choices_en="Itineraries\nTransport",
            choices_ja="モデルコース\n交通",
        ),
        "text": SurveyQuestion.objects.create(
            series=series, kind="text", label_en="Next topic?", label_ja="次のテーマは？"
        ),
        "outcome": SurveyQuestion.objects.create(
            series=series,
            kind="outcome",
            label_en="Will you include this region in a product or itinerary?",
            label_ja="この地域を商品に組み込む予定はありますか？",
        ),
    }


@pytest.fixture
def seminar(questions):
    starts_at = timezone.now() - timedelta(days=2)
    return SeminarFactory(
        series=questions["rating"].series,
        slug="kyushu-by-rail",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )


def _survey_url(registration, round="after") -> str:
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )
    return reverse("webinars:registration_survey", args=[token, round])


def _answers(questions, **values) -> dict[str, object]:
    return {f"q_{questions[key].pk}": value for key, value in values.items()}


def test_a_registrant_answers_in_japanese_and_the_english_option_is_stored(
    client, seminar, questions
):
    registration = RegistrationFactory(seminar=seminar, language="ja")
    url = _survey_url(registration)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "役立ちましたか？" in page and "モデルコース" in page

    response = client.post(
        url,
        _answers(questions, rating="4", choice="Itineraries", text="Saga pottery", outcome="maybe")
        | {"followup_opt_in": "on"},
    )
    assert response.status_code == 200
    stored = SurveyResponse.objects.get()
    assert stored.answers == {
        str(questions["rating"].pk): 4,
        str(questions["choice"].pk): "Itineraries",
        str(questions["text"].pk): "Saga pottery",
        str(questions["outcome"].pk): "maybe",
    }
    assert (stored.round, stored.outcome, stored.followup_opt_in) == ("after", "maybe", True)


def test_answering_twice_keeps_the_first_answers(client, seminar, questions):
    url = _survey_url(RegistrationFactory(seminar=seminar))
    client.post(url, _answers(questions, rating="5"))
    again = client.post(url, _answers(questions, rating="1"))
    assert "already answered" in again.content.decode()
    assert list(SurveyResponse.objects.values_list("answers", flat=True)) == [
        {str(questions["rating"].pk): 5}
    ]


def test_a_text_answer_is_length_limited_and_nothing_is_stored(client, seminar, questions):
    url = _survey_url(RegistrationFactory(seminar=seminar))
    response = client.post(url, _answers(questions, text="x" * 2001))
    assert "at most 2000 characters" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_rating_outside_the_scale_is_refused(client, seminar, questions):
    url = _survey_url(RegistrationFactory(seminar=seminar))
    response = client.post(url, _answers(questions, rating="9"))
    assert "Select a valid choice" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_no_survey_before_the_seminar_or_for_an_unknown_round(client, questions):
    upcoming = SeminarFactory(series=questions["rating"].series)
    registration = RegistrationFactory(seminar=upcoming)
    assert client.get(_survey_url(registration)).status_code == 404
    past = SeminarFactory(
        series=questions["rating"].series,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=1),
    )
    assert client.get(_survey_url(RegistrationFactory(seminar=past), "12m")).status_code == 404


def test_the_follow_up_asks_only_the_outcome_of_those_who_agreed(client, seminar, questions):
    agreed = RegistrationFactory(seminar=seminar)
    SurveyResponse.objects.create(
        registration=agreed, round="after", outcome="yes", followup_opt_in=True
    )
    declined = RegistrationFactory(seminar=seminar)
    SurveyResponse.objects.create(registration=declined, round="after", outcome="yes")
    url = _survey_url(agreed, "3m")
    # Three months after the seminar.
    with time_machine.travel(seminar.ends_at + timedelta(days=92)):
        page = client.get(url).content.decode()
        assert "Will you include this region" in page and "How useful?" not in page
        client.post(url, _answers(questions, outcome="yes"))
        assert client.get(_survey_url(declined, "3m")).status_code == 404
    assert SurveyResponse.objects.get(round="3m").outcome == "yes"


def test_the_manage_page_links_the_survey_until_it_is_answered(client, seminar, questions):
    registration = RegistrationFactory(seminar=seminar)
    token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )
    manage = reverse("webinars:registration_manage", args=[token])
    survey = reverse("webinars:registration_survey", args=[token, "after"])
    assert survey in client.get(manage).content.decode()
    client.post(survey, _answers(questions, rating="3"))
    assert survey not in client.get(manage).content.decode()


# --- The organiser's page -------------------------------------------------------------


def _respond(seminar, questions, audience, **answers):
    registration = RegistrationFactory(seminar=seminar, audience_type=audience)
    SurveyResponse.objects.create(
        registration=registration,
        round="after",
        answers={str(questions[key].pk): value for key, value in answers.items()},
        outcome=answers.get("outcome", ""),
    )


def test_answers_show_by_audience_type_and_download(organiser_client, seminar, questions):
    agents = AudienceTypeFactory(name="Agent (survey)", slug="agent-survey")
    operators = AudienceTypeFactory(name="Operator (survey)", slug="operator-survey")
    _respond(seminar, questions, agents, rating=5, choice="Itineraries", outcome="yes")
    _respond(seminar, questions, agents, rating=3, choice="Transport", outcome="maybe")
    _respond(seminar, questions, operators, rating=4, text="Onsen towns", outcome="no")

    page = organiser_client.get(
        reverse("webinars:organiser_seminar_insights", args=[seminar.slug])
    ).content.decode()
    assert "Survey: How useful?" in page
    assert "Onsen towns" in page

    csv = organiser_client.get(
        reverse(
            "webinars:organiser_seminar_insights_csv",
            args=[seminar.slug, f"survey-{questions['rating'].pk}"],
        )
    ).content.decode()
    lines = csv.lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("Audience type,1,2,3,4,5,Answers,Average rating")
    assert "Operator (survey),0,0,0,1,0,1,4.0" in lines
    assert "Agent (survey),0,0,1,0,1,2,4.0" in lines
    outcome_csv = organiser_client.get(
        reverse(
            "webinars:organiser_seminar_insights_csv",
            args=[seminar.slug, "survey-outcome-over-time"],
        )
    ).content.decode()
    assert "After the seminar,Agent (survey),1,1,0" in outcome_csv
    workbook = organiser_client.get(
        reverse("webinars:organiser_seminar_insights_xlsx", args=[seminar.slug])
    )
    assert workbook.status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_the_organisers_page_reads_the_same_for_few_or_many_answers(
    organiser_client, seminar, questions, django_assert_max_num_queries, count
):
    agents = AudienceTypeFactory(name="Agent (survey)", slug="agent-survey")
    for _ in range(count):
        _respond(seminar, questions, agents, rating=4, text="More onsen", outcome="yes")
    with django_assert_max_num_queries(30):
        page = organiser_client.get(
            reverse("webinars:organiser_seminar_insights", args=[seminar.slug])
        )
    assert page.content.decode().count("More onsen") == count


def test_answers_left_from_before_a_question_changed_kind_are_not_counted(
    organiser_client, seminar, questions
):
    agents = AudienceTypeFactory(name="Agent (survey)", slug="agent-survey")
    _respond(seminar, questions, agents, choice="Itineraries")
    SurveyQuestion.objects.filter(pk=questions["choice"].pk).update(kind="rating", choices_en="")
    response = organiser_client.get(
        reverse("webinars:organiser_seminar_insights", args=[seminar.slug])
    )
    assert response.status_code == 200
