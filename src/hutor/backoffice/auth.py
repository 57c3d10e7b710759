"""Staff authentication: the desk's own login with a mandatory second factor, django-axes
throttling, and the desk's short sessions.

A desk session exists only after the password *and* a TOTP code were checked at /desk/login/;
logging in anywhere else (the customer login, the Django admin) gives no desk access. The desk
session is marked in the Django session (DESK_SESSION) with its start and last activity, and
every desk view checks it (roles.require_role): 4 hours after the login, or 30 minutes without
a request, the staff member logs in again (settings.HUTOR_DESK_SESSION_*).
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hutor.accounts import queries as account_queries
from hutor.core import addresses

DESK_SESSION = "hutor_desk"  # {"user": pk, "at": login instant, "seen": last request}
PENDING_SESSION = "hutor_desk_pending"  # password checked, second factor not yet
SETUP_SECRET_SESSION = "hutor_desk_totp_secret"  # the key shown while setting the app up
# The second step must follow the first within this many seconds.
PENDING_LIFETIME = 300
# The desk's paths where a failed login is counted by django-axes (customers' logins are
# throttled by allauth's own rate limits, settings.ACCOUNT_RATE_LIMITS).
THROTTLED_PATHS = ("/desk/login/", "/admin/login/")


class AuthenticationBackend(AxesStandaloneBackend, AllauthBackend):
    """The one authentication backend: django-axes' check first, then allauth's login by email.

    django-axes asks for its backend before the others; Hutor keeps a single backend instead
    (so every login() knows which backend to record without being told, e.g. Django's
    set-password view behind the activation link), and runs axes' lockout check at the start of
    it: a locked-out email and address pair is refused before any password is checked. An
    authenticate() without a request (the test client's login(), management commands) is not a
    web login and is not throttled.
    """

    def authenticate(
        self, request: HttpRequest | None, **credentials: Any
    ) -> AbstractBaseUser | None:
        if request is not None:
            extra = {k: v for k, v in credentials.items() if k not in ("username", "password")}
            # Raises AxesBackendPermissionDenied (a PermissionDenied) when locked out.
            AxesStandaloneBackend.authenticate(
                self,
                request,
                credentials.get("username"),
                credentials.get("password"),
                **extra,
            )
        return AllauthBackend.authenticate(self, request, **credentials)

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        """The session's login, read on every request (AuthenticationMiddleware) by a fixed
        statement (accounts.queries.login_user) rather than a queryset; refused, as Django's
        ModelBackend refuses it, when it no longer exists or is inactive. The session hash
        check (a changed password logs out) stays Django's, on the user returned here."""
        user = account_queries.login_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def axes_exempt(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """AXES_WHITELIST_CALLABLE: django-axes counts failures only on the staff logins."""
    path = getattr(request, "path", "") or ""
    return not path.startswith(THROTTLED_PATHS)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the login email, case-folded, so "Anna@X" and "anna@x" share
    one failure count."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value and request is not None and hasattr(request, "POST"):
        value = request.POST.get("email") or request.POST.get("username")
    return str(value).strip().lower() if value else None


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client's address, behind as many trusted proxies as
    HUTOR_TRUSTED_PROXY_COUNT says (core.addresses)."""
    return addresses.client_address(request) or None


# --- TOTP ------------------------------------------------------------------------------------


def totp_authenticator(user: Any) -> Authenticator | None:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()


# --- The desk session ------------------------------------------------------------------------


def start_desk_session(request: HttpRequest, user: Any) -> None:
    """Mark the (just logged-in) session as a desk session; called after the second factor."""
    now = time.time()
    request.session[DESK_SESSION] = {"user": user.pk, "at": now, "seen": now}
    request.session.pop(PENDING_SESSION, None)
    request.session.pop(SETUP_SECRET_SESSION, None)


def has_desk_session(request: HttpRequest) -> bool:
    state = request.session.get(DESK_SESSION)
    return (
        request.user.is_authenticated
        and isinstance(state, dict)
        and state.get("user") == request.user.pk
    )


def check_desk_session(request: HttpRequest) -> str | None:
    """Keep the desk session's clock; return why it ended (and log out), or None."""
    state = dict(request.session.get(DESK_SESSION) or {})
    now = time.time()
    hours: int = getattr(settings, "HUTOR_DESK_SESSION_ABSOLUTE_HOURS", 4)
    minutes: int = getattr(settings, "HUTOR_DESK_SESSION_IDLE_MINUTES", 30)
    message = None
    if now - float(state.get("at", 0)) >= hours * 3600:
        message = ngettext(
            "The desk logs you out %(hours)d hour after logging in. Please log in again.",
            "The desk logs you out %(hours)d hours after logging in. Please log in again.",
            hours,
        ) % {"hours": hours}
    elif now - float(state.get("seen", 0)) >= minutes * 60:
        message = ngettext(
            "You have been logged out after %(minutes)d minute without activity.",
            "You have been logged out after %(minutes)d minutes without activity.",
            minutes,
        ) % {"minutes": minutes}
    if message:
        logout(request)
        return message
    if now - float(state.get("seen", 0)) >= 30:
        state["seen"] = now
        request.session[DESK_SESSION] = state
    return None


def pending_user_id(request: HttpRequest) -> int | None:
    """The staff member who passed the password step a moment ago, or None."""
    pending = request.session.get(PENDING_SESSION)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > PENDING_LIFETIME:
        request.session.pop(PENDING_SESSION, None)
        return None
    value = pending.get("user")
    return int(value) if value is not None else None


def expired_message() -> str:
    return _("The login step took too long. Please enter your email and password again.")
