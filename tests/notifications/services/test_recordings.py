import json
import re
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import AudienceType
from notifications.mail import build_message
from notifications.models import EmailOptOut, OutgoingEmail
from notifications.services import (
    LINK_TOKEN_PLACEHOLDER,
    emails_deliver,
    recording_followups_queue,
    unsubscribe_url,
)
from notifications.services.recordings import recording_followup_recipients
from tests.factories import (
    EmailOptOutFactory,
    RecordingChapterFactory,
    RecordingFactory,
    RecordingMaterialFactory,
    RegistrationFactory,
    SeminarFactory,
)
from tests.utils import rendered, rendered_emails
from webinars.models import Recording, RegistrationToken
from webinars.selectors import registration_by_token
from webinars.services import recording_publish, recording_unpublish

pytestmark = pytest.mark.django_db

# A week after the seminar of Friday 23 October 2026, 10:00 BST.
NOW = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
WATCH_LINK = f"https://kizuna.example/r/{LINK_TOKEN_PLACEHOLDER}/recording/"
SUBJECTS = {
    "yes": "Thank you for joining us – watch the recording: The dunes of Tottori",
    "no": "Sorry we missed you – watch the recording: The dunes of Tottori",
    "unknown": "Watch the recording: The dunes of Tottori",
}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _recording(slug: str = "tottori", **kwargs) -> Recording:
    """An unpublished, publishable recording with two chapters and slides."""
    seminar = SeminarFactory(
        title="Tourism in Tottori",
        slug=f"seminar-{slug}",
        starts_at=datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 10, 23, 10, 0, tzinfo=UTC),
    )
    recording = RecordingFactory(
        seminar=seminar,
        slug=slug,
        unpublished=True,
        title="The dunes of Tottori",
        duration=timedelta(minutes=62),
        **kwargs,
    )
    RecordingChapterFactory(recording=recording, starts_at=timedelta(0), title="Welcome")
    RecordingChapterFactory(
        recording=recording, starts_at=timedelta(minutes=12, seconds=30), title="Sand and sea"
    )
    # A row only: these tests read the title, not the file.
    RecordingMaterialFactory(
        recording=recording,
        title="Slides (PDF)",
        file="materials/slides.pdf",
        original_name="slides.pdf",
        content_type="application/pdf",
        size=1024,
    )
    return recording


def _rows() -> dict[str, OutgoingEmail]:
    return {row.to_email: row for row in rendered_emails(OutgoingEmail.objects.order_by("pk"))}


def _row() -> OutgoingEmail:
    """The one follow-up written, with the message the worker would send now."""
    return rendered(OutgoingEmail.objects.get())


# --- Who gets it -------------------------------------------------------------------


def test_publish_writes_one_email_per_confirmed_opted_in_registrant_not_unsubscribed(enqueued):
    recording = _recording()
    seminar = recording.seminar
    came = RegistrationFactory(seminar=seminar, email="came@example.org", attended="yes")
    RegistrationFactory(seminar=seminar, email="missed@example.org", attended="no")
    RegistrationFactory(seminar=seminar, email="unknown@example.org")
    RegistrationFactory(seminar=seminar, email="waiting@example.org", status="waitlisted")
    RegistrationFactory(seminar=seminar, email="gone@example.org", status="cancelled")
    RegistrationFactory(
        seminar=seminar, email="no-thanks@example.org", recording_followup_opt_in=False
    )
    RegistrationFactory(seminar=seminar, email="stopped@example.org", attended="yes")
    EmailOptOutFactory(email="Stopped@Example.ORG")
    RegistrationFactory(seminar=SeminarFactory(past=True), email="elsewhere@example.org")

    assert recording_publish(recording=recording) == 3

    rows = _rows()
    assert list(rows) == ["came@example.org", "missed@example.org", "unknown@example.org"]
    first = rows["came@example.org"]
    assert first.kind == OutgoingEmail.Kind.RECORDING_AVAILABLE
    assert first.status == OutgoingEmail.Status.QUEUED
    assert first.registration == came
    assert first.seminar == seminar
    assert first.to_name == came.name
    assert first.language == "en"
    assert first.calendar_body == ""
    assert first.dedupe_key == f"recording:{recording.pk}:{came.pk}"
    recording.refresh_from_db()
    assert recording.followups_queued_at == NOW
    assert list(
        recording_followup_recipients(recording=recording).values_list("email", flat=True)
    ) == ["came@example.org", "missed@example.org", "unknown@example.org"]


def test_rows_are_delivered_in_one_batch_after_the_publish_commits(
    enqueued, django_capture_on_commit_callbacks
):
    recording = _recording()
    for n in range(3):
        RegistrationFactory(seminar=recording.seminar, email=f"person{n}@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        recording_publish(recording=recording)

    assert sorted(email_id for email_id, _countdown in enqueued) == sorted(
        OutgoingEmail.objects.values_list("pk", flat=True)
    )
    assert len(enqueued) == 3


# --- What it says --------------------------------------------------------------------


@pytest.mark.parametrize("attended", ["yes", "no", "unknown"])
def test_subject_and_opening_follow_attendance(enqueued, attended):
    recording = _recording()
    RegistrationFactory(seminar=recording.seminar, email="kenji@example.org", attended=attended)

    recording_publish(recording=recording)

    row = _row()
    opening = {
        "yes": 'Thank you for joining "Tourism in Tottori". The recording is now available: '
        "watch it again, catch a part you missed, or look up what a speaker said.",
        "no": 'We\'re sorry we missed you at "Tourism in Tottori". The recording is now '
        "available, so you can watch the whole seminar whenever it suits you.",
        "unknown": 'The recording of "Tourism in Tottori" is now available to watch.',
    }
    heading = {
        "yes": "Thank you for joining us",
        "no": "Sorry we missed you",
        "unknown": "The recording is available",
    }
    assert row.subject == SUBJECTS[attended]
    assert row.body_text.splitlines()[2] == opening[attended]
    assert f'<h1 style="margin:0 0 16px;font-size:22px;">{heading[attended]}</h1>' in (
        row.body_html
    )
    # Only one wording per email.
    others = [text for key, text in opening.items() if key != attended]
    assert not any(text in row.body_text for text in others)


def test_text_body_carries_the_link_recording_facts_times_and_unsubscribe_link(enqueued):
    recording = _recording()
    RegistrationFactory(
        seminar=recording.seminar,
        email="kenji@example.org",
        name="Kenji Sato",
        attended="yes",
        time_zone="America/New_York",
    )

    recording_publish(recording=recording)

    row = _row()
    assert row.body_text == (
        "Dear Kenji Sato,\n"
        "\n"
        'Thank you for joining "Tourism in Tottori". The recording is now available: watch it '
        "again, catch a part you missed, or look up what a speaker said.\n"
        "\n"
        "Watch the recording\n"
        "The dunes of Tottori\n"
        f"{WATCH_LINK}\n"
        "Length: 1 h 2 min\n"
        "\n"
        "Anyone may watch this recording: feel free to share its page with colleagues.\n"
        "https://kizuna.example/recordings/tottori/\n"
        "\n"
        "2 chapters\n"
        "0:00  Welcome\n"
        "12:30  Sand and sea\n"
        "\n"
        "Materials to download on the recording page\n"
        "- Slides (PDF)\n"
        "\n"
        "The seminar\n"
        "Tourism in Tottori\n"
        "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)\n"
        "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)\n"
        "Your time: Friday 23 October 2026, 05:00–06:00 EDT (New York)\n"
        "\n"
        "Seminar page\n"
        "https://kizuna.example/seminars/seminar-tottori/\n"
        "\n"
        "Questions? Write to the organisers at contact@kizuna.example.\n"
        "\n"
        'You receive this because you registered for "Tourism in Tottori" and asked to hear '
        "when its recording is available. To stop recording notices and announcements (you "
        "will still get confirmations, reminders and changes for seminars you register for), "
        "unsubscribe:\n"
        f"{unsubscribe_url(email='kenji@example.org')}\n"
    )


def test_html_body_escapes_the_name_and_links_watch_page_and_unsubscribe(enqueued):
    recording = _recording()
    RegistrationFactory(
        seminar=recording.seminar, email="kenji@example.org", name='Kenji <b>"Sato"</b>'
    )

    recording_publish(recording=recording)

    html = _row().body_html
    assert '<p style="margin:0 0 16px;">Dear Kenji &lt;b&gt;&quot;Sato&quot;&lt;/b&gt;,</p>' in (
        html
    )
    assert "<b>" not in html
    assert f'<a href="{WATCH_LINK}"' in html
    assert f'<a href="{unsubscribe_url(email="kenji@example.org")}"' in html
    assert "Unsubscribe from recording notices and announcements</a>" in html
    assert (
        '<td style="padding:2px 12px 2px 0;vertical-align:top;font-variant-numeric:tabular-nums;">'
        '12:30</td><td style="padding:2px 0;">Sand and sea</td>'
    ) in html
    assert "<li>Slides (PDF)</li>" in html
    assert '<html lang="en">' in html


def test_each_person_gets_their_own_name_and_unsubscribe_link(enqueued):
    recording = _recording()
    for name in ("Aiko Tanaka", "Ben Okafor"):
        RegistrationFactory(
            seminar=recording.seminar, email=f"{name.split()[0].lower()}@example.org", name=name
        )

    recording_publish(recording=recording)

    aiko, ben = rendered_emails(OutgoingEmail.objects.order_by("pk"))
    aiko_url, ben_url = (unsubscribe_url(email=row.to_email) for row in (aiko, ben))
    assert aiko.body_text.startswith("Dear Aiko Tanaka,\n")
    assert ben.body_text.startswith("Dear Ben Okafor,\n")
    assert aiko_url in aiko.body_text and ben_url not in aiko.body_text
    assert ben_url in ben.body_html and aiko_url not in ben.body_html


@pytest.mark.parametrize(
    ("access", "sentence"),
    [
        (
            "signed_in",
            "The recording is for signed-in users: sign in, or create a free account, when the "
            "page asks you to.",
        ),
        (
            "registrants",
            "The recording is for the seminar's registrants only: your link above opens it for "
            "you. Please do not share it.",
        ),
        (
            "audience_types",
            "The recording is open to these audiences: Travel agent, Media.",
        ),
    ],
)
def test_restricted_recordings_say_who_may_watch_and_hide_the_share_line(
    enqueued, access, sentence
):
    recording = _recording(access=access)
    if access == "audience_types":
        recording.audience_types.set(
            AudienceType.objects.filter(slug__in=["travel-agent", "media"])
        )
    RegistrationFactory(seminar=recording.seminar, email="kenji@example.org")

    recording_publish(recording=recording)

    row = _row()
    assert f"\n{sentence}\n" in row.body_text
    assert sentence in row.body_html
    assert "feel free to share" not in row.body_text
    assert "https://kizuna.example/recordings/tottori/" not in row.body_text


def test_a_recording_without_duration_chapters_or_materials_leaves_those_lines_out(enqueued):
    seminar = SeminarFactory(past=True, title="Tourism in Tottori")
    recording = RecordingFactory(seminar=seminar, unpublished=True, duration=None)
    RegistrationFactory(seminar=seminar, email="kenji@example.org")

    recording_publish(recording=recording)

    text = _row().body_text
    assert "Length:" not in text
    assert "chapter" not in text
    assert "Materials" not in text
    assert "transcript" not in text


def test_a_transcript_is_mentioned(enqueued):
    recording = _recording(transcript_file="transcripts/tottori.vtt")
    RegistrationFactory(seminar=recording.seminar, email="kenji@example.org")

    recording_publish(recording=recording)

    assert (
        "\nThe full transcript is on the recording page too: search it to find what was said.\n"
    ) in _row().body_text


def test_japanese_registrant_gets_the_japanese_template_and_times(enqueued):
    recording = _recording()
    RegistrationFactory(seminar=recording.seminar, email="aiko@example.jp", language="ja")
    RegistrationFactory(seminar=recording.seminar, email="ben@example.org")

    recording_publish(recording=recording)

    rows = _rows()
    assert {email: row.language for email, row in rows.items()} == {
        "aiko@example.jp": "ja",
        "ben@example.org": "en",
    }
    assert '<html lang="ja">' in rows["aiko@example.jp"].body_html
    # The Japanese catalogue: 英国時間, the day as 2026年10月23日(金), the city in Japanese.
    assert "英国時間: 2026年10月23日(金) 10:00–11:00 BST（ロンドン）" in (
        rows["aiko@example.jp"].body_text
    )
    assert '<html lang="en">' in rows["ben@example.org"].body_html


# --- Unsubscribing ---------------------------------------------------------------------


def test_built_message_has_one_click_unsubscribe_that_works(client, enqueued):
    recording = _recording()
    RegistrationFactory(
        seminar=recording.seminar, email="kenji@example.org", name="Kenji Sato", attended="no"
    )
    recording_publish(recording=recording)

    message = build_message(_row()).message()

    url = unsubscribe_url(email="kenji@example.org")
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["To"] == "Kenji Sato <kenji@example.org>"
    assert str(make_header(decode_header(message["Subject"]))) == SUBJECTS["no"]
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    response = client.post(
        url.removeprefix("https://kizuna.example"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert list(EmailOptOut.objects.values_list("email", "source")) == [
        ("kenji@example.org", "one-click")
    ]
    # Unsubscribing withdraws the follow-up still waiting to go.
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.CANCELLED


# --- Once only --------------------------------------------------------------------------


def test_a_second_call_writes_nothing_new(enqueued):
    recording = _recording()
    RegistrationFactory(seminar=recording.seminar, email="kenji@example.org")
    recording_publish(recording=recording)

    assert recording_followups_queue(recording=recording) == 0
    assert recording_publish(recording=recording) == 0

    assert OutgoingEmail.objects.count() == 1


def test_a_direct_second_call_writes_only_for_newcomers(enqueued):
    recording = _recording()
    RegistrationFactory(seminar=recording.seminar, email="kenji@example.org")
    assert recording_followups_queue(recording=recording) == 1
    RegistrationFactory(seminar=recording.seminar, email="late@example.org")

    assert recording_followups_queue(recording=recording) == 1

    assert sorted(OutgoingEmail.objects.values_list("to_email", flat=True)) == [
        "kenji@example.org",
        "late@example.org",
    ]


def test_publish_unpublish_publish_sends_nothing_new(enqueued):
    recording = _recording()
    RegistrationFactory(seminar=recording.seminar, email="kenji@example.org")
    assert recording_publish(recording=recording) == 1
    recording_unpublish(recording=recording)
    RegistrationFactory(seminar=recording.seminar, email="late@example.org")

    assert recording_publish(recording=recording) == 0

    recording.refresh_from_db()
    assert recording.is_published
    assert list(OutgoingEmail.objects.values_list("to_email", flat=True)) == ["kenji@example.org"]


def test_a_rolled_back_publish_leaves_no_row_and_sends_nothing(
    enqueued, django_capture_on_commit_callbacks
):
    recording = _recording()
    RegistrationFactory(seminar=recording.seminar, email="kenji@example.org")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert recording_publish(recording=recording) == 1
        raise RuntimeError("the admin request failed after publishing")

    assert callbacks == []
    assert enqueued == []
    assert OutgoingEmail.objects.count() == 0
    recording.refresh_from_db()
    assert recording.published_at is None
    assert recording.followups_queued_at is None


def test_nobody_to_write_to_writes_nothing(enqueued):
    recording = _recording()
    RegistrationFactory(seminar=recording.seminar, recording_followup_opt_in=False)

    assert recording_publish(recording=recording) == 0
    assert OutgoingEmail.objects.count() == 0


# --- Delivery ------------------------------------------------------------------------------


def test_delivery_mints_a_working_personal_link(client, enqueued, mailoutbox):
    recording = _recording()
    # A fixed name: a random one with a dot ("Mrs. Jacobs") is quoted in the address.
    registration = RegistrationFactory(
        seminar=recording.seminar, email="kenji@example.org", name="Kenji Sato", attended="yes"
    )
    recording_publish(recording=recording)
    row = OutgoingEmail.objects.get()

    result = emails_deliver(email_ids=[row.pk])

    assert result.delivered == 1
    [message] = mailoutbox
    assert message.to == ["Kenji Sato <kenji@example.org>"]
    assert message.subject == SUBJECTS["yes"]
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<{unsubscribe_url(email='kenji@example.org')}>"
    )
    links = re.findall(r"https://kizuna\.example/r/([^/\s]+)/recording/", message.body)
    html = message.alternatives[0][0]
    assert len(links) == 1
    token = links[0]
    assert token != LINK_TOKEN_PLACEHOLDER
    assert f'<a href="https://kizuna.example/r/{token}/recording/"' in html
    assert RegistrationToken.objects.filter(registration=registration).count() == 1
    assert registration_by_token(token, scopes=["manage", "join"]) == registration
    # The stored row keeps the placeholder: the outbox never holds a working link.
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert token not in row.body_text
    assert token not in row.body_html
    assert token not in row.calendar_body
    assert token not in json.dumps(row.headers)
    assert f'<a href="{WATCH_LINK}"' in row.body_html
    response = client.get(f"/r/{token}/recording/")
    assert response.status_code == 302
    assert response["Location"] == "/recordings/tottori/"


# --- Cost -----------------------------------------------------------------------------------


def _publishable(number: int, registrants: int) -> Recording:
    """Registrants differing in attendance, language and zone; one opted out, one not opted in."""
    recording = _recording(slug=f"count-{number}")
    for n in range(registrants):
        RegistrationFactory(
            seminar=recording.seminar,
            email=f"person{n}@seminar{number}.example.org",
            attended=("yes", "no", "unknown")[n % 3],
            language="ja" if n % 4 == 0 else "en",
            time_zone="America/New_York" if n % 5 == 0 else "",
        )
    RegistrationFactory(seminar=recording.seminar, recording_followup_opt_in=False)
    EmailOptOutFactory(email=f"PERSON1@seminar{number}.example.org")
    return recording


def test_queries_do_not_grow_with_registrants(enqueued, django_assert_max_num_queries):
    one = _publishable(1, registrants=1)
    many = _publishable(2, registrants=31)
    with CaptureQueriesContext(connection) as queries:
        assert recording_publish(recording=one) == 1

    with django_assert_max_num_queries(len(queries)):
        assert recording_publish(recording=many) == 30

    assert OutgoingEmail.objects.filter(seminar=many.seminar).count() == 30


def test_audience_type_recordings_follow_up_only_those_who_may_watch():
    from tests.factories import AudienceTypeFactory, UserFactory

    chosen, other = AudienceTypeFactory(), AudienceTypeFactory()
    recording = RecordingFactory(
        unpublished=True, access=Recording.Access.AUDIENCE_TYPES, audience_types=[chosen]
    )
    declared = RegistrationFactory(seminar=recording.seminar, audience_type=chosen)
    by_account = RegistrationFactory(
        seminar=recording.seminar, audience_type=other, user=UserFactory(audience_type=chosen)
    )
    RegistrationFactory(seminar=recording.seminar, audience_type=other)

    recipients = recording_followup_recipients(recording=recording)

    assert {registration.pk for registration in recipients} == {declared.pk, by_account.pk}
