import functools
import os
import shutil
from urllib.parse import urlsplit, urlunsplit

import pytest

REQUIRED_IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = "/usr/bin/chromium"
# Markers whose tests may skip on a laptop but must run in CI.
SERVICE_MARKERS = ("services", "browser")


def redis_test_url(db: int = 15) -> str | None:
    """The broker's Redis server with a database index kept for tests, or None without Redis."""
    from django.conf import settings

    parts = urlsplit(settings.CELERY_BROKER_URL)
    if parts.scheme not in ("redis", "rediss"):
        return None
    return urlunsplit(parts._replace(path=f"/{db}"))


@functools.cache
def _services_missing() -> str | None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs DATABASE_URL=postgres://… (PostgreSQL)"
    url = redis_test_url()
    if url is None:
        return "needs CELERY_BROKER_URL=redis://… (Redis)"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"needs a reachable Redis at CELERY_BROKER_URL ({exc})"
    return None


@functools.cache
def _browser_missing() -> str | None:
    if not shutil.which(CHROMIUM):
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (make install)"
    return None


def pytest_configure(config: pytest.Config) -> None:
    # WhiteNoise warns that STATIC_ROOT is missing until collectstatic has run; tests
    # serve static files through the finders and never need it.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
    # `make test` compiles the translations first; a bare `pytest` run does it here, so
    # the Japanese pages are tested against the catalogue as it stands.
    from config.translations import catalogues, compile_catalogue

    for po in catalogues():
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            compile_catalogue(po)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip tests whose services are missing; under CI=true, fail them instead."""
    for marker, missing in (("services", _services_missing), ("browser", _browser_missing)):
        if item.get_closest_marker(marker) is None:
            continue
        reason = missing()
        if reason is None:
            continue
        if REQUIRED_IN_CI:
            pytest.fail(f"[{marker}] {reason}: required when CI=true", pytrace=False)
        pytest.skip(f"[{marker}] {reason}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Under CI=true a services or browser test that skipped itself counts as failed."""
    report = yield
    if (
        REQUIRED_IN_CI
        and report.skipped
        and not hasattr(report, "wasxfail")
        and any(item.get_closest_marker(marker) for marker in SERVICE_MARKERS)
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"services and browser tests are required when CI=true: {reason}"
    return report


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path):
    """Each test gets an empty private cache: rate limits and cached pages never leak."""
    settings.CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{alias}-{tmp_path.name}",
        }
        for alias in ("default", "pages")
    }
    from django.core.cache import caches

    for alias in ("default", "pages"):
        caches[alias].clear()
    yield
    # A test may have swapped CACHES for its own: clear whatever is configured now.
    from django.conf import settings as current

    for alias in current.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The private storage reads this setting on use (webinars.storage), so the recording
    # file fields, which resolved their storage when the models loaded, follow it too.
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _language_reset():
    """A Japanese request activates Japanese for the thread: no test inherits it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db, django_user_model, django_username_field):
    """pytest-django's superuser, with the second factor staff need for the admin."""
    from tests.factories import enrol_second_factor

    user = django_user_model.objects.create_superuser(
        email="admin@example.com", password="password", full_name="Site Admin"
    )
    enrol_second_factor(user)
    return user


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, signed in as a staff session starts (tests.utils)."""
    from tests.utils import sign_in_staff

    sign_in_staff(client, admin_user)
    return client


@pytest.fixture
def organiser(db):
    """A JLGC organiser (staff, "Organisers" group), as the admin tests sign in."""
    from tests.factories import OrganiserFactory

    return OrganiserFactory()


@pytest.fixture
def organiser_client(client, organiser):
    """The test client, signed in as :func:`organiser`."""
    from tests.utils import sign_in_staff

    sign_in_staff(client, organiser)
    return client
