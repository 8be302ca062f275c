"""Read queries for registering: whether a seminar takes registrations, seats, links."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import AudienceType
from webinars.models import (
    AudienceQuota,
    Registration,
    RegistrationToken,
    Seminar,
    registration_token_hash,
)
from webinars.selectors.catalogue import (
    audience_types_offered,
    visible_seminars,
)

# Real tokens are 43 characters; anything much longer is not worth hashing.
MAX_TOKEN_LENGTH = 100


class ClosedReason:
    """Why a seminar takes no registrations now (``registration_closed_reason``)."""

    DRAFT = "draft"
    CANCELLED = "cancelled"
    ENDED = "ended"
    STARTED = "started"
    NOT_OPEN = "not_open"
    CLOSED = "closed"


def registration_closed_reason(seminar: Seminar, *, now: datetime | None = None) -> str | None:
    """None when the seminar takes registrations now, else a ``ClosedReason`` value.

    Reads only the seminar row, so list pages may call it for every card.
    """
    now = now or timezone.now()
    if seminar.status == Seminar.Status.DRAFT:
        return ClosedReason.DRAFT
    if seminar.status == Seminar.Status.CANCELLED:
        return ClosedReason.CANCELLED
    if seminar.ends_at <= now:
        return ClosedReason.ENDED
    if seminar.starts_at <= now:
        return ClosedReason.STARTED
    if seminar.registration_opens_at and seminar.registration_opens_at > now:
        return ClosedReason.NOT_OPEN
    if seminar.registration_closes_at and seminar.registration_closes_at <= now:
        return ClosedReason.CLOSED
    return None


@dataclass(frozen=True)
class SeatsInfo:
    """Seat state of one seminar; ``capacity``/``left`` are None when there is no limit."""

    capacity: int | None
    confirmed: int
    waitlisted: int
    left: int | None
    waitlist_enabled: bool

    @property
    def full(self) -> bool:
        return self.left == 0

    @property
    def waitlist_open(self) -> bool:
        return self.full and self.waitlist_enabled


def seminar_seats(seminar: Seminar) -> SeatsInfo:
    """Confirmed and waitlisted counts of one seminar: from ``SEAT_COUNT_ANNOTATIONS`` when
    the seminar was loaded with them, else in one query."""
    if hasattr(seminar, "confirmed_count") and hasattr(seminar, "waitlisted_count"):
        counts = {"confirmed": seminar.confirmed_count, "waitlisted": seminar.waitlisted_count}
    else:
        counts = Registration.objects.filter(seminar=seminar).aggregate(
            confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            waitlisted=Count("pk", filter=Q(status=Registration.Status.WAITLISTED)),
        )
    left = None if seminar.capacity is None else max(seminar.capacity - counts["confirmed"], 0)
    return SeatsInfo(
        capacity=seminar.capacity,
        confirmed=counts["confirmed"],
        waitlisted=counts["waitlisted"],
        left=left,
        waitlist_enabled=seminar.waitlist_enabled,
    )


def seminar_quotas(seminar: Seminar) -> dict[int, int]:
    """Audience type id → seats reserved for that type at this seminar."""
    return dict(
        AudienceQuota.objects.filter(seminar=seminar).values_list("audience_type_id", "seats")
    )


@dataclass(frozen=True)
class SeatState:
    """What registering one address of one audience type at a seminar decides on."""

    confirmed: int  # confirmed places at the seminar
    confirmed_of_type: int  # of them, held by this audience type
    quota: int | None  # seats reserved for this audience type; None: no quota
    audience_type_allowed: bool  # as seminar_audience_types() says
    live_place: bool  # the address holds a confirmed or waitlisted place here
    cancelled_place: bool  # the address had a place here and cancelled it


# One round trip instead of six ORM queries: it runs while the seminar row is locked, and
# every registration at the seminar waits for that lock. Plain SQL for SQLite and PostgreSQL.
_SEAT_STATE_SQL = """
SELECT
    COUNT(*),
    COUNT(CASE WHEN audience_type_id = %(type)s THEN 1 END),
    (SELECT seats FROM webinars_audiencequota
        WHERE seminar_id = %(seminar)s AND audience_type_id = %(type)s),
    CASE
        WHEN EXISTS (SELECT 1 FROM webinars_seminar_allowed_audience_types
            WHERE seminar_id = %(seminar)s)
        THEN EXISTS (SELECT 1 FROM webinars_seminar_allowed_audience_types
            WHERE seminar_id = %(seminar)s AND audiencetype_id = %(type)s)
        ELSE EXISTS (SELECT 1 FROM accounts_audiencetype WHERE id = %(type)s AND is_active)
    END,
    EXISTS (SELECT 1 FROM webinars_registration
        WHERE seminar_id = %(seminar)s AND email = %(email)s AND status <> %(cancelled)s),
    EXISTS (SELECT 1 FROM webinars_registration
        WHERE seminar_id = %(seminar)s AND email = %(email)s AND status = %(cancelled)s)
FROM webinars_registration
WHERE seminar_id = %(seminar)s AND status = %(confirmed)s
"""


def seat_state(*, seminar: Seminar, audience_type: AudienceType, email: str) -> SeatState:
    """Seats taken, the type's quota and whether it may register, and the address's places.

    For the seat decision: call it with the seminar row locked, so nothing changes
    between this read and the insert. ``email`` as stored (lower case).
    """
    params = {
        "seminar": seminar.pk,
        "type": audience_type.pk,
        "email": email,
        "confirmed": Registration.Status.CONFIRMED,
        "cancelled": Registration.Status.CANCELLED,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SEAT_STATE_SQL, params)
        row = cursor.fetchone()
    return SeatState(
        confirmed=row[0],
        confirmed_of_type=row[1],
        quota=row[2],
        audience_type_allowed=bool(row[3]),
        live_place=bool(row[4]),
        cancelled_place=bool(row[5]),
    )


def seminar_audience_types(seminar: Seminar) -> QuerySet[AudienceType]:
    """The audience types a seminar accepts: those chosen, else every active type."""
    allowed = seminar.allowed_audience_types.order_by("position", "name")
    return allowed if allowed.exists() else audience_types_offered()


def audience_type_allowed(seminar: Seminar, audience_type: AudienceType) -> bool:
    allowed = seminar.allowed_audience_types.all()
    if allowed.exists():
        return allowed.filter(pk=audience_type.pk).exists()
    return audience_type.is_active


def registration_link(token: str, *, scopes: Collection[str]) -> RegistrationToken | None:
    """The link behind ``token`` if its scope is one of ``scopes``, with its registration."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (
        RegistrationToken.objects.select_related(
            "registration__seminar__series", "registration__audience_type"
        )
        .filter(token_hash=registration_token_hash(token), scope__in=scopes)
        .first()
    )


def registration_by_token(token: str, *, scopes: Collection[str]) -> Registration | None:
    """The registration behind a link whose token has one of ``scopes``, else None."""
    link = registration_link(token, scopes=scopes)
    return link.registration if link else None


def seminar_for_registration(slug: str) -> Seminar | None:
    """A public seminar with its series, or None (drafts included).

    Its questions are one plain query away (``seminar.questions.all()``); prefetching
    them costs more, for one seminar, than that query.
    """
    try:
        return visible_seminars().select_related("series").get(slug=slug)
    except Seminar.DoesNotExist:
        return None
