"""Hutor's settings, read from the environment (see the table in README.md).

Nothing here is a secret or a per-install value: those come from environment variables,
with defaults that make a fresh checkout run as a local demo on SQLite.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hutor import settings_env
from hutor.settings_env import env_flag, env_int, env_list, replica_database

BASE_DIR = Path(__file__).resolve().parent
# Local state of a checkout (SQLite database, generated secret key, file-delivered mail).
VAR_DIR = Path(os.environ.get("HUTOR_VAR_DIR", Path.cwd() / "var")).resolve()


DEBUG = env_flag("DEBUG")


def _secret_key() -> str:
    """SECRET_KEY, else the key kept in var/secret_key (a local checkout's: `make run`, or any
    command with DEBUG on, generates it once), else an error when DEBUG is off.

    So the commands of a checkout work after `make run` without DEBUG in the shell, while an
    install with neither a key in the environment nor a generated one refuses to start rather
    than sign sessions with a key nobody chose."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    if not DEBUG:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be set when DEBUG is off (and {path} does not exist). Generate "
            "one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Local use only: generated once, kept under var/ so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(50))
    path.chmod(0o600)
    return path.read_text().strip()


def _secrets_keys() -> list[str]:
    """The Fernet keys that encrypt secrets at rest (server credentials, service passwords:
    core/secrets.py): HUTOR_SECRETS_KEY, comma-separated, the first one encrypting and every
    one decrypting (rotation: docs/operations.md); else the key kept in var/secrets_key (a
    local checkout's: generated once with DEBUG on, like SECRET_KEY's); else none.

    Without a key nothing fails here: an install that stores no secret needs none. The first
    attempt to encrypt or decrypt one is refused with a one-line configuration error instead
    (core.secrets.keyring), so nothing is ever encrypted with a key nobody chose."""
    keys = [key.strip() for key in os.environ.get("HUTOR_SECRETS_KEY", "").split(",")]
    if any(keys):
        return [key for key in keys if key]
    path = VAR_DIR / "secrets_key"
    if path.exists():
        return [path.read_text().strip()]
    if not DEBUG:
        return []
    # Local use only: generated once, kept under var/ beside the database it protects.
    from cryptography.fernet import Fernet

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(Fernet.generate_key().decode())
    path.chmod(0o600)
    return [path.read_text().strip()]


def _base_url() -> str:
    """HUTOR_BASE_URL, else the address `make run` serves the checkout at (it writes
    var/base_url from PORT), else port 8000: links printed by commands in another shell then
    point where the demo really runs."""
    url = os.environ.get("HUTOR_BASE_URL", "")
    if not url:
        path = VAR_DIR / "base_url"
        url = path.read_text().strip() if path.exists() else ""
    return (url or "http://127.0.0.1:8000").rstrip("/")


SECRET_KEY = _secret_key()
HUTOR_SECRETS_KEYS = _secrets_keys()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
HUTOR_BASE_URL = _base_url()
CSRF_TRUSTED_ORIGINS = [HUTOR_BASE_URL]

INSTALLED_APPS = [
    # The Django admin, behind the staff desk's second factor (backoffice/admin_site.py).
    "hutor.backoffice.admin_site.HutorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Customer login, password reset and the TOTP second factor (see the Auth section).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Hutor's apps, bottom layer first (apps depend only on those above them in this list).
    "hutor.core",
    "hutor.taxes",  # tax rules by date, per provider company; invoices and payments read them
    # Webhooks use only core (its events and secrets): any app's events reach them.
    "hutor.webhooks",
    "hutor.notifications",
    "hutor.accounts",
    "hutor.offers",  # the public offer's versions and each order's acceptance
    # Servers sit below the catalog (a tariff names a server group); they use only the
    # provisioning modules' registry, which imports no app's models (services/provisioning).
    "hutor.servers",
    "hutor.catalog",
    "hutor.ledger",
    "hutor.invoices",
    "hutor.payments",
    "hutor.fiscal",  # 54-ФЗ receipts of payments and refunds, through ATOL Online
    "hutor.services",
    "hutor.billing",
    "hutor.documents",  # documents read from the ledger and invoices (reconciliation statement)
    "hutor.domains",
    "hutor.support",
    "hutor.panel",
    # The knowledge base: public help pages (they count suggestions with panel.limits) and the
    # articles staff write in the desk (the desk's pages call kb.actions).
    "hutor.kb",
    "hutor.backoffice",
    # The JSON API (django-ninja; its docs page served from our own static files).
    "ninja",
    "hutor.api",
    "hutor.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Payment services' notifications go to their view here, before the browsers' middleware.
    "hutor.payments.middleware.NotificationMiddleware",
    "hutor.core.middleware.CSPMiddleware",  # django-csp's, its header built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the message middleware: an expired session is told so on the login page.
    "hutor.panel.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hutor.urls"
WSGI_APPLICATION = "hutor.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]


# --- Database -------------------------------------------------------------------------------


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'hutor.sqlite3'}"
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            # Seconds a web process keeps its connection (0: one per request; opening one costs
            # more than a request's queries); the health check replaces one the server dropped.
            conn_max_age=max(env_int("DATABASE_CONN_MAX_AGE", 60), 0),
            conn_health_checks=env_flag("DATABASE_CONN_HEALTH_CHECKS", True),
        )
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers run beside the one writer; FULL makes a commit survive power loss;
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
            # failing halfway with "database is locked" after it has read stale balances.
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    config["OPTIONS"] = settings_env.with_prepared_statements(config)
    return config


DATABASES = {"default": _database()}
# Reads of the desk's search and reports may go to a streaming replica (core/replica.py).
if (_replica := replica_database()) is not None:
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["hutor.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Email ----------------------------------------------------------------------------------


def _email() -> dict[str, object]:
    """EMAIL_URL: smtp://[user:password@]host:port[?tls=1|ssl=1] or file:///path; default files
    under var/mail/ so a local demo never sends real mail."""
    url = os.environ.get("EMAIL_URL", "")
    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(VAR_DIR / "mail"),
        }
    parts = urlsplit(url)
    if parts.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if parts.scheme in {"smtp", "smtps"}:
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps" or query.get("ssl") == "1",
            "EMAIL_USE_TLS": query.get("tls") == "1",
            "EMAIL_TIMEOUT": 30,
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL: unsupported scheme {parts.scheme!r}; use smtp:// or file://"
    )


globals().update(_email())
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Hutor <billing@hutor.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


# --- Auth -----------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# django-allauth's backend logs in by email, case-insensitively, for the panel and the admin alike
# (one backend, so every login() knows which backend to record without being told).
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "panel:login"
LOGIN_REDIRECT_URL = "panel:home"
LOGOUT_REDIRECT_URL = "panel:storefront"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The activation email's set-password link (and password reset links) expire after 3 days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
SESSION_ENGINE = "hutor.core.sessions"  # Django's database sessions, read by a fixed statement
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HUTOR_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A customer's login ends after this much inactivity, and this long after logging in whatever
# the activity (hutor.panel.middleware.SessionTimeoutMiddleware).
HUTOR_SESSION_IDLE_MINUTES = env_int("HUTOR_SESSION_IDLE_MINUTES", 30)
HUTOR_SESSION_ABSOLUTE_HOURS = env_int("HUTOR_SESSION_ABSOLUTE_HOURS", 12)
# Orders as a new customer (each opens an account and mails an unconfirmed address) per clock
# hour, from one client address and from everyone; 0 turns a limit off (hutor.panel.limits).
HUTOR_ANON_ORDERS_PER_IP_HOUR = env_int("HUTOR_ANON_ORDERS_PER_IP_HOUR", 5)
HUTOR_ANON_ORDERS_PER_HOUR = env_int("HUTOR_ANON_ORDERS_PER_HOUR", 200)
# Requests to change a contact email (each mails a link to the new address), likewise.
HUTOR_EMAIL_CHANGES_PER_IP_HOUR = env_int("HUTOR_EMAIL_CHANGES_PER_IP_HOUR", 5)
HUTOR_EMAIL_CHANGES_PER_HOUR = env_int("HUTOR_EMAIL_CHANGES_PER_HOUR", 100)
# A customer's control panel calls (new password, single sign-on) per service and hour.
HUTOR_SERVICE_CALLS_PER_HOUR = env_int("HUTOR_SERVICE_CALLS_PER_HOUR", 20)
# Domain searches on the storefront (each asks the registrars) per client address and hour.
HUTOR_DOMAIN_SEARCHES_PER_IP_HOUR = env_int("HUTOR_DOMAIN_SEARCHES_PER_IP_HOUR", 60)
# Requests of one API token per minute (hutor.api.limits); 0 turns the limit off.
HUTOR_API_REQUESTS_PER_MINUTE = env_int("HUTOR_API_REQUESTS_PER_MINUTE", 300)
# Writes (POST, PUT, PATCH, DELETE) of one API token per minute, within the above.
HUTOR_API_WRITES_PER_MINUTE = env_int("HUTOR_API_WRITES_PER_MINUTE", 60)
HUTOR_API_IDEMPOTENCY_DAYS = env_int("HUTOR_API_IDEMPOTENCY_DAYS", 7)  # `hutor prune`'s days
HUTOR_WEBHOOK_RETENTION_DAYS = env_int("HUTOR_WEBHOOK_RETENTION_DAYS", 30)
HUTOR_EVENT_RETENTION_DAYS = env_int("HUTOR_EVENT_RETENTION_DAYS", 30)
HUTOR_PANEL_FORM_TOKEN_DAYS = env_int("HUTOR_PANEL_FORM_TOKEN_DAYS", 7)
# Help searches (/help/, /help/suggest/) per address and hour; a ticket form asks as one types.
HUTOR_KB_SEARCHES_PER_IP_HOUR = env_int("HUTOR_KB_SEARCHES_PER_IP_HOUR", 600)

# Customer accounts (django-allauth). Accounts are opened only by ordering (the adapter closes
# signup); a login is the email, there are no usernames.
ACCOUNT_ADAPTER = "hutor.panel.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# The address is proven by the emailed link that sets the first password (or resets it), so no
# separate verification; logins need no allauth EmailAddress rows.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
# A reset request for an unknown address sends nothing (the page looks the same either way), so
# the form cannot be used to mail arbitrary people.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Tell the owner when the password or the second factor changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HUTOR_BASE_URL.startswith("https://") else "http"
# No "remember me": the session cookie ends with the browser, and the timeouts above apply.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Django's own token (as in the activation link), bound to the user's email column: allauth's
# default one would copy the email into its EmailAddress table, a second record of the login
# that changing the email would leave behind.
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "django.contrib.auth.tokens.PasswordResetTokenGenerator"
ACCOUNT_RATE_LIMITS = {
    # Failed logins: 10 a minute from one address, 5 per login email in 15 minutes; past that
    # the login is refused even with the right password until the window passes (or the
    # password is reset).
    "login_failed": "10/m/ip,5/15m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# Behind a reverse proxy, the number of proxies that append to X-Forwarded-For; without it every
# customer would share the proxy's address and its per-address limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("HUTOR_TRUSTED_PROXY_COUNT", 0)

# --- Transport and browser security, on by default (docs/operations.md, "Security headers") -----
# A Content-Security-Policy on every response (django-csp): scripts only from Hutor's own static
# files (no inline script, no eval, no other host), nothing framing the pages. Inline styles stay
# allowed (style attributes in templates, htmx's indicator style); forms may still post to a
# payment service's page (no form-action), and images may be data: URIs (payment QR codes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Behind the reverse proxy that terminates TLS (HUTOR_TRUSTED_PROXY_COUNT > 0), its
# X-Forwarded-Proto says whether the browser came over https (the proxy must set it, overwriting
# the client's: `proxy_set_header X-Forwarded-Proto $scheme;` in nginx).
if ALLAUTH_TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# An https site is https only: plain http is redirected (where Django can tell, behind a proxy
# that says so or serving TLS itself), and browsers are told to keep to https for a year (HSTS).
_HTTPS = HUTOR_BASE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_flag(
    "HUTOR_SSL_REDIRECT", _HTTPS and not DEBUG and ALLAUTH_TRUSTED_PROXY_COUNT > 0
)
SECURE_HSTS_SECONDS = env_int("HUTOR_HSTS_SECONDS", 365 * 24 * 3600 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("HUTOR_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_REFERRER_POLICY = "same-origin"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Hutor"
# allauth refuses a second factor while an EmailAddress row is unverified, against someone who
# signs up with another person's address; Hutor has no signup (and keeps no such rows), and every
# customer login starts from an emailed link, so the address is known to be the owner's.
MFA_ALLOW_UNVERIFIED_EMAIL = True


# --- Cache ----------------------------------------------------------------------------------


# The cache table that `migrate` creates (core/migrations/0002_cache_table.py).
CACHE_TABLE = "hutor_cache"


def _database_cache(table: str) -> dict[str, Any]:
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": table,
        # Django's default of 300 entries would cull live entries (used one-time codes,
        # failed-login counts) as soon as a burst of logins created more keys than that; expired
        # entries are deleted first, so the table stays small in normal use.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }


def _caches() -> dict[str, dict[str, Any]]:
    """CACHE_URL (or REDIS_URL): unset means a table in the main database, created by
    `migrate`; redis://host:6379/0 or rediss://... for Redis; db://name for another table
    (`hutor createcachetable` creates it); locmem:// for the memory of each process (one
    process only).

    The cache holds login throttling counters and used one-time codes, so every web process
    must see the same one: the default is the database, which all of them share, never the
    memory of each process (with `gunicorn --workers 3` that let a used code log in three
    times and tripled the allowed failed logins)."""
    url = os.environ.get("CACHE_URL", "") or os.environ.get("REDIS_URL", "")
    if not url:
        return {"default": _database_cache(CACHE_TABLE)}
    scheme = urlsplit(url).scheme
    if scheme == "locmem":
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if scheme in {"redis", "rediss"}:
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ImproperlyConfigured(
                "CACHE_URL points to Redis, but the redis client is not installed: "
                "pip install 'hutor[redis]'"
            ) from None
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "hutor",
            }
        }
    if scheme == "db":
        return {"default": _database_cache(urlsplit(url).netloc or CACHE_TABLE)}
    raise ImproperlyConfigured(
        f"CACHE_URL: unsupported scheme {scheme!r}; use redis://, rediss://, db:// or locmem://"
    )


CACHES = _caches()


# --- Languages and time ---------------------------------------------------------------------

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language of `hutor` commands' output and errors (one language per run; hutor/commands.py).
HUTOR_CLI_LANGUAGE = os.environ.get("HUTOR_CLI_LANGUAGE", "").strip().lower() or LANGUAGE_CODE
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_TZ = True


# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "static/"
# Project-wide assets (stylesheet, script, icons) beside the project-wide templates.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True


# --- Support center -------------------------------------------------------------------------

# Files attached to tickets: outside the database and outside any public URL (docs/support.md).
HUTOR_SUPPORT_FILES_DIR = Path(
    os.environ.get("HUTOR_SUPPORT_FILES_DIR", VAR_DIR / "support-files")
).resolve()
HUTOR_SUPPORT_MAX_FILE_MB = env_int("HUTOR_SUPPORT_MAX_FILE_MB", 10)
HUTOR_SUPPORT_MAX_FILES = env_int("HUTOR_SUPPORT_MAX_FILES", 5)
# SLA targets per priority, in hours: priority=first reply/resolution (support.calculations).
HUTOR_SUPPORT_SLA_HOURS = env_list(
    "HUTOR_SUPPORT_SLA_HOURS", "low=24/120,normal=8/72,high=2/24,urgent=1/8"
)
# The address customers write to and reply to (Reply-To of ticket emails); empty: From only.
HUTOR_SUPPORT_EMAIL = os.environ.get("HUTOR_SUPPORT_EMAIL", "")
# The mailbox customers write to, read by `hutor support_fetch_mail`: imaps://user:pw@host/INBOX.
HUTOR_SUPPORT_IMAP_URL = os.environ.get("HUTOR_SUPPORT_IMAP_URL", "")
# With a mailbox set, `hutor worker` reads it every this many seconds (support.tasks).
HUTOR_SUPPORT_FETCH_SECONDS = max(env_int("HUTOR_SUPPORT_FETCH_SECONDS", 60), 1)
# The department of tickets opened by email (a department code; empty: the first one).
HUTOR_SUPPORT_EMAIL_DEPARTMENT = os.environ.get("HUTOR_SUPPORT_EMAIL_DEPARTMENT", "")


# --- Money ----------------------------------------------------------------------------------

# Every money column in every app takes its size from here (12 digits before the point).
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
# The built-in demo payment service is on with DEBUG; in production only if set explicitly.
HUTOR_DEMO_PAYMENTS = env_flag("HUTOR_DEMO_PAYMENTS")
DEFAULT_CURRENCY = "RUB"


# --- Operations: logs, /healthz, /readyz, /metrics (settings_ops.py; docs/operations.md) ------
from hutor.settings_ops import *  # noqa: E402, F403

LOGGING = logging_config(os.environ.get("LOG_LEVEL", "INFO"))  # noqa: F405
INSTALLED_APPS += ["hutor.ops"]
MIDDLEWARE.insert(0, "hutor.ops.middleware.HealthMiddleware")  # before the host check
# Right after authentication: every log line of a request carries its id and account number.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "hutor.ops.middleware.RequestContextMiddleware",
)


# --- Daily billing run ----------------------------------------------------------------------
# hutor.billing; the rules are in docs/operations.md ("The daily billing run"). Per-type values
# are keyed by service type code, "default" for every other type: "default=7,domain=30".


def env_days(name: str, default: str) -> dict[str, int]:
    result: dict[str, int] = {}
    for item in env_list(name, default):
        key, sep, value = item.partition("=")
        if not sep or not value.strip().lstrip("-").isdigit():
            raise ImproperlyConfigured(f"{name}: expected code=days, not {item!r}")
        result[key.strip()] = int(value)
    return result


def env_int_list(name: str, default: str) -> list[int]:
    try:
        return sorted({int(item) for item in env_list(name, default)})
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be whole numbers separated by commas") from None


# A renewal invoice is issued this many days before paid-until (auto-renewing services only).
HUTOR_BILLING_RENEW_DAYS_BEFORE = env_days("HUTOR_BILLING_RENEW_DAYS_BEFORE", "default=7,domain=30")
# A certificate of a CA that renews without an invoice (ACME) is renewed this many days before
# it expires, by the daily run (services/certificates.py).
HUTOR_CERTIFICATE_RENEW_DAYS_BEFORE = env_int("HUTOR_CERTIFICATE_RENEW_DAYS_BEFORE", 30)
# Domains asked about at their registry per daily run, the longest unsynced first.
HUTOR_DOMAIN_SYNC_PER_RUN = env_int("HUTOR_DOMAIN_SYNC_PER_RUN", 500)
# A domain's paid-until takes its registry's expiry date when the two are at most this many days
# apart (a registration done a day later, in the registry's time zone): services/expiry.py.
HUTOR_DOMAIN_SYNC_ALIGN_DAYS = env_int("HUTOR_DOMAIN_SYNC_ALIGN_DAYS", 3)
# Reminders of an unpaid invoice, in days relative to its due date (negative: before it).
HUTOR_BILLING_REMINDER_DAYS = env_int_list("HUTOR_BILLING_REMINDER_DAYS", "-3,0,3")
# Service types that expire at paid-until instead of being suspended after a grace period.
HUTOR_BILLING_EXPIRING_TYPES = env_list("HUTOR_BILLING_EXPIRING_TYPES", "domain")
# Service types whose unused paid time is not given back when the customer cancels (a domain's
# registration or a certificate's issue is bought from the registry or CA at once).
HUTOR_SERVICES_NOT_REFUNDABLE = env_list("HUTOR_SERVICES_NOT_REFUNDABLE", "domain,ssl")
# A domain not renewed this many days before it expires is announced (the domain.expiring
# webhook event), once per expiry date.
HUTOR_DOMAIN_EXPIRING_DAYS = env_int("HUTOR_DOMAIN_EXPIRING_DAYS", 14)
# Webhooks (docs/webhooks.md): seconds a receiver has to answer, and whether an endpoint may
# be a private, loopback or link-local address (off: a desk admin cannot point Hutor's worker
# at the provider's internal network; the tests' receiver on 127.0.0.1 turns it on).
HUTOR_WEBHOOKS_TIMEOUT = env_int("HUTOR_WEBHOOKS_TIMEOUT", 15)
HUTOR_WEBHOOKS_ALLOW_PRIVATE = env_flag("HUTOR_WEBHOOKS_ALLOW_PRIVATE")
# A service still unpaid this many days past paid-until is suspended.
HUTOR_BILLING_GRACE_DAYS = env_int("HUTOR_BILLING_GRACE_DAYS", 3)
# A service suspended (or a domain expired) this many days is terminated.
HUTOR_BILLING_TERMINATE_AFTER_DAYS = env_int("HUTOR_BILLING_TERMINATE_AFTER_DAYS", 30)
# An order still unpaid this many days after it was placed is cancelled.
HUTOR_BILLING_CANCEL_ORDERS_AFTER_DAYS = env_int("HUTOR_BILLING_CANCEL_ORDERS_AFTER_DAYS", 14)
# Services renewed per transaction by the renewal step.
HUTOR_BILLING_BATCH_SIZE = env_int("HUTOR_BILLING_BATCH_SIZE", 500)
# Milliseconds the run rests after each transaction, to leave room to other writers (SQLite).
HUTOR_BILLING_PAUSE_MS = env_int("HUTOR_BILLING_PAUSE_MS", 0)


# --- Staff desk (hutor.backoffice) ------------------------------------------------------------
# Failed staff logins (/desk/login/ and the admin's login) are throttled by django-axes, per
# email and address together: AXES_FAILURE_LIMIT failures lock that pair out for
# AXES_COOLOFF_TIME. Customers' logins are throttled by allauth (ACCOUNT_RATE_LIMITS above).
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as django-axes asks
# Still one backend: allauth's, with django-axes' lockout check run first inside it.
AUTHENTICATION_BACKENDS = ["hutor.backoffice.auth.AuthenticationBackend"]
AXES_FAILURE_LIMIT = env_int("HUTOR_DESK_LOGIN_FAILURES", 5)
# In hours, as django-axes reads a number.
AXES_COOLOFF_TIME = env_int("HUTOR_DESK_LOCKOUT_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_WHITELIST_CALLABLE = "hutor.backoffice.auth.axes_exempt"
AXES_USERNAME_CALLABLE = "hutor.backoffice.auth.axes_username"
AXES_CLIENT_IP_CALLABLE = "hutor.backoffice.auth.client_ip"
AXES_LOCKOUT_TEMPLATE = "backoffice/lockout.html"
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # not every login
# A desk session ends this long after the login, or after this long without a request.
HUTOR_DESK_SESSION_ABSOLUTE_HOURS = env_int("HUTOR_DESK_SESSION_ABSOLUTE_HOURS", 4)
HUTOR_DESK_SESSION_IDLE_MINUTES = env_int("HUTOR_DESK_SESSION_IDLE_MINUTES", 30)
