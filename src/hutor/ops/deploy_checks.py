"""What `hutor deploy-check` verifies (docs/operations.md, "Before going live"): Django's own
deployment checks, then the settings a wrong guess at loses money or data. Each check yields
problems as (code, message in the active language); no message shows a secret."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

Problem = tuple[str, str]
# Keys anyone can read: Django's project template prefix and the test suite's.
KNOWN_KEYS = ("django-insecure-", "hutor-tests-only")
# Django's advice that Hutor's defaults decline on purpose: HSTS for subdomains and the preload
# list bind hosts Hutor does not serve (HUTOR_HSTS_INCLUDE_SUBDOMAINS=1 opts in).
DECLINED = {"security.W005", "security.W021"}


def django_deploy() -> Iterator[Problem]:
    """`hutor check --deploy`: Django's security warnings and every error."""
    for message in checks.run_checks(include_deployment_checks=True):
        if message.level >= checks.WARNING and message.id not in DECLINED:
            text = " ".join(str(message.msg).split())
            yield message.id or "django", text


def secret_key() -> Iterator[Problem]:
    key = settings.SECRET_KEY
    if settings.DEBUG:
        yield "debug", _("DEBUG is on: error pages show settings and code; unset DEBUG.")
    if len(key) < 50 or len(set(key)) < 5 or key.startswith(KNOWN_KEYS):
        yield (
            "secret_key",
            _("SECRET_KEY is short or well known: generate 50 random characters."),
        )


def hosts() -> Iterator[Problem]:
    allowed = list(settings.ALLOWED_HOSTS)
    base = urlsplit(settings.HUTOR_BASE_URL)
    if not allowed or "*" in allowed:
        yield "allowed_hosts", _("ALLOWED_HOSTS must list the site's host names, without «*».")
    elif base.hostname and not any(
        base.hostname == host or (host.startswith(".") and base.hostname.endswith(host))
        for host in allowed
    ):
        yield (
            "allowed_hosts",
            _("ALLOWED_HOSTS does not include the host of HUTOR_BASE_URL (%(host)s).")
            % {"host": base.hostname},
        )
    if base.scheme != "https":
        yield (
            "base_url",
            _("HUTOR_BASE_URL must start with https:// (customers log in and pay there)."),
        )
    if settings.HUTOR_DEMO_PAYMENTS:
        yield (
            "demo_payments",
            _("HUTOR_DEMO_PAYMENTS is on: anyone can credit money to a balance; unset it."),
        )


def shared_cache() -> Iterator[Problem]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache"):
        yield (
            "cache",
            _(
                "CACHE_URL is locmem://: each web process counts failed logins and used codes "
                "on its own; unset it (the database's table) or use redis:// for several "
                "processes."
            ),
        )
        return
    key, value = f"hutor:deploy-check:{uuid.uuid4().hex}", "1"
    try:
        cache.set(key, value, 30)
        ok = cache.get(key) == value
        cache.delete(key)
    except Exception as exc:
        yield "cache", _("The cache cannot be reached: %(error)s") % {"error": type(exc).__name__}
        return
    if not ok:
        yield "cache", _("The cache does not keep what is written to it.")


def secrets_key() -> Iterator[Problem]:
    keys = list(settings.HUTOR_SECRETS_KEYS)
    if not keys:
        yield (
            "secrets_key",
            _(
                "HUTOR_SECRETS_KEY is not set: server credentials and payment methods' keys "
                "cannot be stored (hutor secrets generate-key)."
            ),
        )
    for n, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            yield (
                "secrets_key",
                _("HUTOR_SECRETS_KEY: key %(n)s is not a Fernet key.") % {"n": n},
            )


def email() -> Iterator[Problem]:
    backend = settings.EMAIL_BACKEND
    if not backend.endswith("smtp.EmailBackend"):
        yield (
            "email",
            _("EMAIL_URL is not smtp://: emails are written to files, never sent."),
        )
        return
    mail = get_connection(timeout=10)
    try:
        mail.open()
    except OSError as exc:  # refused, timed out, or the SMTP login failed
        yield (
            "email",
            _("The mail server %(host)s:%(port)s cannot be reached: %(error)s")
            % {
                "host": settings.EMAIL_HOST,
                "port": settings.EMAIL_PORT,
                "error": " ".join(str(exc).split()) or type(exc).__name__,
            },
        )
        return
    finally:
        mail.close()


def database_time() -> Iterator[Problem]:
    if not settings.USE_TZ:
        yield "time_zone", _("USE_TZ is off: times would be stored without their zone.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('TimeZone'), now()")
            zone, db_now = cursor.fetchone()
            if zone.upper() not in {"UTC", "ETC/UTC"}:
                yield (
                    "time_zone",
                    _("The database session's time zone is %(zone)s, not UTC.") % {"zone": zone},
                )
            skew = abs((db_now - timezone.now()).total_seconds())
            if skew > 30:
                yield (
                    "clock",
                    _("The database's clock is %(seconds)s s off this machine's.")
                    % {"seconds": int(skew)},
                )
        else:
            cursor.execute("SELECT 1")


CHECKS: list[Callable[[], Iterator[Problem]]] = [
    django_deploy,
    secret_key,
    hosts,
    shared_cache,
    secrets_key,
    email,
    database_time,
]


def problems() -> Iterator[Problem]:
    for check in CHECKS:
        try:
            yield from check()
        except Exception as exc:  # a check that cannot run is itself a problem
            yield check.__name__, _("could not check: %(error)s") % {"error": type(exc).__name__}
