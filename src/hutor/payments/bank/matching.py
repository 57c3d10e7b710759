"""Which billing account an incoming bank payment is for. Pure functions, no database.

`extract(purpose)` finds the numbers a purpose of payment quotes; the caller looks them up and
hands what exists to `decide()`, which returns a Match or a NoMatch with the reasons an
accountant reads in the unmatched queue, as codes and parameters (bank/reasons.py words them).

The rules, most specific first:

1. a **payment number** (eight digits from 2xxxxxxx: «платёж № 20000001») names the payment,
   hence its billing account;
2. an **invoice number** («по счету 26-000123», «сч. № 26-000123», «счёт 26/000123») names the
   invoice's billing account;
3. a **billing account number** however written («л/с 1000015», «№1000015», «лицевой счет
   1000015», «биллинг-аккаунт 1000015», «по договору 1000015», or a bare seven-digit number)
   whose check digit is right and which exists;
4. failing all of them, the **payer's INN**, when exactly one billing account has it, and only
   if the purpose quotes nothing that looks like a billing account number.

The payment is matched when the numbers found name exactly one billing account. Several
accounts, or an explicitly marked account number that disagrees (a wrong check digit that is
not a typo of the matched number, an account that does not exist), leave it unmatched. A
number with a wrong check digit is never "corrected" to a neighbouring account: that is how
one customer's money would reach another.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from hutor.accounts import numbers
from hutor.invoices import numbers as invoice_numbers
from hutor.payments import numbers as payment_numbers
from hutor.payments.bank.reasons import Reason

# Invoice numbers (26-000123, 26/000123) and payment numbers (20000001) are found by their
# own modules, so a change of either format changes what is matched here.
# Words people put before their account number, then the number itself.
MARKER = (
    r"(?:л\s*/\s*с(?:ч(?:[её]т\w*)?)?\.?"  # л/с, л/сч, л/счет
    r"|л\.\s*с\.?"  # л.с.
    r"|(?<!\w)лс(?![^\W\d])"
    r"|лицев\w*\s+сч[её]т\w*"  # лицевой счёт, лицевого счета
    r"|лиц\.?\s*сч\.?"  # лиц. сч.
    r"|биллинг[\s-]*аккаунт\w*"
    r"|аккаунт\w*"
    r"|account\w*"
    r"|догов[оа]р\w*|дог\."  # договор, по договору
    r"|№|(?<!\w)N(?:o\.?)?)"
)
MARKED_ACCOUNT_RE = re.compile(MARKER + r"[\s:.#№N-]*(\d{7,12})(?!\d)", re.IGNORECASE)
# A bare seven-digit number, not part of a longer one, not an amount (1500000.00, 1500000-00).
BARE_ACCOUNT_RE = re.compile(r"(?<![\d.,/-])(\d{7})(?!\d|[.,-]\d{2}(?!\d))")
# Words after which a bare number is something else.
NOT_AN_ACCOUNT_BEFORE = re.compile(r"(?:тел|phone|инн|кпп|бик|огрн|сумм)[\s.:№#-]*$", re.IGNORECASE)
NOT_AN_ACCOUNT_AFTER = re.compile(r"^\s*(?:руб|р\.|₽|коп)", re.IGNORECASE)
INN_RE = re.compile(r"^(?:\d{10}|\d{12})$")


@dataclass(frozen=True)
class AccountReference:
    number: str
    marked: bool  # an explicit word (л/с, №, договор...) came before it; bare otherwise
    valid: bool  # its check digit is right


@dataclass(frozen=True)
class Found:
    """The numbers a purpose of payment quotes, in the order they appear."""

    payments: tuple[str, ...]
    invoices: tuple[str, ...]
    accounts: tuple[AccountReference, ...]


@dataclass(frozen=True)
class Match:
    account: str  # the billing account's number
    rule: str  # payment | invoice | account | inn (models.BankMatchRule)
    payment: str | None = None  # the payment quoted, when rule == "payment"
    notes: tuple[Reason, ...] = ()  # numbers that did not count, for the record


@dataclass(frozen=True)
class NoMatch:
    """Why the payment is left for an accountant: the main reason first, then the numbers that
    did not count (codes and parameters; reasons.render_reason words them)."""

    reasons: tuple[Reason, ...]

    @property
    def reason(self) -> str:
        """The reasons in the active language."""
        return "; ".join(str(reason) for reason in self.reasons)


def _blank(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def extract(purpose: str) -> Found:
    """Find payment, invoice and billing account numbers in a purpose of payment."""
    text = " ".join(purpose.split())
    invoices: list[str] = []
    for number, match in invoice_numbers.find_all(text):
        invoices.append(number)
        text = _blank(text, match)
    payments: list[str] = []
    for number, match in payment_numbers.find_all(text):
        payments.append(number)
        text = _blank(text, match)
    accounts: list[AccountReference] = []
    for match in MARKED_ACCOUNT_RE.finditer(text):
        number = match.group(1)
        accounts.append(AccountReference(number, marked=True, valid=numbers.is_valid(number)))
        text = _blank(text, match)
    for match in BARE_ACCOUNT_RE.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if NOT_AN_ACCOUNT_BEFORE.search(before[-20:]) or NOT_AN_ACCOUNT_AFTER.match(after):
            continue
        number = match.group(1)
        accounts.append(AccountReference(number, marked=False, valid=numbers.is_valid(number)))
    return Found(
        payments=tuple(dict.fromkeys(payments)),
        invoices=tuple(dict.fromkeys(invoices)),
        accounts=tuple(dict.fromkeys(accounts)),
    )


def is_inn(text: str) -> bool:
    """A plausible INN to match by (banks write 0 when the payer has none)."""
    return bool(INN_RE.match(text)) and set(text) != {"0"}


def decide(
    found: Found,
    *,
    payments: Mapping[str, str],
    invoices: Mapping[str, str],
    accounts: Collection[str],
    payer_inn: str = "",
    inn_accounts: Sequence[str] = (),
) -> Match | NoMatch:
    """Decide the billing account of a payment.

    `payments` and `invoices` map the found numbers that exist to their billing account's
    number; `accounts` are the found account numbers that exist; `inn_accounts` the numbers of
    the billing accounts whose INN is `payer_inn`.
    """
    evidence: dict[str, list[tuple[str, str]]] = {}  # account -> [(rule, what)]
    notes: list[Reason] = []
    for number in found.payments:
        if number in payments:
            evidence.setdefault(payments[number], []).append(("payment", number))
        else:
            notes.append(Reason("no_payment", {"number": number}))
    for number in found.invoices:
        if number in invoices:
            evidence.setdefault(invoices[number], []).append(("invoice", number))
        else:
            notes.append(Reason("no_invoice", {"number": number}))
    doubtful: list[AccountReference] = []  # account numbers that name no billing account
    for ref in found.accounts:
        if ref.valid and ref.number in accounts:
            evidence.setdefault(ref.number, []).append(("account", ref.number))
            continue
        doubtful.append(ref)
        # A wrong check digit means a digit mistyped or two swapped: it is never guessed.
        code = "no_account" if ref.valid else "bad_check_digit"
        notes.append(Reason(code, {"number": ref.number}))

    if len(evidence) > 1:
        named = [
            [account, [[rule, what] for rule, what in found_by]]
            for account, found_by in evidence.items()
        ]
        return NoMatch((Reason("several_accounts", {"named": named}), *notes))

    if len(evidence) == 1:
        account, found_by = next(iter(evidence.items()))
        conflicts = [
            ref
            for ref in doubtful
            if ref.marked and not (not ref.valid and account in numbers.typo_neighbours(ref.number))
        ]
        if conflicts:
            rule, what = found_by[0]
            conflict = Reason(
                "conflicting_numbers",
                {
                    "rule": rule,
                    "what": what,
                    "account": account,
                    "quoted": [ref.number for ref in conflicts],
                },
            )
            return NoMatch((conflict, *notes))
        rules = [rule for rule, _what in found_by]
        for rule in ("payment", "invoice", "account"):
            if rule in rules:
                payment = next((what for r, what in found_by if r == "payment"), None)
                return Match(account, rule, payment=payment, notes=tuple(notes))

    if doubtful:
        return NoMatch(tuple(notes))
    if is_inn(payer_inn):
        if len(inn_accounts) == 1:
            return Match(inn_accounts[0], "inn", notes=tuple(notes))
        if len(inn_accounts) > 1:
            several = Reason(
                "inn_several_accounts",
                {"inn": payer_inn, "count": len(inn_accounts), "accounts": list(inn_accounts)},
            )
            return NoMatch((*notes, several))
    if is_inn(payer_inn):
        nothing = Reason("nothing_quoted_inn_unknown", {"inn": payer_inn})
    else:
        nothing = Reason("nothing_quoted_no_inn")
    return NoMatch((*notes, nothing))
