"""Bank statement import (1C exchange format): realistic windows-1251 statements from
tests/data/, matching by payment, invoice and billing account numbers and by INN, crediting
exactly once through re-imports and overlapping statements, the unmatched queue, and every
kind of bad input rejected with a clear reason and no money moved."""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import translation

from hutor.accounts.models import AccountKind, User
from hutor.backoffice.models import AuditEntry
from hutor.conftest import open_desk_session
from hutor.core.money import Money
from hutor.invoices.models import InvoiceStatus
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry, LedgerAccount
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import start_top_up
from hutor.payments.bank import actions
from hutor.payments.models import (
    BankStatement,
    BankStatementLine,
    Payment,
    PaymentStatus,
)
from hutor.services.actions import order_invoice, place_order

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
FIRST = DATA / "statement-2026-11-20.txt"
OVERLAPPING = DATA / "statement-2026-11-20-21.txt"
BAD_DOCUMENTS = DATA / "statement-bad-documents.txt"


@pytest.fixture(autouse=True)
def english():
    """The reasons below are read in English (stored as codes, rendered at reading time)."""
    with translation.override("en"):
        yield


@pytest.fixture
def customers(account_factory, catalog, payment_methods):
    """The billing accounts the statements pay (their numbers are in the files), a pending
    bank payment 20000001 and an unpaid invoice 26-000001."""
    with time_machine.travel(dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC), tick=False):
        ivanov = account_factory(name="Иванов Иван Иванович")  # 1000002
        romashka = account_factory(  # 1000015
            name="ООО «Ромашка»",
            kind=AccountKind.COMPANY,
            inn="7707329152",
            kpp="770701001",
            address="Москва, ул. Лесная, 1",
        )
        petrov = account_factory(name="Петров Пётр Петрович")  # 1000028
        sidorov = account_factory(  # 1000031
            name="ИП Сидоров Сидор Сидорович",
            kind=AccountKind.SOLE_PROPRIETOR,
            inn="500100732259",
        )
        smirnova = account_factory(name="Смирнова Ольга Викторовна")  # 1000044
        kozlov = account_factory(name="Козлов Андрей Николаевич")  # 1000053
        service = place_order(
            billing_account=romashka,
            price=catalog.price(catalog.vps1, 1),
            identifier="vps.romashka.ru",
        )
        invoice = order_invoice(service)
        payment = start_top_up(
            billing_account=ivanov, method=payment_methods.bank, amount=Money("1500.00")
        )
    numbers = [a.number for a in (ivanov, romashka, petrov, sidorov, smirnova, kozlov)]
    assert numbers == ["1000002", "1000015", "1000028", "1000031", "1000044", "1000053"]
    assert (invoice.number, invoice.total, payment.number) == ("26-000001", 1490, "20000001")
    return {
        "ivanov": ivanov,
        "romashka": romashka,
        "petrov": petrov,
        "sidorov": sidorov,
        "smirnova": smirnova,
        "kozlov": kozlov,
        "invoice": invoice,
        "payment": payment,
        "methods": payment_methods,
    }


def balance(account) -> Decimal:
    return ledger_queries.balance(account).amount


def import_file(path: Path, **kwargs) -> BankStatement:
    return actions.import_statement(content=path.read_bytes(), file_name=path.name, **kwargs)


def by_number(stmt: BankStatement) -> dict[str, list[BankStatementLine]]:
    lines: dict[str, list[BankStatementLine]] = {}
    for line in stmt.lines.order_by("position"):
        lines.setdefault(line.document_number, []).append(line)
    return lines


def credited_total() -> Decimal:
    return sum(
        (p.amount for p in Payment.objects.filter(status=PaymentStatus.SUCCEEDED)), Decimal(0)
    )


def assert_ledger_clean() -> None:
    report = checks.run()
    assert report.ok, report.violations


# --- Import -------------------------------------------------------------------------------------


def test_a_realistic_statement_is_matched_and_credited(customers):
    stmt = import_file(FIRST)
    assert not stmt.is_rejected
    assert (
        stmt.documents_count,
        stmt.credited_count,
        stmt.duplicate_count,
        stmt.unmatched_count,
        stmt.skipped_count,
        stmt.rejected_count,
    ) == (10, 6, 1, 2, 1, 0)
    lines = by_number(stmt)

    # By payment number: THAT pending payment is credited and succeeds.
    (line,) = lines["1"]
    payment = customers["payment"]
    payment.refresh_from_db()
    assert (line.status, line.match_rule, line.payment) == ("credited", "payment", payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.gateway_transaction_id == line.idempotency_key
    assert balance(customers["ivanov"]) == Decimal("1500.00")

    # By invoice number: the invoice's account, whose open invoice is then settled.
    (line,) = lines["254"]
    assert (line.status, line.match_rule) == ("credited", "invoice")
    assert line.billing_account == customers["romashka"]
    customers["invoice"].refresh_from_db()
    assert customers["invoice"].status == InvoiceStatus.PAID
    assert balance(customers["romashka"]) == 0

    # By account number, a bare number, a «Банковский ордер»; and by INN only.
    assert lines["88"][0].match_rule == "account"
    assert lines["41"][0].billing_account == customers["kozlov"]
    assert lines["5512"][0].billing_account == customers["smirnova"]
    assert (lines["17"][0].match_rule, lines["17"][0].billing_account) == (
        "inn",
        customers["sidorov"],
    )

    # The same document twice in the file: credited once.
    first, second = lines["88"]
    assert first.status == "credited" and second.status == "duplicate"
    assert second.duplicate_of == first and second.idempotency_key is None
    assert balance(customers["petrov"]) == Decimal("500.00")

    # A mistyped account number goes to the queue, not to the neighbouring 1000015.
    (typo,) = lines["3"]
    assert typo.status == "unmatched" and typo.billing_account is None
    assert typo.reason_code == "bad_check_digit" and typo.reason_params == {"number": "1000016"}
    assert "1000016" in typo.reason_text and "check digit" in typo.reason_text
    assert lines["77"][0].status == "unmatched"

    # Outgoing: skipped.
    (rent,) = lines["901"]
    assert rent.status == "skipped" and "outgoing" in rent.reason_text

    # Each credit is a succeeded bank-transfer Payment keyed by the document, with its email.
    credited = stmt.lines.filter(status="credited")
    for line in credited:
        assert line.payment.status == "succeeded" and line.payment.method.slug == "bank"
        assert line.payment.gateway_transaction_id == line.idempotency_key
        assert line.payment.credit_entry.idempotency_key == line.idempotency_key
        assert OutboxEmail.objects.filter(key=f"payment-credited:{line.payment.number}").exists()
    entry = JournalEntry.objects.get(idempotency_key=lines["88"][0].idempotency_key)
    assert entry.reference == "п/п № 88 от 20.11.2026" and entry.kind == "top_up"
    bank = LedgerAccount.objects.get(code="bank:40702810938000000001")
    assert bank.balance == -Decimal("1500.00") - 1490 - 500 - 3000 - 250 - 990
    assert stmt.report["lines"][0]["status"] == "credited"
    assert_ledger_clean()


def test_reimporting_the_same_statement_credits_nothing(customers):
    import_file(FIRST)
    entries, payments, total = (
        JournalEntry.objects.count(),
        Payment.objects.count(),
        credited_total(),
    )
    again = import_file(FIRST)
    assert (again.credited_count, again.duplicate_count, again.unmatched_count) == (0, 9, 0)
    assert again.skipped_count == 1
    assert again.report["previous_imports"] == [again.pk - 1]
    assert JournalEntry.objects.count() == entries and Payment.objects.count() == payments
    assert credited_total() == total
    # The unmatched lines stay one each in the queue.
    assert BankStatementLine.objects.filter(status="unmatched").count() == 2
    assert_ledger_clean()


def test_an_overlapping_statement_credits_only_the_new_documents(customers):
    import_file(FIRST)
    before = {name: balance(customers[name]) for name in ("ivanov", "romashka", "petrov")}
    stmt = import_file(OVERLAPPING)
    assert (stmt.credited_count, stmt.duplicate_count) == (2, 3)
    assert balance(customers["ivanov"]) == before["ivanov"]
    assert balance(customers["romashka"]) == before["romashka"] + 2000
    assert balance(customers["petrov"]) == before["petrov"] + 300
    assert_ledger_clean()


def test_the_unmatched_queue_assign_credits_once_and_not_ours_credits_nothing(
    customers, django_user_model
):
    staff = django_user_model.objects.create_user(email="accountant@test-hosting.ru", is_staff=True)
    import_file(FIRST)
    typo = BankStatementLine.objects.get(document_number="3")
    loan = BankStatementLine.objects.get(document_number="77")
    romashka = customers["romashka"]
    before = balance(romashka)

    line = actions.assign_line(
        line=typo,
        billing_account=romashka,
        reason="The payer called: she pays for ООО «Ромашка»",
        user=staff,
    )
    assert line.status == "credited" and line.match_rule == "assigned"
    assert line.resolved_by == staff and line.resolved_at is not None
    assert line.resolution_reason.startswith("The payer called")
    assert balance(romashka) == before + 700
    with pytest.raises(actions.BankActionRefused, match="only unmatched"):
        actions.assign_line(line=typo, billing_account=romashka, reason="again", user=staff)
    assert balance(romashka) == before + 700
    # A later statement with the same document: a duplicate of the assigned line.
    again = import_file(OVERLAPPING)
    assert by_number(again)["3"][0].duplicate_of == typo

    with pytest.raises(actions.BankActionRefused, match="say why"):
        actions.mark_not_ours(line=loan, reason="  ", user=staff)
    line = actions.mark_not_ours(line=loan, reason="A loan repayment: returned", user=staff)
    assert line.status == "not_ours" and line.resolved_by == staff
    assert not BankStatementLine.objects.filter(status="unmatched").exists()
    assert credited_total() == Decimal("1500") + 1490 + 500 + 3000 + 250 + 990 + 700 + 2000 + 300
    assert_ledger_clean()


def test_the_bad_documents_are_rejected_one_by_one_and_the_good_one_imports(customers):
    stmt = import_file(BAD_DOCUMENTS)
    assert not stmt.is_rejected
    assert (stmt.documents_count, stmt.credited_count, stmt.rejected_count) == (8, 1, 7)
    reasons = {line.purpose: line.reason_text for line in stmt.lines.filter(status="rejected")}
    expected = {
        "(нулевая сумма)": "Сумма=0.00 is zero",
        "(отрицательная сумма)": "Сумма=-100.00 is negative",
        "(три знака после точки)": "Сумма=100.005 has more than two decimal places",
        "(без номера)": "Номер (document number) is missing",
        "(нет такой даты)": "Дата=31.02.2026 is not a date",
        "(без счетов)": "ПолучательСчет and ПлательщикСчет (the accounts) are missing",
        "(две суммы)": "Сумма appears twice with different values",
    }
    for marker, reason in expected.items():
        (found,) = [text for purpose, text in reasons.items() if marker in purpose]
        assert reason in found, (marker, found)
    assert all(line.payment is None for line in stmt.lines.filter(status="rejected"))
    assert balance(customers["kozlov"]) == Decimal("100.00")
    assert_ledger_clean()


def _text() -> str:
    return FIRST.read_bytes().decode("cp1251")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda: _text()[: len(_text()) // 2].encode("cp1251"), "truncated"),
        (
            lambda: _text().replace("КонецФайла", "").encode("cp1251"),
            "no КонецФайла",
        ),
        (
            lambda: _text().replace("КонецДокумента", "", 1).encode("cp1251"),
            "has no КонецДокумента",
        ),
        (
            lambda: _text().replace("СекцияДокумент=Платежное поручение", "", 1).encode("cp1251"),
            "КонецДокумента without the section",
        ),
        (
            lambda: _text().replace("КонецРасчСчет", "", 1).encode("cp1251"),
            "no КонецРасчСчет",
        ),
        (lambda: _text().encode("koi8_r", "replace"), "neither windows-1251 nor UTF-8"),
        (lambda: b"date;amount;purpose\n20.11.2026;1500.00;x\n", "not a 1C bank statement"),
        (lambda: b"%PDF-1.4\n\x00\x01binary", "binary"),
        (lambda: b"", "empty"),
        (
            lambda: (
                _text().replace("40702810938000000001", "40702810000000000009").encode("cp1251")
            ),
            "not the provider's settlement account",
        ),
    ],
    ids=[
        "truncated",
        "no-end-of-file",
        "section-without-end",
        "end-without-section",
        "account-section-without-end",
        "wrong-encoding",
        "not-1c",
        "binary",
        "empty",
        "another-account",
    ],
)
def test_a_broken_file_is_rejected_whole_and_credits_nothing(customers, content, reason):
    stmt = actions.import_statement(content=content(), file_name="broken.txt")
    assert stmt.is_rejected and reason in stmt.rejected_text, stmt.rejected_text
    assert stmt.report["rejected"] == {"code": stmt.rejected_code, "params": stmt.rejected_params}
    assert stmt.rejected_reason == ""  # no sentence is stored, only the code
    assert not stmt.lines.exists()
    assert not Payment.objects.filter(status=PaymentStatus.SUCCEEDED).exists()
    assert not JournalEntry.objects.filter(kind="top_up").exists()
    assert "REJECTED" in actions.report_text(stmt)


def test_a_transfer_between_our_own_accounts_is_skipped(customers):
    text = _text().replace(
        "ПлательщикСчет=40817810099910004312", "ПлательщикСчет=40702810938000000002"
    )
    text = text.replace(
        "ДатаКонца=20.11.2026\r\nРасчСчет=40702810938000000001",
        "ДатаКонца=20.11.2026\r\nРасчСчет=40702810938000000001\r\nРасчСчет=40702810938000000002",
        1,
    )
    stmt = actions.import_statement(content=text.encode("cp1251"), file_name="s.txt")
    (line,) = by_number(stmt)["1"]
    assert line.status == "skipped" and "between our own accounts" in line.reason_text
    customers["payment"].refresh_from_db()
    assert customers["payment"].status == PaymentStatus.PENDING


def test_a_matched_payment_with_another_amount_is_credited_as_a_new_payment(customers):
    text = _text().replace("Сумма=1500.00", "Сумма=1600.00", 1)
    stmt = actions.import_statement(content=text.encode("cp1251"), file_name="s.txt")
    (line,) = by_number(stmt)["1"]
    payment = customers["payment"]
    payment.refresh_from_db()
    assert line.status == "credited" and line.payment != payment
    assert payment.status == PaymentStatus.PENDING
    assert line.reason_code == "payment_other_amount"
    assert "is for 1500.00 RUB, the bank paid 1600.00 RUB" in line.reason_text
    assert balance(customers["ivanov"]) == Decimal("1600.00")


# --- CLI ----------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_hutor_bank_import_unmatched_assign_not_ours(customers, tmp_path, settings):
    settings.HUTOR_CLI_LANGUAGE = "en"
    out = run("bank", "import", str(FIRST))
    assert "10 documents: 6 credited, 1 duplicates, 2 unmatched, 1 skipped, 0 rejected" in out
    assert "[unmatched]" in out and "check digit" in out and "[skipped]" in out
    listing = run("bank", "unmatched")
    assert "2 unmatched" in listing and "Кузнецова Анна Сергеевна" in listing
    typo = BankStatementLine.objects.get(document_number="3")
    loan = BankStatementLine.objects.get(document_number="77")
    with pytest.raises(CommandError, match="1000016"):
        run("bank", "assign", str(typo.pk), "--account", "1000016", "--reason", "typo")
    out = run("bank", "assign", str(typo.pk), "--account", "1000028", "--reason", "by phone")
    assert "700.00 RUB credited to billing account 1000028" in out
    out = run("bank", "not-ours", str(loan.pk), "--reason", "returned to the payer")
    assert "not ours" in out
    assert "0 unmatched" in run("bank", "unmatched")
    broken = tmp_path / "broken.txt"
    broken.write_bytes(FIRST.read_bytes()[:2000])
    with pytest.raises(CommandError, match="rejected"):
        run("bank", "import", str(broken))
    with pytest.raises(CommandError, match="cannot read"):
        run("bank", "import", str(tmp_path / "missing.txt"))
    assert_ledger_clean()


# --- The desk's bank pages ---------------------------------------------------------------------


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        email="admin@test-hosting.ru", password="Admin-pass-2026"
    )
    open_desk_session(client, user)
    client.user = user
    return client


def test_the_desk_uploads_a_statement_and_works_the_queue(customers, staff_client):
    with translation.override("ru"):
        overview = staff_client.get("/desk/bank/").content.decode()
    assert "Загрузить выписку" in overview and 'href="/admin/' not in overview
    with FIRST.open("rb") as upload:
        response = staff_client.post("/desk/bank/upload/", {"file": upload})
    stmt = BankStatement.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/desk/bank/statements/{stmt.pk}/"
    )
    page = staff_client.get(response["Location"]).content.decode()
    # The desk is in Russian (the default), and so are the report and the reasons.
    assert "6 зачислено" in page and "контрольная цифра" in page
    assert "6 credited" not in page and "check digit" not in page
    assert "Файл" in staff_client.get("/desk/bank/").content.decode()  # listed on the bank page
    queue = staff_client.get("/desk/bank/queue/")
    assert queue.status_code == 200 and "Кузнецова" in queue.content.decode()
    assert "Кузнецова" in staff_client.get("/desk/bank/queue/?q=Кузнецова").content.decode()
    assert "Кузнецова" not in staff_client.get("/desk/bank/queue/?q=Сидоров").content.decode()

    typo = BankStatementLine.objects.get(document_number="3")
    url = f"/desk/bank/lines/{typo.pk}/assign/"
    assert "Кузнецова" in staff_client.get(url).content.decode()
    refused = staff_client.post(url, {"account": "1000016", "reason": "typo"})
    assert refused.status_code == 200 and "1000016" in refused.content.decode()
    typo.refresh_from_db()
    assert typo.status == "unmatched"
    done = staff_client.post(url, {"account": "1000028", "reason": "Confirmed by phone"})
    assert done.status_code == 302 and done["Location"] == "/desk/bank/queue/"
    typo.refresh_from_db()
    assert typo.status == "credited" and typo.resolved_by == staff_client.user
    # Assigned once: its page is gone from the queue, a second post finds nothing to assign.
    assert staff_client.post(url, {"account": "1000028", "reason": "again"}).status_code == 404

    loan = BankStatementLine.objects.get(document_number="77")
    url = f"/desk/bank/lines/{loan.pk}/not-ours/"
    staff_client.post(url, {"reason": "A loan repayment; returned"})
    loan.refresh_from_db()
    assert loan.status == "not_ours" and loan.resolution_reason == "A loan repayment; returned"
    aside = staff_client.get("/desk/bank/queue/?show=not-ours").content.decode()
    assert "A loan repayment; returned" in aside
    # The report shows each document as it is now, the assigned one included.
    page = staff_client.get(f"/desk/bank/statements/{stmt.pk}/").content.decode()
    assert "Confirmed by phone" in page and "/desk/accounts/1000028/" in page
    actions_done = list(
        AuditEntry.objects.order_by("pk").values_list("action", "staff_id", "object_id")
    )
    user = staff_client.user.pk
    assert actions_done == [
        ("bank.import", user, str(stmt.pk)),
        ("bank.assign", user, str(typo.pk)),
        ("bank.not_ours", user, str(loan.pk)),
    ]
    assert_ledger_clean()


def test_the_bank_commands_are_audited_as_their_operator(customers, tmp_path):
    import getpass

    run("bank", "import", str(FIRST))
    typo = BankStatementLine.objects.get(document_number="3")
    run("bank", "assign", str(typo.pk), "--account", "1000028", "--reason", "By phone")
    staff = User.objects.create_user(
        email="acc@test-hosting.ru", password="Acc-pass-2026", is_staff=True
    )
    loan = BankStatementLine.objects.get(document_number="77")
    run("bank", "not-ours", str(loan.pk), "--reason", "Loan", "--user", "acc@test-hosting.ru")
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.action, e.staff, e.actor) for e in entries] == [
        ("bank.import", None, f"cli:{getpass.getuser()}"),
        ("bank.assign", None, f"cli:{getpass.getuser()}"),
        ("bank.not_ours", staff, ""),
    ]
    assert entries[1].billing_account == customers["petrov"]
    with pytest.raises(CommandError, match="no staff user"):
        run("bank", "import", str(FIRST), "--user", "nobody@example.com")
    assert AuditEntry.objects.count() == 3 and BankStatement.objects.count() == 1


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_accountants_importing_the_same_statements_at_once_credit_each_document_once(
    customers,
):
    import threading

    from django.db import connection

    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def upload(path: Path) -> None:
        try:
            barrier.wait()
            import_file(path)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(p,)) for p in (FIRST, OVERLAPPING) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert BankStatement.objects.count() == 4
    assert BankStatementLine.objects.filter(status="credited").count() == 8
    assert credited_total() == Decimal("1500") + 1490 + 500 + 3000 + 250 + 990 + 2000 + 300
    assert BankStatementLine.objects.filter(status="unmatched").count() == 2
    assert balance(customers["petrov"]) == Decimal("800.00")
    assert_ledger_clean()
