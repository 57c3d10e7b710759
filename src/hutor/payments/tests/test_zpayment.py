"""Z-Payment, WebMoney's clone: the shop id stands for the purse, the Merchant Key signs
notifications with MD5, the form carries CLIENT_MAIL and, with an init password, ZP_SIGN.

No published Z-Payment vector was found; the expected hashes are computed here with hashlib
from the documented order (LMI_HASH = upper(md5(PAYEE_PURSE . PAYMENT_AMOUNT . PAYMENT_NO .
MODE . SYS_INVS_NO . SYS_TRANS_NO . SYS_TRANS_DATE . MERCHANT_KEY . PAYER_PURSE . PAYER_WM)),
ZP_SIGN = md5(SHOP_ID . PAYMENT_NO . AMOUNT . INIT_PASSWORD)), independently of the gateway.
"""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.conf import settings as django_settings

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.actions import fail_payment, start_top_up
from hutor.payments.gateways import get_gateway
from hutor.payments.models import Gateway, PaymentMethod, PaymentStatus

pytestmark = pytest.mark.django_db

SHOP_ID = "4321"
MERCHANT_KEY = "zp-merchant-key"
SIGNED = (
    "LMI_PAYEE_PURSE",
    "LMI_PAYMENT_AMOUNT",
    "LMI_PAYMENT_NO",
    "LMI_MODE",
    "LMI_SYS_INVS_NO",
    "LMI_SYS_TRANS_NO",
    "LMI_SYS_TRANS_DATE",
)


def make_method(slug="zp", shop_id=SHOP_ID, test_mode=False, **extra):
    return PaymentMethod.objects.create(
        slug=slug,
        gateway=Gateway.ZPAYMENT,
        name_ru="Z-Payment",
        name_en="Z-Payment",
        settings={"shop_id": shop_id, "merchant_key": MERCHANT_KEY} | extra,
        is_test_mode=test_mode,
    )


@pytest.fixture
def account(account_factory):
    return account_factory()


@pytest.fixture
def method(db):
    return make_method()


@pytest.fixture
def payment(account, method):
    return start_top_up(billing_account=account, method=method, amount=Money("700.00"))


def notification(payment, key=MERCHANT_KEY, algorithm="md5", **changes):
    data = {
        "LMI_PAYEE_PURSE": SHOP_ID,
        "LMI_PAYMENT_AMOUNT": f"{payment.amount:.2f}",
        "LMI_PAYMENT_NO": payment.number,
        "LMI_MODE": "0",
        "LMI_SYS_INVS_NO": "1001",
        "LMI_SYS_TRANS_NO": "777",
        "LMI_SYS_TRANS_DATE": "20260314 14:01:14",
        "LMI_PAYER_PURSE": "payer@example.com",  # Z-Payment may put an email here
        "LMI_PAYER_WM": "",
        "ID_PAY": "777",
        "CLIENT_MAIL": "payer@example.com",
    } | changes
    values = [data[name] for name in SIGNED] + [key, data["LMI_PAYER_PURSE"], data["LMI_PAYER_WM"]]
    return data | {"LMI_HASH": hashlib.new(algorithm, "".join(values).encode()).hexdigest().upper()}


def prerequest(payment, **changes):
    return {
        "LMI_PREREQUEST": "1",
        "LMI_PAYEE_PURSE": SHOP_ID,
        "LMI_PAYMENT_AMOUNT": f"{payment.amount:.2f}",
        "LMI_PAYMENT_NO": payment.number,
        "LMI_MODE": "0",
    } | changes


def post(client, data, slug="zp"):
    return client.post(f"/pay/{slug}/result/", data)


def assert_nothing_credited(payment, account, status=PaymentStatus.PENDING):
    payment.refresh_from_db()
    assert payment.status == status and payment.credit_entry is None
    assert ledger_queries.balance(account) == Money.zero()


# --- the payer's form ------------------------------------------------------------------------


def test_start_posts_a_form_to_z_payment_with_the_shop_id_and_the_payers_email(payment, account):
    action = get_gateway("zpayment").start(payment)
    fields = action.fields
    assert action.method == "POST" and action.url == "https://z-payment.com/merchant.php"
    assert fields["LMI_PAYEE_PURSE"] == SHOP_ID
    assert fields["LMI_PAYMENT_AMOUNT"] == "700.00"
    assert fields["LMI_PAYMENT_NO"] == payment.number
    assert account.number in fields["LMI_PAYMENT_DESC"]
    assert fields["CLIENT_MAIL"] == account.contact_email
    base = django_settings.HUTOR_BASE_URL
    assert fields["LMI_RESULT_URL"] == f"{base}/pay/zp/result/"
    assert fields["LMI_SUCCESS_URL"] == f"{base}/pay/zp/success/?payment={payment.number}"
    assert "ZP_SIGN" not in fields and "LMI_SIM_MODE" not in fields


def test_start_signs_the_form_with_the_init_password_when_configured(account):
    method = make_method(init_password="init-pass", payment_url="https://z-payment.test/m.php")
    payment = start_top_up(billing_account=account, method=method, amount=Money("150.50"))
    action = get_gateway("zpayment").start(payment)
    expected = hashlib.md5(f"{SHOP_ID}{payment.number}150.50init-pass".encode()).hexdigest()
    assert action.fields["ZP_SIGN"] == expected
    assert action.url == "https://z-payment.test/m.php"


# --- notifications ---------------------------------------------------------------------------


def test_a_verified_notification_credits_the_balance_and_a_replay_credits_nothing(
    client, payment, account
):
    data = notification(payment)
    first = post(client, data)
    assert first.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.gateway_transaction_id == "777"
    assert ledger_queries.balance(account) == Money("700.00")
    assert post(client, data).status_code == 200
    assert ledger_queries.balance(account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


def test_a_lowercase_hash_is_accepted(client, payment, account):
    data = notification(payment)
    assert post(client, data | {"LMI_HASH": data["LMI_HASH"].lower()}).status_code == 200
    assert ledger_queries.balance(account) == Money("700.00")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda data: data | {"LMI_HASH": "0" * 32}, "bad hash"),
        (lambda data: {k: v for k, v in data.items() if k != "LMI_HASH"}, "missing hash"),
        (lambda data: data | {"LMI_SECRET_KEY": MERCHANT_KEY, "LMI_HASH": "0" * 32}, "bad hash"),
    ],
    ids=["forged", "missing", "sent-key-not-trusted"],
)
def test_a_notification_with_a_bad_signature_is_refused(client, payment, account, tamper, reason):
    response = post(client, tamper(notification(payment)))
    assert response.status_code == 400 and reason in response.content.decode()
    assert_nothing_credited(payment, account)


def test_a_sha256_signature_is_refused_because_z_payment_signs_with_md5(client, payment, account):
    response = post(client, notification(payment, algorithm="sha256"))
    assert response.status_code == 400 and "bad hash" in response.content.decode()
    assert_nothing_credited(payment, account)


def test_a_notification_signed_with_another_key_is_refused(client, payment, account):
    assert post(client, notification(payment, key="guess")).status_code == 400
    assert_nothing_credited(payment, account)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"LMI_PAYMENT_AMOUNT": "abc"}, "malformed amount"),
        ({"LMI_PAYEE_PURSE": "9999"}, "another purse"),
        ({"LMI_PAYMENT_NO": "29999999"}, "unknown payment"),
    ],
)
def test_a_signed_notification_that_does_not_match_the_payment_is_refused(
    client, payment, account, changes, reason
):
    response = post(client, notification(payment, **changes))
    assert response.status_code == 400 and reason in response.content.decode()
    assert_nothing_credited(payment, account)


def test_a_notification_for_another_methods_payment_is_refused(client, account, method):
    other = make_method(slug="zp-2", shop_id="5555")
    payment = start_top_up(billing_account=account, method=other, amount=Money("700.00"))
    response = post(client, notification(payment))
    assert response.status_code == 400 and "another method" in response.content.decode()
    assert_nothing_credited(payment, account)


def _credited_and_flagged(payment, account, codes, amount="700.00"):
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert [r["code"] for r in payment.review_reasons] == codes
    assert ledger_queries.balance(account) == Money(amount)
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


def test_a_notification_for_a_failed_payment_is_credited_and_flagged(client, payment, account):
    fail_payment(payment=payment, reason="declined")
    assert post(client, notification(payment)).status_code == 200
    _credited_and_flagged(payment, account, ["after_failure"])


@pytest.mark.parametrize("amount", ["700.01", "699.99"])
def test_a_signed_notification_for_another_amount_credits_what_arrived(
    client, payment, account, amount
):
    assert post(client, notification(payment, LMI_PAYMENT_AMOUNT=amount)).status_code == 200
    _credited_and_flagged(payment, account, ["amount_differs"], amount)


def test_a_test_mode_notification_to_a_live_method_is_refused(client, payment, account):
    response = post(client, notification(payment, LMI_MODE="1"))
    assert response.status_code == 400 and "test" in response.content.decode()
    assert_nothing_credited(payment, account)


def test_a_non_utf8_body_is_refused(client, payment, account):
    response = client.post(
        "/pay/zp/result/",
        data=b"LMI_PAYMENT_NO=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert_nothing_credited(payment, account)


def test_a_method_without_a_merchant_key_refuses_everything(client, payment, account, method):
    method.settings = {"shop_id": SHOP_ID}
    method.save(update_fields=["settings"])
    response = post(client, notification(payment, key=""))
    assert response.status_code == 400 and "merchant_key" in response.content.decode()
    assert_nothing_credited(payment, account)


# --- the pre-request -------------------------------------------------------------------------


def test_a_matching_prerequest_is_answered_yes(client, payment):
    response = post(client, prerequest(payment))
    assert response.status_code == 200 and response.content == b"YES"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"LMI_PAYEE_PURSE": "9999"}, "another purse"),
        ({"LMI_PAYMENT_AMOUNT": "700.01"}, "amount"),
        ({"LMI_PAYMENT_NO": "29999999"}, "unknown payment"),
        ({"LMI_MODE": "1"}, "test payment to a live method"),
    ],
)
def test_a_prerequest_that_does_not_match_is_refused_with_a_reason(
    client, payment, changes, reason
):
    response = post(client, prerequest(payment, **changes))
    text = response.content.decode()
    assert response.status_code == 200 and text != "YES" and reason in text


def test_a_prerequest_for_another_methods_payment_is_refused(client, account, method):
    other = make_method(slug="zp-2", shop_id="5555")
    payment = start_top_up(billing_account=account, method=other, amount=Money("700.00"))
    response = post(client, prerequest(payment))
    assert response.status_code == 200 and "another method" in response.content.decode()


def test_a_prerequest_for_an_expired_payment_is_refused(client, payment):
    with time_machine.travel(payment.expires_at + dt.timedelta(seconds=1), tick=False):
        response = post(client, prerequest(payment))
    assert response.status_code == 200 and "expired" in response.content.decode()


def test_a_prerequest_to_a_method_in_test_mode_accepts_a_test_payment(client, account):
    method = make_method(test_mode=True)
    payment = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    assert post(client, prerequest(payment, LMI_MODE="1")).content == b"YES"
