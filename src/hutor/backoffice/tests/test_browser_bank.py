"""The desk's bank pages in a real browser (issue 12, item 12: «Банк» dropped staff into the
stock Django admin). An accountant uploads a statement, reads its report, credits a queued
payment to its account and sets another aside as not ours, in both languages; each page fits a
1280 px window and a phone. With HUTOR_SCREENSHOTS set, saves desk-bank-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.test_browser_desk import log_in
from hutor.payments.models import BankLineStatus, BankStatementLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SETTLEMENT = "40702810938000000001"  # the test provider's (hutor/conftest.py)


def document(number: str, amount: str, payer: str, inn: str, account: str, purpose: str) -> str:
    return "\n".join(
        [
            "СекцияДокумент=Платежное поручение",
            f"Номер={number}",
            "Дата=27.11.2026",
            f"Сумма={amount}",
            f"ПлательщикСчет={account}",
            f"Плательщик={payer}",
            f"ПлательщикИНН={inn}",
            f"ПолучательСчет={SETTLEMENT}",
            "Получатель=ООО «Тестовый Хостинг»",
            "ПолучательИНН=7707083893",
            "ДатаПоступило=27.11.2026",
            f"НазначениеПлатежа={purpose}",
            "КонецДокумента",
        ]
    )


def statement(account_number: str) -> bytes:
    """A 1CClientBankExchange file as the bank's client saves it (windows-1251): one payment
    quoting the customer's account, one quoting a mistyped number, one quoting nothing."""
    wrong = account_number[:-1] + str((int(account_number[-1]) + 1) % 10)
    text = "\n".join(
        [
            "1CClientBankExchange",
            "ВерсияФормата=1.03",
            "Кодировка=Windows",
            "ДатаНачала=27.11.2026",
            "ДатаКонца=27.11.2026",
            f"РасчСчет={SETTLEMENT}",
            document(
                "311",
                "1200.00",
                "ООО «Ромашка»",
                "7707083893",
                "40702810400000012345",
                f"Оплата по л/с {account_number} за хостинг. Без НДС",
            ),
            document(
                "312",
                "850.00",
                "Кузнецова Мария Сергеевна",
                "",
                "40817810099910007777",
                f"Пополнение л/с {wrong}",
            ),
            document(
                "313",
                "25000.00",
                "ООО «Вектор-Строй»",
                "7701234567",
                "40702810500000054321",
                "Возврат займа по договору 14/2026",
            ),
            "КонецФайла",
        ]
    )
    return text.replace("\n", "\r\n").encode("cp1251")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_accountant_works_a_statement_in_the_desk(
    live_server, browser, world, staff_factory, screenshot, tmp_path, language
):
    accountant = staff_factory(Role.ACCOUNTANT)
    ru = language == "ru"
    file = tmp_path / "kl_to_1c.txt"
    file.write_bytes(statement(world.account.number))
    context = browser.new_context(
        locale="ru-RU" if ru else "en-US", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    log_in(page, live_server.url, accountant)

    # «Банк» in the header opens the desk's own page, not the Django admin.
    page.locator(".desk-nav a", has_text="Банк" if ru else "Bank").click()
    page.wait_for_url(live_server.url + "/desk/bank/")
    page.locator("input[type=file][name=file]").set_input_files(str(file))
    screenshot(page, f"desk-bank-{language}-1280", full_page=False)
    page.locator("form[action$='/bank/upload/'] button[type=submit]").click()
    page.wait_for_url("**/desk/bank/statements/*/")
    expect(page.locator(".alert-success")).to_contain_text("Зачислено: 1" if ru else "1 credited")
    lines = page.locator("#statement-lines tbody tr")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text(world.account.number)
    expect(lines.nth(1)).to_contain_text("контрольная цифра" if ru else "check digit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, f"desk-bank-report-{language}-1280")

    # The queue: the mistyped one is Maria's, credited to the account she meant.
    page.locator(".back-link").click()
    page.locator("#bank-queue-link").click()
    page.wait_for_url("**/desk/bank/queue/")
    rows = page.locator("#bank-queue tbody tr")
    expect(rows).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, f"desk-bank-queue-{language}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"desk-bank-queue-{language}-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    rows.filter(has_text="Кузнецова").locator("a[href$='/assign/']").click()
    page.locator("input[name=account]").fill(world.account.number)
    page.locator("textarea[name=reason]").fill("Звонила: это её платёж")
    page.locator(".desk-action-card form button[type=submit]").click()
    page.wait_for_url("**/desk/bank/queue/")
    expect(page.locator(".alert-success")).to_contain_text(world.account.number)
    expect(rows).to_have_count(1)
    rows.first.locator("a[href$='/not-ours/']").click()
    page.locator("textarea[name=reason]").fill("Возврат займа; вернули через банк")
    page.locator(".desk-action-card form button[type=submit]").click()
    page.wait_for_url("**/desk/bank/queue/")
    expect(page.locator("#bank-queue .table-empty")).to_be_visible()
    context.close()

    assert set(BankStatementLine.objects.values_list("document_number", "status")) == {
        ("311", BankLineStatus.CREDITED),
        ("312", BankLineStatus.CREDITED),
        ("313", BankLineStatus.NOT_OURS),
    }
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "bank.import",
        "bank.assign",
        "bank.not_ours",
    ]
