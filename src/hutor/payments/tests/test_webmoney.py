"""WebMoney Merchant Interface: the payer's form, the pre-request, and notifications that are
verified and credited exactly once.

The notifications in the HTTP tests are signed here with hashlib from the documented field
order (PAYEE_PURSE, PAYMENT_AMOUNT, PAYMENT_NO, MODE, SYS_INVS_NO, SYS_TRANS_NO,
SYS_TRANS_DATE, secret key, PAYER_PURSE, PAYER_WM: concatenated for LMI_HASH, joined by ";"
and SHA256 for LMI_HASH2), independently of the gateway's code; the gateway's hashes are also
checked against published vectors (see test_published_*).
"""

import base64
import datetime as dt
import hashlib
import logging
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings as django_settings

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.actions import fail_payment, start_top_up
from hutor.payments.gateways import Incoming, get_gateway
from hutor.payments.gateways.webmoney import notification_hash, notification_hash2
from hutor.payments.models import Gateway, Payment, PaymentMethod, PaymentStatus

pytestmark = pytest.mark.django_db

PURSE = "Z123456789012"
SECRET = "wm-secret-key"
SIGNED = (
    "LMI_PAYEE_PURSE",
    "LMI_PAYMENT_AMOUNT",
    "LMI_PAYMENT_NO",
    "LMI_MODE",
    "LMI_SYS_INVS_NO",
    "LMI_SYS_TRANS_NO",
    "LMI_SYS_TRANS_DATE",
)


def make_method(slug="wm", purse=PURSE, hash_method="sha256", test_mode=False, **extra):
    return PaymentMethod.objects.create(
        slug=slug,
        gateway=Gateway.WEBMONEY,
        name_ru="WebMoney",
        name_en="WebMoney",
        settings={"purse": purse, "secret_key": SECRET, "hash_method": hash_method} | extra,
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


def sign(data, secret=SECRET, algorithm="sha256"):
    """LMI_HASH and LMI_HASH2 computed from the documented field order."""
    values = [data[name] for name in SIGNED] + [
        secret,
        data["LMI_PAYER_PURSE"],
        data["LMI_PAYER_WM"],
    ]
    plain = hashlib.new(algorithm, "".join(values).encode()).hexdigest().upper()
    joined = hashlib.sha256(";".join(values).encode()).hexdigest().upper()
    return data | {"LMI_HASH": plain, "LMI_HASH2": joined}


def notification(payment, secret=SECRET, algorithm="sha256", **changes):
    data = {
        "LMI_PAYEE_PURSE": PURSE,
        "LMI_PAYMENT_AMOUNT": f"{payment.amount:.2f}",
        "LMI_PAYMENT_NO": payment.number,
        "LMI_MODE": "0",
        "LMI_SYS_INVS_NO": "281",
        "LMI_SYS_TRANS_NO": "558",
        "LMI_SYS_TRANS_DATE": "20260314 14:01:14",
        "LMI_PAYER_PURSE": "Z397000000473",
        "LMI_PAYER_WM": "809000000852",
        "LMI_PAYER_IP": "192.0.2.1",
        "LMI_PAYMENT_DESC": "Пополнение баланса",
    } | changes
    return sign(data, secret, algorithm)


def prerequest(payment, **changes):
    return {
        "LMI_PREREQUEST": "1",
        "LMI_PAYEE_PURSE": PURSE,
        "LMI_PAYMENT_AMOUNT": f"{payment.amount:.2f}",
        "LMI_PAYMENT_NO": payment.number,
        "LMI_MODE": "0",
        "LMI_PAYER_WM": "809000000852",
        "LMI_PAYER_PURSE": "Z397000000473",
    } | changes


def post(client, data, slug="wm"):
    return client.post(f"/pay/{slug}/result/", data)


def assert_nothing_credited(payment, account, status=PaymentStatus.PENDING):
    payment.refresh_from_db()
    assert payment.status == status and payment.credit_entry is None
    assert ledger_queries.balance(account) == Money.zero()


# --- the payer's form ------------------------------------------------------------------------


def test_start_posts_a_form_with_the_payment_to_webmoney(payment, account):
    action = get_gateway("webmoney").start(payment)
    fields = action.fields
    assert action.method == "POST"
    assert action.url == "https://merchant.webmoney.ru/lmi/payment_utf.asp"
    assert fields["LMI_PAYEE_PURSE"] == PURSE
    assert fields["LMI_PAYMENT_AMOUNT"] == "700.00"
    assert fields["LMI_PAYMENT_NO"] == payment.number
    text = base64.b64decode(fields["LMI_PAYMENT_DESC_BASE64"]).decode()
    assert account.number in text and payment.number in text
    base = django_settings.HUTOR_BASE_URL
    assert fields["LMI_RESULT_URL"] == f"{base}/pay/wm/result/"
    assert fields["LMI_SUCCESS_URL"] == f"{base}/pay/wm/success/?payment={payment.number}"
    assert fields["LMI_FAIL_URL"] == f"{base}/pay/wm/fail/?payment={payment.number}"
    assert "LMI_SIM_MODE" not in fields and "LMI_PAYMENTFORM_SIGN" not in fields


def test_start_in_test_mode_asks_for_a_simulated_successful_payment(payment, method):
    PaymentMethod.objects.filter(pk=method.pk).update(is_test_mode=True)
    payment.refresh_from_db()
    assert get_gateway("webmoney").start(payment).fields["LMI_SIM_MODE"] == "0"


def test_start_signs_the_form_with_the_x20_key_when_configured(account):
    method = make_method(secret_key_x20="x20-key")
    payment = start_top_up(billing_account=account, method=method, amount=Money("150.50"))
    expected = hashlib.sha256(f"{PURSE};150.50;{payment.number};x20-key;".encode())
    fields = get_gateway("webmoney").start(payment).fields
    assert fields["LMI_PAYMENTFORM_SIGN"] == expected.hexdigest().upper()


# --- published vectors -----------------------------------------------------------------------

# A test-mode notification from the tests of dercoder/omnipay-webmoney
# (tests/Message/CompletePurchaseResponseTest.php), secret key "226778888".
OMNIPAY = {
    "LMI_MODE": "1",
    "LMI_PAYMENT_AMOUNT": "14.65",
    "LMI_PAYEE_PURSE": "Z123428476799",
    "LMI_PAYMENT_NO": "1444212666",
    "LMI_PAYER_WM": "404521188333",
    "LMI_PAYER_PURSE": "Z366393600555",
    "LMI_SYS_INVS_NO": "897",
    "LMI_SYS_TRANS_NO": "892",
    "LMI_SYS_TRANS_DATE": "20151007 13:07:36",
}
OMNIPAY_SHA256 = "0B12E75431284D6FCC05D8AF02B90AC28A0788FB95C9FF6B655344022F0746E5"
OMNIPAY_MD5 = "1D3FFAFA982B134479C4AD1AE2CABB5C"
# A test-mode notification quoted with both its hashes in sorooshansari/IranAudioGuide_Server
# (HomeController.cs), secret key "AD15BDAF-864A-4909-81E7-F034FFD0625C".
QUOTED = {
    "LMI_MODE": "1",
    "LMI_PAYEE_PURSE": "Z945718891756",
    "LMI_PAYER_PURSE": "Z945718891756",
    "LMI_PAYER_WM": "059551878952",
    "LMI_PAYMENT_AMOUNT": "0.05",
    "LMI_PAYMENT_NO": "3",
    "LMI_SYS_INVS_NO": "821",
    "LMI_SYS_TRANS_DATE": "20170221 20:25:01",
    "LMI_SYS_TRANS_NO": "458",
}
QUOTED_SECRET = "AD15BDAF-864A-4909-81E7-F034FFD0625C"
QUOTED_HASH = "8FE265B681239AD127FE6A0B552D8737DFAA1C275C67E8B9189A56C0AE68126A"
QUOTED_HASH2 = "8394AB2B012536D8535D3E1CB5917AB31E91EE891898B3AADD1FA887C9B2A0C2"


def test_published_lmi_hash_vectors_match():
    assert notification_hash(OMNIPAY, "226778888", "sha256") == OMNIPAY_SHA256
    assert notification_hash(OMNIPAY, "226778888", "md5") == OMNIPAY_MD5
    assert notification_hash(QUOTED, QUOTED_SECRET, "sha256") == QUOTED_HASH
    assert notification_hash2(QUOTED, QUOTED_SECRET) == QUOTED_HASH2


@pytest.mark.parametrize(
    ("hash_method", "given"), [("md5", OMNIPAY_MD5), ("sha256", OMNIPAY_SHA256)]
)
def test_published_notifications_verify(hash_method, given):
    method = PaymentMethod(
        slug="vector",
        gateway=Gateway.WEBMONEY,
        currency="USD",
        is_test_mode=True,
        settings={"purse": "Z123428476799", "secret_key": "226778888", "hash_method": hash_method},
    )
    incoming = Incoming(data=OMNIPAY | {"LMI_HASH": given.lower()}, headers={})
    notification = get_gateway("webmoney").verify(method, incoming)
    assert notification.payment_number == "1444212666" and notification.transaction_id == "892"
    assert notification.amount == Money("14.65", "USD")
    assert notification.paid and notification.test_mode


# --- notifications ---------------------------------------------------------------------------


@pytest.mark.parametrize("hash_method", ["md5", "sha256"])
def test_a_verified_notification_credits_the_balance_and_a_replay_credits_nothing(
    client, account, hash_method
):
    method = make_method(hash_method=hash_method)
    payment = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    data = notification(payment, algorithm=hash_method)
    first = post(client, data)
    assert first.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.gateway_transaction_id == "558"
    assert ledger_queries.balance(account) == Money("700.00")
    replay = post(client, data)
    assert replay.status_code == 200
    assert ledger_queries.balance(account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


def test_a_notification_without_lmi_hash2_is_verified_by_lmi_hash(client, payment, account):
    data = notification(payment)
    del data["LMI_HASH2"]
    assert post(client, data).status_code == 200
    assert ledger_queries.balance(account) == Money("700.00")


def forged(data):
    return data | {"LMI_HASH": "0" * 64}


def missing_hash(data):
    return {k: v for k, v in data.items() if k != "LMI_HASH"}


def wrong_hash2(data):
    return data | {"LMI_HASH2": "0" * 64}


def md5_for_sha256(data):
    return sign(data, algorithm="md5")


def another_secret(data):
    return sign(data, secret="guess")


def trusting_a_sent_key(data):
    return data | {"LMI_HASH": "0" * 64, "LMI_SECRET_KEY": SECRET}


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (forged, "bad hash"),
        (missing_hash, "missing hash"),
        (wrong_hash2, "bad hash2"),
        (md5_for_sha256, "bad hash"),
        (another_secret, "bad hash"),
        (trusting_a_sent_key, "bad hash"),
    ],
)
def test_a_notification_with_a_bad_signature_is_refused(client, payment, account, tamper, reason):
    response = post(client, tamper(notification(payment)))
    assert response.status_code == 400 and reason in response.content.decode()
    assert_nothing_credited(payment, account)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"LMI_PAYMENT_AMOUNT": "700,00"}, "malformed amount"),
        ({"LMI_PAYMENT_AMOUNT": "7e2"}, "malformed amount"),
        ({"LMI_PAYEE_PURSE": "Z999999999999"}, "another purse"),
        ({"LMI_PAYMENT_NO": "29999999"}, "unknown payment"),
        ({"LMI_PAYMENT_NO": "abc"}, "malformed payment number"),
        ({"LMI_MODE": "2"}, "malformed mode"),
        ({"LMI_SYS_TRANS_NO": ""}, "transaction"),
    ],
)
def test_a_signed_notification_that_does_not_match_the_payment_is_refused(
    client, payment, account, changes, reason
):
    response = post(client, notification(payment, **changes))
    assert response.status_code == 400 and reason in response.content.decode()
    assert_nothing_credited(payment, account)


def test_a_notification_for_another_methods_payment_is_refused(client, account, method):
    other = make_method(slug="wm-usd", purse="Z000000000001")
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
    assert post(client, notification(payment)).status_code == 200  # a replay credits nothing
    _credited_and_flagged(payment, account, ["after_failure"])


def test_a_notification_for_an_expired_payment_is_credited_and_flagged(client, payment, account):
    # As the expiry run leaves it.
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.EXPIRED)
    assert post(client, notification(payment)).status_code == 200
    _credited_and_flagged(payment, account, ["late"])


@pytest.mark.parametrize("amount", ["699.99", "700.01"])
def test_a_signed_notification_for_another_amount_credits_what_arrived(
    client, payment, account, amount
):
    assert post(client, notification(payment, LMI_PAYMENT_AMOUNT=amount)).status_code == 200
    _credited_and_flagged(payment, account, ["amount_differs"], amount)


def test_a_test_mode_notification_to_a_live_method_is_refused(client, payment, account):
    response = post(client, notification(payment, LMI_MODE="1"))
    assert response.status_code == 400 and "test" in response.content.decode()
    assert_nothing_credited(payment, account)


def test_a_test_mode_notification_to_a_method_in_test_mode_is_credited(client, account):
    method = make_method(test_mode=True)
    payment = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    assert post(client, notification(payment, LMI_MODE="1")).status_code == 200
    assert ledger_queries.balance(account) == Money("700.00")


@pytest.mark.parametrize(
    "body",
    [
        b"LMI_PAYMENT_NO=\xff\xfe",
        b"\xff\xfe\xfd",
        b"LMI_HASH=%FF%FE&LMI_PAYMENT_NO=20000001",
    ],
)
def test_a_malformed_or_non_utf8_body_is_refused(client, payment, account, body):
    response = client.post(
        "/pay/wm/result/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert_nothing_credited(payment, account)


def test_a_non_utf8_hash_in_a_well_formed_notification_is_refused(client, payment, account):
    fields = notification(payment)
    del fields["LMI_HASH"]
    body = urlencode(fields).encode() + b"&LMI_HASH=\xff\xfe"
    response = client.post(
        "/pay/wm/result/", data=body, content_type="application/x-www-form-urlencoded"
    )
    # Raw bytes that are not UTF-8 never reach the hash check: the body is refused as such.
    assert response.status_code == 400 and "malformed body" in response.content.decode()
    assert_nothing_credited(payment, account)


def test_a_method_without_a_secret_key_refuses_everything(client, payment, account, method):
    method.settings = {"purse": PURSE, "hash_method": "sha256"}
    method.save(update_fields=["settings"])
    response = post(client, notification(payment, secret=""))
    assert response.status_code == 400 and "secret_key" in response.content.decode()
    assert_nothing_credited(payment, account)


def test_refusals_are_logged_without_the_secret(client, payment, caplog):
    with caplog.at_level(logging.DEBUG):
        post(client, trusting_a_sent_key(notification(payment)))
    assert "bad hash" in caplog.text and SECRET not in caplog.text


# --- the pre-request -------------------------------------------------------------------------


def test_a_matching_prerequest_is_answered_yes(client, payment):
    response = post(client, prerequest(payment))
    assert response.status_code == 200 and response.content == b"YES"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # a pre-request credits nothing


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"LMI_PAYEE_PURSE": "Z999999999999"}, "another purse"),
        ({"LMI_PAYMENT_AMOUNT": "700.01"}, "amount"),
        ({"LMI_PAYMENT_AMOUNT": "699.99"}, "amount"),
        ({"LMI_PAYMENT_AMOUNT": ""}, "malformed amount"),
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
    other = make_method(slug="wm-usd", purse="Z000000000001")
    payment = start_top_up(billing_account=account, method=other, amount=Money("700.00"))
    response = post(client, prerequest(payment))
    assert response.status_code == 200 and "another method" in response.content.decode()


def test_a_prerequest_for_an_expired_payment_is_refused(client, payment):
    with time_machine.travel(payment.expires_at + dt.timedelta(minutes=1), tick=False):
        response = post(client, prerequest(payment))
    assert response.status_code == 200 and "expired" in response.content.decode()


def test_a_prerequest_for_a_failed_payment_is_refused(client, payment):
    fail_payment(payment=payment, reason="declined")
    response = post(client, prerequest(payment))
    assert response.status_code == 200 and "failed" in response.content.decode()
