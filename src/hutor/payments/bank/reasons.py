"""Why a bank document was matched, skipped, rejected or left in the queue: stored as a code
plus parameters, rendered in the reader's language at the edge (desk, admin, CLI).

A statement line keeps one reason (`reason_code`, `reason_params`); the numbers that did not
count ride along in `reason_params["notes"]`, a list of {"code", "params"} rendered after it.
Every code has its words here, in English (the source) and Russian (the catalogue); a code
this module does not know (written by a newer version) is shown as it is, with its parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    def __str__(self) -> str:
        return render_reason(self.code, self.params)


# The words of every code, marked for translation and translated when rendered. Parameters are
# named (%(number)s): translators may reorder them.
TEXTS: dict[str, str] = {
    # --- matching (payments/bank/matching.py) ---
    "no_payment": _("no payment %(number)s"),
    "no_invoice": _("no invoice %(number)s"),
    "no_account": _("no billing account %(number)s"),
    "bad_check_digit": _(
        "%(number)s is not a valid billing account number: its check digit is wrong "
        "(a digit mistyped or two swapped), so it is not guessed"
    ),
    "several_accounts": _("the purpose names several billing accounts: %(named)s"),
    "conflicting_numbers": _(
        "%(rule)s %(what)s names billing account %(account)s, but the purpose also quotes "
        "%(quoted)s"
    ),
    "inn_several_accounts": _(
        "the purpose names no billing account, and the payer's INN %(inn)s belongs to "
        "%(count)s billing accounts: %(accounts)s"
    ),
    "nothing_quoted_inn_unknown": _(
        "the purpose names no billing account, invoice or payment number, and no billing "
        "account has the payer's INN %(inn)s"
    ),
    "nothing_quoted_no_inn": _(
        "the purpose names no billing account, invoice or payment number, and the payer has "
        "no INN to match by"
    ),
    # --- import (payments/bank/actions.py) ---
    "document_rejected": _("document %(position)s (line %(line)s): %(errors)s"),
    "own_transfer": _("a transfer between our own accounts"),
    "outgoing": _("outgoing payment from our account %(account)s"),
    "not_addressed": _("not addressed to our account (recipient's account %(account)s)"),
    "duplicate_of_statement": _(
        "the same bank document was seen before: line #%(line)s of statement #%(statement)s "
        "(%(status)s)"
    ),
    "duplicate_of_manual": _(
        "the same bank document was seen before: line #%(line)s, a manual payment (%(status)s)"
    ),
    "not_credited_currency": _(
        "matched by %(rule)s, not credited: billing account %(account)s keeps its balance in "
        "%(currency)s"
    ),
    "not_credited_similar_manual": _(
        "matched by %(rule)s, not credited: billing account %(account)s has a manual payment "
        "«%(reference)s» of the same amount (line #%(line)s): it may be this very document; "
        "assign it or mark it not ours after checking"
    ),
    "payment_other_account": _(
        "payment %(payment)s is another billing account's; credited as a new payment"
    ),
    "payment_other_method": _(
        "payment %(payment)s is a %(method)s payment; credited as a new payment"
    ),
    "payment_not_waiting": _(
        "payment %(payment)s is %(status)s already; credited as a new payment"
    ),
    "payment_other_amount": _(
        "payment %(payment)s is for %(expected)s, the bank paid %(paid)s; credited as a new payment"
    ),
    # --- a document's fields (payments/bank/statement.py) ---
    "field_not_key_value": _("line %(line)s is not Key=Value: %(text)s"),
    "field_twice": _("%(key)s appears twice with different values"),
    "number_missing": _("Номер (document number) is missing"),
    "date_missing": _("Дата (document date) is missing"),
    "date_invalid": _("Дата=%(value)s is not a date (ДД.ММ.ГГГГ)"),
    "amount_missing": _("Сумма (amount) is missing"),
    "amount_invalid": _("Сумма=%(value)s is not an amount"),
    "amount_decimals": _("Сумма=%(value)s has more than two decimal places"),
    "amount_zero": _("Сумма=%(value)s is zero"),
    "amount_negative": _("Сумма=%(value)s is negative"),
    "amount_too_large": _("Сумма=%(value)s is too large"),
    "accounts_missing": _("ПолучательСчет and ПлательщикСчет (the accounts) are missing"),
    # --- the whole file (payments/bank/statement.py, actions.import_statement) ---
    "file_empty": _("the file is empty"),
    "file_binary": _("the file is binary (it has NUL bytes): not a 1C exchange text file"),
    "file_too_large": _("the file is larger than %(megabytes)s MB"),
    "not_1c": _("not a 1C bank statement: the file does not begin with %(header)s"),
    "unreadable_text": _(
        "the file's text cannot be read: it is neither windows-1251 nor UTF-8 (the header "
        "says Кодировка=%(declared)s); export it again from the bank"
    ),
    "document_not_ended": _(
        "line %(line)s: %(key)s inside the document that starts on line %(start)s: that "
        "document has no КонецДокумента (the file is damaged)"
    ),
    "account_section_not_ended": _(
        "line %(line)s: %(key)s inside the СекцияРасчСчет of line %(start)s, which has no "
        "КонецРасчСчет (the file is damaged)"
    ),
    "end_without_section": _(
        "line %(line)s: %(key)s without the section it ends (the file is damaged)"
    ),
    "not_key_value": _("line %(line)s: expected Key=Value, found %(text)s"),
    "truncated_in_document": _(
        "the file ends inside the document that starts on line %(start)s: it is truncated; "
        "download the statement again"
    ),
    "truncated_in_account_section": _(
        "the file ends inside the СекцияРасчСчет of line %(start)s: it is truncated"
    ),
    "no_end_of_file": _(
        "the file has no КонецФайла: it is truncated and documents may be missing; download "
        "the statement again"
    ),
    "wrong_settlement_account": _(
        "the statement is for account %(accounts)s, not the provider's settlement account %(main)s"
    ),
    "refused": _("%(message)s"),
    "no_bank_method": _(
        "no bank-transfer payment method in %(currency)s is configured (admin: Payments > "
        "Payment methods, gateway «Bank transfer»)"
    ),
    "provider_not_configured": _(
        "the provider's requisites are not set (admin: Core > Provider requisites)"
    ),
    # --- warnings about a file that was read ---
    "encoding_not_declared": _("the header has no Кодировка=; the file was read as %(codec)s"),
    "encoding_unknown": _("unknown Кодировка=%(declared)s; the file was read as %(codec)s"),
    "encoding_wrong": _("the header says Кодировка=%(declared)s, but the file is %(codec)s"),
    "text_after_end": _("line %(line)s: text after КонецФайла ignored"),
}

# How the reasons name the matching rules («matched by invoice», «invoice 26-000123»).
RULE_WORDS: dict[str, str] = {
    "payment": _("payment"),
    "invoice": _("invoice"),
    "account": _("billing account"),
    "inn": _("payer's INN"),
}


def _rule(value: Any) -> str:
    word = RULE_WORDS.get(str(value))
    return gettext(word) if word is not None else str(value)


def _words(code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as the sentence shows them: lists joined, rules and statuses in words,
    nested reasons rendered."""
    from hutor.payments.models import BankLineStatus, PaymentStatus

    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key == "notes":
            continue
        if key == "rule":
            value = _rule(value)
        elif key == "status":  # a line's or a payment's status, in words
            statuses = PaymentStatus if code == "payment_not_waiting" else BankLineStatus
            value = str(dict(statuses.choices).get(value, value)).lower()
        elif key == "named":  # [[account, [[rule, what], ...]], ...]
            value = ", ".join(
                f"{account} ({', '.join(f'{_rule(rule)} {what}' for rule, what in found_by)})"
                for account, found_by in value
            )
        elif key == "errors":
            value = "; ".join(render(item) for item in value)
        elif isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        shown[key] = value
    return shown


def render_reason(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The reason in the active language, its notes after it ("…; no invoice 26-000999")."""
    params = params or {}
    text = TEXTS.get(code)
    if text is None:
        main = " ".join([code, *(f"{k}={v}" for k, v in params.items() if k != "notes")])
    else:
        try:
            main = gettext(text) % _words(code, params)
        except (KeyError, TypeError, ValueError):  # parameters missing: say what is known
            main = f"{code} {dict(params)}"
    notes = [render(note) for note in params.get("notes") or ()]
    return "; ".join([part for part in (main, *notes) if part])


def render(item: Mapping[str, Any] | Reason | str) -> str:
    """One stored reason ({"code", "params"}), a Reason, or a legacy sentence, in words."""
    if isinstance(item, Reason):
        return render_reason(item.code, item.params)
    if isinstance(item, str):
        return item
    return render_reason(str(item.get("code", "")), item.get("params") or {})


def pack(reasons: Iterable[Reason]) -> tuple[str, dict[str, Any]]:
    """(reason_code, reason_params) to store: the first reason, the others as its notes."""
    items = list(reasons)
    if not items:
        return "", {}
    first, rest = items[0], items[1:]
    params = dict(first.params)
    if rest:
        params["notes"] = [reason.as_json() for reason in rest]
    return first.code, params
