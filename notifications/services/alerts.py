"""Alerts of new seminars to their followers, at most one email per person per day.

1. Publishing a seminar writes a :class:`SeminarAlert` in the publishing transaction
   (:func:`seminar_alert_record`); so does its registration opening, when that comes
   later than the publication (found by the run, once).
2. Every minute :func:`seminar_alerts_run` turns each alert older than
   ``ALERT_DIGEST_DELAY_MINUTES`` (time to undo a publication made by mistake, and for
   seminars published together to travel together) into one :class:`AlertItem` per
   address that follows it (its place, a topic, its series, or every seminar).
3. The same run writes one lean outbox row per address with items waiting and no
   digest in the last 24 hours, and marks its items with it in the same transaction:
   the delivery workers render and send it like every other row, exactly once.
4. The renderer leaves out seminars cancelled (or unpublished, or over) since; a digest
   left with none is not sent.

Every alert carries one-click ``List-Unsubscribe`` (RFC 8058) that stops all alerts to
the address, and a link to the page listing its follows, both in its language.
"""

import hashlib
import logging
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext, ngettext

from notifications.models import AlertItem, OutgoingEmail, SeminarAlert
from notifications.services.outbox import (
    LeanRow,
    NotSent,
    RenderBatch,
    email_queue,
    emails_write,
    lean_row,
)
from notifications.services.rendering import render_email, zoned_times
from notifications.services.unsubscribes import unsubscribe_headers
from webinars.follow_links import alerts_manage_url, alerts_stop_url, confirmation_url
from webinars.models import Follow, Registration, Seminar
from webinars.selectors.follows import follow_reaches, seminar_followers
from webinars.timezones import long_date_format, time_format

logger = logging.getLogger(__name__)

DIGEST_INTERVAL = timedelta(hours=24)
# OutgoingEmail.dedupe_key holds 200 characters; an address can have 254.
_DEDUPE_KEY_MAX_LENGTH = 200
# Items marked per UPDATE; follower lists per INSERT.
_WRITE_BATCH = 500
# A registration opening found later than this is not announced (it was before alerts).
_OPENING_LOOKBACK = timedelta(days=1)


# --- Recording what to announce ------------------------------------------------------


def seminar_alert_record(
    *, seminar: Seminar, occasion: str = SeminarAlert.Occasion.PUBLISHED
) -> SeminarAlert | None:
    """Note that ``seminar`` is to be announced to its followers; once per occasion.

    Called in the transaction that publishes it: a publication rolled back announces
    nothing. A seminar already over is not announced.
    """
    if seminar.ends_at <= timezone.now():
        return None
    existing = SeminarAlert.objects.filter(seminar=seminar, occasion=occasion).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return SeminarAlert.objects.create(seminar=seminar, occasion=occasion)
    except IntegrityError:
        return SeminarAlert.objects.get(seminar=seminar, occasion=occasion)


def follow_confirmation_queue(*, follow: Follow, target_name: str) -> OutgoingEmail:
    """The double opt-in email: one link that confirms ``follow``, in its language."""
    with translation.override(follow.language):
        rendered = render_email(
            "follow_confirmation",
            {
                "target_name": target_name,
                "confirm_url": confirmation_url(follow_id=follow.pk, email=follow.email),
                "days": settings.FOLLOW_CONFIRMATION_DAYS,
                "contact_email": settings.ORGANISER_CONTACT_EMAIL,
            },
        )
    return email_queue(
        kind=OutgoingEmail.Kind.FOLLOW_CONFIRMATION,
        to_email=follow.email,
        to_name="",
        language=follow.language,
        **rendered,
    )


def alert_items_withdraw(*, email: str) -> int:
    """Nothing more to ``email`` from alerts already found: its waiting items go, and a
    digest still queued is cancelled. Returns how many items went."""
    email = email.strip().lower()
    deleted, _by_model = AlertItem.objects.filter(email=email, digested_at=None).delete()
    OutgoingEmail.objects.filter(
        kind=OutgoingEmail.Kind.SEMINAR_ALERTS,
        status=OutgoingEmail.Status.QUEUED,
        to_email__iexact=email,
    ).update(status=OutgoingEmail.Status.CANCELLED, last_error="the recipient stopped alerts")
    return deleted


# --- The run -------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRun:
    openings: int
    alerts: int
    items: int
    digests: int


def seminar_alerts_run(*, now: datetime | None = None) -> AlertRun:
    """Record registration openings, find each due alert's followers, write the digests."""
    now = now or timezone.now()
    openings = _openings_record(now)
    alerts, items = _alerts_expand(now)
    digests = _digests_write(now)
    return AlertRun(openings=openings, alerts=alerts, items=items, digests=digests)


def _openings_record(now: datetime) -> int:
    """Seminars whose registration opened since they were published: announced again."""
    opened = (
        Seminar.objects.filter(
            status=Seminar.Status.PUBLISHED,
            registration_opens_at__lte=now,
            registration_opens_at__gte=now - _OPENING_LOOKBACK,
            registration_opens_at__gt=F("published_at"),
            ends_at__gt=now,
        )
        .exclude(alerts__occasion=SeminarAlert.Occasion.REGISTRATION_OPEN)
        .only("pk", "ends_at")
    )
    recorded = 0
    for seminar in opened:
        if seminar_alert_record(seminar=seminar, occasion=SeminarAlert.Occasion.REGISTRATION_OPEN):
            recorded += 1
    return recorded


def _alerts_expand(now: datetime) -> tuple[int, int]:
    due_before = now - timedelta(minutes=settings.ALERT_DIGEST_DELAY_MINUTES)
    alert_ids = list(
        SeminarAlert.objects.filter(expanded_at=None, created_at__lte=due_before)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    expanded = items = 0
    for alert_id in alert_ids:
        with transaction.atomic():
            alert = (
                SeminarAlert.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("seminar")
                .filter(pk=alert_id, expanded_at=None)
                .first()
            )
            if alert is None:
                continue  # another run has it
            items += _alert_expand(alert, now)
            expanded += 1
    return expanded, items


def _alert_expand(alert: SeminarAlert, now: datetime) -> int:
    seminar = alert.seminar
    if not seminar.is_published or seminar.ends_at <= now:
        alert.outcome = "not announced: the seminar is no longer published and to come"
        alert.expanded_at = now
        alert.save(update_fields=["outcome", "expanded_at"])
        return 0
    registered = set(
        Registration.objects.filter(seminar=seminar)
        .exclude(status=Registration.Status.CANCELLED)
        .values_list("email", flat=True)
    )
    # The newest follow of an address speaks for it (its language and zone).
    followers = (
        seminar_followers(seminar)
        .order_by("email", "-created_at", "-pk")
        .values_list("email", "language", "time_zone")
    )
    items = [
        AlertItem(alert=alert, email=email, language=language, time_zone=zone, created_at=now)
        for email, group in groupby(followers, key=lambda follower: follower[0])
        for _email, language, zone in [next(group)]
        if email not in registered
    ]
    AlertItem.objects.bulk_create(items, batch_size=_WRITE_BATCH, ignore_conflicts=True)
    alert.recipient_count = len(items)
    alert.outcome = f"{len(items)} followers"
    alert.expanded_at = now
    alert.save(update_fields=["recipient_count", "outcome", "expanded_at"])
    return len(items)


def _digests_write(now: datetime) -> int:
    """One lean row per address with items waiting and no digest in the last 24 hours."""
    with transaction.atomic():
        waiting = list(
            AlertItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(digested_at=None)
            .order_by("email", "created_at", "pk")
            .values_list("pk", "email", "language", "time_zone", "alert__seminar_id")
        )
        if not waiting:
            return 0
        recent = set(
            AlertItem.objects.filter(digested_at__gt=now - DIGEST_INTERVAL)
            .values_list("email", flat=True)
            .distinct()
        )
        rows: list[LeanRow] = []
        item_ids: dict[str, list[int]] = {}
        for email, group in groupby(waiting, key=lambda item: item[1]):
            if email in recent:
                continue  # its next digest waits for the day to pass
            items = list(group)
            _pk, _email, language, zone, _seminar_id = items[-1]
            seminar_ids = list(dict.fromkeys(item[4] for item in items))
            key = digest_dedupe_key(email=email, now=now)
            rows.append(
                lean_row(
                    kind=OutgoingEmail.Kind.SEMINAR_ALERTS,
                    to_email=email,
                    to_name="",
                    language=language,
                    registration_id=None,
                    seminar_id=None,
                    snapshot={"seminars": seminar_ids, "time_zone": zone},
                    headers=unsubscribe_headers(
                        url=alerts_stop_url(email=email, language=language)
                    ),
                    dedupe_key=key,
                )
            )
            item_ids[key] = [item[0] for item in items]
        written = emails_write(rows)
        marked = [
            AlertItem(pk=item_id, digest_id=row.pk, digested_at=now)
            for row in written
            for item_id in item_ids[row.dedupe_key]
        ]
        AlertItem.objects.bulk_update(marked, ["digest", "digested_at"], batch_size=_WRITE_BATCH)
    if written:
        logger.info("Seminar alert digests queued: %s", len(written))
    return len(written)


def digest_dedupe_key(*, email: str, now: datetime) -> str:
    """``alerts:<UTC date>:<address>``: a second digest the same day cannot be written."""
    key = f"alerts:{now.astimezone(UTC):%Y-%m-%d}:{email}"
    if len(key) <= _DEDUPE_KEY_MAX_LENGTH:
        return key
    digest = hashlib.sha256(email.encode()).hexdigest()
    return f"alerts:{now.astimezone(UTC):%Y-%m-%d}:sha256:{digest}"


# --- Rendering ----------------------------------------------------------------------


@dataclass(frozen=True)
class AlertedSeminar:
    """One seminar of a digest as its reader sees it."""

    seminar: Seminar
    times: list
    url: str
    register_url: str
    opens_text: str
    reasons: list[str]


def seminar_alerts_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """A digest as it is sent: the seminars still announced, why this person hears of each."""
    now = timezone.now()
    zone = email.snapshot.get("time_zone", "")
    ids = email.snapshot.get("seminars", [])
    seminars = {
        seminar.pk: seminar
        for seminar in Seminar.objects.filter(
            pk__in=ids, status=Seminar.Status.PUBLISHED, ends_at__gt=now
        )
        .select_related("series")
        .prefetch_related("topics")
    }
    listed = [seminars[pk] for pk in ids if pk in seminars]
    if not listed:
        raise NotSent("every seminar in it was cancelled or is over")
    follows = list(
        Follow.objects.confirmed().of_address(email.to_email).select_related("topic", "series")
    )
    if not follows:
        raise NotSent("the recipient follows nothing any more")
    entries = []
    for seminar in sorted(listed, key=lambda s: (s.starts_at, s.pk)):
        topic_ids = {topic.pk for topic in seminar.topics.all()}
        reasons = sorted(
            {
                follow.target_name
                for follow in follows
                if follow_reaches(follow, seminar, topic_ids=topic_ids)
            }
        )
        if not reasons:
            continue  # the follow that found it was stopped since
        entries.append(
            AlertedSeminar(
                seminar=seminar,
                times=zoned_times(
                    seminar.starts_at, seminar.ends_at, seminar.timezone, own_zone=zone
                ),
                url=seminar.public_url,
                register_url=settings.SITE_URL + seminar.get_absolute_url() + "register/",
                opens_text=_opens_text(seminar, zone=zone, now=now),
                reasons=reasons,
            )
        )
    if not entries:
        raise NotSent("the recipient no longer follows anything these seminars are about")
    followed = sorted({follow.target_name for follow in follows})
    rendered = render_email(
        "seminar_alerts",
        {
            "subject": digest_subject(len(entries), entries[0].seminar.title),
            "entries": entries,
            "followed": followed,
            "manage_url": alerts_manage_url(email=email.to_email, language=email.language),
            "stop_url": alerts_stop_url(email=email.to_email, language=email.language),
            "contact_email": settings.ORGANISER_CONTACT_EMAIL,
        },
    )
    return rendered


def _opens_text(seminar: Seminar, *, zone: str, now: datetime) -> str:
    """ "Registration opens on …" in the reader's zone (else the seminar's), when it is later."""
    opens = seminar.registration_opens_at
    if opens is None or opens <= now:
        return ""
    local = opens.astimezone(zoneinfo.ZoneInfo(zone or seminar.timezone))
    return gettext("Registration opens on %(date)s at %(time)s (%(zone)s).") % {
        "date": dateformat.format(local, long_date_format()),
        "time": dateformat.format(local, time_format()),
        "zone": local.tzname() or zone,
    }


def digest_subject(count: int, title: str) -> str:
    """The subject: the seminar's title when there is one, else how many."""
    if count == 1:
        return gettext("New seminar: %(title)s") % {"title": title}
    return ngettext("%(count)s new seminar", "%(count)s new seminars", count) % {"count": count}
