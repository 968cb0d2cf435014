"""Northstar settings: one file, read from the environment, secure by default."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG")
DATA_DIR = Path(os.environ.get("NORTHSTAR_DATA_DIR", BASE_DIR / ".data"))


def local_secret_key(path: Path) -> str:
    """Return a random key kept in the data folder, made on first use.

    Production sets DJANGO_SECRET_KEY; a local install still gets a key that
    is secret, stable across restarts and never committed.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if os.environ.get("DATABASE_URL") and not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        # A server deployment shares one key across processes and restarts.
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DATABASE_URL is set.")
    SECRET_KEY = local_secret_key(DATA_DIR / "secret_key")

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "template_partials",
    "axes",
    "csp",
    "strategy",
    "metrics",
    "roadmap",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy on every
    # answer, static files and early 304s included.
    "csp.middleware.CSPMiddleware",
    "config.middleware.permissions_policy",
    # Whitenoise answers static files itself, from precompressed copies, so it
    # sits before GZip. GZip sits before everything that can change the body.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A share page's repeat visit is answered here, before sessions and auth.
    "roadmap.middleware.share_not_modified",
    # A board page asked for again, unchanged, is answered from memory here.
    "roadmap.middleware.board_page_from_memory",
    # Compresses HTML and JSON for clients that accept gzip. BREACH: a
    # compressed page that holds a secret next to attacker-chosen text leaks
    # the secret through the response size. Django masks the CSRF token with
    # a fresh random value on every response, which is the mitigation, and
    # GZipMiddleware also pads the gzip header with a random length.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # An oversized form post comes back as its form with a message at the
    # field (or a 413 JSON error from the API), not a bare 400.
    "config.oversize.oversized_forms",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who acts and from where, for the security events (strategy.audit).
    "accounts.middleware.security_request",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Ends a session idle longer than SESSION_IDLE_SECONDS, or older than
    # SESSION_MAX_AGE_SECONDS, without a database write per request.
    "accounts.middleware.session_timeouts",
    # Turns a locked-out sign-in (django-axes) into the 429 "try again at" page.
    # Last, so it sees the answer of every other middleware.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# Every form field renders through one template, templates/includes/_field.html
# (`field.as_field_group`).
FORM_RENDERER = "config.forms.FormRenderer"

# How often an open board asks whether the plan changed (seconds).
BOARD_POLL_SECONDS = int(os.environ.get("NORTHSTAR_BOARD_POLL_SECONDS", "10"))

# The paths /robots.txt lets crawlers into; it disallows everything else.
# Share pages (/s/) by default: a shared link is meant to be passed around.
NORTHSTAR_ROBOTS_ALLOW = [
    path.strip()
    for path in os.environ.get("NORTHSTAR_ROBOTS_ALLOW", "/s/").split(",")
    if path.strip()
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    from config.embedded_db import embedded_database_url

    DATABASE_URL = embedded_database_url(DATA_DIR)

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A unix-socket URL carries its folder as ?host=; Django expects it in HOST.
if not DATABASES["default"]["HOST"] and "host" in DATABASES["default"]["OPTIONS"]:
    DATABASES["default"]["HOST"] = DATABASES["default"]["OPTIONS"].pop("host")
# The board engine caches many small pieces (cards, rows) under fingerprints
# of what they show, so a changed card gets a new key and nothing is stale.
BOARD_CACHE_SECONDS = 60 * 60 * 24
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Shared by every process and server, so a piece rendered once is reused
    # everywhere and survives restarts. Give Northstar its own database
    # number: clear() on either cache flushes the whole database.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "northstar",
        },
        "board": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "northstar-board",
            "TIMEOUT": BOARD_CACHE_SECONDS,
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "board": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "board-pieces",
            "TIMEOUT": BOARD_CACHE_SECONDS,
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
    }
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes comes first: it refuses a sign-in while its username and address are
# locked out, before any password is checked. The next backend signs people in
# and loads the signed-in user with their unread notification count in the
# same query; ModelBackend stays listed so sessions begun before it (which
# name ModelBackend) stay signed in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "roadmap.backends.NotificationCountBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "strategy:home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in protection (django-axes): after AXES_FAILURE_LIMIT wrong passwords in
# a row for one username from one address, that pair is locked out for the
# cool-off; every further try restarts it. Both the app's and the admin's
# sign-in count. `manage.py axes_reset_username <name>` (or the admin's
# "Access attempts") unlocks early.
AXES_FAILURE_LIMIT = int(os.environ.get("NORTHSTAR_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=int(os.environ.get("NORTHSTAR_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.ratelimit.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# How many proxies in front of Northstar append to X-Forwarded-For. 0 trusts
# no header and uses the connection's address; behind one nginx or load
# balancer that sets the header, 1.
NORTHSTAR_PROXY_COUNT = int(os.environ.get("NORTHSTAR_PROXY_COUNT", "0"))

# JSON API rate limits, per fixed window of API_RATE_WINDOW_SECONDS, counted
# in the default cache (Redis when REDIS_URL is set, so shared by every
# process): requests per token, requests per client address, and failed
# tokens per client address per API_FAILED_TOKENS_WINDOW_SECONDS (a guessing
# client is refused before the lookup).
API_RATE_WINDOW_SECONDS = int(os.environ.get("NORTHSTAR_API_RATE_WINDOW", "60"))
API_RATE_PER_TOKEN = int(os.environ.get("NORTHSTAR_API_RATE_PER_TOKEN", "120"))
API_RATE_PER_IP = int(os.environ.get("NORTHSTAR_API_RATE_PER_IP", "300"))
API_FAILED_TOKENS_PER_IP = int(
    os.environ.get("NORTHSTAR_API_FAILED_TOKENS_PER_IP", "10")
)
API_FAILED_TOKENS_WINDOW_SECONDS = int(
    os.environ.get("NORTHSTAR_API_FAILED_TOKENS_WINDOW", "900")
)
# Password reset emails one address may ask for per hour.
PASSWORD_RESET_PER_IP_PER_HOUR = int(
    os.environ.get("NORTHSTAR_PASSWORD_RESET_PER_HOUR", "10")
)

# Sessions end after SESSION_IDLE_SECONDS without a request (default 8 hours)
# and, however busy, SESSION_MAX_AGE_SECONDS after sign-in (default 14 days).
# The session is saved again at most every SESSION_TOUCH_SECONDS, so a request
# costs no write of its own.
SESSION_IDLE_SECONDS = (
    int(os.environ.get("NORTHSTAR_SESSION_IDLE_MINUTES", str(8 * 60))) * 60
)
SESSION_MAX_AGE_SECONDS = (
    int(os.environ.get("NORTHSTAR_SESSION_MAX_AGE_HOURS", str(14 * 24))) * 60 * 60
)
SESSION_TOUCH_SECONDS = min(5 * 60, SESSION_IDLE_SECONDS // 4)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# Invitation links work this many days, once.
INVITATION_VALID_DAYS = int(os.environ.get("NORTHSTAR_INVITATION_DAYS", "7"))
# Password reset links work this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = (
    int(os.environ.get("NORTHSTAR_PASSWORD_RESET_HOURS", "2")) * 60 * 60
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email: an SMTP server when DJANGO_EMAIL_HOST is set; under DEBUG without
# one, messages are printed to the console instead.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=True)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "Northstar <northstar@localhost>"
)
# Email people who logged a customer request when its item moves.
NORTHSTAR_EMAIL_NOTIFICATIONS = env_bool(
    "NORTHSTAR_EMAIL_NOTIFICATIONS", default=bool(EMAIL_HOST) or DEBUG
)
# Where the site is reached, for links in emails.
NORTHSTAR_BASE_URL = os.environ.get("NORTHSTAR_BASE_URL", "http://127.0.0.1:8000")

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if env_bool("DJANGO_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(
        os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600))
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
        "DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True
    )
    # Joining the browsers' preload list is the domain owner's decision (it
    # is hard to undo), so `preload` is only sent when asked for, and the
    # deployment check that recommends it is silenced.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"

# A strict Content-Security-Policy: scripts and styles only from our own
# static files (no inline <script>, style="..." or onclick=, no eval; htmx is
# configured with allowEval off in base.html), nothing embeds us, no plugins,
# no <base>, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Powerful browser features Northstar never uses are switched off for every
# page; copying to the clipboard (the Soon kit) stays allowed for our origin.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "clipboard-write": ["self"],
    "fullscreen": ["self"],
}
if env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
    },
}

# Share pages' repeat visits are answered from each worker's memory while a
# thread listens for PostgreSQL's notifications of what changed
# (roadmap.share_cache); 0 asks the database on every visit instead.
SHARE_PAGE_MEMORY = os.environ.get("NORTHSTAR_SHARE_PAGE_MEMORY", "1") == "1"
# Board pages each worker keeps to answer the same request again (about
# 250 KB each for a large board; 0 turns it off). Needs the share memory's
# listener (roadmap.board_memory).
BOARD_PAGE_MEMORY = int(os.environ.get("NORTHSTAR_BOARD_PAGE_MEMORY", "64"))
