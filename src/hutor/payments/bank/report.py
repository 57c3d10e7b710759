"""The import report of a bank statement as plain text in the reader's language (the CLI
prints it, the admin shows it). The report stored on the statement holds codes and numbers;
words are chosen here, when it is read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hutor.payments.bank.reasons import render
from hutor.payments.models import BankLineStatus, BankMatchRule, BankStatement


def report_text(statement: BankStatement) -> str:
    """The import report as plain text in the active language (the CLI prints it; the admin
    shows it)."""
    report = statement.report or {}
    out = [
        _("bank statement #%(id)s: %(file)s") % {"id": statement.pk, "file": statement.file_name}
    ]
    if statement.is_rejected:
        out.append(_("REJECTED: %(reason)s") % {"reason": statement.rejected_text})
        out.append(_("nothing was read from this file and nothing was credited"))
        return "\n".join(out)
    out.append(
        _(
            "%(documents)s documents: %(credited)s credited, %(duplicates)s duplicates, "
            "%(unmatched)s unmatched, %(skipped)s skipped, %(rejected)s rejected"
        )
        % {
            "documents": statement.documents_count,
            "credited": statement.credited_count,
            "duplicates": statement.duplicate_count,
            "unmatched": statement.unmatched_count,
            "skipped": statement.skipped_count,
            "rejected": statement.rejected_count,
        }
    )
    if report.get("previous_imports"):
        ids = ", ".join(f"#{pk}" for pk in report["previous_imports"])
        out.append(_("note: the same file was imported before (statement %(ids)s)") % {"ids": ids})
    out.extend(
        _("warning: %(warning)s") % {"warning": render(warning)}
        for warning in report.get("warnings", [])
    )
    statuses = dict(BankLineStatus.choices)
    rules = dict(BankMatchRule.choices)
    for item in report.get("lines", []):
        amount = f"{item['amount']} RUB" if item.get("amount") else "-"
        document = document_words(item) if "kind" in item else item["document"]
        status = str(statuses.get(item["status"], item["status"])).lower()
        head = f"  [{status}] #{item['id']} {document} {amount}"
        if item.get("account"):
            head += f" -> {item['account']}"
            if item.get("payment"):
                head += " " + _("(payment %(payment)s, by %(rule)s)") % {
                    "payment": item["payment"],
                    "rule": str(rules.get(item["rule"], item["rule"])).lower(),
                }
        out.append(head)
        reason = item.get("reason")
        if reason and (isinstance(reason, str) or reason.get("code")):
            out.append(f"      {render(reason)}")
    return "\n".join(out)


def document_words(item: dict[str, Any]) -> str:
    """«п/п № 123 от 20.11.2026» / «payment order No. 123 of 20.11.2026» from a report line."""
    kinds = {
        "платежное поручение": pgettext("bank document", "payment order"),
        "банковский ордер": pgettext("bank document", "bank order"),
        "ручной ввод": pgettext("bank document", "manual payment"),
    }
    kind = str(item.get("kind") or "").lower().replace("ё", "е")
    words = kinds.get(kind, pgettext("bank document", "document"))
    date = item.get("date") or "?"
    number = item.get("number") or "?"
    return _("%(kind)s No. %(number)s of %(date)s") % {
        "kind": words,
        "number": number,
        "date": date,
    }


def line_document(line: Any) -> str:
    """How the bank document of a statement line reads in the active language."""
    return document_words(
        {
            "kind": line.document_kind,
            "number": line.document_number,
            "date": line.document_date.strftime("%d.%m.%Y") if line.document_date else None,
        }
    )
