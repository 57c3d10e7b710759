"""The audit log: writing one entry per desk action, inside the action's own transaction
(codes and plain values), and reading it back in words in the reader's language."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from hutor.backoffice.exceptions import ReasonRequired
from hutor.backoffice.models import AuditEntry
from hutor.core import clock
from hutor.core.money import Money

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("Say why: a reason is required for every desk action."))
    return reason


def plain(value: Any) -> Any:
    """A JSON-safe form of a value for the changes of an audit entry."""
    if isinstance(value, Money):
        money = value.rounded()
        return f"{money.amount} {money.currency}"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """{"field": {"from": old, "to": new}} for every field whose value changed."""
    return {
        name: {"from": plain(before.get(name)), "to": plain(after.get(name))}
        for name in after
        if plain(before.get(name)) != plain(after.get(name))
    }


def record(
    *,
    staff: User | None,
    action: str,
    reason: str,
    billing_account: BillingAccount | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: Mapping[str, Any] | None = None,
    actor: str = "",
) -> AuditEntry:
    """Append an audit entry; call it inside the action's transaction. Who acted is the staff
    login, or for a command run without one, the named system actor (`command_actor`); an API
    call made with a staff token names both (the token's creator and "api:<token name>")."""
    if staff is None and not actor:
        raise ValueError("an audit entry needs a staff member or a named actor")
    return AuditEntry.objects.create(
        staff=staff,
        actor=actor,
        action=action,
        reason=require_reason(reason),
        billing_account=billing_account,
        object_type=object_type,
        object_id=str(object_id),
        changes=plain(dict(changes or {})),
        created_at=clock.now(),
    )


def command_actor(email: str = "") -> tuple[User | None, str]:
    """Who a `hutor` command acts as: the staff login its `--user` names, or else the named
    system actor "cli:<operating-system user>". Raises LookupError (its message in the active
    language) for an email that is no active staff login."""
    if email:
        from hutor.accounts.models import User

        user = User.objects.filter(email__iexact=email.strip(), is_staff=True, is_active=True)
        found = user.first()
        if found is None:
            raise LookupError(_("no staff user %(email)s") % {"email": email})
        return found, ""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        name = str(os.getuid())
    return None, f"{COMMAND_LINE}:{name}"[:64]


COMMAND_LINE = "cli"
API = "api"  # "api:<token name>": a call through the JSON API (hutor.api)


def actor_words(entry: AuditEntry) -> str:
    """Who acted, as the reader reads it: the staff member's email, or «Командная строка
    (root)» / "Command line (root)" for a command run by the operating-system user root."""
    kind, _sep, name = entry.actor.partition(":")
    if entry.staff_id is not None and entry.staff is not None:
        if kind == API:
            return gettext("%(email)s via API token «%(name)s»") % {
                "email": entry.staff.email,
                "name": name,
            }
        return entry.staff.email
    if kind == API:
        return gettext("API token «%(name)s»") % {"name": name}
    if kind == COMMAND_LINE:
        return gettext("Command line (%(user)s)") % {"user": name or "?"}
    return entry.actor or "—"


# --- Reading the audit log ----------------------------------------------------------------------
# What is stored stays codes and plain values (the action "balance.adjust", {"direction":
# "credit", "amount": "1500.00 RUB", "entry": 8}); the words are chosen here, in the reader's
# language, when a page shows an entry. A code or key this table does not know is shown in a
# readable form rather than hidden.

ACTION_LABELS: dict[str, Promise] = {
    "note.add": gettext_lazy("Note added"),
    "email.resend": gettext_lazy("Email sent again"),
    "account.resend_activation": gettext_lazy("Activation email sent again"),
    "ticket.reply": gettext_lazy("Ticket answered"),
    "ticket.note": gettext_lazy("Internal note added to a ticket"),
    "ticket.assign": gettext_lazy("Ticket assigned"),
    "ticket.status": gettext_lazy("Ticket status changed"),
    "ticket.priority": gettext_lazy("Ticket priority changed"),
    "order.place": gettext_lazy("Order placed"),
    "service.renew": gettext_lazy("Renewal invoice issued"),
    "invoice.cancel": gettext_lazy("Invoice cancelled"),
    "invoice.create": gettext_lazy("Manual invoice issued"),
    "payment_link.create": gettext_lazy("Payment link created"),
    "account.change_email": gettext_lazy("Contact email changed"),
    "service.suspend": gettext_lazy("Service suspended"),
    "service.unsuspend": gettext_lazy("Service unsuspended"),
    "service.extend": gettext_lazy("Service extended"),
    "service.terminate": gettext_lazy("Service terminated"),
    "service.cancel_refund": gettext_lazy("Service cancelled, unused days given back"),
    "payment.manual": gettext_lazy("Manual payment recorded"),
    "bank.import": gettext_lazy("Bank statement imported"),
    "bank.assign": gettext_lazy("Bank payment credited to a billing account"),
    "bank.not_ours": gettext_lazy("Bank payment marked not ours"),
    "balance.adjust": gettext_lazy("Balance adjusted"),
    "refund.balance": gettext_lazy("Refund to the balance"),
    "refund.gateway": gettext_lazy("Refund through the payment service"),
    "refund.retry": gettext_lazy("Payment service asked again about a refund"),
    "refund.resolve": gettext_lazy("Refund concluded by hand"),
    "fiscal.retry": gettext_lazy("Fiscal receipt sent again"),
    "payment.review": gettext_lazy("Payment reviewed"),
    "queue.retry": gettext_lazy("Failed email or task sent back to the worker"),
    "service.rerun_create": gettext_lazy("Service creation queued again"),
    "queue.complete": gettext_lazy("Provisioning task marked done by hand"),
    "service.control_panel": gettext_lazy("Control panel opened as the customer"),
    "account.open": gettext_lazy("Billing account opened"),
    "account.update": gettext_lazy("Contacts and requisites changed"),
    "service.change_tariff": gettext_lazy("Tariff change ordered"),
    "api_token.create": gettext_lazy("API token created"),
    "api_token.revoke": gettext_lazy("API token revoked"),
    "staff.create": gettext_lazy("Staff member added"),
    "staff.update": gettext_lazy("Staff member changed"),
    "staff.reset_totp": gettext_lazy("Staff authenticator reset"),
    "catalog.toggle": gettext_lazy("Tariff put on or taken off sale"),
    "payment_method.toggle": gettext_lazy("Payment method switched on or off"),
    "payment_method.add": gettext_lazy("Payment method added"),
    "payment_method.update": gettext_lazy("Payment method changed"),
    "provider.update": gettext_lazy("Provider's requisites changed"),
    # Until the catalogue has its own words: a company's requisites are the provider's.
    "company.save": gettext_lazy("Provider's requisites changed"),
    "server.save": gettext_lazy("Server added or changed"),
    "server_group.save": gettext_lazy("Server group added or changed"),
    "webhook.save": gettext_lazy("Webhook endpoint added or changed"),
    "webhook.secret": gettext_lazy("Webhook signing secret shown or replaced"),
    "webhook.resend": gettext_lazy("Webhook sent again"),
    "kb.edit": gettext_lazy("Help article written or changed"),
    "kb.publish": gettext_lazy("Help article published or taken off"),
    "kb.category": gettext_lazy("Help category added or changed"),
    "kb.guide": gettext_lazy("Guide article's newer shipped text taken or declined"),
    "ticket.attach": gettext_lazy("Ticket attached to a billing account"),
    "ticket.verify": gettext_lazy("Ticket sender verified"),
    "ticket.merge": gettext_lazy("Tickets merged"),
    "canned.save": gettext_lazy("Canned answer added or changed"),
    "offer.edit": gettext_lazy("Public offer draft written or changed"),
    "offer.publish": gettext_lazy("Public offer published"),
    "tax.rule_add": gettext_lazy("Tax rule added"),
    "tax.rule_withdraw": gettext_lazy("Tax rule withdrawn"),
    "documents.regenerate_month": gettext_lazy("Month closed again (act or correction)"),
}

FIELD_LABELS: dict[str, Promise] = {
    "month": pgettext_lazy("closing document", "month"),
    "closing_document": gettext_lazy("closing document"),
    "correction": pgettext_lazy("closing document", "correction number"),
    "amount": gettext_lazy("amount"),
    "capacity": gettext_lazy("capacity, services"),
    "code": gettext_lazy("code"),
    "name": gettext_lazy("name"),
    "settings": gettext_lazy("module settings"),
    "enabled": gettext_lazy("takes new services"),
    # Provider.vat_rate, gone to taxes.TaxRule: desk audit entries of before still show it.
    "vat_rate": gettext_lazy("VAT rate, %"),
    "group": gettext_lazy("server group"),
    "host": gettext_lazy("host"),
    "module": gettext_lazy("module"),
    "password": gettext_lazy("password or API token"),
    "port": gettext_lazy("port"),
    "use_tls": gettext_lazy("TLS"),
    "username": gettext_lazy("username"),
    "auto_renew": gettext_lazy("auto-renewal"),
    "assignee": gettext_lazy("assignee"),
    "message": gettext_lazy("message"),
    "priority": gettext_lazy("priority"),
    "authenticators_removed": gettext_lazy("authenticators removed"),
    "contact_email": gettext_lazy("contact email"),
    "copy": gettext_lazy("copy of the email"),
    "credited": gettext_lazy("credited"),
    "documents": gettext_lazy("documents"),
    "duplicates": gettext_lazy("duplicates"),
    "direction": gettext_lazy("direction"),
    "document": gettext_lazy("bank document"),
    "document_date": gettext_lazy("document date"),
    "email": gettext_lazy("email"),
    "entry": gettext_lazy("journal entry"),
    "identifier": gettext_lazy("identifier"),
    "invoice": gettext_lazy("invoice"),
    "invoice_status": gettext_lazy("invoice status"),
    "invoices_cancelled": gettext_lazy("invoices cancelled"),
    "invoices_paid": gettext_lazy("invoices paid"),
    "is_active": gettext_lazy("login allowed"),
    "is_enabled": gettext_lazy("offered to customers"),
    "lapsed_on": gettext_lazy("unpaid since"),
    "last_error": gettext_lazy("last error"),
    "method": gettext_lazy("payment method"),
    "note": gettext_lazy("note"),
    "paid_until": gettext_lazy("paid until"),
    "payment": gettext_lazy("payment"),
    "period_months": gettext_lazy("period, months"),
    "provisioning_task": gettext_lazy("provisioning task"),
    "reference": gettext_lazy("reference"),
    "settings_changed": gettext_lazy("settings changed"),
    "gateway": gettext_lazy("payment service"),
    "currency": gettext_lazy("currency"),
    "is_test_mode": gettext_lazy("test mode"),
    "name_ru": gettext_lazy("name in Russian"),
    "name_en": gettext_lazy("name in English"),
    "min_amount": gettext_lazy("smallest amount"),
    "max_amount": gettext_lazy("largest amount"),
    "position": gettext_lazy("position"),
    "refund_id": gettext_lazy("refund id"),
    "receipt": gettext_lazy("fiscal receipt"),
    "external_id": gettext_lazy("external id"),
    "refunded_before": gettext_lazy("refunded before"),
    "rejected_file": gettext_lazy("file rejected"),
    "role": gettext_lazy("role"),
    "status": gettext_lazy("status"),
    "tariff": gettext_lazy("tariff"),
    "template": gettext_lazy("email"),
    "to": gettext_lazy("to"),
    "top_up_settled": gettext_lazy("settled the customer's waiting top-up"),
    "unmatched": gettext_lazy("unmatched"),
    "url": gettext_lazy("URL"),
    "events": gettext_lazy("events"),
    "event": gettext_lazy("event"),
    "description": gettext_lazy("description"),
    "sending": gettext_lazy("sending events"),
    "secret": gettext_lazy("signing secret"),
    "delivery": gettext_lazy("delivery"),
    "webhook_id": gettext_lazy("webhook id"),
    "category": gettext_lazy("category"),
    "slug": gettext_lazy("address"),
    "slug_ru": gettext_lazy("address in Russian"),
    "slug_en": gettext_lazy("address in English"),
    "title_ru": gettext_lazy("title in Russian"),
    "title_en": gettext_lazy("title in English"),
    "body_ru": gettext_lazy("text in Russian"),
    "body_en": gettext_lazy("text in English"),
}

OBJECT_LABELS: dict[str, Promise] = {
    "account": gettext_lazy("billing account"),
    "bank_line": gettext_lazy("bank payment"),
    "bank_statement": gettext_lazy("bank statement"),
    "email": gettext_lazy("email"),
    "entry": gettext_lazy("journal entry"),
    "invoice": gettext_lazy("invoice"),
    "note": gettext_lazy("note"),
    "payment": gettext_lazy("payment"),
    "payment_method": gettext_lazy("payment method"),
    "provider": gettext_lazy("provider's requisites"),
    "server": gettext_lazy("server"),
    "server_group": gettext_lazy("server group"),
    "service": gettext_lazy("service"),
    "tariff": gettext_lazy("tariff"),
    "ticket": gettext_lazy("ticket"),
    "user": gettext_lazy("staff member"),
    "webhook_endpoint": gettext_lazy("webhook endpoint"),
    "webhook_delivery": gettext_lazy("webhook delivery"),
    "kb_article": gettext_lazy("help article"),
    "kb_category": gettext_lazy("help category"),
}

DIRECTIONS: dict[str, Promise] = {
    "credit": gettext_lazy("credit (to the balance)"),
    "debit": gettext_lazy("debit (from the balance)"),
}

# What happened to a webhook endpoint's signing secret (never the secret itself).
SECRET_WORDS: dict[str, Promise] = {
    "set": gettext_lazy("created"),
    "shown": gettext_lazy("shown to an administrator"),
    "replaced": gettext_lazy("replaced by a new one"),
}

_AMOUNT = re.compile(r"^-?\d+(?:\.\d+)? [A-Z]{3}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(frozen=True)
class ChangeRow:
    """One line of "what changed": a field from -> to, or a fact of the action."""

    key: str  # the stored key, for tests and CSS
    label: str
    diff: bool
    value: str = ""
    before: str = ""
    after: str = ""
    url: str = ""  # the record the value names (an invoice, a payment), when there is one


def action_label(code: str) -> str:
    """An action code in words in the active language («balance.adjust» -> «Balance
    adjusted»); an unknown code is shown as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def object_label(object_type: str) -> str:
    """What kind of record an entry acted on, in words («entry» -> «journal entry»)."""
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type.replace("_", " ")


def field_label(key: str) -> str:
    label = FIELD_LABELS.get(key)
    if label is None:
        label = _provider_field_label(key)
    return str(label) if label is not None else key.replace("_", " ")


def _provider_field_label(key: str) -> Any:
    from hutor.core.models import Provider

    try:
        field = Provider._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return getattr(field, "verbose_name", None)


def _choices(key: str, object_type: str) -> Mapping[str, Any]:
    from hutor.backoffice.models import Role
    from hutor.invoices.models import InvoiceStatus
    from hutor.kb.models import ArticleStatus
    from hutor.payments.models import PaymentStatus
    from hutor.services.models import ServiceStatus
    from hutor.support.models import TicketPriority, TicketStatus

    if key == "status":
        return dict(
            {
                "service": ServiceStatus.choices,
                "invoice": InvoiceStatus.choices,
                "payment": PaymentStatus.choices,
                "ticket": TicketStatus.choices,
                "kb_article": ArticleStatus.choices,
            }.get(object_type, ServiceStatus.choices)
        )
    if key == "priority":
        return dict(TicketPriority.choices)
    if key == "invoice_status":
        return dict(InvoiceStatus.choices)
    if key == "role":
        return dict(Role.choices)
    if key == "direction":
        return DIRECTIONS
    if key == "secret":
        return SECRET_WORDS
    if key in ("events", "event"):
        from hutor.core.events import EventKind

        return dict(EventKind.choices)
    return {}


def value_words(key: str, value: Any, object_type: str = "") -> str:
    """A stored value as the reader reads it: statuses and roles in words, yes/no, dates in the
    language's format, amounts through the money filter; anything else as it is."""
    from hutor.core.money import InvalidAmount
    from hutor.core.templatetags.money import format_money

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        return ", ".join(value_words(key, item, object_type) for item in value) or "—"
    if isinstance(value, Mapping):
        return ", ".join(f"{field_label(k)}: {value_words(k, v)}" for k, v in value.items())
    text = str(value)
    choices = _choices(key, object_type)
    if text in choices:
        return str(choices[text])
    if _AMOUNT.match(text):
        amount, currency = text.split()
        try:
            return format_money(Money(Decimal(amount), currency))
        except (InvalidAmount, ValueError, ArithmeticError):
            return text
    if _DATETIME.match(text):
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    if _DATE.match(text):
        try:
            return formats.date_format(dt.date.fromisoformat(text), "SHORT_DATE_FORMAT")
        except ValueError:
            return text
    return text


def _url(key: str, value: Any) -> str:
    from django.urls import NoReverseMatch, reverse

    names = {"invoice": "desk:invoice", "payment": "desk:payment"}
    if key not in names or not isinstance(value, str | int) or value in ("", None):
        return ""
    try:
        return reverse(names[key], args=[value])
    except NoReverseMatch:
        return ""


def change_rows(changes: Mapping[str, Any] | None, object_type: str = "") -> list[ChangeRow]:
    """An entry's changes as rows in the reader's language: a field's old and new value, or a
    fact of the action (an empty list, "no invoices paid", says nothing and is left out)."""
    rows: list[ChangeRow] = []
    for key, value in (changes or {}).items():
        label = field_label(key)
        if isinstance(value, Mapping) and set(value) == {"from", "to"}:
            rows.append(
                ChangeRow(
                    key=key,
                    label=label,
                    diff=True,
                    before=value_words(key, value["from"], object_type),
                    after=value_words(key, value["to"], object_type),
                )
            )
        elif isinstance(value, list | tuple) and not value:
            continue
        else:
            rows.append(
                ChangeRow(
                    key=key,
                    label=label,
                    diff=False,
                    value=value_words(key, value, object_type),
                    url=_url(key, value),
                )
            )
    return rows
