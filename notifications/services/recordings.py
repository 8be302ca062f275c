"""Recording-available follow-ups: the email registrants get when a seminar's recording is out.

:func:`webinars.services.recording_publish` calls :func:`recording_followups_queue` inside
its transaction the first time a recording is published, so a publish that rolls back
sends nothing. Every confirmed registrant who opted in to follow-ups, and whose address
has not unsubscribed, gets one email worded by their attendance: thanks to those who
came, "sorry we missed you" to no-shows, a neutral note when attendance is unknown. Each
carries the registrant's personal watch link (``/r/<token>/recording/``, the token minted
when it is sent, as for the other registration emails) and, not being transactional, a
one-click ``List-Unsubscribe`` header like the organisers' announcements.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import translation

from notifications.mail import header_text
from notifications.models import OutgoingEmail
from notifications.services.links import LINK_TOKEN_PLACEHOLDER
from notifications.services.outbox import NotSent, RenderBatch, emails_write, lean_row
from notifications.services.rendering import (
    RECIPIENT_NAME_PLACEHOLDER,
    render_email,
    seminar_email_context,
)
from notifications.services.unsubscribes import (
    UNSUBSCRIBE_PLACEHOLDER,
    opted_out_exists,
    recipient_bodies_fill,
    unsubscribe_headers,
    unsubscribe_url,
)
from webinars.models import Recording, RecordingChapter, Registration


def recording_dedupe_key(*, recording_id: int, registration_id: int) -> str:
    return f"recording:{recording_id}:{registration_id}"


def recording_followup_recipients(*, recording: Recording) -> QuerySet[Registration]:
    """Confirmed registrants of the recording's seminar who want the follow-up, oldest first.

    Leaves out those who unticked the follow-up when registering and addresses that
    unsubscribed (whatever their case): one query, whatever the number of registrants.
    """
    recipients = (
        Registration.objects.confirmed()
        .filter(seminar_id=recording.seminar_id, recording_followup_opt_in=True)
        .exclude(opted_out_exists(OuterRef("email")))
        .order_by("created_at", "pk")
    )
    if recording.access == Recording.Access.AUDIENCE_TYPES:
        # A link they could not open is no follow-up: only the chosen audience types,
        # by the type declared when registering or the account's own (as the access rule).
        chosen = recording.audience_types.values("pk")
        recipients = recipients.filter(
            Q(audience_type__in=chosen) | Q(user__audience_type__in=chosen)
        )
    return recipients


def recording_followups_queue(*, recording: Recording) -> int:
    """Write one follow-up email per recipient to the outbox; return how many were new.

    Call inside the publishing transaction. Rows already written for this recording
    (same ``recording:<recording>:<registration>`` key) are not written again, so a
    second call writes nothing. Reads do not grow with the audience (recipients, keys
    already written, chapters, materials, audience types, the series); writes take one
    INSERT per ``outbox.WRITE_BATCH_SIZE`` rows, delivered in batches after commit.
    """
    recipients = list(recording_followup_recipients(recording=recording))
    if not recipients:
        return 0
    written = set(
        OutgoingEmail.objects.filter(
            kind=OutgoingEmail.Kind.RECORDING_AVAILABLE,
            dedupe_key__startswith=f"recording:{recording.pk}:",
        )
        .order_by()
        .values_list("dedupe_key", flat=True)
    )
    rows = []
    for registration in recipients:
        dedupe_key = recording_dedupe_key(
            recording_id=recording.pk, registration_id=registration.pk
        )
        if dedupe_key in written:
            continue
        rows.append(
            lean_row(
                kind=OutgoingEmail.Kind.RECORDING_AVAILABLE,
                to_email=registration.email,
                to_name=registration.name,
                language=registration.language,
                registration_id=registration.pk,
                seminar_id=recording.seminar_id,
                snapshot={"recording": recording.pk},
                headers=unsubscribe_headers(url=unsubscribe_url(email=registration.email)),
                dedupe_key=dedupe_key,
            )
        )
    return len(emails_write(rows))


def recording_followup_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """One registrant's follow-up as it is sent, worded by their attendance.

    A batch renders it once per (recording, language, zone, attendance) and puts each
    person's name and unsubscribe link in. Raises :class:`NotSent` for a registration
    erased since it was written.
    """
    registration = email.registration
    if registration is None:
        raise NotSent("not sent: the registration no longer exists")
    recording_id = email.snapshot["recording"]
    details = batch.once(
        ("recording", recording_id),
        lambda: _RecordingDetails.read(
            Recording.objects.select_related("seminar__series").get(pk=recording_id)
        ),
    )
    group = (
        "recording",
        recording_id,
        email.language,
        registration.time_zone,
        registration.attended,
    )
    rendering = batch.once(
        group, lambda: _render(details, registration=registration, language=email.language)
    )
    url = unsubscribe_url(email=email.to_email)
    return _personalised(rendering, name=registration.name, unsubscribe=url)


@dataclass(frozen=True)
class _RecordingDetails:
    """What every follow-up of one recording says about it, read once for all recipients."""

    recording: Recording
    chapters: list[RecordingChapter]
    material_titles: list[str]
    audience_type_names: list[str]

    @classmethod
    def read(cls, recording: Recording) -> "_RecordingDetails":
        audience_type_names = []
        if recording.access == Recording.Access.AUDIENCE_TYPES:
            audience_type_names = list(recording.audience_types.values_list("name", flat=True))
        return cls(
            recording=recording,
            chapters=list(recording.chapters.all()),
            material_titles=list(recording.materials.values_list("title", flat=True)),
            audience_type_names=audience_type_names,
        )


def _render(details: _RecordingDetails, *, registration: Registration, language: str) -> dict:
    """Subject and bodies for ``registration``'s wording, language and zone, name left out."""
    recording = details.recording
    seminar = recording.seminar
    with translation.override(language):
        watch_url = settings.SITE_URL + reverse(
            "webinars:registration_recording", args=[LINK_TOKEN_PLACEHOLDER]
        )
        # No clock-change note: the seminar is over.
        context = seminar_email_context(
            seminar=seminar,
            own_zone=registration.time_zone,
            clock_change_note=False,
            recording=recording,
            name=RECIPIENT_NAME_PLACEHOLDER,
            attended=registration.attended,
            duration=recording.duration,
            chapters=details.chapters,
            materials=details.material_titles,
            access=recording.access,
            audience_types=details.audience_type_names,
            watch_url=watch_url,
            recording_url=recording.public_url,
            unsubscribe_url=UNSUBSCRIBE_PLACEHOLDER,
        )
        rendered = render_email("recording_available", context)
    rendered["subject"] = header_text(rendered["subject"])[:300]
    return rendered


def _personalised(rendered: dict[str, str], *, name: str, unsubscribe: str) -> dict[str, str]:
    """The shared rendering with one person's name and unsubscribe link put in."""
    body_text, body_html = recipient_bodies_fill(
        body_text=rendered["body_text"],
        body_html=rendered["body_html"],
        values={UNSUBSCRIBE_PLACEHOLDER: unsubscribe, RECIPIENT_NAME_PLACEHOLDER: name},
    )
    return {"subject": rendered["subject"], "body_text": body_text, "body_html": body_html}
