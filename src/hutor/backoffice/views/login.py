"""The staff login: email and password, then the authenticator app's code (set up on the first
login). Failed passwords and wrong codes are counted by django-axes; a locked-out email and
address pair gets axes' lockout page until the cool-off ends."""

from __future__ import annotations

import time

import segno
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import encrypt
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from hutor.accounts.models import User
from hutor.backoffice import auth, roles
from hutor.backoffice.forms import CodeForm, LoginForm

WRONG = gettext_lazy("The email or the password is wrong, or this login has no access to the desk.")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("desk:home")


def _with_next(url: str, request: HttpRequest) -> str:
    target = _next_url(request)
    if target == reverse("desk:home"):
        return url
    query = QueryDict(mutable=True)
    query["next"] = target
    return f"{url}?{query.urlencode(safe='/')}"


def _failed(request: HttpRequest, email: str) -> None:
    """Count a failure with django-axes as a wrong password would be (a wrong code, or a login
    without desk access), so guessing codes is throttled like guessing passwords."""
    user_login_failed.send(
        sender=__name__, credentials={"email": email, "password": "***"}, request=request
    )


@never_cache
@sensitive_post_parameters("password")
@csrf_protect
def login_view(request: HttpRequest) -> HttpResponse:
    if auth.has_desk_session(request):
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        user = authenticate(request, email=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return get_lockout_response(request, None, {"email": email})
        if user is not None and roles.role_of(user) is None:
            _failed(request, email)
            if getattr(request, "axes_locked_out", False):
                return get_lockout_response(request, None, {"email": email})
            user = None
        if user is None:
            form.add_error(None, str(WRONG))
        else:
            request.session[auth.PENDING_SESSION] = {
                "user": user.pk,
                "backend": getattr(user, "backend", ""),
                "at": time.time(),
            }
            step = "desk:login_code" if auth.totp_authenticator(user) else "desk:login_setup"
            return redirect(_with_next(reverse(step), request))
    return render(request, "backoffice/login.html", {"form": form, "next": _next_url(request)})


def _pending_user(request: HttpRequest) -> User | None:
    user_id = auth.pending_user_id(request)
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or roles.role_of(user) is None:
        return None
    return user


def _finish(request: HttpRequest, user: User) -> HttpResponse:
    backend = request.session.get(auth.PENDING_SESSION, {}).get("backend") or None
    target = _next_url(request)
    login(request, user, backend=backend)
    auth.start_desk_session(request, user)
    return redirect(target)


@never_cache
@csrf_protect
def login_code(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.info(request, auth.expired_message())
        return redirect(_with_next(reverse("desk:login"), request))
    authenticator = auth.totp_authenticator(user)
    if authenticator is None:
        return redirect(_with_next(reverse("desk:login_setup"), request))
    credentials = {"email": user.email}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return get_lockout_response(request, None, credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if TOTP(authenticator).validate_code(form.cleaned_data["code"]):
            authenticator.record_usage()
            return _finish(request, user)
        _failed(request, user.email)
        if getattr(request, "axes_locked_out", False):
            return get_lockout_response(request, None, credentials)
        form.add_error("code", _("This code is wrong or was already used. Enter the current one."))
    return render(
        request,
        "backoffice/login_code.html",
        {"form": form, "email": user.email, "next": _next_url(request)},
    )


@never_cache
@csrf_protect
def login_setup(request: HttpRequest) -> HttpResponse:
    """A staff member without an authenticator sets one up before the desk opens."""
    user = _pending_user(request)
    if user is None:
        messages.info(request, auth.expired_message())
        return redirect(_with_next(reverse("desk:login"), request))
    if auth.totp_authenticator(user) is not None:
        return redirect(_with_next(reverse("desk:login_code"), request))
    credentials = {"email": user.email}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return get_lockout_response(request, None, credentials)
    secret = request.session.get(auth.SETUP_SECRET_SESSION)
    if not secret:
        secret = request.session[auth.SETUP_SECRET_SESSION] = generate_totp_secret()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The code that completes the setup is checked and recorded as used in one step, in the
        # same store of used codes (the shared cache) that refuses a replayed login code: a code
        # is good for one login only (RFC 6238, section 5.2), this first one included.
        pending = Authenticator(user=user, type=Authenticator.Type.TOTP)
        pending.data = {"secret": encrypt(secret)}
        if TOTP(pending).validate_code(form.cleaned_data["code"]):
            TOTP.activate(user, secret)
            messages.success(
                request,
                _("The authenticator app is set up; the desk asks for its code at every login."),
            )
            return _finish(request, user)
        _failed(request, user.email)
        if getattr(request, "axes_locked_out", False):
            return get_lockout_response(request, None, credentials)
        form.add_error(
            "code", _("This code is wrong. Check the phone's clock and try the current code.")
        )
    url = get_mfa_adapter().build_totp_url(user, secret)
    return render(
        request,
        "backoffice/login_setup.html",
        {
            "form": form,
            "email": user.email,
            "secret": secret,
            "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=2),
            "next": _next_url(request),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have logged out of the desk."))
    return redirect("desk:login")
