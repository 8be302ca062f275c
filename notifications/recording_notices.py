"""Being written in this session (issue 5): recording-available follow-up emails."""


def recording_followups_queue(*, recording) -> int:
    raise NotImplementedError
