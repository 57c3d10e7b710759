"""The desk's bank pages: upload a statement, read its import report, work the queue of
incoming payments nobody's yet (credit one to a billing account, or mark it not ours), and
start a payment entered by hand. Accountants act; every action is audited
(backoffice/actions/bank.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hutor.backoffice import roles
from hutor.backoffice.actions import bank as bank_desk
from hutor.backoffice.bank_forms import AccountLookupForm, AssignForm, StatementUploadForm
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core.templatetags.money import format_money
from hutor.payments.bank.reasons import render
from hutor.payments.bank.report import line_document
from hutor.payments.models import BankLineStatus, BankStatement, BankStatementLine

RECENT_STATEMENTS = 20
QUEUE_PAGE = 50
WAITING = (BankLineStatus.UNMATCHED, BankLineStatus.NOT_OURS)


@roles.require_page("bank")
def overview(request: HttpRequest) -> HttpResponse:
    """The bank page: the upload, the queue's size, the latest statements, a payment by hand."""
    return _overview(request, StatementUploadForm(), AccountLookupForm())


def _overview(
    request: HttpRequest, upload: StatementUploadForm, lookup: AccountLookupForm
) -> HttpResponse:
    statements = BankStatement.objects.select_related("uploaded_by").order_by("-uploaded_at", "-pk")
    return render_desk(
        request,
        "backoffice/bank/overview.html",
        {
            "upload": upload,
            "lookup": lookup,
            "unmatched": BankStatementLine.objects.filter(status=BankLineStatus.UNMATCHED).count(),
            "statements": statements[:RECENT_STATEMENTS],
        },
    )


@roles.require_action("bank.import")
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    form = StatementUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _overview(request, form, AccountLookupForm())
    file = form.cleaned_data["file"]
    statement = bank_desk.import_statement(
        staff=staff_of(request), content=file.read(), file_name=file.name or ""
    )
    if statement.is_rejected:
        messages.error(
            request,
            _("The statement was rejected: %(reason)s") % {"reason": statement.rejected_text},
        )
    else:
        messages.success(
            request,
            _(
                "Imported %(n)s documents: %(credited)s credited, %(duplicates)s duplicates, "
                "%(unmatched)s unmatched, %(skipped)s skipped, %(rejected)s rejected."
            )
            % {
                "n": statement.documents_count,
                "credited": statement.credited_count,
                "duplicates": statement.duplicate_count,
                "unmatched": statement.unmatched_count,
                "skipped": statement.skipped_count,
                "rejected": statement.rejected_count,
            },
        )
    return redirect("desk:bank_statement", pk=statement.pk)


@roles.require_action("payment.manual")
def record(request: HttpRequest) -> HttpResponse:
    """ "Enter a payment by hand": the account's number first, then its payment form."""
    form = AccountLookupForm(request.GET)
    if not form.is_valid():
        return _overview(request, StatementUploadForm(), form)
    return redirect("desk:manual_payment", number=form.cleaned_data["account"].number)


@roles.require_page("bank")
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """The import report of one statement: its counts and warnings, and each document with
    what became of it (its state now: a queued payment may have been assigned since)."""
    item = get_object_or_404(BankStatement.objects.select_related("uploaded_by"), pk=pk)
    lines = list(
        item.lines.select_related("billing_account", "payment", "resolved_by").order_by(
            "position", "pk"
        )
    )
    report = item.report or {}
    return render_desk(
        request,
        "backoffice/bank/statement.html",
        {
            "statement": item,
            "rows": [(line, line_document(line)) for line in lines],
            "warnings": [render(w) for w in report.get("warnings", [])],
            "previous": report.get("previous_imports", []),
        },
    )


@roles.require_page("bank")
def queue(request: HttpRequest) -> HttpResponse:
    """Incoming payments nobody's yet, oldest first; `?show=not-ours` lists those set aside."""
    show = "not-ours" if request.GET.get("show") == "not-ours" else "unmatched"
    status = BankLineStatus.NOT_OURS if show == "not-ours" else BankLineStatus.UNMATCHED
    lines = (
        BankStatementLine.objects.filter(status=status)
        .select_related("statement", "billing_account", "resolved_by")
        .order_by("document_date", "pk")
    )
    query = (request.GET.get("q") or "").strip()
    if query:
        lines = lines.filter(
            Q(payer_name__icontains=query)
            | Q(payer_inn=query)
            | Q(purpose__icontains=query)
            | Q(document_number=query)
        )
    page = Paginator(lines, QUEUE_PAGE).get_page(request.GET.get("page"))
    return render_desk(
        request,
        "backoffice/bank/queue.html",
        {
            "page": page,
            "rows": [(line, line_document(line)) for line in page.object_list],
            "show": show,
            "q": query,
            "counts": {
                "unmatched": BankStatementLine.objects.filter(
                    status=BankLineStatus.UNMATCHED
                ).count(),
                "not_ours": BankStatementLine.objects.filter(
                    status=BankLineStatus.NOT_OURS
                ).count(),
            },
        },
    )


def _queued_line(pk: int) -> BankStatementLine:
    return get_object_or_404(
        BankStatementLine.objects.select_related("statement"), pk=pk, status__in=WAITING
    )


def _subject(line: BankStatementLine) -> str:
    parts = [line_document(line)]
    if line.money is not None:
        parts.append(format_money(line.money))
    if line.payer_name or line.payer_inn:
        parts.append(" ".join(p for p in (line.payer_name, line.payer_inn) if p))
    return " · ".join(parts)


@roles.require_action("bank.assign")
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    line = _queued_line(pk)
    form = AssignForm(request.POST if request.method == "POST" else None)

    def perform(data: dict[str, object]) -> tuple[str, str]:
        account = data["account"]
        done = bank_desk.assign_line(
            staff=staff_of(request),
            line=line,
            account=account,  # type: ignore[arg-type]
            reason=str(data["reason"]),
        )
        message = _("%(amount)s is credited to billing account %(account)s: payment %(payment)s.")
        return message % {
            "amount": format_money(done.money) if done.money else "—",
            "account": done.billing_account.number if done.billing_account else "?",
            "payment": done.payment.number if done.payment else "?",
        }, reverse("desk:bank_queue")

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:bank_queue"),
        title=_("Credit to a billing account"),
        subject=_subject(line),
        intro=line.purpose or line.reason_text,
        button=_("Credit the payment"),
    )


@roles.require_action("bank.not_ours")
def not_ours(request: HttpRequest, pk: int) -> HttpResponse:
    line = _queued_line(pk)
    if line.status != BankLineStatus.UNMATCHED:
        messages.info(request, _("This payment is already marked not ours."))
        return redirect("desk:bank_queue")
    form = ReasonForm(request.POST if request.method == "POST" else None)

    def perform(data: dict[str, object]) -> tuple[str, str]:
        bank_desk.mark_not_ours(staff=staff_of(request), line=line, reason=str(data["reason"]))
        return _("The payment is set aside as not ours."), reverse("desk:bank_queue")

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:bank_queue"),
        title=_("Not ours"),
        subject=_subject(line),
        intro=_(
            "No customer's payment: it is taken out of the queue and nothing is credited. Return "
            "it to the payer through the bank. It can still be credited later."
        ),
        button=_("Mark not ours"),
        danger=True,
    )
