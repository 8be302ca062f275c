"""Post-seminar surveys by email: once to attendees and no-shows, the outcome months later."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from notifications.models import EmailOptOut, OutgoingEmail
from notifications.services import NotSent, email_render, surveys_dispatch
from tests.factories import RegistrationFactory, SeminarFactory, SeriesFactory
from tests.utils import rendered
from webinars.models import Registration, SurveyQuestion, SurveyResponse

pytestmark = pytest.mark.django_db

ENDS = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)


@pytest.fixture
def seminar():
    series = SeriesFactory()
    SurveyQuestion.objects.create(series=series, kind="rating", label="How useful was it?")
    SurveyQuestion.objects.create(
        series=series,
        kind="outcome",
        label="Will you include this region in a product or itinerary in the next 12 months?",
    )
    return SeminarFactory(
        title="Tourism in Tottori",
        title_ja="鳥取の観光",
        series=series,
        starts_at=ENDS - timedelta(hours=1),
        ends_at=ENDS,
    )


def _surveys(kind=OutgoingEmail.Kind.SURVEY):
    return list(OutgoingEmail.objects.filter(kind=kind).order_by("to_email", "pk"))


def _at(moment):
    return time_machine.travel(moment, tick=False)


def test_attendees_and_no_shows_get_it_once_an_hour_after_the_end(seminar):
    came = RegistrationFactory(seminar=seminar, email="came@example.org", attended="yes")
    RegistrationFactory(seminar=seminar, email="no-show@example.org", attended="no")
    RegistrationFactory(seminar=seminar, email="unknown@example.org")
    RegistrationFactory(seminar=seminar, email="waiting@example.org", status="waitlisted")
    RegistrationFactory(seminar=seminar, email="cancelled@example.org", status="cancelled")
    RegistrationFactory(seminar=seminar, email="unsubscribed@example.org")
    EmailOptOut.objects.create(email="unsubscribed@example.org", source="page")

    with _at(ENDS + timedelta(minutes=59)):
        assert surveys_dispatch().surveys == 0
    with _at(ENDS + timedelta(hours=1, minutes=1)):
        assert surveys_dispatch().surveys == 3
        assert surveys_dispatch().surveys == 0
    assert [email.to_email for email in _surveys()] == [
        "came@example.org",
        "no-show@example.org",
        "unknown@example.org",
    ]
    email = OutgoingEmail.objects.get(registration=came)
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    message = rendered(email)
    assert message.subject == "Two minutes on “Tourism in Tottori”?"
    assert "Thank you for joining" in message.body_text
    assert "/survey/after/" in message.body_text


def test_a_no_show_reads_a_different_opening_in_japanese(seminar):
    registration = RegistrationFactory(seminar=seminar, attended="no", language="ja")
    with _at(ENDS + timedelta(hours=2)):
        surveys_dispatch()
    message = rendered(OutgoingEmail.objects.get(registration=registration))
    assert message.subject == "「鳥取の観光」について2分ほどお聞かせください"
    assert "お申し込みいただきありがとうございました" in message.body_text


def test_a_series_without_questions_or_a_seminar_long_over_sends_nothing(seminar):
    RegistrationFactory(seminar=SeminarFactory(starts_at=ENDS - timedelta(hours=1), ends_at=ENDS))
    RegistrationFactory(seminar=seminar)
    with _at(ENDS + timedelta(days=8)):
        assert surveys_dispatch().surveys == 0


def test_someone_who_answered_before_it_went_is_not_sent_it(seminar):
    registration = RegistrationFactory(seminar=seminar)
    with _at(ENDS + timedelta(hours=2)):
        surveys_dispatch()
        SurveyResponse.objects.create(registration=registration, round="after")
        with pytest.raises(NotSent, match="already answered"):
            email_render(email=_surveys()[0])


def _answered(seminar, email, *, outcome, followup):
    registration = RegistrationFactory(seminar=seminar, email=email, attended="yes")
    SurveyResponse.objects.create(
        registration=registration, round="after", outcome=outcome, followup_opt_in=followup
    )
    return registration


def test_the_outcome_is_asked_again_at_three_and_six_months_of_yes_and_maybe_who_agreed(
    seminar,
):
    _answered(seminar, "yes@example.org", outcome="yes", followup=True)
    _answered(seminar, "maybe@example.org", outcome="maybe", followup=True)
    _answered(seminar, "no@example.org", outcome="no", followup=False)
    _answered(seminar, "declined@example.org", outcome="yes", followup=False)

    with _at(ENDS + timedelta(days=90)):
        assert surveys_dispatch().followups == 0
    with _at(ENDS + timedelta(days=91, hours=1)):
        assert surveys_dispatch().followups == 2
        assert surveys_dispatch().followups == 0
    followups = _surveys(OutgoingEmail.Kind.SURVEY_FOLLOWUP)
    assert [email.to_email for email in followups] == ["maybe@example.org", "yes@example.org"]
    message = rendered(followups[0])
    assert message.subject == "One question, 3 months after “Tourism in Tottori”"
    assert "/survey/3m/" in message.body_text

    with _at(ENDS + timedelta(days=182, hours=1)):
        assert surveys_dispatch().followups == 2
    assert "/survey/6m/" in rendered(_surveys(OutgoingEmail.Kind.SURVEY_FOLLOWUP)[-1]).body_text


def test_an_erased_registrant_is_not_surveyed(seminar):
    RegistrationFactory(seminar=seminar, anonymised_at=ENDS)
    with _at(ENDS + timedelta(hours=2)):
        assert surveys_dispatch().surveys == 0
    assert Registration.objects.count() == 1
