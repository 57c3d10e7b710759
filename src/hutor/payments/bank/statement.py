"""The 1C bank statement exchange format (`1CClientBankExchange`) -> typed bank documents.

A statement is a text file of `Key=Value` lines: the line `1CClientBankExchange`, header keys
(`ВерсияФормата`, `Кодировка`, `ДатаНачала`, `ДатаКонца`, `РасчСчет`...), optional
`СекцияРасчСчет … КонецРасчСчет` blocks (balances of an account), the documents
`СекцияДокумент=<kind> … КонецДокумента`, and the closing `КонецФайла`.

Two levels of errors, decided here once:

* **The file is rejected whole** (StatementRejected) when its structure is broken: not a 1C
  file, unreadable text, a section without its end (`КонецДокумента`, `КонецРасчСчет`), an end
  without its section, no `КонецФайла`. A truncated transfer may have lost documents anywhere,
  so importing "what is left" would report a partial statement as complete; the accountant
  downloads it again instead.
* **One document is rejected** (Section.errors; the rest of the file is imported) when its
  fields are wrong: a missing number, date, amount or recipient's account, a date that is not
  a date, an amount that is zero, negative, not a number or has more than two decimals, the
  same key twice with different values.

Encoding: the header's `Кодировка=` (`Windows` = windows-1251, `DOS` = cp866, `UTF-8`) is tried
first, then UTF-8, then windows-1251; a decoding counts only if it is strict and the format's
Cyrillic keys read back, so a UTF-8 file that says `Windows` is still read right (with a
warning) and a KOI8-R file is refused instead of imported as gibberish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

from hutor.payments.bank.reasons import Reason

HEADER_LINE = "1CClientBankExchange"
MAX_SIZE = 50 * 1024 * 1024  # a year of a busy account is a few megabytes

# Values of `Кодировка=` and the Python codecs they name.
DECLARED_ENCODINGS = {
    "windows": "cp1251",
    "win": "cp1251",
    "cp1251": "cp1251",
    "windows-1251": "cp1251",
    "dos": "cp866",
    "cp866": "cp866",
    "utf-8": "utf-8",
    "utf8": "utf-8",
}
# Cyrillic keys of the format: a decoding that does not read one of them back is wrong.
MARKERS = ("ВерсияФормата", "Кодировка", "СекцияДокумент", "КонецФайла", "РасчСчет")

DATE_RE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
AMOUNT_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


class StatementRejected(Exception):
    """The whole file is refused; `reason` says why and where (line numbers), as a code."""

    def __init__(self, code: str, **params: object) -> None:
        self.reason = Reason(code, params)
        super().__init__(code, params)

    def __str__(self) -> str:
        return str(self.reason)


class FieldRefused(ValueError):
    """A document's field is wrong; `reason` says which and why, as a code."""

    def __init__(self, code: str, **params: object) -> None:
        self.reason = Reason(code, params)
        super().__init__(code, params)

    def __str__(self) -> str:
        return str(self.reason)


@dataclass(frozen=True)
class BankDocument:
    """A bank document whose fields passed validation."""

    kind: str
    number: str
    date: dt.date
    amount: Decimal  # positive, at most two decimals, in roubles
    payer_name: str
    payer_inn: str
    payer_kpp: str
    payer_account: str
    recipient_name: str
    recipient_inn: str
    recipient_account: str
    purpose: str
    received_on: dt.date | None  # ДатаПоступило: the day the money reached our account

    @property
    def key(self) -> str:
        """The idempotency key of the bank document: its number, date, payer's account and
        amount identify it in any statement the bank produces, overlapping or repeated."""
        number = self.number.lstrip("0") or "0"
        payer = self.payer_account or (f"inn{self.payer_inn}" if self.payer_inn else "-")
        key = f"bank:{self.date:%Y%m%d}:{number}:{payer}:{self.amount:.2f}"
        if len(key) > 100:  # Payment.gateway_transaction_id holds 100 characters
            key = "bank:sha256:" + hashlib.sha256(key.encode()).hexdigest()[:40]
        return key

    @property
    def reference(self) -> str:
        """«п/п № 123 от 20.11.2026»: how an accountant names the document."""
        short = {"платежное поручение": "п/п", "банковский ордер": "б/о"}.get(
            self.kind.lower().replace("ё", "е"), "док."
        )
        return f"{short} № {self.number} от {self.date:%d.%m.%Y}"


@dataclass(frozen=True)
class Section:
    """One `СекцияДокумент … КонецДокумента` of the file, valid (`document`) or not (`errors`)."""

    position: int  # 1-based order among the file's documents
    line: int  # line number of its `СекцияДокумент=`
    kind: str
    fields: Mapping[str, str]
    raw: str
    document: BankDocument | None
    errors: tuple[Reason, ...]


@dataclass(frozen=True)
class Statement:
    encoding: str  # the codec the text was read with
    declared_encoding: str  # the header's `Кодировка=`, as written
    header: Mapping[str, str]
    accounts: tuple[str, ...]  # the accounts the statement is for (`РасчСчет`)
    period_start: dt.date | None
    period_end: dt.date | None
    sections: tuple[Section, ...]
    warnings: tuple[Reason, ...]


# --- Reading the text ---------------------------------------------------------------------------


def _declared_encoding(content: bytes) -> str:
    for codec in ("utf-8", "cp1251", "cp866"):
        key = "Кодировка=".encode(codec)
        start = content.find(key)
        if start >= 0:
            end = len(content)
            for stop in (b"\r", b"\n"):
                found = content.find(stop, start)
                if found >= 0:
                    end = min(end, found)
            return content[start + len(key) : end].decode("ascii", "replace").strip()
    return ""


def decode(content: bytes) -> tuple[str, str, str, list[Reason]]:
    """Return (text, codec, declared encoding, warnings) or raise StatementRejected."""
    if not content.strip():
        raise StatementRejected("file_empty")
    if b"\x00" in content:
        raise StatementRejected("file_binary")
    declared = _declared_encoding(content)
    wanted = DECLARED_ENCODINGS.get(declared.lower())
    if content.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark says it all
        wanted, content = "utf-8", content[3:]
    candidates = [c for c in (wanted, "utf-8", "cp1251") if c]
    one_c = False  # some decoding began with the format's first line
    for codec in dict.fromkeys(candidates):
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            continue
        if not text.lstrip().startswith(HEADER_LINE):
            continue
        one_c = True
        if not any(marker in text for marker in MARKERS):
            continue  # decoded, but the Cyrillic keys read as gibberish: the wrong codec
        warnings = []
        if not declared:
            warnings.append(Reason("encoding_not_declared", {"codec": codec}))
        elif wanted is None:
            warnings.append(Reason("encoding_unknown", {"declared": declared, "codec": codec}))
        elif wanted != codec:
            warnings.append(Reason("encoding_wrong", {"declared": declared, "codec": codec}))
        return text, codec, declared, warnings
    if not one_c:
        raise StatementRejected("not_1c", header=HEADER_LINE)
    raise StatementRejected("unreadable_text", declared=declared or "?")


# --- Structure ----------------------------------------------------------------------------------


def parse(content: bytes) -> Statement:
    """Parse a statement file; raise StatementRejected when its structure is broken."""
    if len(content) > MAX_SIZE:
        raise StatementRejected("file_too_large", megabytes=MAX_SIZE // 1024 // 1024)
    text, codec, declared, warnings = decode(content)
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip())
    header: dict[str, str] = {}
    accounts: list[str] = []
    sections: list[Section] = []
    in_document: tuple[int, str] | None = None  # (line number, kind) of the open document
    in_account: int | None = None  # line number of the open СекцияРасчСчет
    fields: dict[str, str] = {}
    errors: list[Reason] = []
    raw: list[str] = []
    ended = False

    for number, line in enumerate(lines[first + 1 :], start=first + 2):
        stripped = line.strip()
        if ended:
            if stripped:
                warnings.append(Reason("text_after_end", {"line": number}))
                break
            continue
        if not stripped:
            continue
        key, sep, value = (part.strip() for part in stripped.partition("="))
        if in_document is not None:
            start, kind = in_document
            if stripped == "КонецДокумента":
                raw.append(line)
                sections.append(_section(len(sections) + 1, start, kind, fields, raw, errors))
                in_document, fields, errors, raw = None, {}, [], []
                continue
            if key in ("СекцияДокумент", "КонецФайла", "СекцияРасчСчет", "КонецРасчСчет"):
                raise StatementRejected("document_not_ended", line=number, key=key, start=start)
            raw.append(line)
            if not sep:
                errors.append(
                    Reason("field_not_key_value", {"line": number, "text": stripped[:60]})
                )
            elif key in fields and fields[key] != value:
                errors.append(Reason("field_twice", {"key": key}))
            else:
                fields[key] = value
            continue
        if in_account is not None:
            if stripped == "КонецРасчСчет":
                in_account = None
            elif key in ("СекцияДокумент", "КонецФайла", "СекцияРасчСчет", "КонецДокумента"):
                raise StatementRejected(
                    "account_section_not_ended", line=number, key=key, start=in_account
                )
            elif key == "РасчСчет" and value:
                accounts.append(value)
            continue
        if key == "СекцияДокумент" and sep:
            in_document = (number, value)
            raw = [line]
        elif stripped == "СекцияРасчСчет":
            in_account = number
        elif stripped == "КонецФайла":
            ended = True
        elif stripped in ("КонецДокумента", "КонецРасчСчет"):
            raise StatementRejected("end_without_section", line=number, key=stripped)
        elif sep:
            header.setdefault(key, value)
            if key == "РасчСчет" and value:
                accounts.append(value)
        else:
            raise StatementRejected("not_key_value", line=number, text=stripped[:60])

    if in_document is not None:
        raise StatementRejected("truncated_in_document", start=in_document[0])
    if in_account is not None:
        raise StatementRejected("truncated_in_account_section", start=in_account)
    if not ended:
        raise StatementRejected("no_end_of_file")
    return Statement(
        encoding=codec,
        declared_encoding=declared,
        header=header,
        accounts=tuple(dict.fromkeys(accounts)),
        period_start=_date(header.get("ДатаНачала", "")),
        period_end=_date(header.get("ДатаКонца", "")),
        sections=tuple(sections),
        warnings=tuple(warnings),
    )


# --- Documents ----------------------------------------------------------------------------------


def _date(text: str) -> dt.date | None:
    match = DATE_RE.match(text.strip())
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_amount(text: str) -> Decimal:
    """A document's `Сумма` as a positive amount with at most two decimals, or FieldRefused
    with the reason."""
    text = text.strip()
    if not text:
        raise FieldRefused("amount_missing")
    if not AMOUNT_RE.match(text):
        raise FieldRefused("amount_invalid", value=text)
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits valid decimals only
        raise FieldRefused("amount_invalid", value=text) from exc
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -2:
        raise FieldRefused("amount_decimals", value=text)
    if amount == 0:
        raise FieldRefused("amount_zero", value=text)
    if amount < 0:
        raise FieldRefused("amount_negative", value=text)
    limit = Decimal(10) ** (settings.MONEY_MAX_DIGITS - settings.MONEY_DECIMAL_PLACES)
    if amount >= limit:
        raise FieldRefused("amount_too_large", value=text)
    return amount.quantize(Decimal("0.01"))


def _section(
    position: int,
    line: int,
    kind: str,
    fields: dict[str, str],
    raw: list[str],
    errors: list[Reason],
) -> Section:
    problems = list(errors)
    number = fields.get("Номер", "")
    if not number:
        problems.append(Reason("number_missing"))
    date_text = fields.get("Дата", "")
    date = _date(date_text)
    if not date_text:
        problems.append(Reason("date_missing"))
    elif date is None:
        problems.append(Reason("date_invalid", {"value": date_text}))
    amount: Decimal | None = None
    try:
        amount = parse_amount(fields.get("Сумма", ""))
    except FieldRefused as exc:
        problems.append(exc.reason)
    if not fields.get("ПолучательСчет") and not fields.get("ПлательщикСчет"):
        problems.append(Reason("accounts_missing"))
    document = None
    if not problems:
        assert date is not None and amount is not None
        document = BankDocument(
            kind=kind,
            number=number,
            date=date,
            amount=amount,
            payer_name=fields.get("Плательщик1") or fields.get("Плательщик", ""),
            payer_inn=fields.get("ПлательщикИНН", ""),
            payer_kpp=fields.get("ПлательщикКПП", ""),
            payer_account=fields.get("ПлательщикСчет", ""),
            recipient_name=fields.get("Получатель1") or fields.get("Получатель", ""),
            recipient_inn=fields.get("ПолучательИНН", ""),
            recipient_account=fields.get("ПолучательСчет", ""),
            purpose=fields.get("НазначениеПлатежа", ""),
            received_on=_date(fields.get("ДатаПоступило", "")),
        )
    return Section(
        position=position,
        line=line,
        kind=kind,
        fields=dict(fields),
        raw="\n".join(raw),
        document=document,
        errors=tuple(problems),
    )
