"""GOST R 56042-2014 payment QR codes ("ST00012"), read by every Russian banking app.

The payload is `ST0001` + encoding tag (`2` = UTF-8) followed by `|Key=Value` pairs: the five
required requisites in the standard's order (Name, PersonalAcc, BankName, BIC, CorrespAcc),
then optional ones. `Sum` is in kopecks. A value must never contain the separator `|`.
"""

from __future__ import annotations

import base64

import segno

from hutor.core.money import Money

REQUIRED = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")
HEADER = "ST00012"  # format ST0001, encoding 2 = UTF-8


def _clean(value: str) -> str:
    # The separator cannot be escaped in this format; line breaks would split the purpose.
    return " ".join(str(value).replace("|", " ").split())


def person_name_fields(name: str) -> dict[str, str]:
    """LastName/FirstName/MiddleName of an individual payer whose name has exactly three parts
    («Иванов Иван Иванович»: the order of Russian bank documents); nothing otherwise. «Иван
    Петров» may be given name first or last, so a guess would print a wrong surname, and the
    bank app asks the payer instead. The one rule of every document with a payment QR code."""
    parts = name.split()
    if len(parts) != 3:
        return {}
    return {"LastName": parts[0], "FirstName": parts[1], "MiddleName": parts[2]}


def payload(
    *,
    name: str,
    personal_account: str,
    bank_name: str,
    bic: str,
    correspondent_account: str,
    amount: Money,
    purpose: str,
    payee_inn: str = "",
    kpp: str = "",
    **optional: str,
) -> str:
    """Build the string; `optional` takes further keys of the standard (LastName, PayerINN...)."""
    pairs: list[tuple[str, str]] = [
        ("Name", name),
        ("PersonalAcc", personal_account),
        ("BankName", bank_name),
        ("BIC", bic),
        ("CorrespAcc", correspondent_account),
        ("Sum", str(amount.minor_units)),
        ("Purpose", purpose),
    ]
    if payee_inn:
        pairs.append(("PayeeINN", payee_inn))
    if kpp:
        pairs.append(("KPP", kpp))
    pairs.extend((key, value) for key, value in optional.items() if value)
    for key in REQUIRED:
        if not _clean(dict(pairs)[key]):
            raise ValueError(f"payment QR code: {key} is required")
    return HEADER + "".join(f"|{key}={_clean(value)}" for key, value in pairs)


def png_data_uri(text: str, *, scale: int = 4) -> str:
    """The QR code as a PNG data URI (raster, so PDF readers and decoders both see an image)."""
    qr = segno.make(text, error="m", encoding="utf-8", micro=False)
    return "data:image/png;base64," + base64.b64encode(_png_bytes(qr, scale=scale)).decode("ascii")


def _png_bytes(qr: segno.QRCode, *, scale: int) -> bytes:
    import io

    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
