"""Robokassa (docs.robokassa.ru): the payer is redirected to Robokassa's payment page; the
money is credited only from the server-to-server notification on the Result URL.

Method settings: `merchant_login`, `password1` and `password2` (and `test_password1`,
`test_password2`, used instead when the method is in test mode), `hash_algorithm` (the one
chosen in the merchant cabinet: md5, sha1, sha256, sha384, sha512, ripemd160), `payment_url`.

Signatures are a hex digest, in either case, of colon-joined values:

    start:  MerchantLogin:OutSum:InvId:Password#1[:Shp_a=1:Shp_b=2]
    result: OutSum:InvId:Password#2[:Shp_a=1:Shp_b=2]

with the `Shp_` custom fields sorted by name. Robokassa echoes every custom field back on the
Result URL, so we send the billing account's number as `Shp_account` and check it there.
Robokassa has no transaction id of its own in the notification: the payment number (InvId)
is the transaction, so a repeated notification is recognised as a replay of the same one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse

from hutor.core.money import InvalidAmount, Money
from hutor.payments.exceptions import NotificationRejected
from hutor.payments.gateways.base import (
    GatewayPlugin,
    Incoming,
    Notification,
    StartAction,
    same_signature,
)
from hutor.payments.models import Payment

if TYPE_CHECKING:
    from hutor.payments.models import PaymentMethod

PAYMENT_URL = "https://auth.robokassa.ru/Merchant/Index.aspx"
# The algorithms the merchant cabinet offers; ripemd160 only where OpenSSL still has it.
HASH_ALGORITHMS = ("md5", "sha1", "sha256", "sha384", "sha512", "ripemd160")
DESCRIPTION_LIMIT = 100
DESCRIPTIONS = {
    "ru": "Пополнение баланса биллинг-аккаунта № {number}",
    "en": "Top-up of billing account No. {number}",
}
ACCOUNT_FIELD = "Shp_account"
# InvId is our payment number: a positive integer, written as Robokassa writes integers.
INV_ID = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
# OutSum comes back as Robokassa formats it ("700.000000"): digits, a point, digits.
OUT_SUM = re.compile(r"[0-9]{1,15}(\.[0-9]{1,8})?", re.ASCII)


class RobokassaNotConfigured(ImproperlyConfigured):
    """A method's settings lack a login, a password or a usable hash algorithm."""


def hash_algorithm(method: PaymentMethod) -> str:
    name = str(method.settings.get("hash_algorithm") or "md5").strip().lower().replace("-", "")
    try:
        if name not in HASH_ALGORITHMS:
            raise ValueError(name)
        hashlib.new(name)  # OpenSSL 3 may list ripemd160 yet refuse it without its legacy provider
    except ValueError:
        raise RobokassaNotConfigured(
            f"payment method {method.slug}: hash algorithm {name!r} is not available"
        ) from None
    return name


def setting(method: PaymentMethod, name: str) -> str:
    """A login or a password; passwords are the test ones while the method is in test mode
    (Robokassa keeps a separate pair for test payments, so live ones never sign a test)."""
    key = f"test_{name}" if method.is_test_mode and name.startswith("password") else name
    value = str(method.settings.get(key) or "")
    if not value:
        raise RobokassaNotConfigured(f"payment method {method.slug}: {key} is not set")
    return value


def custom_fields(data: Mapping[str, str]) -> list[tuple[str, str]]:
    """The `Shp_` fields (any case of the prefix, as Robokassa accepts), sorted by name."""
    return sorted((k, v) for k, v in data.items() if k[:4].lower() == "shp_")


def signature(algorithm: str, values: list[str], fields: list[tuple[str, str]]) -> str:
    base = ":".join([*values, *(f"{name}={value}" for name, value in fields)])
    return hashlib.new(algorithm, base.encode("utf-8")).hexdigest()


class RobokassaGateway(GatewayPlugin):
    code = "robokassa"

    def start(self, payment: Payment) -> StartAction:
        """A GET redirect to Robokassa's payment page, signed with password #1."""
        method = payment.method
        account = payment.billing_account
        algorithm = hash_algorithm(method)
        login = setting(method, "merchant_login")
        out_sum = f"{payment.money.rounded().amount:.2f}"
        fields = [(ACCOUNT_FIELD, account.number)]
        language = "en" if account.language.startswith("en") else "ru"
        params = {
            "MerchantLogin": login,
            "OutSum": out_sum,
            "InvId": payment.number,
            "Description": DESCRIPTIONS[language].format(number=account.number)[:DESCRIPTION_LIMIT],
            "SignatureValue": signature(
                algorithm, [login, out_sum, payment.number, setting(method, "password1")], fields
            ),
            "Culture": language,
            "Encoding": "utf-8",
            **dict(fields),
        }
        if method.is_test_mode:
            params["IsTest"] = "1"
        base = str(method.settings.get("payment_url") or PAYMENT_URL)
        separator = "&" if "?" in base else "?"
        # %20 rather than "+" for spaces: unambiguous for any decoder.
        return StartAction(url=base + separator + urlencode(params, quote_via=quote))

    def verify(self, method: PaymentMethod, incoming: Incoming) -> Notification:
        """The Result URL notification: OutSum, InvId, SignatureValue and the Shp_ fields we
        sent, signed with password #2 (the test one for a method in test mode, so a test
        notification can never be taken by a live method: its signature does not match)."""
        data = incoming.data
        try:
            algorithm = hash_algorithm(method)
            password = setting(method, "password2")
        except RobokassaNotConfigured as exc:
            raise NotificationRejected("the method is not configured") from exc
        out_sum, inv_id = data.get("OutSum", ""), data.get("InvId", "")
        given = data.get("SignatureValue", "")
        if not out_sum or not inv_id:
            raise NotificationRejected("OutSum and InvId are required")
        if not given:
            raise NotificationRejected("missing signature")
        # OutSum is hashed exactly as received: Robokassa signs its own formatting of it.
        expected = signature(algorithm, [out_sum, inv_id, password], custom_fields(data))
        if not same_signature(given.lower(), expected):
            raise NotificationRejected("bad signature")
        if not INV_ID.fullmatch(inv_id):
            raise NotificationRejected("malformed InvId")
        if not OUT_SUM.fullmatch(out_sum):
            raise NotificationRejected("malformed amount")
        try:
            amount = Money(out_sum, method.currency)
        except InvalidAmount as exc:
            raise NotificationRejected("malformed amount") from exc
        account = data.get(ACCOUNT_FIELD)
        if account is not None:
            # Both signatures cover it, so no payer can change it: a mismatch means the number
            # was issued elsewhere (say, a staging copy sharing the shop, whose numbers start
            # from the same value). An unknown payment is left to the caller.
            owner = (
                Payment.objects.filter(number=inv_id)
                .values_list("billing_account__number", flat=True)
                .first()
            )
            if owner is not None and owner != account:
                raise NotificationRejected("account mismatch")
        return Notification(
            payment_number=inv_id,
            transaction_id=f"robokassa:{inv_id}",
            amount=amount,
            paid=True,  # Robokassa calls the Result URL only for a completed payment
            # A test-mode method verified it with the test password: a test payment either way.
            test_mode=method.is_test_mode or data.get("IsTest") == "1",
        )

    def accepted(self, notification: Notification) -> HttpResponse:
        """Robokassa takes a notification as delivered only on this exact text."""
        return HttpResponse(f"OK{notification.payment_number}", content_type="text/plain")

    def rejected(self, reason: str) -> HttpResponse:
        # Any answer but "OK<InvId>" (whatever its status) leaves the notification undelivered:
        # the docs call it incorrect; the payer's money is already taken, Robokassa repeats the
        # notification for a while and the merchant can re-send it from the cabinet. So this is
        # only for what must never be credited; a replay of a credited payment is answered OK,
        # which stops the repeats.
        return HttpResponse(f"ERROR {reason}", status=400, content_type="text/plain")
