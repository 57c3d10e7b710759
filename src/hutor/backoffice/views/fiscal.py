"""54-ФЗ receipts at the desk: the list (failed ones first to see), and "retry now"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import roles
from hutor.backoffice.actions import fiscal as fiscal_actions
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.models import Role
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core.templatetags.money import format_money
from hutor.fiscal.models import FiscalReceipt, ReceiptStatus

LIST_LIMIT = 500

FILTERS = {
    "failed": [ReceiptStatus.FAILED],
    "waiting": [ReceiptStatus.QUEUED, ReceiptStatus.SENT],
    "registered": [ReceiptStatus.REGISTERED],
}


@roles.require_role(Role.SUPPORT)
def receipts(request: HttpRequest) -> HttpResponse:
    """Every role that sees payments sees their receipts; accountants retry failed ones."""
    show = request.GET.get("show", "")
    rows = FiscalReceipt.objects.select_related(
        "payment__billing_account", "register__provider"
    ).order_by("-created_at", "-pk")
    if show in FILTERS:
        rows = rows.filter(status__in=FILTERS[show])
    counts = {
        key: FiscalReceipt.objects.filter(status__in=statuses).count()
        for key, statuses in FILTERS.items()
    }
    return render_desk(
        request,
        "backoffice/fiscal_receipts.html",
        {"rows": list(rows[:LIST_LIMIT]), "show": show, "counts": counts},
    )


@roles.require_action("fiscal.retry")
def receipt_retry(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = get_object_or_404(
        FiscalReceipt.objects.select_related("payment__billing_account"), pk=pk
    )
    form = ReasonForm(request.POST if request.method == "POST" else None)

    def perform(data: dict[str, str]) -> str:
        fiscal_actions.retry_receipt(
            staff=staff_of(request), receipt=receipt, reason=data["reason"]
        )
        return _("The receipt is queued for the cash register again.")

    payment = receipt.payment
    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:payment", args=[payment.number]),
        title=_("Send the fiscal receipt again"),
        account=payment.billing_account,
        subject=f"{payment.number} · {receipt.get_operation_display()} · "
        f"{format_money(receipt.money)}",
        intro=_(
            "The worker sends it at once. It keeps its external id unless the operator itself "
            "failed it, so the operator never registers it twice."
        ),
        button=_("Send again"),
    )
