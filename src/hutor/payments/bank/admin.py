"""The staff admin of bank payments: upload a statement and read its report, work the unmatched
queue (assign to a billing account, or not ours: each with who, when and why), record a
payment by hand. Every change goes through bank/actions.py; the admin writes nothing itself."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hutor.accounts import numbers
from hutor.accounts.models import BillingAccount, User
from hutor.core.money import InvalidAmount, Money
from hutor.payments.bank import actions
from hutor.payments.bank.statement import MAX_SIZE
from hutor.payments.exceptions import PaymentError
from hutor.payments.models import BankLineStatus, BankStatement, BankStatementLine

FORM_TEMPLATE = "payments/bank/admin/form.html"
CHANGE_LIST_TEMPLATE = "payments/bank/admin/change_list.html"
STATEMENT_FIELDS: list[str] = [
    "file_name",
    "sha256",
    "uploaded_at",
    "uploaded_by",
    "encoding",
    "period_start",
    "period_end",
    "rejected_text",
    "report_text",
]


def _account_field_clean(text: str) -> BillingAccount:
    try:
        number = numbers.parse(text)
    except numbers.InvalidAccountNumber as exc:
        raise forms.ValidationError(str(exc)) from exc
    account = BillingAccount.objects.filter(number=number).first()
    if account is None:
        raise forms.ValidationError(gettext("There is no billing account %(n)s.") % {"n": number})
    return account


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("A 1CClientBankExchange text file (kl_to_1c.txt), windows-1251 or UTF-8."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_SIZE:
            raise forms.ValidationError(_("The file is too large for a bank statement."))
        return upload


class AssignForm(forms.Form):
    account = forms.CharField(
        label=_("Billing account number"),
        max_length=20,
        help_text=_("The check digit is verified: a mistyped number is refused."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this payment is this account's (a call, a letter from the payer...)."),
    )

    def clean_account(self) -> BillingAccount:
        return _account_field_clean(self.cleaned_data["account"])


class NotOursForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why it is no customer's payment, and what is done with it (returned...)."),
    )


class ManualPaymentForm(forms.Form):
    account = forms.CharField(label=_("Billing account number"), max_length=20)
    amount = forms.CharField(label=_("Amount"), max_length=20, help_text=_("e.g. 1500.00"))
    date = forms.DateField(
        label=_("Date of payment"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(
        label=_("Document reference"),
        max_length=actions.MAX_REFERENCE,
        help_text=_("The bank document, e.g. «п/п 123 от 20.11.2026». Recorded once."),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    allow_similar = forms.BooleanField(
        label=_("Record even if a bank statement line looks the same"), required=False
    )

    def clean_account(self) -> BillingAccount:
        return _account_field_clean(self.cleaned_data["account"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        account = data.get("account")
        if isinstance(account, BillingAccount) and data.get("amount"):
            try:
                data["money"] = Money.parse(data["amount"], account.currency)
            except InvalidAmount:
                self.add_error("amount", gettext("Enter an amount like 1500 or 1500.50."))
        return data


class BankStatementLineInline(admin.TabularInline):
    model = BankStatementLine
    extra = 0
    can_delete = False
    fields = ("line_link", "document_number", "document_date", "amount", "payer_name", "status")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("line"))
    def line_link(self, line: BankStatementLine) -> str:
        url = reverse("admin:payments_bankstatementline_change", args=[line.pk])
        return format_html('<a href="{}">#{}</a>', url, line.pk)


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin):
    """Adding a statement is uploading its file: the import runs, the report shows."""

    change_list_template = CHANGE_LIST_TEMPLATE
    list_display = [
        "id",
        "file_name",
        "uploaded_at",
        "uploaded_by",
        "documents_count",
        "credited_count",
        "duplicate_count",
        "unmatched_count",
        "skipped_count",
        "rejected_count",
        "is_rejected",
    ]
    list_select_related = ["uploaded_by"]
    search_fields = ["file_name", "sha256"]
    inlines = [BankStatementLineInline]
    readonly_fields = ["report_text"]
    fields = tuple(STATEMENT_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(STATEMENT_FIELDS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("rejected"), boolean=True)
    def is_rejected(self, statement: BankStatement) -> bool:
        return statement.is_rejected

    @admin.display(description=_("file rejected because"))
    def rejected_text(self, statement: BankStatement) -> str:
        return statement.rejected_text or "—"

    @admin.display(description=_("report"))
    def report_text(self, statement: BankStatement) -> str:
        return format_html(
            '<pre style="white-space:pre-wrap;margin:0">{}</pre>', actions.report_text(statement)
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), **_tools(request)})

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            statement = actions.import_statement(
                content=upload.read(), file_name=upload.name, uploaded_by=_staff(request)
            )
            if statement.is_rejected:
                messages.error(
                    request,
                    gettext("The statement was rejected: %(reason)s")
                    % {"reason": statement.rejected_text},
                )
            else:
                messages.success(
                    request,
                    gettext(
                        "Imported %(n)s documents: %(credited)s credited, %(duplicates)s "
                        "duplicates, %(unmatched)s unmatched, %(skipped)s skipped, "
                        "%(rejected)s rejected."
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
            return HttpResponseRedirect(
                reverse("admin:payments_bankstatement_change", args=[statement.pk])
            )
        return _form_page(
            self,
            request,
            title=gettext("Upload a bank statement"),
            form=form,
            multipart=True,
            submit=gettext("Import"),
        )


@admin.register(BankStatementLine)
class BankStatementLineAdmin(admin.ModelAdmin):
    """Bank documents, statement by statement; the unmatched queue is the `unmatched` filter."""

    change_list_template = CHANGE_LIST_TEMPLATE
    list_display = [
        "id",
        "statement",
        "document_number",
        "document_date",
        "amount",
        "payer_name",
        "payer_inn",
        "status",
        "billing_account",
        "payment",
        "match_rule",
        "short_reason",
        "resolved_by",
    ]
    list_filter = ["status", "match_rule"]
    list_select_related = ["statement", "billing_account", "payment", "resolved_by"]
    search_fields = [
        "document_number",
        "payer_name",
        "payer_inn",
        "payer_account",
        "purpose",
        "billing_account__number",
        "payment__number",
    ]
    actions = ["assign_action", "not_ours_action"]
    readonly_fields = ["resolve_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["resolve_links", "reason_words", *(f.name for f in BankStatementLine._meta.fields)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Lines change only through the queue's actions; a line's own page is read-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("why"))
    def reason_words(self, line: BankStatementLine) -> str:
        return line.reason_text or "—"

    @admin.display(description=_("reason"))
    def short_reason(self, line: BankStatementLine) -> str:
        text = line.reason_text
        return text if len(text) <= 90 else text[:88] + "…"

    @admin.display(description=_("queue"))
    def resolve_links(self, line: BankStatementLine) -> str:
        if line.status not in (BankLineStatus.UNMATCHED, BankLineStatus.NOT_OURS):
            return "—"
        assign = _resolve_url("assign", [line.pk])
        if line.status == BankLineStatus.NOT_OURS:
            return format_html('<a class="button" href="{}">{}</a>', assign, _("Assign…"))
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            assign,
            _("Assign to a billing account…"),
            _resolve_url("not-ours", [line.pk]),
            _("Not ours…"),
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), **_tools(request)})

    @admin.action(description=_("Assign to a billing account…"), permissions=["change"])
    def assign_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return HttpResponseRedirect(_resolve_url("assign", queryset.values_list("pk", flat=True)))

    @admin.action(description=_("Mark as not ours…"), permissions=["change"])
    def not_ours_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return HttpResponseRedirect(_resolve_url("not-ours", queryset.values_list("pk", flat=True)))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "resolve/<str:kind>/",
                view(self.resolve_view),
                name="payments_bankstatementline_resolve",
            ),
            path("record/", view(self.record_view), name="payments_bankstatementline_record"),
            *super().get_urls(),
        ]

    def resolve_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        """Assign the chosen lines to a billing account, or mark them not ours."""
        if not self.has_change_permission(request) or kind not in ("assign", "not-ours"):
            raise PermissionDenied
        ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
        lines = list(BankStatementLine.objects.filter(pk__in=ids).order_by("pk"))
        form: forms.Form = (AssignForm if kind == "assign" else NotOursForm)(request.POST or None)
        if request.method == "POST" and form.is_valid():
            for line in lines:
                try:
                    if kind == "assign":
                        done = actions.assign_line(
                            line=line,
                            billing_account=form.cleaned_data["account"],
                            reason=form.cleaned_data["reason"],
                            user=_staff(request),
                        )
                        messages.success(
                            request,
                            gettext("Line #%(id)s: %(amount)s credited to %(account)s.")
                            % {
                                "id": done.pk,
                                "amount": done.money,
                                "account": form.cleaned_data["account"].number,
                            },
                        )
                    else:
                        actions.mark_not_ours(
                            line=line, reason=form.cleaned_data["reason"], user=_staff(request)
                        )
                        messages.success(
                            request, gettext("Line #%(id)s: marked not ours.") % {"id": line.pk}
                        )
                except PaymentError as exc:
                    messages.error(request, f"#{line.pk}: {exc}")
            changelist = reverse("admin:payments_bankstatementline_changelist")
            return HttpResponseRedirect(f"{changelist}?status__exact=unmatched")
        title = (
            gettext("Assign to a billing account")
            if kind == "assign"
            else gettext("Mark as not ours")
        )
        return _form_page(self, request, title=title, form=form, lines=lines, submit=title)

    def record_view(self, request: HttpRequest) -> HttpResponse:
        """Record a payment seen on the bank account by hand (idempotent on its reference)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = ManualPaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                line, recorded = actions.record_manual_payment(
                    billing_account=data["account"],
                    amount=data["money"],
                    date=data["date"],
                    reference=data["reference"],
                    note=data["note"],
                    user=_staff(request),
                    allow_similar=data["allow_similar"],
                )
            except PaymentError as exc:
                form.add_error(None, str(exc))
            else:
                assert line.payment is not None
                params = {
                    "ref": line.document_number,
                    "payment": line.payment.number,
                    "amount": line.money,
                    "account": data["account"].number,
                }
                if recorded:
                    messages.success(
                        request,
                        gettext("Payment %(payment)s: %(amount)s credited to %(account)s.")
                        % params,
                    )
                else:
                    messages.warning(
                        request,
                        gettext(
                            "«%(ref)s» was already recorded as payment %(payment)s; "
                            "nothing new was credited."
                        )
                        % params,
                    )
                return HttpResponseRedirect(
                    reverse("admin:payments_bankstatementline_change", args=[line.pk])
                )
        return _form_page(
            self,
            request,
            title=gettext("Record a manual payment"),
            form=form,
            submit=gettext("Record and credit"),
        )


def _staff(request: HttpRequest) -> User | None:
    """The logged-in staff member (admin views are behind admin_view: never anonymous)."""
    return request.user if isinstance(request.user, User) else None


def _resolve_url(kind: str, ids: Any) -> str:
    url = reverse("admin:payments_bankstatementline_resolve", args=[kind])
    return f"{url}?ids={','.join(str(pk) for pk in ids)}"


def _tools(request: HttpRequest) -> dict[str, Any]:
    unmatched = BankStatementLine.objects.filter(status=BankLineStatus.UNMATCHED).count()
    changelist = reverse("admin:payments_bankstatementline_changelist")
    return {
        "bank_tools": [
            (reverse("admin:payments_bankstatement_add"), gettext("Upload a statement")),
            (
                f"{changelist}?status__exact=unmatched",
                gettext("Unmatched queue (%(n)s)") % {"n": unmatched},
            ),
            (reverse("admin:payments_bankstatementline_record"), gettext("Record a payment")),
        ]
    }


def _form_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: str,
    form: forms.Form,
    submit: str,
    lines: list[BankStatementLine] | None = None,
    multipart: bool = False,
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "lines": lines,
        "multipart": multipart,
        "submit": submit,
    }
    return TemplateResponse(request, FORM_TEMPLATE, context)
