"""Who may watch a recording: the one rule behind the watch page, every file and search.

Everything that shows a recording or serves one of its files asks this module, so a
listing can never show what the file view would refuse. A :class:`Viewer` is built once
per request from the account and from the registrations whose emailed links the person
used in this browser (guests have no account: their link is their proof).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from accounts.mfa import has_second_factor
from webinars.models import Recording, Registration

# Session key holding ids of registrations whose emailed link was used in this browser.
SESSION_GRANTS_KEY = "recording_registrations"
# Enough for anyone; a session cannot be grown without bound by replaying links.
MAX_SESSION_GRANTS = 200


class Denial:
    """Why someone may not watch (``access_denial``); the page explains each."""

    SIGN_IN = "sign_in"  # not signed in, and signing in may be all it takes
    NOT_REGISTERED = "not_registered"  # for the seminar's registrants, and this person is not one
    AUDIENCE = "audience"  # for chosen audience types, and this person is of none of them


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    is_organiser: bool = False
    # Seminars this person holds a confirmed registration for (by account or emailed link).
    seminar_ids: frozenset[int] = frozenset()
    # Audience types this person is known to be, for recordings of chosen audiences: a
    # type picked on a form proves nothing. The account's type once an organiser has
    # confirmed it (any series)...
    confirmed_audience_type_ids: frozenset[int] = frozenset()
    # ...and (series, type) of each seminar they registered for as that type and attended.
    attended_audience: frozenset[tuple[int, int]] = frozenset()
    # (seminar, registration) of those confirmed registrations, so a view of a seminar's
    # recording counts as that registrant's ("watched the recording", per person).
    registrations: frozenset[tuple[int, int]] = frozenset()

    def registration_for(self, seminar_id: int) -> int | None:
        """The id of this person's confirmed registration for ``seminar_id``, if any."""
        held = [pk for seminar, pk in self.registrations if seminar == seminar_id]
        return min(held, default=None)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Viewer()


def viewer_for(request: HttpRequest) -> Viewer:
    """The viewer behind a request, read once (at most one query) and kept on the request."""
    cached = getattr(request, "_recording_viewer", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    granted = [
        pk for pk in (session.get(SESSION_GRANTS_KEY, []) if session else []) if type(pk) is int
    ]
    mine = Q(pk__in=granted)
    user_id = None
    confirmed_types: set[int] = set()
    is_organiser = False
    if user is not None and user.is_authenticated:
        user_id = user.pk
        mine |= Q(user=user) | Q(email=user.email.lower())
        if user.audience_type_id and user.audience_type_confirmed_at:
            confirmed_types.add(user.audience_type_id)
        # As on the organiser pages: staff act as organisers only with a second factor.
        is_organiser = (
            user.is_staff and user.has_perm("webinars.view_recording") and has_second_factor(user)
        )
    seminar_ids: set[int] = set()
    attended: set[tuple[int, int]] = set()
    registrations: set[tuple[int, int]] = set()
    if granted or user_id is not None:
        rows = (
            Registration.objects.confirmed()
            .filter(mine)
            .values_list("pk", "seminar_id", "seminar__series_id", "audience_type_id", "attended")
        )
        for pk, seminar_id, series_id, audience_type_id, came in rows:
            seminar_ids.add(seminar_id)
            registrations.add((seminar_id, pk))
            if came == Registration.Attendance.YES:
                attended.add((series_id, audience_type_id))
    viewer = Viewer(
        user_id=user_id,
        is_organiser=is_organiser,
        seminar_ids=frozenset(seminar_ids),
        confirmed_audience_type_ids=frozenset(confirmed_types),
        attended_audience=frozenset(attended),
        registrations=frozenset(registrations),
    )
    request._recording_viewer = viewer
    return viewer


def grant_registration(request: HttpRequest, registration: Registration) -> None:
    """Remember in this browser's session that its person holds ``registration``'s link."""
    granted = [pk for pk in request.session.get(SESSION_GRANTS_KEY, []) if type(pk) is int]
    if registration.pk not in granted:
        granted = [*granted, registration.pk][-MAX_SESSION_GRANTS:]
        request.session[SESSION_GRANTS_KEY] = granted
    request.__dict__.pop("_recording_viewer", None)


def access_denial(recording: Recording, viewer: Viewer) -> str | None:
    """None when ``viewer`` may watch ``recording`` (published or not), else a ``Denial``.

    Reads the recording's ``audience_types`` (prefetch them on list pages).
    """
    if viewer.is_organiser or recording.access == Recording.Access.PUBLIC:
        return None
    if recording.access == Recording.Access.SIGNED_IN:
        return None if viewer.is_authenticated else Denial.SIGN_IN
    if recording.access == Recording.Access.REGISTRANTS:
        if recording.seminar_id in viewer.seminar_ids:
            return None
        return Denial.NOT_REGISTERED if viewer.is_authenticated else Denial.SIGN_IN
    if recording.access == Recording.Access.AUDIENCE_TYPES:
        allowed = {audience_type.pk for audience_type in recording.audience_types.all()}
        if allowed & viewer.confirmed_audience_type_ids:
            return None
        series_id = recording.seminar.series_id
        if any((series_id, type_id) in viewer.attended_audience for type_id in allowed):
            return None
        return Denial.AUDIENCE if viewer.is_authenticated else Denial.SIGN_IN
    return Denial.SIGN_IN  # an unknown level opens to nobody


def can_watch(recording: Recording, viewer: Viewer) -> bool:
    return access_denial(recording, viewer) is None


def watchable_condition(viewer: Viewer) -> Q:
    """The same rule as :func:`access_denial`, as a filter on ``Recording`` rows."""
    if viewer.is_organiser:
        return Q()
    condition = Q(access=Recording.Access.PUBLIC)
    if viewer.is_authenticated:
        condition |= Q(access=Recording.Access.SIGNED_IN)
    if viewer.seminar_ids:
        condition |= Q(access=Recording.Access.REGISTRANTS, seminar_id__in=viewer.seminar_ids)

    def chosen_for(type_ids) -> Exists:
        return Exists(
            Recording.audience_types.through.objects.filter(
                recording=OuterRef("pk"), audiencetype_id__in=type_ids
            )
        )

    known = Q(pk__in=[])
    if viewer.confirmed_audience_type_ids:
        known |= chosen_for(viewer.confirmed_audience_type_ids)
    for series_id, type_id in sorted(viewer.attended_audience):
        known |= Q(seminar__series_id=series_id) & chosen_for([type_id])
    if viewer.confirmed_audience_type_ids or viewer.attended_audience:
        condition |= Q(access=Recording.Access.AUDIENCE_TYPES) & known
    return condition


def recordings_watchable(viewer: Viewer) -> QuerySet[Recording]:
    """Published recordings ``viewer`` may watch (unordered, no joins: selectors add those)."""
    return Recording.objects.published().filter(watchable_condition(viewer))
