from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.access_log import RedactingLogger, redact_tokens

TOKEN = "Zk3vQ-9_aP0bLmN4xYt7RsUe2WcHd8FgJi6KoQ1nV5s"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/r/{TOKEN}/", "/r/<token>/"),
        (f"/r/{TOKEN}/cancel/", "/r/<token>/cancel/"),
        (f"/j/{TOKEN}/", "/j/<token>/"),
        (f"/me/calendar/{TOKEN}.ics", "/me/calendar/<token>.ics"),
        (f"/unsubscribe/{TOKEN}/again/", "/unsubscribe/<token>/again/"),
        ("/accounts/confirm-email/MQ:1xZ2tE:uVcidcBg/", "/accounts/confirm-email/<token>/"),
        ("/accounts/password/reset/key/4-set-password/", "/accounts/password/reset/key/<token>/"),
        ("/seminars/onsen-towns/?q=r", "/seminars/onsen-towns/?q=r"),
        ("/recordings/kyushu-by-rail/", "/recordings/kyushu-by-rail/"),
    ],
)
def test_tokens_are_taken_out_of_paths(path, logged):
    assert redact_tokens(path) == logged


def test_the_access_log_line_holds_no_token(capsys):
    config = Config()
    config.set("accesslog", "-")  # as the Dockerfile runs it: to standard output
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/j/{TOKEN}/",
        "PATH_INFO": f"/j/{TOKEN}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://kizuna.example/r/{TOKEN}/",
        "HTTP_USER_AGENT": "Mail client",
    }
    response = SimpleNamespace(status="302 Found", sent=0, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"https://kizuna.example/r/{TOKEN}/")])

    logger.access(response, request, environ, timedelta(milliseconds=5))

    line = capsys.readouterr().out
    assert TOKEN not in line
    assert '"GET /j/<token>/ HTTP/1.1" 302' in line
    assert "https://kizuna.example/r/<token>/" in line
