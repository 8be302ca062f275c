"""Speaker invites. (Being written: see issue 4.)"""

from webinars.models import Seminar


def speaker_invites_queue(*, seminar: Seminar) -> None:
    """Queue each speaker's invite for a published seminar (once per speaker)."""
