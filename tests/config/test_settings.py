"""Settings are read once per process from the environment: test them in a fresh process."""

import json
import os
import subprocess
import sys

import pytest

from tests.utils import BASE_DIR

GOOD_SECRET_KEY = "k" * 20 + "q7RzX1vY3pW9sT5uN2mB8cL4dF6hJ0aG"  # 52 characters

# Variables that would leak the caller's configuration into the child process.
_CONFIG_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS",
    "DATABASE_SERVER_SIDE_BINDING",
    "CELERY_BROKER_URL",
    "CELERY_BROKER_FOLDER",
    "CACHE_URL",
    "EMAIL_URL",
    "ALLOWED_HOSTS",
    "SITE_URL",
)


def child_environment(**environment: str | None) -> dict[str, str]:
    """This process's environment without its configuration: development (DEBUG=1, as
    ``make`` runs it) plus ``environment``, where None removes a variable."""
    env = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1")
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_django(code: str, **environment: str | None) -> subprocess.CompletedProcess[str]:
    env = child_environment(**environment)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_in_child(names: list[str], **environment: str | None) -> dict:
    code = (
        "import json; from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}, default=str))"
    )
    result = run_django(code, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_is_off_unless_set():
    values = settings_in_child(["DEBUG"], DEBUG=None, SECRET_KEY=GOOD_SECRET_KEY)

    assert values == {"DEBUG": False}


def test_a_deployment_that_forgets_debug_and_the_secret_key_refuses_to_start():
    result = run_django("", DEBUG=None)

    assert result.returncode == 1
    assert "SECRET_KEY must be set" in result.stderr


def test_deploy_checks_pass_with_the_defaults():
    # Only the one required setting: everything else as shipped.
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=child_environment(DEBUG=None, SECRET_KEY=GOOD_SECRET_KEY),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    result = run_django("", DEBUG="0")

    assert result.returncode == 1
    assert (
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off "
        "(the default); set DEBUG=1 for development, as make does." in result.stderr
    )


def test_production_with_the_development_secret_key_refuses_to_start():
    result = run_django("", DEBUG="0", SECRET_KEY="django-insecure-kizuna-development-only")

    assert result.returncode == 1
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_long_random_secret_key_starts():
    result = run_django("print('started')", DEBUG="0", SECRET_KEY=GOOD_SECRET_KEY)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_production_turns_on_https_only_cookies_and_hsts():
    values = settings_in_child(
        [
            "DEBUG",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_REDIRECT_EXEMPT",
        ],
        DEBUG="0",
        SECRET_KEY=GOOD_SECRET_KEY,
    )

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_REDIRECT_EXEMPT": ["^healthz$"],
    }


def test_embedded_default_uses_sqlite_filesystem_broker_and_file_cache():
    values = settings_in_child(["DATABASES", "CELERY_BROKER_URL", "CACHES", "EMAIL_BACKEND"])

    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DATABASES"]["default"]["NAME"] == str(BASE_DIR / "var" / "db.sqlite3")
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["CACHES"]["default"]["BACKEND"] == (
        "django.core.cache.backends.filebased.FileBasedCache"
    )
    assert values["CACHES"]["default"]["LOCATION"] == str(BASE_DIR / "var" / "cache")
    assert values["EMAIL_BACKEND"] == "notifications.backends.EmlFileBackend"


def test_broker_folder_can_be_moved_and_holds_every_kombu_folder(tmp_path):
    values = settings_in_child(
        ["CELERY_BROKER_TRANSPORT_OPTIONS"], CELERY_BROKER_FOLDER=str(tmp_path / "broker")
    )

    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"] == {
        "data_folder_in": str(tmp_path / "broker" / "queue"),
        "data_folder_out": str(tmp_path / "broker" / "queue"),
        "processed_folder": str(tmp_path / "broker" / "processed"),
        "control_folder": str(tmp_path / "broker" / "control"),
        "store_processed": False,
    }
    assert sorted(path.name for path in (tmp_path / "broker").iterdir()) == [
        "control",
        "processed",
        "queue",
    ]


def test_redis_broker_makes_the_next_redis_database_the_shared_cache():
    values = settings_in_child(
        ["CACHES", "CELERY_BROKER_TRANSPORT_OPTIONS"],
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )

    assert values["CACHES"] == {
        "default": {
            "BACKEND": "config.cache.PooledRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/4",
            "KEY_PREFIX": "kizuna",
        },
        "pages": {
            "BACKEND": "config.cache.PooledRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/4",
            "KEY_PREFIX": "kizuna-pages",
        },
    }
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"] == {}


def test_cache_url_wins_over_the_broker():
    values = settings_in_child(
        ["CACHES"],
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        CACHE_URL="redis://cache.internal:6379/1",
    )

    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/1"


def test_postgres_database_url_keeps_connections_with_health_checks():
    values = settings_in_child(
        ["DATABASES"], DATABASE_URL="postgres://kizuna:secret@db.internal:5432/kizuna"
    )

    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5432, "kizuna")
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_file_email_url_keeps_its_absolute_path():
    values = settings_in_child(
        ["EMAIL_BACKEND", "EMAIL_FILE_PATH"], EMAIL_URL="filemail:///srv/kizuna/mail"
    )

    assert values == {
        "EMAIL_BACKEND": "notifications.backends.EmlFileBackend",
        "EMAIL_FILE_PATH": "/srv/kizuna/mail",
    }


def test_allauth_keys_its_limits_on_the_client_behind_the_same_proxies():
    values = settings_in_child(
        ["TRUSTED_PROXY_COUNT", "ALLAUTH_TRUSTED_PROXY_COUNT"], TRUSTED_PROXY_COUNT="1"
    )

    assert values == {"TRUSTED_PROXY_COUNT": 1, "ALLAUTH_TRUSTED_PROXY_COUNT": 1}


def test_passwords_need_twelve_characters():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("kyushu-2026")  # 11 characters
    validate_password("kyushu onsen")  # 12


def test_smtp_email_url_sends_outbox_messages_as_written_by_the_wire_module():
    values = settings_in_child(
        ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT"], EMAIL_URL="smtp://mail.internal:2525"
    )

    assert values == {
        "EMAIL_BACKEND": "notifications.backends.OutboxSMTPBackend",
        "EMAIL_HOST": "mail.internal",
        "EMAIL_PORT": 2525,
    }


@pytest.mark.parametrize(
    ("environment", "binding"),
    [
        ({}, True),
        ({"DATABASE_DISABLE_SERVER_SIDE_CURSORS": "1"}, False),
        ({"DATABASE_SERVER_SIDE_BINDING": "0"}, False),
        ({"DATABASE_DISABLE_SERVER_SIDE_CURSORS": "1", "DATABASE_SERVER_SIDE_BINDING": "1"}, True),
    ],
    ids=["direct", "behind pgbouncer", "turned off", "pgbouncer with prepared statements"],
)
def test_server_side_binding_follows_the_pgbouncer_setting_unless_told(environment, binding):
    values = settings_in_child(
        ["DATABASES"], DATABASE_URL="postgres://kizuna@db.internal:5432/kizuna", **environment
    )

    options = values["DATABASES"]["default"].get("OPTIONS", {})
    assert options.get("server_side_binding", False) is binding
    assert ("prepare_threshold" in options) is binding
