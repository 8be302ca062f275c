"""The seminar admin's side of speaker invites, change notices and writing to registrants."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from icalendar import Calendar

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from tests.factories import (
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    StaffFactory,
    TopicFactory,
)
from tests.utils import (
    SEMINAR_CHANGELIST,
    SEMINAR_STARTS,
    form_errors,
    management_data,
    messages_of,
    seminar_change_url,
    seminar_form_data,
    upcoming_seminar,
)
from webinars.cache import catalogue_version
from webinars.models import Seminar, SeminarSpeaker, Series, Speaker, Topic

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind
SPEAKER_LINK = "https://zoom.example/s/panellist-555"


def _rows(*rows: SeminarSpeaker | dict) -> dict[str, object]:
    """The speaker inline's data: saved links (as they are, unless a dict overrides) then new ones.

    A saved link is given as the link or as ``{"link": link, **overrides}``; a new row as a
    dict without ``link``.
    """
    data: dict[str, object] = {}
    initial = 0
    for index, row in enumerate(rows):
        fields = row if isinstance(row, dict) else {"link": row}
        link = fields.get("link")
        prefix = f"speaker_links-{index}-"
        if link is not None:
            initial += 1
            data[f"{prefix}id"] = link.pk
            data[f"{prefix}seminar"] = link.seminar_id
            values = {
                "speaker": link.speaker_id,
                "role": link.role,
                "position": link.position,
                "join_url": link.join_url,
            }
        else:
            values = {"role": "presenter", "position": "0", "join_url": ""}
        values |= {name: value for name, value in fields.items() if name != "link"}
        data |= {f"{prefix}{name}": value for name, value in values.items()}
    data["speaker_links-TOTAL_FORMS"] = str(len(rows))
    data["speaker_links-INITIAL_FORMS"] = str(initial)
    return data


def _post(client, seminar: Seminar, **overrides):
    response = client.post(seminar_change_url(seminar), seminar_form_data(seminar, **overrides))
    assert response.status_code == 302, form_errors(response)
    return response


def _event(email: OutgoingEmail):
    calendar = Calendar.from_ical(email.calendar_body)
    (event,) = calendar.walk("VEVENT")
    return calendar["METHOD"], event


def _sequence(seminar: Seminar) -> int:
    return Seminar.objects.values_list("sequence", flat=True).get(pk=seminar.pk)


def _invited(link: SeminarSpeaker) -> OutgoingEmail:
    """Queue the link's invite as publishing would, and record it as delivered."""
    from webinars.services import seminar_speakers_notify

    (email,) = seminar_speakers_notify(seminar=link.seminar, added=[link])
    OutgoingEmail.objects.filter(pk=email.pk).update(status=OutgoingEmail.Status.SENT)
    return email


# --- The speaker inline -------------------------------------------------------------


def test_adding_a_speaker_to_a_published_seminar_queues_their_invite(admin_client):
    seminar = upcoming_seminar(title="Kyushu by rail", sequence=2)
    speaker = SpeakerFactory(name="Taro Suzuki", email="taro@example.jp")

    _post(admin_client, seminar, **_rows({"speaker": speaker.pk, "join_url": SPEAKER_LINK}))

    link = SeminarSpeaker.objects.get(seminar=seminar)
    email = OutgoingEmail.objects.get()
    assert (email.kind, email.to_email, email.dedupe_key) == (
        Kind.SPEAKER_INVITE,
        "taro@example.jp",
        f"speaker-invite:{seminar.pk}:{speaker.pk}:{link.pk}",
    )
    method, event = _event(email)
    assert (method, str(event["UID"]), event["SEQUENCE"]) == ("REQUEST", seminar.calendar_uid, 2)
    assert str(event["ATTENDEE"]) == "mailto:taro@example.jp"
    assert str(event["LOCATION"]) == SPEAKER_LINK


def test_adding_a_speaker_without_an_email_sends_nothing(admin_client):
    seminar = upcoming_seminar()

    _post(admin_client, seminar, **_rows({"speaker": SpeakerFactory(email="").pk}))

    assert SeminarSpeaker.objects.filter(seminar=seminar).count() == 1
    assert OutgoingEmail.objects.count() == 0


def test_adding_a_speaker_to_a_draft_invites_them_only_on_publishing(admin_client):
    seminar = upcoming_seminar(draft=True)
    speaker = SpeakerFactory(email="taro@example.jp")

    _post(admin_client, seminar, **_rows({"speaker": speaker.pk}))

    assert OutgoingEmail.objects.count() == 0
    admin_client.post(
        SEMINAR_CHANGELIST, {"action": "publish_seminars", "_selected_action": [seminar.pk]}
    )
    assert list(OutgoingEmail.objects.values_list("kind", "to_email")) == [
        (Kind.SPEAKER_INVITE, "taro@example.jp")
    ]


def test_changing_a_join_link_sends_an_update_at_a_higher_sequence(admin_client):
    seminar = upcoming_seminar(sequence=2)
    link = SeminarSpeakerFactory(
        seminar=seminar, speaker=SpeakerFactory(email="taro@example.jp"), join_url=SPEAKER_LINK
    )
    _invited(link)

    _post(admin_client, seminar, **_rows({"link": link, "join_url": "https://zoom.example/s/9"}))

    update = OutgoingEmail.objects.get(kind=Kind.SPEAKER_UPDATE)
    method, event = _event(update)
    assert (method, event["SEQUENCE"], _sequence(seminar)) == ("REQUEST", 3, 3)
    assert str(event["LOCATION"]) == "https://zoom.example/s/9"
    assert OutgoingEmail.objects.count() == 2


def test_changing_only_a_speaker_role_sends_nothing(admin_client):
    seminar = upcoming_seminar(sequence=2)
    link = SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="taro@example.jp"))
    _invited(link)

    _post(admin_client, seminar, **_rows({"link": link, "role": "moderator"}))

    assert SeminarSpeaker.objects.get(pk=link.pk).role == "moderator"
    assert OutgoingEmail.objects.count() == 1
    assert _sequence(seminar) == 2


def test_removing_a_speaker_sends_a_cancel_at_a_higher_sequence(admin_client):
    seminar = upcoming_seminar(sequence=2)
    speaker = SpeakerFactory(email="taro@example.jp")
    link = SeminarSpeakerFactory(seminar=seminar, speaker=speaker)
    _invited(link)

    _post(admin_client, seminar, **_rows({"link": link, "DELETE": "on"}))

    assert not SeminarSpeaker.objects.filter(seminar=seminar).exists()
    cancel = OutgoingEmail.objects.get(kind=Kind.SPEAKER_CANCEL)
    method, event = _event(cancel)
    assert (method, event["STATUS"], event["SEQUENCE"], _sequence(seminar)) == (
        "CANCEL",
        "CANCELLED",
        3,
        3,
    )
    assert (cancel.to_email, cancel.dedupe_key) == (
        "taro@example.jp",
        f"speaker-removed:{seminar.pk}:{speaker.pk}:3",
    )


def test_swapping_the_speaker_of_a_row_removes_one_and_invites_the_other(admin_client):
    seminar = upcoming_seminar(sequence=2)
    link = SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="old@example.jp"))
    _invited(link)
    newcomer = SpeakerFactory(email="new@example.jp")

    _post(admin_client, seminar, **_rows({"link": link, "speaker": newcomer.pk}))

    emails = OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).order_by("pk")
    assert [(e.kind, e.to_email, _event(e)[1]["SEQUENCE"]) for e in emails] == [
        (Kind.SPEAKER_CANCEL, "old@example.jp", 3),
        (Kind.SPEAKER_INVITE, "new@example.jp", 3),
    ]


# --- Saying when the change email goes ----------------------------------------------


@pytest.fixture
def frozen_admin_client(client, admin_user):
    """An admin logged in at a fixed moment (a session from the real clock would expire)."""
    with time_machine.travel(datetime(2030, 6, 1, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(admin_user)
        yield client


def test_a_time_change_says_when_registrants_and_speakers_are_emailed(
    frozen_admin_client, settings
):
    settings.SEMINAR_CHANGE_NOTICE_DELAY_SECONDS = 180
    seminar = upcoming_seminar(title="Kyushu by rail")

    response = _post(frozen_admin_client, seminar, starts_at_1="11:00:00", ends_at_1="12:30:00")

    assert _sequence(seminar) == 1
    assert messages_of(response)[0] == (
        "Registrants and speakers will be emailed about this change in about 3 minutes "
        "(further edits before then go into the same email)."
    )


def test_a_change_notice_nearly_due_says_about_one_minute(frozen_admin_client, settings):
    settings.SEMINAR_CHANGE_NOTICE_DELAY_SECONDS = 20
    seminar = upcoming_seminar()

    response = _post(frozen_admin_client, seminar, meeting_url="https://zoom.example/j/42")

    assert "emailed about this change in about 1 minute (further" in messages_of(response)[0]


@pytest.mark.parametrize(
    ("fields", "changes"),
    [
        ({}, {"title": "A new title"}),
        ({"draft": True}, {"starts_at_1": "11:00:00", "ends_at_1": "12:30:00"}),
    ],
    ids=["cosmetic-change", "draft"],
)
def test_other_saves_do_not_mention_a_change_email(admin_client, fields, changes):
    seminar = upcoming_seminar(**fields)

    response = _post(admin_client, seminar, **changes)

    assert not [text for text in messages_of(response) if "emailed about this change" in text]
    assert seminar.change_notices.count() == 0


# --- Write to registrants -----------------------------------------------------------


def _write(client, seminars: list[Seminar]):
    # As the changelist's action bar posts it ("index" says which bar was used).
    data = {"action": "write_to_registrants", "index": "0"}
    return client.post(SEMINAR_CHANGELIST, data | {"_selected_action": [s.pk for s in seminars]})


@pytest.mark.parametrize("status", [Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED])
def test_write_to_registrants_opens_an_announcement_for_the_seminar(admin_client, status):
    seminar = upcoming_seminar(status=status)

    response = _write(admin_client, [seminar])

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('admin:notifications_announcement_add')}?seminar={seminar.pk}"
    )


def test_write_to_registrants_refuses_a_draft(admin_client):
    seminar = upcoming_seminar(draft=True, title="Not yet")

    response = _write(admin_client, [seminar])

    assert (response.status_code, response["Location"]) == (302, SEMINAR_CHANGELIST)
    assert messages_of(response) == ["“Not yet” is a draft: it has no registrants to write to."]


def test_write_to_registrants_refuses_several_seminars(admin_client):
    seminars = [upcoming_seminar(), upcoming_seminar(starts_at=SEMINAR_STARTS + timedelta(days=7))]

    response = _write(admin_client, seminars)

    assert (response.status_code, response["Location"]) == (302, SEMINAR_CHANGELIST)
    assert messages_of(response) == ["Select exactly one seminar to write to its registrants."]


def test_write_to_registrants_with_nothing_selected_explains(admin_client):
    upcoming_seminar()

    response = _write(admin_client, [])

    # Django's own check: the action never runs.
    assert (response.status_code, response["Location"]) == (302, SEMINAR_CHANGELIST)
    assert messages_of(response) == [
        "Items must be selected in order to perform actions on them. No items have been changed."
    ]


def test_write_to_registrants_is_offered_only_to_those_who_may_announce(client):
    staff = StaffFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="webinars", codename__in=["view_seminar", "change_seminar"]
        )
    )
    client.force_login(staff)
    upcoming_seminar()

    def offered() -> list[str]:
        response = client.get(SEMINAR_CHANGELIST)
        return [value for value, _label in response.context["action_form"].fields["action"].choices]

    assert "write_to_registrants" not in offered()
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="notifications", codename="add_announcement")
    )
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh permission cache
    client.force_login(staff)
    assert "write_to_registrants" in offered()


# --- Other catalogue models ---------------------------------------------------


def test_speaker_page_lists_their_seminars_read_only(admin_client):
    seminar = upcoming_seminar(title="Kyushu by rail")
    link = SeminarSpeakerFactory(seminar=seminar)

    response = admin_client.get(reverse("admin:webinars_speaker_change", args=[link.speaker_id]))

    html = response.content.decode()
    assert f'<a href="/admin/webinars/seminar/{seminar.pk}/change/">Kyushu by rail</a>' in html
    assert "Tue 4 Mar 2031, 10:00 GMT" in html


def test_speaker_jet_years_in_reverse_order_show_the_error(admin_client):
    response = admin_client.post(
        reverse("admin:webinars_speaker_add"),
        {
            "name": "Kate Jones",
            "slug": "kate-jones",
            "is_jet_participant": "on",
            "jet_year_from": "2012",
            "jet_year_to": "2010",
            "seminar_links-TOTAL_FORMS": "0",
            "seminar_links-INITIAL_FORMS": "0",
        },
    )

    assert form_errors(response) == {
        "jet_year_to": ["The JET end year cannot be before the start year."]
    }
    assert Speaker.objects.count() == 0


def test_series_list_counts_seminars_and_links_to_add_one(admin_client):
    series = SeriesFactory(name="Japan Local Attraction Seminars")
    upcoming_seminar(series=series)
    upcoming_seminar(series=series)

    response = admin_client.get(reverse("admin:webinars_series_changelist"))

    html = response.content.decode()
    assert '<td class="field-seminar_count">2</td>' in html
    assert f'<a href="/admin/webinars/seminar/add/?series={series.pk}">Add a seminar</a>' in html


@pytest.mark.parametrize(
    ("url_name", "data", "model"),
    [
        (
            "admin:webinars_series_add",
            {
                "name_en": "JLGC Seminars",
                "slug": "jlgc",
                "position": "0",
                "timezone": "Europe/London",
                "reminder_offsets_minutes_0": ["1440", "60"],
                **management_data("survey_questions"),
            },
            Series,
        ),
        ("admin:webinars_topic_add", {"name_en": "Onsen", "slug": "onsen"}, Topic),
        (
            "admin:webinars_speaker_add",
            {
                "name": "Kate Jones",
                "slug": "kate-jones",
                "seminar_links-TOTAL_FORMS": "0",
                "seminar_links-INITIAL_FORMS": "0",
            },
            Speaker,
        ),
        (
            "admin:accounts_audiencetype_add",
            {"name": "Student", "slug": "student", "position": "200", "is_active": "on"},
            AudienceType,
        ),
    ],
)
def test_saving_catalogue_models_invalidates_the_cache(
    admin_client, django_capture_on_commit_callbacks, url_name, data, model
):
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse(url_name), data)

    assert response.status_code == 302, form_errors(response)
    assert model.objects.filter(slug=data["slug"]).exists()
    assert catalogue_version() != before


def test_deleting_a_topic_invalidates_the_cache(admin_client, django_capture_on_commit_callbacks):
    topic = TopicFactory()
    before = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:webinars_topic_delete", args=[topic.pk]), {"post": "yes"})

    assert Topic.objects.count() == 0
    assert catalogue_version() != before


def _series_data(**reminders) -> dict[str, object]:
    return {
        "name_en": "JLGC Seminars",
        "slug": "jlgc",
        "position": "0",
        "timezone": "Europe/London",
        **management_data("survey_questions"),
        **reminders,
    }


def test_series_reminders_are_ticked_and_typed_not_json(admin_client):
    response = admin_client.post(
        reverse("admin:webinars_series_add"),
        _series_data(
            reminder_offsets_minutes_0=["1440", "60"], reminder_offsets_minutes_1="90 min, 2 Weeks"
        ),
    )

    assert response.status_code == 302, form_errors(response)
    series = Series.objects.get(slug="jlgc")
    assert series.reminder_offsets_minutes == [20160, 1440, 90, 60]
    page = admin_client.get(reverse("admin:webinars_series_change", args=[series.pk]))
    html = page.content.decode()
    assert 'value="1440" id="id_reminder_offsets_minutes_0_2" checked' in html
    assert 'value="2 weeks, 90 minutes"' in html
    assert "[20160" not in html


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        (
            "5 fortnights",
            "“5 fortnights” is not a time before the start. Write it like “2 hours” or “4 days”.",
        ),
        ("61 days", "A reminder can come at most 60 days before the start, and not at the start."),
        (
            "0 minutes",
            "A reminder can come at most 60 days before the start, and not at the start.",
        ),
        ("1 m, 2 m, 3 m, 4 m, 5 m, 6 m, 7 m", "Choose at most 6 reminders."),
    ],
)
def test_series_reminders_that_make_no_sense_are_refused_with_why(admin_client, typed, error):
    response = admin_client.post(
        reverse("admin:webinars_series_add"), _series_data(reminder_offsets_minutes_1=typed)
    )

    assert form_errors(response) == {"reminder_offsets_minutes": [error]}
    assert not Series.objects.exists()


def test_a_series_carries_its_survey_questions_and_choice_options_are_checked(admin_client):
    data = _series_data() | management_data("survey_questions", total=2)
    data |= {
        "survey_questions-0-position": "1",
        "survey_questions-0-kind": "outcome",
        "survey_questions-0-label_en": "Will you include this region in a product?",
        "survey_questions-1-position": "2",
        "survey_questions-1-kind": "rating",
        "survey_questions-1-label_en": "How useful was it?",
        "survey_questions-1-choices_en": "Yes\nNo",
    }
    refused = admin_client.post(reverse("admin:webinars_series_add"), data)
    assert "Only single and multiple choice questions have options." in refused.content.decode()
    assert not Series.objects.exists()

    data["survey_questions-1-choices_en"] = ""
    response = admin_client.post(reverse("admin:webinars_series_add"), data)
    assert response.status_code == 302, form_errors(response)
    series = Series.objects.get(slug="jlgc")
    assert list(series.survey_questions.values_list("kind", flat=True)) == ["outcome", "rating"]
