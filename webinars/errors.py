class SeminarError(Exception):
    """A seminar change that the rules forbid; the message is shown to the organiser."""


class SeminarAlreadyCancelled(SeminarError):
    pass


class SeminarNotPublishable(SeminarError):
    pass
