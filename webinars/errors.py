class SeminarError(Exception):
    """A seminar change that the rules forbid; the message is shown to the organiser."""


class SeminarAlreadyCancelled(SeminarError):
    pass


class SeminarNotPublishable(SeminarError):
    pass


class SeminarBusy(SeminarError):
    """The seminar's row (or its change notice) stayed locked too long: try again."""


class RegistrationError(Exception):
    """A registration the rules refuse; the message is shown to the visitor."""


class RegistrationClosed(RegistrationError):
    """The seminar takes no registrations now; ``reason`` says why (see ``ClosedReason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RegistrationFull(RegistrationError):
    """No seat is left (overall or for the audience type) and there is no waiting list."""


class AudienceNotAllowed(RegistrationError):
    """The seminar does not accept this audience type."""


class RegistrationBusy(RegistrationError):
    """The seminar's row lock could not be had in time: the visitor should simply try again."""


class RegistrationNotWaitlisted(RegistrationError):
    """Only a waitlisted registration can be promoted."""


class RegistrationNotConfirmed(RegistrationError):
    """Only a confirmed place can be moved to the waiting list."""


class WaitlistDisabled(RegistrationError):
    """The seminar has no waiting list to move a place to."""


class RecordingError(Exception):
    """A recording change that the rules forbid; the message is shown to the organiser."""


class RecordingNotPublishable(RecordingError):
    pass


class CertificateNotAvailable(Exception):
    """No certificate (yet): not attended live, not enough of the recording watched, or
    the seminar has not taken place. ``standing`` says which, for the page that explains."""

    def __init__(self, standing: object) -> None:
        super().__init__("certificate not available")
        self.standing = standing
