"""Who may do what in the desk: one ordered list of roles, one table of actions, one check.

Every desk view is wrapped in `require_role` (or `require_action`, the same check looked up in
ACTIONS), which also demands a desk session (password and second factor at /desk/login/) that
has not timed out. Roles are cumulative: each may do everything the one before it may.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from hutor.backoffice import auth
from hutor.backoffice.models import Role, StaffProfile

RANK: dict[str, int] = {Role.SUPPORT: 1, Role.SALES: 2, Role.ACCOUNTANT: 3, Role.ADMIN: 4}

# Every desk action (the AuditEntry.action codes) and the least role allowed to perform it.
ACTIONS: dict[str, str] = {
    # Support: read everything, talk to the customer.
    "note.add": Role.SUPPORT,
    "email.resend": Role.SUPPORT,
    "account.resend_activation": Role.SUPPORT,
    "ticket.reply": Role.SUPPORT,  # a reply to the customer, emailed
    "ticket.note": Role.SUPPORT,  # an internal note on a ticket
    "ticket.assign": Role.SUPPORT,
    "ticket.status": Role.SUPPORT,
    "ticket.priority": Role.SUPPORT,
    "ticket.attach": Role.SUPPORT,  # an unknown sender's ticket put on a billing account
    "ticket.verify": Role.SUPPORT,  # the sender checked to speak for the ticket's account
    "ticket.merge": Role.SUPPORT,  # a ticket merged into another
    "canned.save": Role.SUPPORT,  # a canned answer written or changed
    "kb.edit": Role.SUPPORT,  # a help article written or changed
    "kb.publish": Role.SUPPORT,  # put on the public help pages or taken off
    "kb.category": Role.SUPPORT,  # a help category added or renamed
    "kb.guide": Role.SUPPORT,  # a newer shipped guide text taken over staff's edit, or declined
    # Sales: act on the customer's behalf.
    "order.place": Role.SALES,
    "service.renew": Role.SALES,
    "invoice.cancel": Role.SALES,
    "invoice.create": Role.SALES,  # a manual invoice of free lines (no service)
    "payment_link.create": Role.SALES,
    "account.change_email": Role.SALES,
    "service.suspend": Role.SALES,
    "service.unsuspend": Role.SALES,
    "queue.retry": Role.SALES,  # a failed email or provisioning task back to the worker
    "queue.complete": Role.SALES,  # a to-do or failed provisioning task marked done by hand
    "service.rerun_create": Role.SALES,  # the service's create queued again
    "service.control_panel": Role.SALES,  # into its control panel as the customer (login_url)
    # Through the JSON API only (hutor.api), for the same staff: a new customer's account, its
    # contacts and requisites, a tariff change on the customer's behalf.
    "account.open": Role.SALES,
    "account.update": Role.SALES,
    "service.change_tariff": Role.SALES,
    # Accountant: move money, and what is worth money.
    "payment.manual": Role.ACCOUNTANT,
    "bank.import": Role.ACCOUNTANT,
    "bank.assign": Role.ACCOUNTANT,
    "bank.not_ours": Role.ACCOUNTANT,
    "balance.adjust": Role.ACCOUNTANT,
    "refund.balance": Role.ACCOUNTANT,
    "refund.gateway": Role.ACCOUNTANT,
    "refund.retry": Role.ACCOUNTANT,
    "refund.resolve": Role.ACCOUNTANT,
    "payment.review": Role.ACCOUNTANT,
    "fiscal.retry": Role.ACCOUNTANT,  # a failed 54-ФЗ receipt sent to the operator again
    "service.extend": Role.ACCOUNTANT,
    "service.terminate": Role.ACCOUNTANT,
    "service.cancel_refund": Role.ACCOUNTANT,  # cancelled, its unused paid days given back
    "documents.regenerate_month": Role.ACCOUNTANT,  # a month's act issued again or corrected
    # Admin: configure the provider.
    "staff.create": Role.ADMIN,
    "staff.update": Role.ADMIN,
    "staff.reset_totp": Role.ADMIN,
    "catalog.toggle": Role.ADMIN,
    "payment_method.toggle": Role.ADMIN,
    "provider.update": Role.ADMIN,
    "company.save": Role.ADMIN,  # a provider company added or changed (requisites, accounts)
    "server.save": Role.ADMIN,  # a server added or changed (its credential write-only)
    "server_group.save": Role.ADMIN,
    "webhook.save": Role.ADMIN,  # a webhook endpoint added or changed
    "webhook.secret": Role.ADMIN,  # its signing secret shown, or replaced
    "webhook.resend": Role.ADMIN,  # a delivery sent again
    "api_token.create": Role.ADMIN,  # a staff API token (hutor.api), shown once
    "api_token.revoke": Role.ADMIN,
    "offer.edit": Role.ADMIN,  # a draft version of the public offer written or changed
    "offer.publish": Role.ADMIN,  # a version published: in force from its date, then frozen
    "tax.rule_add": Role.ADMIN,  # a company's tax regime and VAT rate from a date
    "tax.rule_withdraw": Role.ADMIN,  # a rule not in force yet removed
}

# Pages that are not an action, and the least role that may see them.
PAGES: dict[str, str] = {
    "reports.support": Role.SUPPORT,  # tickets opened and closed, SLA kept
    "reports.sales": Role.SALES,  # outstanding invoices, expiring services
    "reports.finance": Role.ACCOUNTANT,  # payments, revenue, suspensions
    "audit": Role.ACCOUNTANT,
    "bank": Role.ACCOUNTANT,  # statements, their reports, the queue of unmatched payments
    "admin": Role.ADMIN,
}


def role_of(user: Any) -> str | None:
    """The user's desk role, or None: an active staff login with a StaffProfile; a superuser
    without one is an administrator."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return None
    profile = StaffProfile.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
    if profile:
        return str(profile)
    return Role.ADMIN if user.is_superuser else None


def allows(role: str | None, needed: str) -> bool:
    return role is not None and RANK.get(role, 0) >= RANK[needed]


def capabilities(role: str | None) -> dict[str, bool]:
    """For templates: {"support": True, "sales": False, ..., "invoice_cancel": ...}: every role,
    action and page, dots made underscores (`{% if can.invoice_cancel %}`)."""
    result = {str(r): allows(role, r) for r in Role}
    for code, needed in (*ACTIONS.items(), *PAGES.items()):
        result[code.replace(".", "_")] = allows(role, needed)
    return result


def require_role(
    needed: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The desk's one access check: a live desk session (else the desk login) and a role at
    least `needed` (else 403, on a page that says so)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            login_url = reverse("desk:login")
            if not auth.has_desk_session(request):
                return redirect_to_login(request.get_full_path(), login_url)
            ended = auth.check_desk_session(request)
            if ended is not None:
                messages.info(request, ended)
                return redirect_to_login(request.get_full_path(), login_url)
            role = role_of(request.user)
            request.desk_role = role  # type: ignore[attr-defined]
            if not allows(role, needed):
                return render(
                    request,
                    "backoffice/forbidden.html",
                    {
                        "needed": Role(needed).label,
                        "desk_role": role,
                        "desk_role_label": Role(role).label if role else "",
                        "can": capabilities(role),
                    },
                    status=403,
                )
            return view(request, *args, **kwargs)

        wrapper.desk_role = needed  # type: ignore[attr-defined]
        return wrapper

    return decorator


def require_action(
    code: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return require_role(ACTIONS[code])


def require_page(code: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return require_role(PAGES[code])
