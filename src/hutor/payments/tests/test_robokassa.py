"""Robokassa: a signed redirect to the payment page, and Result URL notifications that are
verified against password #2 and credited exactly once.

Expected signatures are computed here with hashlib straight from the documented formulas
(docs.robokassa.ru, "Параметры скрипта" and "Уведомления и переадресация"), never with the
gateway's own helpers. Robokassa's docs show how to build a signature but print no resulting
digest, so the one fixed vector below uses the inputs of their C# example and a digest
computed independently.
"""

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.actions import fail_payment, start_top_up
from hutor.payments.gateways import get_gateway
from hutor.payments.gateways.robokassa import RobokassaNotConfigured, signature
from hutor.payments.models import Gateway, Payment, PaymentMethod, PaymentStatus

pytestmark = pytest.mark.django_db

LOGIN = "hutor-shop"
LIVE = {"password1": "live-one", "password2": "live-two"}
TEST = {"test_password1": "test-one", "test_password2": "test-two"}


def digest(algorithm, base):
    return hashlib.new(algorithm, base.encode("utf-8")).hexdigest()


@pytest.fixture
def account(account_factory):
    return account_factory()


@pytest.fixture
def method(db):
    return PaymentMethod.objects.create(
        slug="robokassa",
        gateway=Gateway.ROBOKASSA,
        name_ru="Робокасса",
        name_en="Robokassa",
        settings={"merchant_login": LOGIN, **LIVE, **TEST, "hash_algorithm": "md5"},
    )


@pytest.fixture
def payment(account, method):
    return start_top_up(billing_account=account, method=method, amount=Money("700.00"))


def notify(client, pay, *, password="live-two", algorithm="md5", out_sum="700.000000", **extra):
    """POST a Result URL notification the way Robokassa sends it: OutSum in its own six-decimal
    formatting, the Shp_ fields we sent echoed back, signed over the sorted Shp_ fields."""
    data = {
        "OutSum": out_sum,
        "InvId": pay.number,
        "Fee": "21.70",
        "EMail": "payer@example.com",
        "PaymentMethod": "BankCard",
        "IncCurrLabel": "BankCardPSR",
        "Shp_account": pay.billing_account.number,
    } | extra
    shp = "".join(f":{k}={v}" for k, v in sorted(data.items()) if k.startswith("Shp_"))
    base = f"{data['OutSum']}:{data['InvId']}:{password}{shp}"
    data.setdefault("SignatureValue", digest(algorithm, base))
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/pay/{pay.method.slug}/result/", data)


def assert_nothing_credited(pay):
    pay.refresh_from_db()
    assert pay.gateway_transaction_id is None and pay.credit_entry_id is None
    assert ledger_queries.balance(pay.billing_account) == Money.zero()
    assert not JournalEntry.objects.filter(kind="top_up").exists()


# The redirect to the payment page.


def test_the_signature_formula_on_the_inputs_of_robokassas_own_example():
    assert signature("md5", ["test", "5.12", "5", "securepass1"], []) == (
        "d33ad746fefb057705993fc6662c5beb"
    )


def test_start_redirects_to_the_payment_page_with_a_signed_query(payment, account):
    action = get_gateway("robokassa").start(payment)
    url = urlsplit(action.url)
    query = {k: v[0] for k, v in parse_qs(url.query, strict_parsing=True).items()}
    assert action.method == "GET"
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        "https://auth.robokassa.ru/Merchant/Index.aspx"
    )
    assert query == {
        "MerchantLogin": LOGIN,
        "OutSum": "700.00",
        "InvId": payment.number,
        "Description": f"Пополнение баланса биллинг-аккаунта № {account.number}",
        "SignatureValue": hashlib.md5(
            f"{LOGIN}:700.00:{payment.number}:live-one:Shp_account={account.number}".encode()
        ).hexdigest(),
        "Culture": "ru",
        "Encoding": "utf-8",
        "Shp_account": account.number,
    }
    assert int(query["InvId"]) == int(payment.number)
    assert action.url.isascii() and "+" not in action.url  # spaces as %20, Cyrillic encoded


def test_start_in_test_mode_uses_the_test_password_and_the_accounts_language(
    account_factory, method
):
    method.is_test_mode = True
    method.settings |= {"hash_algorithm": "sha256", "payment_url": "https://pay.example/go?x=1"}
    method.save()
    account = account_factory(language="en")
    pay = start_top_up(billing_account=account, method=method, amount=Money("123.45"))
    query = parse_qs(urlsplit(get_gateway("robokassa").start(pay).url).query)
    assert query["x"] == ["1"] and query["IsTest"] == ["1"] and query["Culture"] == ["en"]
    assert query["OutSum"] == ["123.45"]
    assert query["Description"] == [f"Top-up of billing account No. {account.number}"]
    base = f"{LOGIN}:123.45:{pay.number}:test-one:Shp_account={account.number}"
    assert query["SignatureValue"] == [hashlib.sha256(base.encode()).hexdigest()]


def test_start_refuses_a_method_without_its_password(payment, method):
    method.settings = {"merchant_login": LOGIN}
    method.save()
    payment.refresh_from_db()
    with pytest.raises(RobokassaNotConfigured):
        get_gateway("robokassa").start(payment)


# Result URL notifications.


def test_a_verified_notification_credits_once_and_a_replay_is_answered_ok(client, payment):
    first = notify(client, payment)
    assert first.status_code == 200 and first.content == f"OK{payment.number}".encode()
    assert first["Content-Type"].startswith("text/plain")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_transaction_id == f"robokassa:{payment.number}"
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    replay = notify(client, payment)
    assert replay.status_code == 200 and replay.content == f"OK{payment.number}".encode()
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


@pytest.mark.parametrize(
    ("algorithm", "setting"),
    [
        ("md5", "md5"),
        ("sha1", "sha1"),
        ("sha256", "sha256"),
        ("sha384", "SHA384"),  # as the merchant cabinet spells it
        ("sha512", "sha512"),
        ("ripemd160", "ripemd160"),
    ],
)
def test_each_hash_algorithm_of_the_cabinet_verifies(client, payment, method, algorithm, setting):
    try:
        hashlib.new(algorithm)
    except ValueError:
        pytest.skip(f"this OpenSSL has no {algorithm}")
    method.settings["hash_algorithm"] = setting
    method.save()
    response = notify(client, payment, algorithm=algorithm)
    assert response.status_code == 200, response.content
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")


def test_the_signature_is_compared_in_any_case(client, payment):
    base = f"700.000000:{payment.number}:live-two:Shp_account={payment.billing_account.number}"
    upper = digest("md5", base).upper()
    assert notify(client, payment, SignatureValue=upper).status_code == 200


def test_custom_fields_are_signed_sorted_by_name_whatever_their_order(client, payment):
    number = payment.billing_account.number
    sorted_base = f"700.000000:{payment.number}:live-two:Shp_a=1:Shp_account={number}:Shp_b=2"
    good = digest("md5", sorted_base)
    common = {"OutSum": "700.000000", "InvId": payment.number, "SignatureValue": good}
    url = f"/pay/{payment.method.slug}/result/"
    in_order = common | {"Shp_a": "1", "Shp_account": number, "Shp_b": "2"}
    reversed_order = common | {"Shp_b": "2", "Shp_account": number, "Shp_a": "1"}
    assert client.post(url, reversed_order).status_code == 200
    assert client.post(url, in_order).status_code == 200  # the same signature: a replay
    unsorted = digest("md5", f"700.000000:{payment.number}:live-two:Shp_b=2:Shp_a=1")
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
    forged = common | {"Shp_b": "2", "Shp_a": "1", "SignatureValue": unsorted}
    assert client.post(url, forged).status_code == 400


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"SignatureValue": "0" * 32}, "bad signature"),
        ({"SignatureValue": "подпись"}, "bad signature"),
        ({"SignatureValue": None}, "missing signature"),
        ({"SignatureValue": ""}, "missing signature"),
        ({"OutSum": None}, "required"),
        ({"out_sum": "abc"}, "malformed amount"),
        ({"out_sum": "7e2"}, "malformed amount"),
        ({"InvId": "29999999"}, "unknown payment"),
        ({"InvId": "0x1"}, "malformed InvId"),
        ({"Shp_account": "1000999"}, "account mismatch"),
    ],
)
def test_forged_or_mismatched_notifications_are_refused_and_credit_nothing(
    client, payment, changes, reason
):
    response = notify(client, payment, **changes)
    assert response.status_code == 400 and reason in response.content.decode()
    assert_nothing_credited(payment)
    assert payment.status == PaymentStatus.PENDING


def test_outsum_is_hashed_exactly_as_received(client, payment):
    """Signed over "700.00" but received as "700.000000": Robokassa signed what it sent."""
    number = payment.billing_account.number
    reformatted = digest("md5", f"700.00:{payment.number}:live-two:Shp_account={number}")
    response = notify(client, payment, SignatureValue=reformatted)
    assert response.status_code == 400 and b"bad signature" in response.content
    assert notify(client, payment, out_sum="700.00").status_code == 200  # as sent, it verifies


def test_a_payment_of_another_method_is_refused(client, account, method, payment_methods):
    other = start_top_up(
        billing_account=account, method=payment_methods.bank, amount=Money("700.00")
    )
    data = {"OutSum": "700.000000", "InvId": other.number, "Shp_account": account.number}
    base = f"700.000000:{other.number}:live-two:Shp_account={account.number}"
    response = client.post("/pay/robokassa/result/", data | {"SignatureValue": digest("md5", base)})
    assert response.status_code == 400 and b"another method" in response.content
    assert_nothing_credited(other)


def test_a_failed_or_expired_payment_is_credited_and_flagged(client, account, method):
    """A signed notification is Robokassa's word that the money left the payer: it reaches the
    balance whatever became of the payment, and staff are asked to look."""
    failed = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    fail_payment(payment=failed, reason="declined")
    expired = start_top_up(billing_account=account, method=method, amount=Money("700.00"))
    Payment.objects.filter(pk=expired.pk).update(status=PaymentStatus.EXPIRED)
    for pay, code in [(failed, "after_failure"), (expired, "late")]:
        response = notify(client, pay)
        assert response.status_code == 200, response.content
        pay.refresh_from_db()
        assert pay.status == PaymentStatus.SUCCEEDED
        assert [r["code"] for r in pay.review_reasons] == [code]
    assert ledger_queries.balance(account) == Money("1400.00")


@pytest.mark.parametrize("out_sum", ["700.01", "699.99"])
def test_a_signed_notification_for_another_amount_credits_what_arrived(client, payment, out_sum):
    response = notify(client, payment, out_sum=out_sum)  # correctly signed for another amount
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.money == Money(out_sum)
    assert payment.review_reasons == [
        {"code": "amount_differs", "params": {"expected": "700.00", "received": out_sum}}
    ]
    assert ledger_queries.balance(payment.billing_account) == Money(out_sum)


def test_a_test_mode_notification_never_credits_a_live_method(client, payment):
    # Signed with test password #2: the live one does not verify it.
    response = notify(client, payment, password="test-two", IsTest="1")
    assert response.status_code == 400 and b"bad signature" in response.content
    # Flagged as a test yet signed with the live password: refused all the same.
    response = notify(client, payment, IsTest="1")
    assert response.status_code == 400 and b"test-mode" in response.content
    assert_nothing_credited(payment)


def test_a_method_in_test_mode_takes_only_test_signatures(client, payment, method):
    method.is_test_mode = True
    method.save()
    assert notify(client, payment, password="live-two").status_code == 400
    assert_nothing_credited(payment)
    response = notify(client, payment, password="test-two", IsTest="1")
    assert response.status_code == 200 and response.content == f"OK{payment.number}".encode()


def test_a_method_without_password_2_refuses_everything(client, payment, method):
    method.settings = {"merchant_login": LOGIN, "password1": "live-one"}
    method.save()
    response = notify(client, payment)
    assert response.status_code == 400 and b"not configured" in response.content
    assert_nothing_credited(payment)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"OutSum": "700.00", "InvId": "20000001"}', "application/json"),
        (b"this is not a form", "application/x-www-form-urlencoded"),
        (b"OutSum=700.00&InvId=20000001&SignatureValue=\xff\xfe\xfd", "text/plain"),
        (
            b"OutSum=700.00&InvId=20000001&SignatureValue=\xff\xfe\xfd",
            "application/x-www-form-urlencoded",
        ),
        (b"OutSum=7\xff00&InvId=20000001", "application/x-www-form-urlencoded; charset=utf-8"),
    ],
)
def test_a_malformed_or_non_utf8_body_is_refused(client, payment, body, content_type):
    response = client.generic("POST", "/pay/robokassa/result/", body, content_type=content_type)
    assert response.status_code == 400
    assert response.content.startswith(b"ERROR ")
    assert_nothing_credited(payment)
