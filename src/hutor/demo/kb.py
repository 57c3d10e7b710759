"""The demo's help center: two categories and four articles, in Russian and English.

The first article covers what the article Hutor comes from covers (the billing account number,
the balance, invoices, a top-up), written anew about Hutor's own screens. Loading is keyed by
the slugs: a category or an article is created only when missing and then published, so edits
staff make in the desk survive the next `make run`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hutor.kb import actions as kb
from hutor.kb import guide
from hutor.kb.models import Article, ArticleStatus, Category

CATEGORIES = (
    ("billing", "Биллинг-аккаунт и оплата", "Billing account and payments", 10),
    ("services", "Услуги и тарифы", "Services and tariffs", 20),
)


@dataclass(frozen=True)
class Spec:
    category: str
    slug_ru: str
    slug_en: str
    title_ru: str
    title_en: str
    body_ru: str
    body_en: str


ACCOUNT = Spec(
    "billing",
    "nomer-billing-akkaunta",
    "billing-account-number",
    "Номер биллинг-аккаунта, баланс и счета",
    "Your billing account number, balance and invoices",
    """\
Всё, что вы заказываете у нас, живёт на одном **биллинг-аккаунте**: хостинг, домены, серверы и
сертификаты оплачиваются с одного баланса.

## Откуда берётся номер

Аккаунт открывается при первом заказе любой услуги. На контактный адрес приходит письмо
«Вам открыт биллинг-аккаунт»: в нём номер аккаунта и одноразовая ссылка, по которой вы сами
задаёте пароль. Пароль мы никогда не присылаем письмом.

Номер короткий, его легко продиктовать по телефону. Последняя цифра — контрольная: если
ошибиться в одной цифре, поддержка увидит, что номер неверный, а не найдёт чужой аккаунт.

## Что видно на главной странице панели

После входа в панель на главной странице всегда есть:

1. номер аккаунта (нажмите, чтобы скопировать);
2. текущий баланс;
3. дата открытия и сумма всех зачисленных платежей;
4. быстрые действия: продлить услугу, сменить тариф, пополнить баланс.

## Счета

Счёт выставляется, когда вы заказываете услугу, продлеваете её или переходите на более
дорогой тариф. У каждого счёта свой номер; копия счёта приходит на контактный адрес, а все
счета собраны в разделе «Счета». Как только на балансе достаточно денег, счёт оплачивается
с баланса сам — ничего нажимать не нужно.

## Пополнение баланса

Пополнить баланс можно на любую сумму: для этого **счёт не нужен**. В разделе «Пополнить»
укажите сумму и способ оплаты. Будет создан платёж со своим номером — со ссылкой на платёжный
сервис или с документом для оплаты в банке.

> Обращаясь в поддержку или к менеджеру, называйте номер аккаунта, счёта или платежа:
> по номеру вас найдут сразу.
""",
    """\
Everything you order from us lives on one **billing account**: hosting, domains, servers and
certificates are all paid from one balance.

## Where the number comes from

The account is opened with your first order of any service. The contact address receives the
email "Your billing account has been opened" with the account number and a one-time link where
you choose your own password. We never send a password by email.

The number is short enough to read out over the phone. Its last digit is a check digit: if one
digit is wrong, support sees that the number is invalid instead of finding someone else's
account.

## What the panel's home page shows

After you log in, the home page always shows:

1. your account number (click it to copy);
2. the current balance;
3. the date the account was opened and the total of all payments credited;
4. shortcuts: renew a service, change a tariff, top up the balance.

## Invoices

An invoice is issued when you order a service, renew it or move to a more expensive tariff.
Each invoice has its own number; a copy goes to your contact address, and all of them are under
"Invoices". As soon as the balance covers an invoice, it is paid from the balance by itself:
there is nothing to click.

## Topping up the balance

You can top up the balance by any amount, and **no invoice is needed** for that. Under "Top up"
enter the amount and choose how to pay. A payment with its own number is created, with a link
to the payment service or a document to pay at a bank.

> When you write to support or sales, quote the number of your account, invoice or payment:
> they find it at once.
""",
)

BANK = Spec(
    "billing",
    "oplata-bankovskim-perevodom",
    "paying-by-bank-transfer",
    "Оплата банковским переводом",
    "Paying by bank transfer",
    """\
Банковский перевод подходит и компаниям, и частным лицам.

1. В панели откройте «Пополнить», введите сумму и выберите «Банковский перевод».
2. Частному лицу панель выдаст **квитанцию** с QR-кодом: его считывает приложение любого
   банка, реквизиты и сумма подставятся сами. Компании и ИП получают **счёт на оплату** с
   нашими реквизитами и своими данными.
3. Оплатите документ, не меняя назначение платежа: в нём номер платежа и аккаунта.

Деньги зачисляются на баланс, когда приходят к нам на счёт, обычно на следующий рабочий
день. По номеру в назначении платёж находит ваш аккаунт сам; если назначение изменили,
напишите в поддержку номер платёжного поручения и дату.
""",
    """\
A bank transfer suits companies and individuals alike.

1. In the panel open "Top up", enter the amount and choose "Bank transfer".
2. An individual gets a **payment slip** with a QR code that any banking app reads, filling in
   our details and the amount. A company or sole proprietor gets a **bill for payment** with our
   requisites and theirs.
3. Pay the document without changing the payment purpose: it carries the payment and account
   numbers.

The money reaches your balance when it arrives in our bank account, usually the next working
day. The number in the purpose lets the payment find your account by itself; if the purpose was
changed, send support the payment order's number and date.
""",
)

RENEW = Spec(
    "services",
    "prodlenie-uslug",
    "renewing-a-service",
    "Продление услуг",
    "Renewing a service",
    """\
У каждой услуги есть дата «оплачено до». Незадолго до неё мы выставляем счёт на продление и
присылаем напоминание.

- Если включено **автопродление** и на балансе хватает денег, счёт оплатится сам, и услуга
  продлится на следующий период.
- Продлить раньше срока можно на странице услуги: выберите период — чем он длиннее, тем
  дешевле месяц.
- Если счёт не оплачен вовремя, услуга приостанавливается, а данные какое-то время хранятся.
  Пополните баланс — услуга включится, как только счёт будет оплачен.
""",
    """\
Every service has a "paid until" date. Shortly before it we issue a renewal invoice and send a
reminder.

- With **auto-renewal** on and enough money on the balance, the invoice is paid by itself and
  the service runs on for the next period.
- To renew early, open the service's page and choose a period: the longer it is, the less a
  month costs.
- If the invoice is not paid in time, the service is suspended and its data kept for a while.
  Top up the balance: the service comes back as soon as the invoice is paid.
""",
)

TARIFF = Spec(
    "services",
    "smena-tarifa",
    "changing-a-tariff",
    "Смена тарифа",
    "Changing a tariff",
    """\
Тариф меняется на странице услуги: «Сменить тариф».

- **Переход на дороже**: за оставшийся оплаченный срок выставляется счёт на разницу в цене,
  пересчитанную по дням. Новый тариф начинает работать после оплаты.
- **Переход на дешевле**: разница за оставшийся срок возвращается на баланс и пойдёт в
  оплату следующих счетов.

Дата «оплачено до» при смене тарифа не меняется.
""",
    """\
You change a tariff on the service's page: "Change tariff".

- **Upgrading**: for the paid time left you get an invoice for the price difference, prorated
  by days. The new tariff starts once it is paid.
- **Downgrading**: the difference for the time left is credited to your balance and pays your
  next invoices.

The "paid until" date stays the same when the tariff changes.
""",
)

ARTICLES = (ACCOUNT, BANK, RENEW, TARIFF)


def load_help() -> int:
    """Create the demo's help categories and articles that are missing, published, and install
    the guide to the billing panel; returns how many articles the help center has."""
    categories: dict[str, Category] = {}
    for slug, name_ru, name_en, position in CATEGORIES:
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            values = {"slug": slug, "name_ru": name_ru, "name_en": name_en, "position": position}
            category, _changes = kb.save_category(category=None, values=values)
        categories[slug] = category
    for position, spec in enumerate(ARTICLES, start=1):
        if Article.objects.filter(slug_ru=spec.slug_ru).exists():
            continue
        article, _changes = kb.save_article(
            article=None,
            values={
                "category": categories[spec.category],
                "slug_ru": spec.slug_ru,
                "slug_en": spec.slug_en,
                "title_ru": spec.title_ru,
                "title_en": spec.title_en,
                "body_ru": spec.body_ru,
                "body_en": spec.body_en,
                "position": position * 10,
            },
        )
        if article.status != ArticleStatus.PUBLISHED:
            kb.set_published(article=article, published=True)
    guide.sync()  # the guide to the billing panel; staff edits of it are kept (kb.guide)
    return Article.objects.count()
