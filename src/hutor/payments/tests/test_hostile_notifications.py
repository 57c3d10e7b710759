"""Hostile notifications to /pay/<slug>/result/ of every gateway: the gateway's own error answer
(a 4xx, or the documented 200 of an ignored event or a refused pre-request), never a 500, and
nothing moves (issue 11, finding 10). Signatures are compared as bytes, so a non-ASCII or
non-UTF-8 one is just a bad signature; a body that is not text in its charset, or too large,
is refused before the gateway reads it."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hutor.core.money import Money
from hutor.core.tests.hostile import HOSTILE, IDS, form_body, snapshot
from hutor.payments.actions import payment_link, start_top_up
from hutor.payments.gateways import demo, robokassa, webmoney
from hutor.payments.models import Gateway, Payment, PaymentMethod

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
PURSE = "R123456789012"
WM_SECRET = "wm-secret"
ZP_SHOP = "4321"
ZP_SECRET = "zp-merchant-key"
RK_LOGIN = "shop"
RK = {"password1": "one", "password2": "two", "test_password1": "t1", "test_password2": "t2"}
STRIPE_WEBHOOK_SECRET = "whsec_test"


@pytest.fixture
def methods(payment_methods):
    """Every gateway Hutor has, configured, each with a pending payment to aim at."""

    def make(slug: str, gateway: str, settings: dict[str, Any], **fields: Any) -> PaymentMethod:
        return PaymentMethod.objects.create(
            slug=slug, gateway=gateway, name_ru=slug, name_en=slug, settings=settings, **fields
        )

    return {
        "demo": payment_methods.demo,
        "bank": payment_methods.bank,
        "robokassa": make(
            "robokassa", Gateway.ROBOKASSA, {"merchant_login": RK_LOGIN, **RK}, is_test_mode=True
        ),
        "wm": make("wm", Gateway.WEBMONEY, {"purse": PURSE, "secret_key": WM_SECRET}),
        "zp": make("zp", Gateway.ZPAYMENT, {"shop_id": ZP_SHOP, "merchant_key": ZP_SECRET}),
        # No address check (allowed_ips empty) and an API that does not answer: whatever gets
        # past the parsing is refused as unconfirmed, never credited.
        "yookassa": make(
            "yookassa",
            Gateway.YOOKASSA,
            {
                "shop_id": "1",
                "secret_key": "k",
                "allowed_ips": [],
                "api_base": "http://127.0.0.1:9/v3/",
            },
        ),
        "stripe": make(
            "stripe",
            Gateway.STRIPE,
            {"secret_key": "sk_test_x", "webhook_secret": STRIPE_WEBHOOK_SECRET},
            is_test_mode=True,
        ),
    }


@pytest.fixture
def payments(methods, account_factory):
    account = account_factory()
    return {
        slug: start_top_up(billing_account=account, method=method, amount=Money("500.00"))
        for slug, method in methods.items()
    }


# --- Valid-looking notifications, per protocol (signed where we can sign) ---------------------


def demo_fields(payment: Payment) -> dict[str, str]:
    data = {
        "payment": payment.number,
        "amount": "500.00",
        "currency": "RUB",
        "transaction": "T-1",
        "status": "paid",
    }
    return data | {"signature": demo.sign("demo-secret", data)}


def demo_signed(data: dict[str, str]) -> dict[str, str]:
    return data | {"signature": demo.sign("demo-secret", data)}


def robokassa_fields(payment: Payment) -> dict[str, str]:
    data = {"OutSum": "500.000000", "InvId": payment.number, "Shp_account": "1000002"}
    return robokassa_signed(data)


def robokassa_signed(data: dict[str, str]) -> dict[str, str]:
    values = [data.get("OutSum", ""), data.get("InvId", ""), RK["test_password2"]]
    fields = robokassa.custom_fields(data)
    return data | {"SignatureValue": robokassa.signature("md5", values, fields)}


def wm_fields(payment: Payment, purse: str = PURSE) -> dict[str, str]:
    return {
        "LMI_PAYEE_PURSE": purse,
        "LMI_PAYMENT_AMOUNT": "500.00",
        "LMI_PAYMENT_NO": payment.number,
        "LMI_MODE": "0",
        "LMI_SYS_INVS_NO": "281",
        "LMI_SYS_TRANS_NO": "558",
        "LMI_SYS_TRANS_DATE": "20260314 14:01:14",
        "LMI_PAYER_PURSE": "Z397000000473",
        "LMI_PAYER_WM": "809000000852",
    }


def wm_signed(data: dict[str, str]) -> dict[str, str]:
    return data | {
        "LMI_HASH": webmoney.notification_hash(data, WM_SECRET, "sha256"),
        "LMI_HASH2": webmoney.notification_hash2(data, WM_SECRET),
    }


WM_CHECKED = ("LMI_PAYEE_PURSE", "LMI_PAYMENT_AMOUNT", "LMI_PAYMENT_NO", "LMI_MODE")


def zp_signed(data: dict[str, str]) -> dict[str, str]:
    return data | {"LMI_HASH": webmoney.notification_hash(data, ZP_SECRET, "md5")}


FORM_PROTOCOLS = {
    # slug: (fields of a genuine-looking notification, how to sign it, the fields whose
    # hostile values must be refused even when signed: the payment, its amount and currency;
    # a transaction id or a "declined" status may be anything the service says)
    "demo": (demo_fields, demo_signed, ("payment", "amount", "currency")),
    "robokassa": (robokassa_fields, robokassa_signed, ("OutSum", "InvId")),
    "wm": (lambda p: wm_signed(wm_fields(p)), wm_signed, WM_CHECKED),
    "zp": (lambda p: zp_signed(wm_fields(p, ZP_SHOP)), zp_signed, WM_CHECKED),
    "bank": (lambda p: {"payment": p.number}, None, ()),
}


def stripe_header(body: bytes) -> str:
    stamp = int(time.time())
    mac = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def stripe_event(payment: Payment, value: Any = None, where: str = "") -> dict[str, Any]:
    session: dict[str, Any] = {
        "id": "cs_1",
        "payment_status": "paid",
        "metadata": {"payment_number": payment.number},
        "client_reference_id": payment.number,
        "payment_intent": "pi_1",
        "amount_total": 50000,
        "currency": "rub",
    }
    event: dict[str, Any] = {
        "id": "evt_1",
        "object": "event",
        "type": "checkout.session.completed",
        "livemode": False,
        "data": {"object": session},
    }
    if where in ("type", "livemode"):
        event[where] = value
    elif where:
        session[where] = value
    return event


def yookassa_event(payment: Payment, value: Any = None, where: str = "") -> dict[str, Any]:
    claimed: dict[str, Any] = {
        "id": "2d8f-not-known",
        "status": "succeeded",
        "amount": {"value": "500.00", "currency": "RUB"},
        "metadata": {"payment_number": payment.number},
    }
    event: dict[str, Any] = {"type": "notification", "event": "payment.succeeded"}
    if where in ("type", "event"):
        event[where] = value
    elif where:
        claimed[where] = value
    return event | {"object": claimed}


def unsigned(fields: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k not in SIGNATURE_FIELDS}


SIGNATURE_FIELDS = ("signature", "SignatureValue", "LMI_HASH", "LMI_HASH2")


def answered_without_taking(response, payment: Payment) -> bool:
    """A 4xx, or a documented 200 that takes nothing (an ignored event, a refused
    pre-request): never "OK", "YES" or "OK<number>"."""
    if 400 <= response.status_code < 500:
        return True
    body = response.content.decode("utf-8", "replace").strip()
    return response.status_code == 200 and body not in ("OK", "YES", f"OK{payment.number}")


# --- The finding --------------------------------------------------------------------------------


@pytest.mark.parametrize("signature", ["подпись", "ａｂｃ", b"\xff\xfe", "é" * 64])
def test_a_non_ascii_or_non_utf8_demo_signature_is_a_bad_signature(client, payments, signature):
    """Finding 10: hmac.compare_digest raised TypeError on non-ASCII str (a 500)."""
    before = snapshot()
    payment = payments["demo"]
    body = form_body(demo_fields(payment) | {"signature": signature})
    response = client.post("/pay/demo/result/", body, content_type=FORM)
    assert response.status_code == 400
    assert response.content.decode() in ("ERROR bad signature", "ERROR malformed body")
    assert snapshot() == before


def test_a_body_that_is_not_utf8_is_refused_before_the_gateway_reads_it(client, payments):
    before = snapshot()
    for slug in ("demo", "robokassa", "wm", "yookassa", "stripe"):
        response = client.post(f"/pay/{slug}/result/", b'{"a": "\xff"}', content_type=FORM)
        assert response.status_code == 400, slug
        response = client.post(f"/pay/{slug}/result/", b"a=%FF%FE", content_type="application/json")
        assert response.status_code == 400, slug
    assert snapshot() == before


def test_a_form_body_in_another_charset_is_refused_in_the_gateways_shape(client, payments):
    """Django reads form bodies only as UTF-8, whatever they declare; the refusal is the
    gateway's own error answer, not Django's HTML page."""
    before = snapshot()
    payment = payments["demo"]
    data = demo_fields(payment) | {"note": "пополнение"}
    body = form_body({k: v.encode("cp1251") for k, v in data.items()})
    response = client.post("/pay/demo/result/", body, content_type=f"{FORM}; charset=windows-1251")
    assert response.status_code == 400 and response.content == b"ERROR malformed body"
    assert snapshot() == before


def test_zpayment_reads_an_undeclared_windows_1251_description_as_before(client, payments):
    """Z-Payment may echo the form's Cyrillic description in windows-1251 without saying so;
    the description is not signed, so such a notification is still taken."""
    payment = payments["zp"]
    fields = zp_signed(wm_fields(payment, ZP_SHOP))
    body = form_body(fields | {"LMI_PAYMENT_DESC": "Пополнение баланса".encode("cp1251")})
    response = client.post("/pay/zp/result/", body, content_type=FORM)
    assert response.status_code == 200 and response.content == b"OK"
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_a_huge_field_or_body_is_refused(client, payments):
    before = snapshot()
    payment = payments["demo"]
    big = demo_fields(payment) | {"comment": "x" * 5000}
    response = client.post("/pay/demo/result/", form_body(big), content_type=FORM)
    assert response.status_code == 400 and response.content == b"ERROR field too long"
    response = client.post(
        "/pay/stripe/result/", b"{" + b" " * 300_000 + b"}", content_type="application/json"
    )
    assert response.status_code == 400 and response.content == b"ERROR body too large"
    response = client.post(
        "/pay/demo/result/", b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_a_nul_character_is_refused_even_in_a_signed_notification(client, payments):
    """PostgreSQL refuses NUL in text it is asked to look up: it never gets that far."""
    before = snapshot()
    signed = demo_signed(
        {k: v for k, v in demo_fields(payments["demo"]).items()} | {"payment": "1\x00"}
    )
    response = client.post("/pay/demo/result/", form_body(signed), content_type=FORM)
    assert response.status_code == 400 and response.content == b"ERROR malformed body"
    event = stripe_event(payments["stripe"], {"payment_number": "2\u0000"}, "metadata")
    body = json.dumps(event).encode()
    response = client.post(
        "/pay/stripe/result/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_header(body),
    )
    assert response.status_code == 400 and response.content == b"ERROR malformed body"
    assert snapshot() == before


def test_a_payment_link_with_a_non_ascii_token_is_not_found(client, payments):
    payment = payments["demo"]
    good = payment_link(payment)
    assert client.get(good).status_code in (200, 302)
    for token in ("токен", "ａｂｃ", "%FF"):
        response = client.get(f"/pay/link/{payment.number}/{token}/")
        assert response.status_code == 404, token


# --- Every gateway against the corpus -----------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE.values(), ids=IDS)
@pytest.mark.parametrize("slug", list(FORM_PROTOCOLS))
def test_hostile_values_in_every_form_notification_field(client, payments, slug, value):
    payment = payments[slug]
    genuine, sign, checked = FORM_PROTOCOLS[slug]
    url = f"/pay/{slug}/result/"
    before = snapshot()
    fields = genuine(payment)
    for name in fields:
        response = client.post(url, form_body(fields | {name: value}), content_type=FORM)
        assert response.status_code < 500, name
        assert answered_without_taking(response, payment), (name, response.content[:80])
        # Signed over the hostile value, so that it is the value itself that gets refused.
        if sign is not None and isinstance(value, str) and name in checked:
            signed = sign(unsigned(fields) | {name: value})
            response = client.post(url, form_body(signed), content_type=FORM)
            assert response.status_code < 500, ("signed", name)
            assert answered_without_taking(response, payment), ("signed", name)
        assert snapshot() == before, name
    # The whole body, and a WebMoney pre-request.
    raw = value if isinstance(value, bytes) else value.encode()
    for content_type in (FORM, "application/json", "text/plain"):
        response = client.post(url, raw, content_type=content_type)
        assert response.status_code < 500 and answered_without_taking(response, payment)
    if slug in ("wm", "zp"):
        pre = {"LMI_PREREQUEST": "1", **wm_fields(payment, PURSE if slug == "wm" else ZP_SHOP)}
        for name in pre:
            response = client.post(url, form_body(pre | {name: value}), content_type=FORM)
            assert response.status_code < 500, ("prerequest", name)
            if name in WM_CHECKED:  # the fields a pre-request is judged on
                assert response.content != b"YES", name
    assert snapshot() == before


# The fields whose hostile values must be refused (or ignored). A Stripe event is signed, so its
# session is Stripe's word: a strange payment_intent or reference is still a genuine payment;
# what must never pass is an amount, a currency, a mode or an event that is not one.
JSON_FIELDS = {
    "stripe": ("type", "payment_status", "amount_total", "currency", "livemode"),
    "yookassa": ("type", "event", "id", "status", "amount", "metadata"),
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=IDS)
@pytest.mark.parametrize("slug", list(JSON_FIELDS))
def test_hostile_values_in_every_json_notification(client, payments, slug, value):
    payment = payments[slug]
    url = f"/pay/{slug}/result/"
    build = stripe_event if slug == "stripe" else yookassa_event
    before = snapshot()
    raw = value if isinstance(value, bytes) else value.encode()
    bodies = [raw]
    if isinstance(value, str):
        for where in JSON_FIELDS[slug]:
            bodies.append(json.dumps(build(payment, value, where)).encode())
            # And as the number it may look like ("1e30", "NaN" are JSON numbers to Python).
            bodies.append(
                json.dumps(build(payment, "@", where)).replace('"@"', value or '""').encode()
            )
    for body in bodies:
        headers = {"HTTP_STRIPE_SIGNATURE": stripe_header(body)} if slug == "stripe" else {}
        response = client.post(url, body, content_type="application/json", **headers)
        assert response.status_code < 500, body[:80]
        assert answered_without_taking(response, payment), (body[:80], response.content[:80])
    if slug == "stripe" and isinstance(value, str):
        body = json.dumps(build(payment)).encode()
        response = client.post(
            url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=value
        )
        assert response.status_code == 400
    assert snapshot() == before


# --- The CLI ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["1e30", "9e999999", "NaN", "١٢٣", "-5", "abc", "10.005"])
def test_cli_amounts_are_a_one_line_usage_error(account_factory, payment_methods, amount):
    account = account_factory()
    before = snapshot()
    for verb, extra in [
        ("new", ["--method", "demo"]),
        ("record", ["--date", "2026-11-20", "--reference", "п/п 1"]),
    ]:
        with pytest.raises(CommandError) as refused:
            call_command(
                "payments",
                verb,
                "--account",
                account.number,
                "--amount",
                amount,
                *extra,
                stdout=io.StringIO(),
            )
        assert refused.value.returncode == 2
        message = str(refused.value)
        # In English: the suite runs commands with HUTOR_CLI_LANGUAGE=en (settings_test).
        assert message.startswith("--amount: Enter an amount") and "\n" not in message
    assert snapshot() == before
