"""The desk's accounting documents of an account, in the customer's language, as they would
get them from the panel (every desk role reads them): the reconciliation statement, the closing
documents' and the advance invoices-factura's PDFs; and the accountant's action closing a month
again (a correction, audited)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import roles
from hutor.backoffice.actions.documents import regenerate_month
from hutor.backoffice.forms import MonthForm
from hutor.backoffice.views.common import account_or_404, action_page, render_desk, staff_of
from hutor.documents import views as reconciliation_views


@roles.require_role("support")
def reconciliation(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)

    def page(context: dict[str, Any], status: int) -> HttpResponse:
        return render_desk(request, "backoffice/reconciliation.html", context, status=status)

    return reconciliation_views.respond(request, account, language=account.language, page=page)


@roles.require_role("support")
def closing_pdf(request: HttpRequest, number: str, pk: int, form: str) -> HttpResponse:
    account = account_or_404(number)
    return reconciliation_views.closing_pdf_response(account, pk, form, language=account.language)


@roles.require_role("support")
def closing_xml(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    account = account_or_404(number)
    return reconciliation_views.closing_xml_response(account, pk)


@roles.require_role("support")
def advance_xml(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    account = account_or_404(number)
    return reconciliation_views.advance_xml_response(account, pk)


@roles.require_role("support")
def advance_pdf(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    account = account_or_404(number)
    return reconciliation_views.advance_pdf_response(account, pk, language=account.language)


@roles.require_action("documents.regenerate_month")
def regenerate(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)

    def perform(data: dict[str, Any]) -> str:
        documents = regenerate_month(
            staff=staff_of(request), account=account, month=data["month"], reason=data["reason"]
        )
        if not documents:
            return _("Nothing to issue: what was rendered in %(month)s has not changed.") % {
                "month": f"{data['month']:%m.%Y}"
            }
        said = []
        for document in documents:  # one per provider company that served the account
            if document.correction:
                said.append(
                    _("Correction document № %(number)s issued.") % {"number": document.number}
                )
            else:
                said.append(
                    _("Closing document № %(number)s issued.") % {"number": document.number}
                )
        return " ".join(said)

    return action_page(
        request,
        form=MonthForm(request.POST if request.method == "POST" else None),
        perform=perform,
        done_url=reverse("desk:account", args=[number]) + "#closing-documents",
        title=_("Close a month again"),
        account=account,
        intro=_(
            "Issues the month's act or UPD if it has none, or a correction document if what was "
            "rendered in it has changed since (a tariff change). An issued document "
            "is never changed."
        ),
        button=_("Close the month"),
    )
