"""Session lifetime of a login: an idle timeout and an absolute one.

A login ends after settings.HUTOR_SESSION_IDLE_MINUTES without a request, and
settings.HUTOR_SESSION_ABSOLUTE_HOURS after it began whatever the activity, so a session left
open on a shared computer or stolen from a browser does not live on. Both instants are kept in
the session itself (seconds since the epoch); the login instant is written by the
`user_logged_in` receiver below, so it covers every way in (the login form, the second factor,
the activation link).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import ngettext

SESSION_LOGIN_AT = "hutor_login_at"
SESSION_SEEN_AT = "hutor_seen_at"
# The last-seen instant is rewritten at most this often (seconds), so a customer clicking around
# does not write the session row on every request; the idle timeout is exact to within this.
SEEN_RESOLUTION = 60


def start_session_clock(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in receiver: the absolute timeout counts from here."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            expired = self._check(request)
            if expired is not None:
                logout(request)
                messages.info(request, expired)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> str | None:
        """The message to show if the login has expired, else None (and the clock is kept)."""
        session = request.session
        now = time.time()
        login_at = session.get(SESSION_LOGIN_AT)
        if not isinstance(login_at, int | float):
            # A session from before these timeouts existed: its clock starts now.
            session[SESSION_LOGIN_AT] = session[SESSION_SEEN_AT] = now
            return None
        seen_at = session.get(SESSION_SEEN_AT, login_at)
        absolute = settings.HUTOR_SESSION_ABSOLUTE_HOURS * 3600
        idle = settings.HUTOR_SESSION_IDLE_MINUTES * 60
        if now - login_at >= absolute:
            hours = settings.HUTOR_SESSION_ABSOLUTE_HOURS
            return ngettext(
                "You have been logged out %(hours)d hour after logging in. Please log in again.",
                "You have been logged out %(hours)d hours after logging in. Please log in again.",
                hours,
            ) % {"hours": hours}
        if now - seen_at >= idle:
            minutes = settings.HUTOR_SESSION_IDLE_MINUTES
            return ngettext(
                "You have been logged out after %(minutes)d minute without activity. "
                "Please log in again.",
                "You have been logged out after %(minutes)d minutes without activity. "
                "Please log in again.",
                minutes,
            ) % {"minutes": minutes}
        if now - seen_at >= SEEN_RESOLUTION:
            session[SESSION_SEEN_AT] = now
        return None
