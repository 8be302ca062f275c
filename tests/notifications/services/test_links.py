import re

import pytest
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import (
    JOIN_TOKEN_PLACEHOLDER,
    LINK_TOKEN_PLACEHOLDER,
    registration_email_queue,
)
from tests.factories import RegistrationFactory
from tests.utils import rendered, tottori_seminar

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind


def _queue(kind, enqueued=None, **registration_kwargs):
    registration_kwargs.setdefault("seminar", tottori_seminar())
    registration_kwargs.setdefault("name", "Hanako Yamada")
    registration_kwargs.setdefault("email", "hanako@example.org")
    registration = RegistrationFactory(**registration_kwargs)
    return rendered(registration_email_queue(registration=registration, kind=kind))


def test_outbox_keeps_no_working_link_and_each_sent_email_gets_its_own(enqueued, mailoutbox):
    from notifications.services import email_deliver
    from webinars.selectors import registration_link

    email = _queue(Kind.REGISTRATION_CONFIRMED)
    assert email.registration.tokens.count() == 0
    assert f"/r/{LINK_TOKEN_PLACEHOLDER}/" in email.body_text
    assert f"/j/{JOIN_TOKEN_PLACEHOLDER}/" in email.body_text + email.calendar_body

    assert email_deliver(email_id=email.pk).status == "sent"

    (message,) = mailoutbox
    text = message.body
    (join_token,) = re.findall(r"https://kizuna\.example/j/([A-Za-z0-9_-]{40,})/", text)
    (manage_token,) = re.findall(r"https://kizuna\.example/r/([A-Za-z0-9_-]{40,})/", text)
    assert join_token != manage_token
    assert registration_link(join_token, scopes=["join"]).registration == email.registration
    assert registration_link(manage_token, scopes=["manage"]).registration == email.registration
    calendar_part = next(
        part for part in message.message().walk() if part.get_content_type() == "text/calendar"
    )
    calendar = calendar_part.get_payload(decode=True).decode()
    (event,) = Calendar.from_ical(calendar).walk("VEVENT")
    assert str(event["LOCATION"]) == f"https://kizuna.example/j/{join_token}/"
    # The invite travels to shared calendars: it carries the join link and nothing else.
    assert manage_token not in re.sub(r"\r?\n[ \t]", "", calendar)
    assert "/r/" not in re.sub(r"\r?\n[ \t]", "", calendar)
    # The message stored when it was rendered for sending keeps the placeholders only.
    stored = OutgoingEmail.objects.get(pk=email.pk)
    assert stored.rendered and f"/r/{LINK_TOKEN_PLACEHOLDER}/" in stored.body_text
    for token in (join_token, manage_token):
        assert token not in stored.body_text + stored.body_html + stored.calendar_body


def test_confirmation_and_sent_link_survive_the_calendar_refold(enqueued, mailoutbox):
    from notifications.services import with_link_token

    email = _queue(Kind.REGISTRATION_CONFIRMED, name="Hanako " + "Y" * 80)
    join_token, manage_token = "J" * 43, "M" * 43

    sent = with_link_token(email, tokens={"join": join_token, "manage": manage_token})

    unfolded = re.sub(r"\r?\n[ \t]", "", email.calendar_body)
    assert (
        sent.calendar_body
        == Calendar.from_ical(unfolded.replace(JOIN_TOKEN_PLACEHOLDER, join_token))
        .to_ical()
        .decode()
    )
    assert f"/r/{manage_token}/" in sent.body_text
    assert f"/j/{join_token}/" in sent.body_text
    assert email.registration.tokens.count() == 0


def test_an_email_without_a_join_link_mints_only_a_manage_token(enqueued):
    from notifications.services import with_link_token

    email = _queue(Kind.REGISTRATION_WAITLISTED, status="waitlisted")

    sent = with_link_token(email)

    assert list(email.registration.tokens.values_list("scope", flat=True)) == ["manage"]
    assert JOIN_TOKEN_PLACEHOLDER not in sent.body_text + sent.body_html
    assert LINK_TOKEN_PLACEHOLDER not in sent.body_text + sent.body_html


@pytest.mark.parametrize(
    "line",
    [
        "",
        "X" * 74,
        "X" * 75,
        "DESCRIPTION:" + "a\\, b\\n" * 40,
        "LOCATION:https://kizuna.example/j/" + "T" * 60 + "/",
        "SUMMARY:" + "x" * 65 + "^n" + "y" * 80,
        "SUMMARY:鳥取の観光 " * 12,
        "SUMMARY:x" + "鳥取の観光" * 20,
        "DESCRIPTION:" + "🎌" * 40,
        "DESCRIPTION:" + "é" * 100,
    ],
    ids=["empty", "74", "75", "escapes", "link", "caret", "japanese", "cut-3", "cut-4", "cut-2"],
)
def test_calendar_lines_are_folded_exactly_as_icalendar_folds_them(line):
    from icalendar.parser import Contentline

    from notifications.services.links import _ical_fold

    assert _ical_fold(line) == Contentline(line).to_ical().decode()


# --- What mutation testing found untested (make mutate) ----------------------------------


def test_registration_links_give_both_urls_unless_told_no_join():
    from notifications.services.links import registration_links

    assert registration_links() == (
        f"https://kizuna.example/r/{LINK_TOKEN_PLACEHOLDER}/",
        f"https://kizuna.example/j/{JOIN_TOKEN_PLACEHOLDER}/",
    )
    assert registration_links(join=False) == (
        f"https://kizuna.example/r/{LINK_TOKEN_PLACEHOLDER}/",
        None,
    )


def test_registration_links_follow_the_urlconf_and_prefix_in_force(settings):
    from django.urls import get_script_prefix, set_script_prefix, set_urlconf

    from notifications.services.links import registration_links

    prefixed = f"https://kizuna.example/kizuna/r/{LINK_TOKEN_PLACEHOLDER}/"
    assert registration_links()[0] == f"https://kizuna.example/r/{LINK_TOKEN_PLACEHOLDER}/"
    # The cache of reversed links never serves one URLconf's or prefix's links for another.
    set_urlconf("tests.notifications.prefixed_urls")
    try:
        assert registration_links()[0] == prefixed
    finally:
        set_urlconf(None)
    prefix = get_script_prefix()
    set_script_prefix("/sub/")
    try:
        assert registration_links()[0] == f"https://kizuna.example/sub/r/{LINK_TOKEN_PLACEHOLDER}/"
    finally:
        set_script_prefix(prefix)
    settings.ROOT_URLCONF = "tests.notifications.prefixed_urls"
    assert registration_links()[0] == prefixed


def test_an_email_with_only_a_join_link_gets_a_join_token():
    from notifications.services import with_link_token

    registration = RegistrationFactory(seminar=tottori_seminar())
    email = OutgoingEmail(
        registration=registration,
        body_text=f"Join: https://kizuna.example/j/{JOIN_TOKEN_PLACEHOLDER}/",
        body_html="",
        calendar_body="",
    )

    sent = with_link_token(email, tokens={"join": "J" * 43})

    assert sent.body_text == f"Join: https://kizuna.example/j/{'J' * 43}/"
    assert email.body_text.endswith(f"/j/{JOIN_TOKEN_PLACEHOLDER}/")  # the row is not changed


def test_a_batch_mints_each_emails_own_tokens_in_one_insert(django_assert_num_queries):
    from notifications.services.links import link_tokens_mint
    from webinars.selectors import registration_link

    seminar = tottori_seminar()
    both = RegistrationFactory(seminar=seminar)
    manage_only = RegistrationFactory(seminar=seminar)
    emails = [
        OutgoingEmail.objects.create(
            registration=both,
            to_email=both.email,
            subject="Both",
            body_text=f"/r/{LINK_TOKEN_PLACEHOLDER}/ /j/{JOIN_TOKEN_PLACEHOLDER}/",
        ),
        OutgoingEmail.objects.create(
            registration=manage_only,
            to_email=manage_only.email,
            subject="Manage only",
            body_html=f"/r/{LINK_TOKEN_PLACEHOLDER}/",
        ),
        OutgoingEmail.objects.create(to_email="someone@example.org", subject="No links"),
    ]

    with django_assert_num_queries(1):
        minted = link_tokens_mint(emails)

    assert {pk: sorted(tokens) for pk, tokens in minted.items()} == {
        emails[0].pk: ["join", "manage"],
        emails[1].pk: ["manage"],
    }
    for email, scope in [(emails[0], "manage"), (emails[0], "join"), (emails[1], "manage")]:
        link = registration_link(minted[email.pk][scope], scopes=[scope])
        assert link.registration == email.registration
    assert len({token for tokens in minted.values() for token in tokens.values()}) == 3


def _fold_as_icalendar(line: str) -> str:
    from icalendar.parser import Contentline

    return Contentline(line).to_ical().decode()


@pytest.mark.parametrize("tail", ["", "  ", "XX", "\\,", "日本"])
def test_the_token_line_is_refolded_as_icalendar_folds_it_at_every_length(tail):
    from notifications.services.links import _calendar_with_token

    token = "T" * 43
    # Lines long and short around the fold width (75 octets), with a continuation or
    # none, ending in what a careless strip or fold would change.
    for filler in range(0, 110):
        line = f"LOCATION:https://kizuna.example/j/{JOIN_TOKEN_PLACEHOLDER}/{'a' * filler}{tail}"
        for end in ("\r\n", "\n"):
            calendar = "BEGIN:VEVENT" + end + _fold_as_icalendar(line) + end + "END:VEVENT" + end
            expected = (
                "BEGIN:VEVENT"
                + end
                + _fold_as_icalendar(line.replace(JOIN_TOKEN_PLACEHOLDER, token))
                + end
                + "END:VEVENT"
                + end
            )

            assert _calendar_with_token(calendar, JOIN_TOKEN_PLACEHOLDER, token) == expected


def test_a_placeholder_folded_with_a_tab_is_found_and_replaced():
    from notifications.services.links import _calendar_with_token

    calendar = (
        "BEGIN:VEVENT\r\nLOCATION:https://kizuna.example/j/"
        + JOIN_TOKEN_PLACEHOLDER[:10]
        + "\r\n\t"
        + JOIN_TOKEN_PLACEHOLDER[10:]
        + "/\r\nEND:VEVENT\r\n"
    )

    assert _calendar_with_token(calendar, JOIN_TOKEN_PLACEHOLDER, "T" * 43) == (
        "BEGIN:VEVENT\r\n"
        + _fold_as_icalendar("LOCATION:https://kizuna.example/j/" + "T" * 43 + "/")
        + "\r\nEND:VEVENT\r\n"
    )
