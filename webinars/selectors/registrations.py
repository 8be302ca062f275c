"""Read queries for registering: whether a seminar takes registrations, seats, links."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

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
    """A public seminar with what its registration form needs, or None (drafts included)."""
    return (
        visible_seminars()
        .select_related("series")
        .prefetch_related("questions")
        .filter(slug=slug)
        .first()
    )
