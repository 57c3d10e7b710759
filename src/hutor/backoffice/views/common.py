"""What every desk page shares: the role in the template context and the action-form loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from hutor.accounts.models import BillingAccount
from hutor.backoffice import roles
from hutor.backoffice.exceptions import AlreadyDone, DeskError
from hutor.backoffice.models import Role

if TYPE_CHECKING:
    from hutor.accounts.models import User


def render_desk(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    role = getattr(request, "desk_role", None) or roles.role_of(request.user)
    return render(
        request,
        template,
        {
            "desk_role": role,
            "desk_role_label": Role(role).label if role else "",
            "can": roles.capabilities(role),
            **(context or {}),
        },
        status=status,
    )


def account_or_404(number: str) -> BillingAccount:
    return get_object_or_404(BillingAccount.objects.select_related("user"), number=number)


def action_page(
    request: HttpRequest,
    *,
    form: forms.BaseForm,
    perform: Callable[[dict[str, Any]], str | tuple[str, str]],
    done_url: str,
    title: str,
    account: BillingAccount | None = None,
    intro: str = "",
    subject: str = "",
    button: str = "",
    danger: bool = False,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; a valid POST performs the action and returns to `done_url` (or the
    URL `perform` returns with its message) with its message; a refused action shows the form
    again with the reason it was refused."""
    if request.method == "POST" and form.is_valid():
        try:
            message = perform(form.cleaned_data)
        except AlreadyDone as exc:
            messages.info(request, str(exc))
            return redirect(done_url)
        except DeskError as exc:
            form.add_error(None, str(exc))
        else:
            if isinstance(message, tuple):
                message, done_url = message
            messages.success(request, message)
            return redirect(done_url)
    return render_desk(
        request,
        "backoffice/action.html",
        {
            "form": form,
            "title": title,
            "intro": intro,
            "subject": subject,
            "account": account,
            "button": button or title,
            "danger": danger,
            "back_url": done_url,
            **(extra or {}),
        },
    )


def staff_of(request: HttpRequest) -> User:
    """The staff member acting (require_role has checked there is one)."""
    return cast("User", request.user)
