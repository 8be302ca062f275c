"""gunicorn's access log without the secrets that travel in addresses.

Personal links carry their token in the path (``/r/<token>/``, ``/j/<token>/``, the
private calendar feed, unsubscribe links, allauth's email-confirmation and password
reset keys): a log line holding one would let whoever reads the log cancel a place,
join a meeting or read someone's feed. The Dockerfile runs gunicorn with
``--logger-class config.access_log.RedactingLogger``.
"""

import re

from gunicorn.glogging import Logger

_TOKEN_IN_PATH = re.compile(
    r"(/(?:r|j|unsubscribe|accounts/confirm-email|accounts/password/reset/key)/)[^/?#\s\"]+"
)
_FEED_TOKEN = re.compile(r"(/me/calendar/)[^/?#\s\"]+?(\.ics)")
# The atoms that hold the request's address or the page it came from.
_ADDRESS_ATOMS = ("r", "U", "q", "f", "{referer}i")


def redact_tokens(text: str) -> str:
    """``text`` with every link token in it replaced by ``<token>``."""
    text = _TOKEN_IN_PATH.sub(r"\1<token>", text)
    return _FEED_TOKEN.sub(r"\1<token>\2", text)


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens taken out of the request line, path and referrer."""

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in _ADDRESS_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_tokens(atoms[name])
        return atoms
