"""WebMoney Merchant Interface, and Z-Payment, its clone: one protocol, two configurations.

The payer's browser POSTs our form to the service. Before taking the money the service may
ask /pay/<method>/result/ a pre-request (LMI_PREREQUEST=1, unsigned) and goes on only if we
answer plain `YES`; after the payment it POSTs the notification there, signed with LMI_HASH:
uppercase hex of MD5 or SHA256 over the plain concatenation of

    LMI_PAYEE_PURSE LMI_PAYMENT_AMOUNT LMI_PAYMENT_NO LMI_MODE LMI_SYS_INVS_NO
    LMI_SYS_TRANS_NO LMI_SYS_TRANS_DATE <secret key> LMI_PAYER_PURSE LMI_PAYER_WM

as received (WebMoney also sends LMI_HASH2: SHA256 of the same fields joined by ";", with
LMI_HOLD after the amount when present). LMI_SYS_TRANS_NO is the service's transaction id:
the payment is credited once per (method, transaction). LMI_SECRET_KEY, which a purse may be
set to send, is never trusted: the signature is all that proves a notification.

Settings (PaymentMethod.settings):
  webmoney: purse (a letter and 12 digits), secret_key, hash_method ("md5" | "sha256", the
            purse's setting; default sha256), secret_key_x20 (optional: signs the form),
            payment_url (default merchant.webmoney.ru/lmi/payment_utf.asp)
  zpayment: shop_id (sent as LMI_PAYEE_PURSE), merchant_key (signs notifications, MD5),
            init_password (optional: ZP_SIGN on the form), payment_url (default
            z-payment.com/merchant.php)
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse

from hutor.core import clock
from hutor.core.money import Money
from hutor.payments.exceptions import NotificationRejected
from hutor.payments.gateways.base import (
    GatewayPlugin,
    Incoming,
    Notification,
    StartAction,
    same_signature,
)
from hutor.payments.models import Payment, PaymentMethod, PaymentStatus

log = logging.getLogger("hutor.payments")

WEBMONEY_URL = "https://merchant.webmoney.ru/lmi/payment_utf.asp"
ZPAYMENT_URL = "https://z-payment.com/merchant.php"

# The signed fields, in the order the protocol hashes them; None stands for the secret key.
SIGNED_FIELDS: tuple[str | None, ...] = (
    "LMI_PAYEE_PURSE",
    "LMI_PAYMENT_AMOUNT",
    "LMI_PAYMENT_NO",
    "LMI_MODE",
    "LMI_SYS_INVS_NO",
    "LMI_SYS_TRANS_NO",
    "LMI_SYS_TRANS_DATE",
    None,
    "LMI_PAYER_PURSE",
    "LMI_PAYER_WM",
)
HASHES = {"md5": hashlib.md5, "sha256": hashlib.sha256}

PURSE = re.compile(r"[A-Z][0-9]{12}")
SHOP_ID = re.compile(r"[0-9]{1,12}")
# "12.34" as the service writes it; no signs, exponents, commas or spaces.
AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")
PAYMENT_NUMBER = re.compile(r"[0-9]{1,20}")
TRANSACTION = re.compile(r"[0-9A-Za-z_.:-]{1,64}")  # also the idempotency key's tail


def notification_hash(data: Mapping[str, str], secret: str, algorithm: str) -> str:
    """LMI_HASH: the signed fields and the secret concatenated, no separator, hashed."""
    message = "".join(secret if name is None else data.get(name, "") for name in SIGNED_FIELDS)
    return HASHES[algorithm](message.encode()).hexdigest().upper()


def notification_hash2(data: Mapping[str, str], secret: str) -> str:
    """LMI_HASH2: the signed fields and the secret joined by ";" (LMI_HOLD, when sent, right
    after the amount), SHA256."""
    names: list[str | None] = list(SIGNED_FIELDS)
    if "LMI_HOLD" in data:
        names.insert(names.index("LMI_PAYMENT_AMOUNT") + 1, "LMI_HOLD")
    message = ";".join(secret if name is None else data.get(name, "") for name in names)
    return hashlib.sha256(message.encode()).hexdigest().upper()


def same_hash(given: str, expected: str) -> bool:
    """Hex compared case-insensitively in constant time (as bytes: see `same_signature`)."""
    return same_signature(given.strip().upper(), expected)


@dataclass(frozen=True)
class Config:
    """A method's settings, read once: what the service knows us by and how it signs."""

    payee: str  # LMI_PAYEE_PURSE: the WebMoney purse, or the Z-Payment shop id
    secret: str  # signs notifications (never shown, never logged)
    algorithm: str  # "md5" | "sha256"
    payment_url: str
    form_secret: str  # signs the payment form (X20 key; Z-Payment init password); "" = none


@dataclass(frozen=True)
class Checked:
    """What a pre-request and a notification both carry, checked against the method."""

    number: str
    amount: Money
    test_mode: bool


class WebMoneyGateway(GatewayPlugin):
    code = "webmoney"
    # WebMoney sends LMI_HASH2 besides LMI_HASH; Z-Payment does not.
    checks_hash2 = True

    # --- configuration --------------------------------------------------------------------

    def config(self, method: PaymentMethod) -> Config:
        s = method.settings or {}
        return Config(
            payee=str(s.get("purse", "")).strip().upper(),
            secret=str(s.get("secret_key", "")),
            algorithm=str(s.get("hash_method") or "sha256").strip().lower(),
            payment_url=str(s.get("payment_url") or WEBMONEY_URL),
            form_secret=str(s.get("secret_key_x20") or ""),
        )

    def problem(self, config: Config) -> str:
        """What makes the settings unusable ("" when they are fine); secret-free."""
        if not PURSE.fullmatch(config.payee):
            return "the method's purse is not a letter and 12 digits"
        if not config.secret:
            return "the method has no secret_key"
        if config.algorithm not in HASHES:
            return "the method's hash_method is not md5 or sha256"
        return ""

    def checked_config(self, method: PaymentMethod) -> Config:
        config = self.config(method)
        if problem := self.problem(config):
            raise NotificationRejected(problem)
        return config

    # --- the payer's form -----------------------------------------------------------------

    def start(self, payment: Payment) -> StartAction:
        # Tolerates incomplete settings (the payment page shows the form for any payment);
        # a misconfigured method is refused at the pre-request and the notification.
        method = payment.method
        config = self.config(method)
        amount = f"{payment.amount:.2f}"
        slug = [method.slug]
        base = settings.HUTOR_BASE_URL
        back = f"?payment={payment.number}"
        fields = {
            "LMI_PAYEE_PURSE": config.payee,
            "LMI_PAYMENT_AMOUNT": amount,
            "LMI_PAYMENT_NO": payment.number,
            **self.description_fields(description(payment)),
            "LMI_RESULT_URL": base + reverse("payments:result", args=slug),
            "LMI_SUCCESS_URL": base + reverse("payments:success", args=slug) + back,
            "LMI_FAIL_URL": base + reverse("payments:fail", args=slug) + back,
            # 2 = a plain link to the address as given, so "?payment=" reaches the page intact
            # (0, GET, would append the service's fields to it).
            "LMI_SUCCESS_METHOD": "2",
            "LMI_FAIL_METHOD": "2",
        }
        if method.is_test_mode:
            fields["LMI_SIM_MODE"] = "0"  # a test payment that succeeds
        fields |= self.payer_fields(payment)
        fields |= self.signature_fields(config, payment, amount)
        return StartAction(url=config.payment_url, method="POST", fields=fields)

    def description_fields(self, text: str) -> dict[str, str]:
        # Base64 keeps the Cyrillic intact whatever the form's encoding.
        return {"LMI_PAYMENT_DESC_BASE64": base64.b64encode(text.encode()).decode()}

    def payer_fields(self, payment: Payment) -> dict[str, str]:
        return {}

    def signature_fields(self, config: Config, payment: Payment, amount: str) -> dict[str, str]:
        if not config.form_secret:
            return {}
        # LMI_PAYMENTFORM_SIGN (the X20 key); the trailing ";" belongs to the format.
        message = f"{config.payee};{amount};{payment.number};{config.form_secret};"
        return {"LMI_PAYMENTFORM_SIGN": hashlib.sha256(message.encode()).hexdigest().upper()}

    # --- the pre-request ------------------------------------------------------------------

    def is_prerequest(self, incoming: Incoming) -> bool:
        return incoming.data.get("LMI_PREREQUEST") == "1"

    def prerequest(self, method: PaymentMethod, incoming: Incoming) -> HttpResponse:
        """`YES` lets the payer pay; any other text stops the payment and is shown to the payer,
        so the refusal is a short reason with HTTP 200 (no hash here: nothing is credited)."""
        try:
            self.check_prerequest(method, incoming.data)
        except NotificationRejected as exc:
            log.info("payment pre-request refused (method %s): %s", method.slug, exc.reason)
            return HttpResponse(exc.reason, content_type="text/plain; charset=utf-8")
        return HttpResponse("YES", content_type="text/plain; charset=utf-8")

    def check_prerequest(self, method: PaymentMethod, data: Mapping[str, str]) -> None:
        config = self.checked_config(method)
        fields = self.checked_fields(method, config, data)
        payment = Payment.objects.filter(number=fields.number).first()
        if payment is None:
            raise NotificationRejected("unknown payment")
        if payment.method_id != method.pk:
            raise NotificationRejected("the payment belongs to another method")
        if payment.status != PaymentStatus.PENDING:
            raise NotificationRejected(f"the payment is {payment.status}")
        if payment.expires_at <= clock.now():
            raise NotificationRejected("the payment has expired")
        if fields.amount != payment.money:
            raise NotificationRejected("the amount differs from the payment's")

    # --- the notification -----------------------------------------------------------------

    def verify(self, method: PaymentMethod, incoming: Incoming) -> Notification:
        data = incoming.data
        config = self.checked_config(method)
        given = data.get("LMI_HASH", "")
        if not given:
            raise NotificationRejected("missing hash")
        if not same_hash(given, notification_hash(data, config.secret, config.algorithm)):
            raise NotificationRejected("bad hash")
        hash2 = data.get("LMI_HASH2") if self.checks_hash2 else None
        if hash2 is not None and not same_hash(hash2, notification_hash2(data, config.secret)):
            raise NotificationRejected("bad hash2")
        fields = self.checked_fields(method, config, data)
        transaction_id = data.get("LMI_SYS_TRANS_NO", "")
        if not TRANSACTION.fullmatch(transaction_id):
            raise NotificationRejected("missing or malformed transaction number")
        return Notification(
            payment_number=fields.number,
            transaction_id=transaction_id,
            amount=fields.amount,
            paid=True,  # the service notifies only payments it has made
            test_mode=fields.test_mode,
        )

    def checked_fields(
        self, method: PaymentMethod, config: Config, data: Mapping[str, str]
    ) -> Checked:
        """The fields both the pre-request and the notification carry, checked against the
        method: our purse, a test payment only to a method in test mode, well-formed values."""
        if data.get("LMI_PAYEE_PURSE", "") != config.payee:
            raise NotificationRejected("another purse")
        mode = data.get("LMI_MODE", "")
        if mode not in ("0", "1"):
            raise NotificationRejected("missing or malformed mode")
        if mode == "1" and not method.is_test_mode:
            raise NotificationRejected("a test payment to a live method")
        number = data.get("LMI_PAYMENT_NO", "")
        if not PAYMENT_NUMBER.fullmatch(number):
            raise NotificationRejected("missing or malformed payment number")
        amount = data.get("LMI_PAYMENT_AMOUNT", "")
        if not AMOUNT.fullmatch(amount):
            raise NotificationRejected("malformed amount")
        return Checked(number, Money(Decimal(amount), method.currency), mode == "1")

    # --- answers --------------------------------------------------------------------------

    def accepted(self, notification: Notification) -> HttpResponse:
        # WebMoney reads only the status; the body is for people reading logs.
        return HttpResponse("OK", content_type="text/plain")

    def rejected(self, reason: str) -> HttpResponse:
        # Not 200: to WebMoney any other status means the notification was not taken (it may
        # send it again), which is the truth for a refused one, and a replay of a refusal
        # credits nothing; a forger learns only the short, secret-free reason. Pre-request
        # refusals differ: HTTP 200 with the reason, which the payer is shown (see prerequest).
        return HttpResponse(f"ERROR {reason}", status=400, content_type="text/plain")


class ZPaymentGateway(WebMoneyGateway):
    """Z-Payment: WebMoney's protocol with a numeric shop id for a purse, the Merchant Key
    signing notifications with MD5 (no LMI_HASH2), CLIENT_MAIL and an optional ZP_SIGN."""

    code = "zpayment"
    checks_hash2 = False
    # Z-Payment may echo the payment form's plain Cyrillic description in windows-1251 without
    # saying so: such a body is read with replacement characters instead of being refused. The
    # signed fields are ASCII, so a byte mangled in one of them still fails LMI_HASH.
    strict_charset = False

    def config(self, method: PaymentMethod) -> Config:
        s = method.settings or {}
        return Config(
            payee=str(s.get("shop_id", "")).strip(),
            secret=str(s.get("merchant_key", "")),
            algorithm="md5",
            payment_url=str(s.get("payment_url") or ZPAYMENT_URL),
            form_secret=str(s.get("init_password") or ""),
        )

    def problem(self, config: Config) -> str:
        if not SHOP_ID.fullmatch(config.payee):
            return "the method's shop_id is not a number"
        if not config.secret:
            return "the method has no merchant_key"
        return ""

    def payer_fields(self, payment: Payment) -> dict[str, str]:
        email = payment.billing_account.contact_email
        return {"CLIENT_MAIL": email} if email else {}

    def description_fields(self, text: str) -> dict[str, str]:
        # Z-Payment documents only the plain field.
        return {"LMI_PAYMENT_DESC": text}

    def signature_fields(self, config: Config, payment: Payment, amount: str) -> dict[str, str]:
        if not config.form_secret:
            return {}
        message = f"{config.payee}{payment.number}{amount}{config.form_secret}"
        # MD5 because the protocol says so (as for the notifications' LMI_HASH).
        return {"ZP_SIGN": hashlib.md5(message.encode()).hexdigest()}  # noqa: S324


def description(payment: Payment) -> str:
    """What the payer sees at the service (at most 255 characters)."""
    account = payment.billing_account.number
    return f"Пополнение баланса биллинг-аккаунта № {account}, платёж № {payment.number}"
