"""Payments that need a look (money credited after the payment expired or failed, or another
amount than asked) and the refunds of a payment: the list, "reviewed", "ask the service again"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import actions, roles
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.models import Role
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core.templatetags.money import format_money
from hutor.payments import refunds
from hutor.payments.actions import describe_review
from hutor.payments.models import Payment, Refund, RefundStatus

LIST_LIMIT = 500  # flagged payments are rare; a list this long says something is broken


def flagged_payments() -> list[Payment]:
    """Credited payments flagged for staff and not reviewed yet, oldest first."""
    return list(
        Payment.objects.filter(reviewed_at__isnull=True)
        .exclude(Q(review_reasons=[]) | Q(review_reasons__isnull=True))
        .select_related("billing_account", "method")
        .order_by("completed_at", "pk")[:LIST_LIMIT]
    )


@dataclass(frozen=True)
class FlaggedRow:
    payment: Payment
    reasons: list[str]


@roles.require_role(Role.SUPPORT)
def needs_review(request: HttpRequest) -> HttpResponse:
    """The "needs a look" list: every role that sees payments sees it; accountants mark the
    payments reviewed."""
    rows = [
        FlaggedRow(p, [describe_review(r, p.currency) for r in p.review_reasons])
        for p in flagged_payments()
    ]
    return render_desk(request, "backoffice/needs_review.html", {"rows": rows})


@roles.require_action("payment.review")
def payment_review(request: HttpRequest, number: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("billing_account", "method"), number=number
    )
    form = ReasonForm(request.POST if request.method == "POST" else None)

    def perform(data: dict[str, str]) -> tuple[str, str]:
        actions.review_payment(staff=staff_of(request), payment=payment, reason=data["reason"])
        return _("Payment %(number)s is reviewed.") % {"number": payment.number}, reverse(
            "desk:needs_review"
        )

    reasons = " ".join(describe_review(r, payment.currency) for r in payment.review_reasons)
    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:payment", args=[number]),
        title=_("Mark the payment reviewed"),
        account=payment.billing_account,
        subject=f"{payment.number} · {format_money(payment.money)} · {payment.method.name}",
        intro=reasons,
        button=_("Reviewed"),
    )


def refund_message(refund: Refund) -> str:
    """What staff are told once the payment service was asked about a refund."""
    params = {"amount": format_money(refund.money), "method": refund.payment.method.name}
    if refund.status == RefundStatus.SUCCEEDED:
        return _("%(amount)s is refunded through %(method)s.") % params
    if refund.status == RefundStatus.FAILED:
        return (
            _("%(method)s did not refund %(amount)s; the balance is given back.") % params
            + " "
            + refunds.failure_text(refund)
        )
    return (
        _(
            "%(amount)s is debited from the balance and waits for %(method)s to confirm the "
            "refund; it is asked again automatically."
        )
        % params
    )


@roles.require_action("refund.retry")
def refund_retry(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    refund = get_object_or_404(
        Refund.objects.select_related("payment__billing_account", "payment__method"),
        pk=pk,
        payment__number=number,
    )
    form = ReasonForm(request.POST if request.method == "POST" else None)

    def perform(data: dict[str, str]) -> str:
        done = actions.retry_refund(staff=staff_of(request), refund=refund, reason=data["reason"])
        return refund_message(done)

    payment = refund.payment
    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:payment", args=[number]),
        title=_("Ask the payment service about the refund again"),
        account=payment.billing_account,
        subject=f"{payment.number} · {format_money(refund.money)} · {payment.method.name}",
        intro=_(
            "The request is sent again with the refund's own key, so the service refunds it at "
            "most once."
        ),
        button=_("Ask again"),
    )


class ResolveRefundForm(ReasonForm):
    outcome = forms.ChoiceField(
        label=_("What the payment service's dashboard shows"),
        choices=[
            ("refunded", _("The refund went through")),
            ("not_refunded", _("There is no such refund")),
        ],
        widget=forms.RadioSelect,
    )
    refund_id = forms.CharField(label=_("Refund id at the service"), max_length=100, required=False)


@roles.require_action("refund.resolve")
def refund_resolve(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """A refund too old to be asked again, concluded as staff found it at the service."""
    refund = get_object_or_404(
        Refund.objects.select_related("payment__billing_account", "payment__method"),
        pk=pk,
        payment__number=number,
    )
    form = ResolveRefundForm(request.POST if request.method == "POST" else None)

    def perform(data: dict[str, Any]) -> str:
        done = actions.resolve_refund(
            staff=staff_of(request),
            refund=refund,
            refunded=data["outcome"] == "refunded",
            gateway_refund_id=data["refund_id"],
            reason=data["reason"],
        )
        return refund_message(done)

    payment = refund.payment
    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:payment", args=[number]),
        title=_("Conclude the refund by hand"),
        account=payment.billing_account,
        subject=f"{payment.number} · {format_money(refund.money)} · {payment.method.name}",
        intro=_(
            "The payment service is no longer asked about this refund (its key may have "
            "expired). Look it up in the service's dashboard: if it went through, nothing more "
            "moves; if not, the amount goes back to the balance."
        ),
        button=_("Conclude"),
        danger=True,
    )
