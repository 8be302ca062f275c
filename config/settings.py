"""Kizuna settings: one module, driven by the environment (12-factor).

Every service default is the embedded setup (SQLite, a filesystem Celery broker and
.eml files under ``var/``) so that ``make run`` needs no services. ``DEBUG`` is off
unless set: a deployment that forgets it still runs without debug pages and refuses
the public development key. ``make`` and the tests (tests/settings.py) turn it on.
See README "Configuration".
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.content_languages import localized_verbose_name
from webinars.storage import private_storage_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-kizuna-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and (
    SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is "
        "off (the default); set DEBUG=1 for development, as make does."
    )

# Old keys, still accepted when reading what the previous key signed or encrypted
# (sessions, password-reset links, second-factor secrets) while the new one takes over.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

# --- Applications ---------------------------------------------------------

INSTALLED_APPS = [
    # Before the admin: its TranslationAdmin patches admin forms, and it reads each app's
    # translation.py (the model fields kept in English and Japanese).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "webinars",
    "notifications",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A visit's first source (UTM fields, referring site), kept in its session.
    "webinars.sources.VisitSourceMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A signed-in person without the language cookie reads in their profile's language.
    "accounts.language.ProfileLanguageMiddleware",
    # After allauth's: staff sessions end on time, and staff need a second factor.
    "accounts.middleware.StaffSessionMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "config.context_processors.language_switch",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write at once in the embedded setup: WAL lets readers
    # go on during a write, IMMEDIATE takes the write lock up front so writers
    # queue (busy timeout) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Behind PgBouncer in transaction mode a named cursor dies with its transaction:
    # QuerySet.iterator() must then read with client-side cursors (README "More than one
    # machine").
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
    # Server-side binding sends each query once as a prepared statement and then only its
    # parameters: a quarter to a third more registrations per second in a rush (bench/README.md).
    # Prepared statements live in the session, so behind PgBouncer in transaction mode
    # (before 1.21's max_prepared_statements) it must be off: it follows that setting.
    if env.bool(
        "DATABASE_SERVER_SIDE_BINDING",
        default=not DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"],
    ):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 2}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared by every process: rate limits and page caching) ----------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")


def _redis_cache_url_beside(broker_url: str) -> str:
    """The broker's Redis server, next database: a cache FLUSHDB never drops queued tasks."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(broker_url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{database + 1}"))


_default_cache = f"filecache://{VAR_DIR / 'cache'}"
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    _default_cache = _redis_cache_url_beside(CELERY_BROKER_URL)
CACHES = {"default": env.cache_url("CACHE_URL", default=_default_cache)}
if CACHES["default"]["BACKEND"] in (
    "django_redis.cache.RedisCache",
    "django.core.cache.backends.redis.RedisCache",
):
    # Django's own Redis backend, with one client per pool (see config/cache.py).
    CACHES["default"]["BACKEND"] = "config.cache.PooledRedisCache"
    CACHES["default"].pop("OPTIONS", None)
CACHES["default"].setdefault("KEY_PREFIX", "kizuna")
# Cached public pages live apart from rate-limit counters, so that many distinct
# URLs can only push out other pages (file cache culling), never the counters.
CACHES["pages"] = {**CACHES["default"], "KEY_PREFIX": "kizuna-pages"}
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    CACHES["pages"]["LOCATION"] = str(Path(CACHES["default"]["LOCATION"]) / "pages")
    CACHES["pages"]["OPTIONS"] = {"MAX_ENTRIES": 5000}
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)

# --- Auth and accounts ------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
# A reset asked for an address without an account gets the same answer on the page and
# no email: the form cannot be used to send our mail to strangers.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    # Per address: three reset emails an hour at most, to any address, known or not
    # (ACCOUNT_PREVENT_ENUMERATION: the answer is the same for an unknown address).
    "reset_password": "20/m/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupProfileForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kizuna] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Changing the email address (and, through MFA_REAUTHENTICATION_REQUIRED, the second
# factor) asks for the password again unless it was given in the last five minutes;
# changing the password asks for the current one.
ACCOUNT_REAUTHENTICATION_REQUIRED = True

# Two factors (allauth.mfa): an authenticator app with recovery codes, or a security key
# or passkey. Staff must have one before any organiser page (accounts.middleware).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# TOTP keys and recovery-code seeds are stored encrypted under a key from SECRET_KEY.
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_TOTP_ISSUER = "Kizuna"
# Accept the code before and after the current one (RFC 6238's one step of clock drift):
# a phone a few seconds off, or a code typed as it rolls over, still signs in.
MFA_TOTP_TOLERANCE = 1
MFA_REAUTHENTICATION_REQUIRED = True
# Browsers allow WebAuthn on http://localhost only; `make run` serves plain HTTP.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Paths that staff reach only with a second factor set up.
STAFF_TWO_FACTOR_PATHS = ("/admin/", "/organiser/")
# A staff session ends this long after sign-in, and after this long without a request.
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_SECONDS", default=12 * 60 * 60)
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=2 * 60 * 60)

# --- Internationalisation -------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The header's switcher remembers a guest's choice for a year (Django's default cookie
# lasts only the browser session); accounts keep theirs on the profile.
# Content (titles, descriptions, biographies, questions…) is kept in both languages by
# django-modeltranslation: one column per language in the same table, so lists need no
# join. Where the reader's language is empty the other one is shown, marked with its
# ``lang`` (webinars.templatetags.content_tags), so no title is ever blank.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "ja")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en", "ja")}
# Neither language is required by the columns: the admin forms require a required field
# (a title, a name, a question) in at least one of them (webinars.content_languages).
MODELTRANSLATION_REQUIRED_LANGUAGES = ()
MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = localized_verbose_name
# Slugs are ASCII: they are typed ahead from the English title, whatever the admin's language.
MODELTRANSLATION_PREPOPULATE_LANGUAGE = "en"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
UK_TIME_ZONE = "Europe/London"
JAPAN_TIME_ZONE = "Asia/Tokyo"

# --- Static and media -----------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Recordings, transcripts and materials: outside both roots above, so no URL maps onto
# them; only access-checked views in webinars.views.recording_files serve these files.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")
# PRIVATE_STORAGE_URL empty (the embedded default): those files stay under
# PRIVATE_MEDIA_ROOT, on one machine. Set, they live in a bucket of an S3-compatible object
# store that every machine shares (webinars.storage.private_storage_from_url reads it):
#   s3://BUCKET[/PREFIX][?endpoint_url=…&public_endpoint_url=…&region=…
#                        &addressing_style=path|virtual|auto&access_key=…&secret_key=…]
# e.g. s3://kizuna-private?endpoint_url=http://127.0.0.1:9000&region=us-east-1 (MinIO).
# endpoint_url is the S3 API as the app reaches it (unset: AWS); public_endpoint_url the
# same API as browsers reach it, when that differs (links are signed for it). Credentials:
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the machine's role), or access_key and
# secret_key, URL-encoded. Objects are never public (no ACL, signed links only, never
# overwritten). After its access check a download view redirects to a signed link that
# expires after PRIVATE_DOWNLOAD_LINK_SECONDS; a video's lives longer, as the player keeps
# seeking with it; transcripts (the player's captions) are streamed by the view.
# Read into a lower-case name, not a setting: its secret_key would show in debug pages.
_private_storage_url = env.str("PRIVATE_STORAGE_URL", default="")
PRIVATE_DOWNLOAD_LINK_SECONDS = env.int("PRIVATE_DOWNLOAD_LINK_SECONDS", default=60)
PRIVATE_VIDEO_LINK_SECONDS = env.int("PRIVATE_VIDEO_LINK_SECONDS", default=3 * 60 * 60)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": private_storage_from_url(_private_storage_url),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Upload limits per kind of recording file, in megabytes.
RECORDING_VIDEO_MAX_MB = env.int("RECORDING_VIDEO_MAX_MB", default=2048)
RECORDING_MATERIAL_MAX_MB = env.int("RECORDING_MATERIAL_MAX_MB", default=50)
RECORDING_TRANSCRIPT_MAX_MB = env.int("RECORDING_TRANSCRIPT_MAX_MB", default=5)
# Behind nginx, set to an `internal` location aliased to PRIVATE_MEDIA_ROOT (e.g.
# "/protected/"): after the access check Django answers with X-Accel-Redirect and
# nginx sends the file body (with range requests). Empty: Django streams the file.
PRIVATE_MEDIA_ACCEL_REDIRECT = env.str("PRIVATE_MEDIA_ACCEL_REDIRECT", default="")

# --- Email ----------------------------------------------------------------

_email = env.email_url("EMAIL_URL", default="filemail://")
if _email.get("EMAIL_BACKEND") == "django.core.mail.backends.filebased.EmailBackend":
    # Django's file backend writes one .log per connection; ours writes one
    # .eml per message so mail clients can open them.
    EMAIL_BACKEND = "notifications.backends.EmlFileBackend"
    # django-environ drops the path's leading slash; read it from the URL itself, so
    # filemail:///srv/mail means /srv/mail and a relative path is under the project.
    _mail_path = urlsplit(env.str("EMAIL_URL", default="filemail://")).path
    EMAIL_FILE_PATH = str(BASE_DIR / _mail_path) if _mail_path else str(VAR_DIR / "outbox")
else:
    vars().update(_email)
    if _email.get("EMAIL_BACKEND") == "django.core.mail.backends.smtp.EmailBackend":
        # The same SMTP backend, sending outbox messages written by notifications.wire.
        EMAIL_BACKEND = "notifications.backends.OutboxSMTPBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kizuna <seminars@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ORGANISER_CONTACT_EMAIL = env.str("ORGANISER_CONTACT_EMAIL", default="seminars@localhost")
EMAIL_TIMEOUT = 30

# --- Registration and notifications ---------------------------------------

# Personal join links redirect to the meeting from this many minutes before the start.
JOIN_OPENS_MINUTES_BEFORE = env.int("JOIN_OPENS_MINUTES_BEFORE", default=30)
# How long personal data is kept (the privacy notice shows these values): guest
# registrations are anonymised this many months after their seminar; an email that went
# out (or failed) loses its address and body after this many days.
RETENTION_MONTHS = env.int("RETENTION_MONTHS", default=24)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=90)
# Bump when the privacy notice changes: each registration stores the version accepted.
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", default="2026-12")
# Registration attempts allowed per client IP and per email address ("count/seconds").
REGISTRATION_RATE_LIMIT_PER_IP = env.str("REGISTRATION_RATE_LIMIT_PER_IP", default="20/600")
REGISTRATION_RATE_LIMIT_PER_EMAIL = env.str("REGISTRATION_RATE_LIMIT_PER_EMAIL", default="5/600")
# The human check (accounts/human_check.py): guest registration and sign-up ask the
# browser for a proof of work once a network sent more forms than this, or an address
# was given more often than this ("count/seconds"; "0/60" asks everyone).
HUMAN_CHECK_AFTER_PER_CLIENT = env.str("HUMAN_CHECK_AFTER_PER_CLIENT", default="5/3600")
HUMAN_CHECK_AFTER_PER_ADDRESS = env.str("HUMAN_CHECK_AFTER_PER_ADDRESS", default="3/86400")
# The work: the browser derives PBKDF2 keys of this many iterations until it finds the
# counter the server chose in this range (about a second on a current laptop).
HUMAN_CHECK_COST = env.int("HUMAN_CHECK_COST", default=5000)
HUMAN_CHECK_COUNTER_RANGE = tuple(
    env.list("HUMAN_CHECK_COUNTER_RANGE", cast=int, default=[200, 600])
)
HUMAN_CHECK_EXPIRES_SECONDS = env.int("HUMAN_CHECK_EXPIRES_SECONDS", default=30 * 60)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, trust
# only REMOTE_ADDR). docker-compose.yml and a TLS proxy in front: set 1.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# allauth reads the client address itself: without this it keys its login and sign-up
# limits on the proxy's address, so ten failed logins from anyone lock everyone out.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# A repeated registration re-sends the confirmation at most this often.
CONFIRMATION_RESEND_SECONDS = 10 * 60
# Following: a guest's confirmation link works this many days; asking again re-sends it
# at most this often. A published seminar is announced to its followers once this many
# minutes have passed (time to undo a mistaken publication; seminars published together
# go in one digest), and nobody gets more than one alert email a day.
FOLLOW_CONFIRMATION_DAYS = env.int("FOLLOW_CONFIRMATION_DAYS", default=7)
FOLLOW_CONFIRMATION_RESEND_SECONDS = 10 * 60
# In development (make run) a minute: publishing a demo seminar shows its alert soon.
ALERT_DIGEST_DELAY_MINUTES = env.int("ALERT_DIGEST_DELAY_MINUTES", default=1 if DEBUG else 15)
# Certificates of attendance: live attendance (imported), or this much of the recording
# watched as the watch page reports it. The PDF embeds a subset of this font (IPAex
# Gothic, IPA Font License, shipped in the repository): Japanese names and titles print
# on any machine.
CERTIFICATE_MIN_WATCH_PERCENT = env.int("CERTIFICATE_MIN_WATCH_PERCENT", default=75)
CERTIFICATE_FONT_PATH = env.str(
    "CERTIFICATE_FONT_PATH", default=str(BASE_DIR / "webinars" / "fonts" / "ipaexg.ttf")
)
# Who signs the certificates, in each language.
CERTIFICATE_ISSUER = env.str(
    "CERTIFICATE_ISSUER", default="Japan Local Government Centre (CLAIR London)"
)
CERTIFICATE_ISSUER_JA = env.str(
    "CERTIFICATE_ISSUER_JA", default="一般財団法人自治体国際化協会ロンドン事務所"
)
# Post-seminar surveys go this long after the end, to seminars that ended at most this
# many days before (a scan that was down catches up; older seminars are not surveyed).
SURVEY_DELAY_HOURS = env.int("SURVEY_DELAY_HOURS", default=1)
SURVEY_WINDOW_DAYS = 7
FOLLOW_RATE_LIMIT_PER_IP = env.str("FOLLOW_RATE_LIMIT_PER_IP", default="20/600")
FOLLOW_RATE_LIMIT_PER_EMAIL = env.str("FOLLOW_RATE_LIMIT_PER_EMAIL", default="5/3600")
# PostgreSQL only: how long a registration waits for the seminar's row lock.
REGISTRATION_LOCK_TIMEOUT = env.str("REGISTRATION_LOCK_TIMEOUT", default="3s")
# PostgreSQL only: how long an organiser's edit, or a change notice's fan-out, waits for a
# row lock another transaction holds before giving up with a clear error.
LOCK_TIMEOUT = env.str("LOCK_TIMEOUT", default="5s")
# Outbox delivery: temporary SMTP failures are retried with exponential backoff.
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
EMAIL_RETRY_BASE_SECONDS = 30
EMAIL_RETRY_MAX_SECONDS = 60 * 60
# A row left in "sending" this long belongs to a worker that died mid-send: the sweep
# queues it again (a message the dead worker had already handed to SMTP goes twice).
EMAIL_SENDING_LEASE_SECONDS = env.int("EMAIL_SENDING_LEASE_SECONDS", default=10 * 60)
# A published seminar's time or delivery edits are told to attendees in one "seminar
# changed" email once no further edit came for this long (edits coalesce), and at the
# latest this long after the first edit (an organiser still editing cannot hold it back).
SEMINAR_CHANGE_NOTICE_DELAY_SECONDS = env.int("SEMINAR_CHANGE_NOTICE_DELAY_SECONDS", default=180)
SEMINAR_CHANGE_NOTICE_MAX_DELAY_SECONDS = env.int(
    "SEMINAR_CHANGE_NOTICE_MAX_DELAY_SECONDS", default=15 * 60
)

# --- Celery ---------------------------------------------------------------

CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # One folder shared by the web process, the worker and beat on one machine.
    # CELERY_BROKER_FOLDER lets tests run a worker against a private queue.
    _broker_dir = env.path("CELERY_BROKER_FOLDER", default=VAR_DIR / "broker")
    for sub in ("queue", "processed", "control"):
        Path(_broker_dir, sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(Path(_broker_dir, "queue")),
        "data_folder_out": str(Path(_broker_dir, "queue")),
        "processed_folder": str(Path(_broker_dir, "processed")),
        # Exchange bindings; kombu's default is "control" in the current directory.
        "control_folder": str(Path(_broker_dir, "control")),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE = {
    # Retention (privacy.services.retention_apply): guests anonymised, old emails emptied.
    "apply-retention": {
        "task": "privacy.apply_retention",
        "schedule": 60 * 60 * 24,
    },
    "clear-expired-sessions": {
        "task": "accounts.clear_expired_sessions",
        "schedule": 60 * 60 * 6,
    },
    # The outbox sweep: due retries, and mail whose task was lost (broker outage, killed
    # worker). It runs on the mail queue (CELERY_TASK_ROUTES).
    "deliver-due-emails": {
        "task": "notifications.deliver_due_emails",
        "schedule": 60,
        "options": {"expires": 55},
    },
    # Reminders are found by this scan, never scheduled ahead with ETA/countdown
    # (Redis redelivers long countdowns); a missed run is caught up by the next one.
    "dispatch-reminders": {
        "task": "notifications.dispatch_reminders",
        "schedule": 60,
        "options": {"expires": 55},
    },
    # New seminars to their followers: at most one digest per person per day.
    "send-seminar-alerts": {
        "task": "notifications.send_seminar_alerts",
        "schedule": 60,
        "options": {"expires": 55},
    },
    # Post-seminar surveys, and the outcome question three and six months later.
    "send-surveys": {
        "task": "notifications.send_surveys",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    # "Seminar changed" emails whose coalescing window has closed.
    "send-seminar-change-notices": {
        "task": "notifications.send_seminar_change_notices",
        "schedule": 60,
        "options": {"expires": 55},
    },
}
# Sending mail has its own queue and worker: a 10,000-message fan-out must not hold
# back the reminder scan or anything else on the default queue ("celery").
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "notifications.deliver_email": {"queue": "mail"},
    "notifications.deliver_email_batch": {"queue": "mail"},
    "notifications.deliver_due_emails": {"queue": "mail"},
}

# --- Security -------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers and container health checks probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# A strict Content-Security-Policy: every script and style is a static file.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; "
    # Recording embeds: YouTube's privacy-enhanced domain and Vimeo's player only.
    "frame-src https://www.youtube-nocookie.com https://player.vimeo.com"
)
# The admin's own: scripts from our static files only (Django's admin has no inline
# script); its templates and widgets still set inline styles. Recording previews embed
# the same two players.
ADMIN_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'; frame-src https://www.youtube-nocookie.com https://player.vimeo.com"
)
# No page asks for these; an injected script or a framed player cannot either.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "display-capture=(), browsing-topics=()"
)

# --- Logging --------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # fontTools reports every glyph subset of a certificate at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
