import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.db.models import OuterRef
from django.test.utils import CaptureQueriesContext

from notifications.mail import build_message
from notifications.models import Announcement, EmailOptOut, OutgoingEmail
from notifications.services import (
    AnnouncementAlreadySent,
    AnnouncementSeminarNotPublished,
    AnnouncementWithoutRecipients,
    AnnouncementWithoutStatuses,
    announcement_recipients,
    announcement_send,
    email_opt_out,
    opted_out_count,
    unsubscribe_url,
)
from notifications.services.announcements import announcement_dedupe_key
from notifications.services.unsubscribes import opted_out_exists, recipient_bodies_fill
from tests.factories import EmailOptOutFactory, RegistrationFactory
from tests.utils import (
    ANNOUNCEMENT_SENT_AT,
    agent_and_media_types,
    announcement_audience,
    announcement_draft,
    rendered,
    rendered_emails,
    tottori_seminar,
)
from webinars.models import Registration

pytestmark = pytest.mark.django_db


def _emails(registrations):
    return [registration.email for registration in registrations]


# --- Recipients ----------------------------------------------------------------


def test_recipients_are_the_chosen_statuses_of_the_chosen_audience_types():
    seminar = tottori_seminar()
    announcement_audience(seminar)
    RegistrationFactory(seminar=tottori_seminar(), email="other-seminar@example.org")
    agent, media = agent_and_media_types()

    confirmed_only = announcement_draft(seminar)
    both_agents = announcement_draft(
        seminar, statuses=["confirmed", "waitlisted"], audience_types=[agent]
    )
    everyone_live = announcement_draft(seminar, statuses=["confirmed", "waitlisted"])
    cancelled_only = announcement_draft(seminar, statuses=["cancelled"])
    media_waiting = announcement_draft(seminar, statuses=["waitlisted"], audience_types=[media])

    assert _emails(announcement_recipients(announcement=confirmed_only)) == [
        "agent-confirmed@example.org",
        "media-confirmed@example.org",
    ]
    assert _emails(announcement_recipients(announcement=both_agents)) == [
        "agent-confirmed@example.org",
        "agent-waiting@example.org",
    ]
    assert _emails(announcement_recipients(announcement=everyone_live)) == [
        "agent-confirmed@example.org",
        "media-confirmed@example.org",
        "agent-waiting@example.org",
        "media-waiting@example.org",
    ]
    assert _emails(announcement_recipients(announcement=cancelled_only)) == [
        "agent-gone@example.org"
    ]
    assert _emails(announcement_recipients(announcement=media_waiting)) == [
        "media-waiting@example.org"
    ]


def test_recipients_leave_out_unsubscribed_addresses_whatever_their_case():
    seminar = tottori_seminar()
    announcement_audience(seminar)
    EmailOptOutFactory(email="Media-Confirmed@Example.ORG", source="admin")
    email_opt_out(email="agent-waiting@example.org", source="page")

    announcement = announcement_draft(seminar, statuses=["confirmed", "waitlisted"])

    assert _emails(announcement_recipients(announcement=announcement)) == [
        "agent-confirmed@example.org",
        "media-waiting@example.org",
    ]


def test_opted_out_exists_matches_an_opt_out_stored_in_any_case():
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="kenji@example.org")
    RegistrationFactory(seminar=seminar, email="aiko@example.org")
    EmailOptOutFactory(email="kenji@EXAMPLE.org", source="admin")

    flags = dict(
        Registration.objects.annotate(out=opted_out_exists(OuterRef("email"))).values_list(
            "email", "out"
        )
    )

    assert flags == {"kenji@example.org": True, "aiko@example.org": False}


def test_opted_out_count_counts_each_unsubscribed_address_once():
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="twice@example.org", status="cancelled")
    RegistrationFactory(seminar=seminar, email="twice@example.org")
    RegistrationFactory(seminar=seminar, email="stays@example.org")
    RegistrationFactory(seminar=tottori_seminar(), email="elsewhere@example.org")
    for email in ("Twice@Example.ORG", "elsewhere@example.org"):
        EmailOptOutFactory(email=email, source="admin")

    announcement = announcement_draft(seminar, statuses=["confirmed", "cancelled"])

    assert opted_out_count(announcement=announcement) == 1


def test_recipient_bodies_fill_puts_in_every_value_escaped_only_in_html():
    body_text, body_html = recipient_bodies_fill(
        body_text="Dear NAME, bye: URL",
        body_html='<p>Dear NAME,</p><a href="URL">bye</a>',
        values={"NAME": 'Kenji <b>"Sato"</b>', "URL": "https://kizuna.example/u/?a=1&b=2"},
    )

    assert body_text == 'Dear Kenji <b>"Sato"</b>, bye: https://kizuna.example/u/?a=1&b=2'
    assert body_html == (
        "<p>Dear Kenji &lt;b&gt;&quot;Sato&quot;&lt;/b&gt;,</p>"
        '<a href="https://kizuna.example/u/?a=1&amp;b=2">bye</a>'
    )


def test_an_address_registered_twice_is_one_recipient_as_its_current_registration():
    seminar = tottori_seminar()
    cancelled = RegistrationFactory(seminar=seminar, email="twice@example.org", status="cancelled")
    current = RegistrationFactory(seminar=seminar, email="twice@example.org", status="confirmed")
    announcement = announcement_draft(seminar, statuses=["confirmed", "cancelled"])

    assert announcement_recipients(announcement=announcement) == [current]

    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)

    (row,) = OutgoingEmail.objects.all()
    assert row.to_email == "twice@example.org"
    assert row.registration == current
    assert row.registration != cancelled
    assert row.dedupe_key == f"announcement:{announcement.pk}:twice@example.org"


# --- Sending -----------------------------------------------------------------


def test_send_writes_one_outbox_row_per_recipient_and_marks_it_sent(
    enqueued, django_capture_on_commit_callbacks
):
    seminar = tottori_seminar()
    people = announcement_audience(seminar)
    announcement = announcement_draft(seminar, statuses=["confirmed", "waitlisted"])

    with django_capture_on_commit_callbacks(execute=True):
        count = announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)

    assert count == 4
    rows = rendered_emails(OutgoingEmail.objects.order_by("pk"))
    assert [row.to_email for row in rows] == [
        "agent-confirmed@example.org",
        "media-confirmed@example.org",
        "agent-waiting@example.org",
        "media-waiting@example.org",
    ]
    first = rows[0]
    assert first.kind == OutgoingEmail.Kind.ANNOUNCEMENT
    assert first.status == OutgoingEmail.Status.QUEUED
    assert first.subject == "Slides for Thursday"
    assert first.registration == people["agent-confirmed"]
    assert first.seminar == seminar
    assert first.to_name == people["agent-confirmed"].name
    assert first.calendar_method == ""
    assert first.calendar_body == ""
    url = unsubscribe_url(email="agent-confirmed@example.org")
    assert first.headers == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert first.dedupe_key == f"announcement:{announcement.pk}:agent-confirmed@example.org"
    # Each person's own link: one rendering is shared, the links are not.
    assert rows[1].headers["List-Unsubscribe"] == (
        f"<{unsubscribe_url(email='media-confirmed@example.org')}>"
    )
    assert url in first.body_text
    assert url not in rows[1].body_text
    assert sorted(email_id for email_id, _countdown in enqueued) == [row.pk for row in rows]
    announcement.refresh_from_db()
    assert announcement.sent_at == ANNOUNCEMENT_SENT_AT
    assert announcement.recipient_count == 4


def test_email_text_keeps_the_message_and_html_escapes_it_with_links_and_line_breaks(enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="kenji@example.org")
    announcement = announcement_draft(seminar)

    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)

    row = rendered(OutgoingEmail.objects.get())
    url = unsubscribe_url(email="kenji@example.org")
    assert row.body_text == (
        'A message from the organisers of "Tourism in Tottori":\n'
        "\n"
        "Dear all,\n"
        "The slides are at https://example.org/slides?a=1&b=2\n"
        "<b>See you</b> soon.\n"
        "\n"
        "The seminar\n"
        "Tourism in Tottori\n"
        "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)\n"
        "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)\n"
        "UK clocks go back one hour on Sunday 25 October 2026: the London–Tokyo gap is then "
        "9 hours (8 hours before).\n"
        "\n"
        "Seminar page\n"
        f"https://kizuna.example/seminars/{seminar.slug}/\n"
        "\n"
        "Questions? Write to the organisers at contact@kizuna.example.\n"
        "\n"
        'You receive this because you registered for "Tourism in Tottori". To stop '
        "announcements like this one (you will still get confirmations, reminders and changes "
        "for seminars you register for), unsubscribe:\n"
        f"{url}\n"
    )
    assert (
        "Dear all,<br>The slides are at "
        '<a href="https://example.org/slides?a=1&amp;b=2" rel="nofollow">'
        "https://example.org/slides?a=1&amp;b=2</a><br>&lt;b&gt;See you&lt;/b&gt; soon."
    ) in row.body_html
    assert "<b>See you" not in row.body_html
    assert f'<a href="{url}"' in row.body_html


def test_each_recipient_reads_it_in_their_language_and_time_zone(enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="london@example.org")
    RegistrationFactory(seminar=seminar, email="newyork@example.org", time_zone="America/New_York")
    RegistrationFactory(seminar=seminar, email="tokyo@example.org", language="ja")
    announcement = announcement_draft(seminar)

    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)

    rows = {row.to_email: row for row in rendered_emails(OutgoingEmail.objects.all())}
    assert {email: row.language for email, row in rows.items()} == {
        "london@example.org": "en",
        "newyork@example.org": "en",
        "tokyo@example.org": "ja",
    }
    assert "Your time: Friday 23 October 2026, 05:00–06:00 EDT (New York)" in (
        rows["newyork@example.org"].body_text
    )
    assert "Your time" not in rows["london@example.org"].body_text
    # The Japanese catalogue: 英国時間, the day as 2026年10月23日(金), the city in Japanese.
    assert "英国時間: 2026年10月23日(金) 10:00–11:00 BST（ロンドン）" in (
        rows["tokyo@example.org"].body_text
    )
    assert "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)" in (
        rows["london@example.org"].body_text
    )


def test_built_message_carries_one_click_unsubscribe_headers_and_the_link_works(client, enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="kenji@example.org", name="Kenji Sato")
    announcement = announcement_draft(seminar)
    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)

    message = build_message(rendered(OutgoingEmail.objects.get())).message()

    url = unsubscribe_url(email="kenji@example.org")
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["To"] == "Kenji Sato <kenji@example.org>"
    assert message["Subject"] == "Slides for Thursday"
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    path = url.removeprefix("https://kizuna.example")
    response = client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert list(EmailOptOut.objects.values_list("email", "source")) == [
        ("kenji@example.org", "one-click")
    ]


def test_sending_twice_writes_nothing_new(enqueued):
    seminar = tottori_seminar()
    announcement_audience(seminar)
    announcement = announcement_draft(seminar)
    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)
    RegistrationFactory(seminar=seminar, email="late@example.org")

    with pytest.raises(AnnouncementAlreadySent):
        announcement_send(announcement=announcement, now=datetime(2026, 10, 2, tzinfo=UTC))
    # A stale copy of the draft is refused too: the service reads the locked row.
    stale = Announcement.objects.get(pk=announcement.pk)
    stale.sent_at = None
    with pytest.raises(AnnouncementAlreadySent):
        announcement_send(announcement=stale)

    assert OutgoingEmail.objects.count() == 2
    announcement.refresh_from_db()
    assert announcement.sent_at == ANNOUNCEMENT_SENT_AT
    assert announcement.recipient_count == 2


@pytest.mark.parametrize(
    ("seminar_kwargs", "statuses", "error"),
    [
        ({"draft": True}, ["confirmed"], AnnouncementSeminarNotPublished),
        (
            {"status": "cancelled", "published_at": None},
            ["confirmed"],
            AnnouncementSeminarNotPublished,
        ),
        ({}, [], AnnouncementWithoutStatuses),
        ({}, ["waitlisted"], AnnouncementWithoutRecipients),
    ],
)
def test_send_refuses_what_cannot_go_out_and_leaves_the_draft(
    enqueued, seminar_kwargs, statuses, error
):
    seminar = tottori_seminar(**seminar_kwargs)
    RegistrationFactory(seminar=seminar, email="kenji@example.org")
    announcement = announcement_draft(seminar, statuses=statuses)

    with pytest.raises(error):
        announcement_send(announcement=announcement)

    assert OutgoingEmail.objects.count() == 0
    announcement.refresh_from_db()
    assert announcement.sent_at is None
    assert announcement.recipient_count == 0


def test_send_to_a_cancelled_seminars_registrants_is_allowed(enqueued):
    seminar = tottori_seminar(status="cancelled")
    RegistrationFactory(seminar=seminar, email="kenji@example.org")
    announcement = announcement_draft(seminar, subject="A new date")

    assert announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT) == 1
    assert "The cancelled seminar\n" in rendered(OutgoingEmail.objects.get()).body_text


def test_an_address_too_long_for_the_key_column_gets_a_digest_key(enqueued):
    seminar = tottori_seminar()
    email = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + ".example.org"
    RegistrationFactory(seminar=seminar, email=email)
    announcement = announcement_draft(seminar)

    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)

    row = OutgoingEmail.objects.get()
    assert row.to_email == email
    assert row.dedupe_key == announcement_dedupe_key(announcement_id=announcement.pk, email=email)
    assert row.dedupe_key.startswith(f"announcement:{announcement.pk}:sha256:")
    assert len(row.dedupe_key) <= 200


def _announcement_for(seminar_number: int, registrants: int) -> Announcement:
    """A seminar whose registrants differ in audience type, language and zone; one opted out."""
    seminar = tottori_seminar(slug=f"count-{seminar_number}")
    agent, media = agent_and_media_types()
    for n in range(registrants):
        RegistrationFactory(
            seminar=seminar,
            email=f"person{n}@seminar{seminar_number}.example.org",
            audience_type=agent if n % 2 else media,
            language="ja" if n % 3 else "en",
            time_zone="America/New_York" if n % 5 == 0 else "",
        )
    EmailOptOutFactory(email=f"PERSON1@seminar{seminar_number}.example.org")
    return announcement_draft(seminar, audience_types=[agent, media])


def test_send_queries_do_not_grow_with_recipients(enqueued, django_assert_max_num_queries):
    one = _announcement_for(1, registrants=1)
    many = _announcement_for(2, registrants=31)
    with CaptureQueriesContext(connection) as queries:
        announcement_send(announcement=one)

    # The lock, the audience, the keys already written, one INSERT and the UPDATE (in a
    # savepoint): the same for 1 recipient as for 30.
    with django_assert_max_num_queries(len(queries)):
        assert announcement_send(announcement=many) == 30

    assert OutgoingEmail.objects.filter(seminar=one.seminar).count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_write_the_announcement_once(enqueued):
    seminar = tottori_seminar()
    for n in range(3):
        RegistrationFactory(seminar=seminar, email=f"guest{n}@example.org")
    announcement = announcement_draft(seminar)
    locked, release = threading.Event(), threading.Event()
    outcomes: list[object] = []

    def hold_the_announcement() -> None:
        try:
            with transaction.atomic():
                Announcement.objects.select_for_update().get(pk=announcement.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def send() -> None:
        try:
            outcomes.append(announcement_send(announcement=Announcement.objects.get()))
        except AnnouncementAlreadySent as error:
            outcomes.append(type(error))
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_announcement)
    holder.start()
    assert locked.wait(10)
    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    # Both senders now wait for the row lock (a double-clicked "Send").
    time.sleep(0.5)
    release.set()
    for thread in (holder, *senders):
        thread.join(10)

    assert sorted(outcomes, key=str) == sorted([3, AnnouncementAlreadySent], key=str)
    assert OutgoingEmail.objects.count() == 3
    assert Announcement.objects.get().recipient_count == 3


def test_each_recipient_gets_the_announcement_in_their_language_else_the_other():
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="en@example.org", language="en")
    RegistrationFactory(seminar=seminar, email="ja@example.jp", language="ja")
    announcement = announcement_draft(
        seminar, subject_en="Slides for Thursday", subject_ja="木曜日の資料", body_ja="資料です。"
    )
    announcement.body_en = ""
    announcement.save()

    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)

    english = rendered(OutgoingEmail.objects.get(to_email="en@example.org"))
    japanese = rendered(OutgoingEmail.objects.get(to_email="ja@example.jp"))
    assert english.subject.endswith("Slides for Thursday")
    assert japanese.subject.endswith("木曜日の資料")
    # No English body: the Japanese one is sent, marked Japanese in the HTML part.
    assert "資料です。" in english.body_text and "資料です。" in japanese.body_text
    assert 'lang="ja"' in english.body_html
