"""The demo catalog and provider requisites: what `hutor demo` loads (see data.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hutor.catalog.models import (
    BillingUnit,
    IdentifierKind,
)

CURRENCY = "RUB"

YES = "✓"
UNLIMITED = "∞"


@dataclass(frozen=True)
class TariffSpec:
    code: str
    name_ru: str
    name_en: str
    description_ru: str
    description_en: str
    # period in months -> price; a longer period never costs more per month
    prices: dict[int, str]
    # (name_ru, name_en, value); the value is language-neutral: units go into the name
    features: tuple[tuple[str, str, str], ...] = ()
    # period in months -> one-off setup fee, where there is one
    setup_fees: dict[int, str] = field(default_factory=dict)
    # domain registration tariffs: the zone they register, without the dot
    domain_zone: str = ""
    # an expired domain of the zone: days renewed at the usual price, then days only restored
    # from redemption for `restore_fee` on top (docs/domains.md, "Expiry")
    grace_days: int | None = None
    redemption_days: int = 0
    restore_fee: str = "0"


@dataclass(frozen=True)
class ServiceTypeSpec:
    code: str
    name_ru: str
    name_en: str
    description_ru: str
    description_en: str
    identifier_kind: str
    billing_unit: str
    tariffs: tuple[TariffSpec, ...]


def _hosting(
    code: str,
    name: tuple[str, str],
    description: tuple[str, str],
    prices: dict[int, str],
    sites: str,
    disk: str,
    mailboxes: str,
    databases: str,
    backups: str,
) -> TariffSpec:
    return TariffSpec(
        code,
        *name,
        *description,
        prices=prices,
        features=(
            ("Сайты", "Websites", sites),
            ("Диск NVMe, ГБ", "NVMe storage, GB", disk),
            ("Почтовые ящики", "Mailboxes", mailboxes),
            ("Базы данных MySQL", "MySQL databases", databases),
            ("Резервные копии, дней", "Daily backups kept, days", backups),
            ("SSL-сертификат Let's Encrypt", "Let's Encrypt SSL certificate", YES),
        ),
    )


def _vps(
    code: str,
    *,
    price: tuple[str, str, str, str],
    setup_fee: str,
    cpu: str,
    ram: str,
    disk: str,
    net: str,
) -> TariffSpec:
    """A VPS tariff priced for 1, 3, 6 and 12 months; the setup fee is waived for 3 months
    and longer."""
    name = code.upper()
    return TariffSpec(
        code,
        name,
        name,
        f"KVM, {cpu} vCPU, {ram} ГБ RAM, {disk} ГБ NVMe.",
        f"KVM, {cpu} vCPU, {ram} GB RAM, {disk} GB NVMe.",
        prices=dict(zip((1, 3, 6, 12), price, strict=True)),
        setup_fees={1: setup_fee},
        features=(
            ("Процессор, vCPU", "CPU, vCPU", cpu),
            ("Память, ГБ", "Memory, GB", ram),
            ("Диск NVMe, ГБ", "NVMe disk, GB", disk),
            ("Канал, Мбит/с", "Bandwidth, Mbit/s", net),
            ("IPv4-адреса", "IPv4 addresses", "1"),
            ("Root-доступ", "Root access", YES),
        ),
    )


def _zone(
    code: str,
    zone: str,
    description: tuple[str, str],
    year: str,
    two_years: str,
    restore_fee: str = "",
) -> TariffSpec:
    """A zone: .ru/.рф/.su renew for 30 days after expiry and are then released (no redemption);
    a gTLD renews for 30 days, then is restored from a 30-day redemption for a fee."""
    return TariffSpec(
        code,
        zone,
        zone,
        *description,
        prices={12: year, 24: two_years},
        domain_zone=zone.removeprefix("."),
        grace_days=30,
        redemption_days=30 if restore_fee else 0,
        restore_fee=restore_fee or "0",
        features=(
            ("Управление DNS", "DNS management", YES),
            ("Скрытие данных в WHOIS", "WHOIS privacy", YES),
        ),
    )


def _admin_plan(
    code: str,
    name: tuple[str, str],
    description: tuple[str, str],
    prices: dict[int, str],
    servers: str,
    response_minutes: str,
    hours: str,
) -> TariffSpec:
    return TariffSpec(
        code,
        *name,
        *description,
        prices=prices,
        features=(
            ("Серверы", "Servers", servers),
            ("Время реакции, минут", "Response time, minutes", response_minutes),
            ("Работы администратора, часов в месяц", "Admin work, hours a month", hours),
            ("Мониторинг 24/7", "24/7 monitoring", YES),
            ("Обновления безопасности", "Security updates", YES),
        ),
    )


CATALOG: tuple[ServiceTypeSpec, ...] = (
    ServiceTypeSpec(
        "hosting",
        "Хостинг",
        "Web hosting",
        "Виртуальный хостинг с панелью управления, почтой и бесплатными SSL-сертификатами.",
        "Shared hosting with a control panel, email and free SSL certificates.",
        IdentifierKind.DOMAIN,
        BillingUnit.MONTH,
        (
            _hosting(
                "start",
                ("Старт", "Start"),
                ("Для сайта-визитки или блога.", "For a business-card site or a blog."),
                {1: "199.00", 3: "567.00", 6: "1074.00", 12: "1908.00"},
                sites="1",
                disk="10",
                mailboxes="10",
                databases="3",
                backups="7",
            ),
            _hosting(
                "business",
                ("Бизнес", "Business"),
                (
                    "Для интернет-магазина и нескольких сайтов компании.",
                    "For an online shop and a few company sites.",
                ),
                {1: "399.00", 3: "1137.00", 6: "2154.00", 12: "3948.00"},
                sites="10",
                disk="30",
                mailboxes="100",
                databases="20",
                backups="14",
            ),
            _hosting(
                "pro",
                ("Профи", "Pro"),
                ("Для веб-студий и нагруженных проектов.", "For web studios and busy projects."),
                {1: "749.00", 3: "2127.00", 6: "4014.00", 12: "7188.00"},
                sites=UNLIMITED,
                disk="60",
                mailboxes=UNLIMITED,
                databases=UNLIMITED,
                backups="30",
            ),
        ),
    ),
    ServiceTypeSpec(
        "domain",
        "Домены",
        "Domains",
        "Регистрация и продление доменов в российских и международных зонах.",
        "Registration and renewal of domains in Russian and international zones.",
        IdentifierKind.DOMAIN,
        BillingUnit.YEAR,
        (
            _zone(
                "ru",
                ".ru",
                ("Национальный домен России.", "The national domain of Russia."),
                "249.00",
                "498.00",
            ),
            _zone(
                "rf",
                ".рф",
                ("Кириллический домен России.", "The Cyrillic domain of Russia (.xn--p1ai)."),
                "249.00",
                "498.00",
            ),
            _zone(
                "su",
                ".su",
                ("Домен, унаследованный от СССР.", "The domain inherited from the USSR."),
                "590.00",
                "1180.00",
            ),
            _zone(
                "com",
                ".com",
                ("Самая известная международная зона.", "The best-known international zone."),
                "1190.00",
                "2380.00",
                restore_fee="7900.00",
            ),
            _zone(
                "net",
                ".net",
                ("Международная зона для сетевых проектов.", "An international zone for networks."),
                "1390.00",
                "2780.00",
                restore_fee="7900.00",
            ),
            _zone(
                "org",
                ".org",
                ("Зона некоммерческих организаций.", "The zone of non-profit organisations."),
                "1290.00",
                "2580.00",
                restore_fee="7900.00",
            ),
        ),
    ),
    ServiceTypeSpec(
        "vps",
        "Виртуальные серверы (VPS)",
        "Virtual servers (VPS)",
        "Серверы на KVM с NVMe-дисками, root-доступом и выделенным IPv4-адресом.",
        "KVM servers with NVMe storage, root access and a dedicated IPv4 address.",
        IdentifierKind.HOSTNAME,
        BillingUnit.MONTH,
        (
            _vps(
                "vps-1",
                price=("390.00", "1110.00", "2100.00", "3900.00"),
                setup_fee="300.00",
                cpu="1",
                ram="1",
                disk="15",
                net="100",
            ),
            _vps(
                "vps-2",
                price=("690.00", "1980.00", "3780.00", "6960.00"),
                setup_fee="300.00",
                cpu="2",
                ram="2",
                disk="30",
                net="200",
            ),
            _vps(
                "vps-4",
                price=("1490.00", "4290.00", "8220.00", "15120.00"),
                setup_fee="500.00",
                cpu="4",
                ram="8",
                disk="80",
                net="500",
            ),
            _vps(
                "vps-8",
                price=("2890.00", "8340.00", "15960.00", "29520.00"),
                setup_fee="500.00",
                cpu="8",
                ram="16",
                disk="160",
                net="1000",
            ),
        ),
    ),
    ServiceTypeSpec(
        "ssl",
        "SSL-сертификаты",
        "SSL certificates",
        "Сертификаты для HTTPS: от проверки домена до проверки организации.",
        "Certificates for HTTPS, from domain validation to organisation validation.",
        IdentifierKind.DOMAIN,
        BillingUnit.YEAR,
        (
            TariffSpec(
                "dv",
                "DV-сертификат",
                "DV certificate",
                "Проверка владения доменом, выпуск за несколько минут.",
                "Domain ownership check, issued within minutes.",
                prices={12: "1490.00", 24: "2790.00"},
                features=(
                    ("Проверка", "Validation", "DV"),
                    ("Домены", "Domains", "1"),
                    ("Поддомены", "Subdomains", "www"),
                ),
            ),
            TariffSpec(
                "wildcard",
                "Wildcard-сертификат",
                "Wildcard certificate",
                "Один сертификат для домена и всех его поддоменов.",
                "One certificate for a domain and all its subdomains.",
                prices={12: "7990.00", 24: "14990.00"},
                features=(
                    ("Проверка", "Validation", "DV"),
                    ("Домены", "Domains", "1"),
                    ("Поддомены", "Subdomains", UNLIMITED),
                ),
            ),
            TariffSpec(
                "ov",
                "OV-сертификат",
                "OV certificate",
                "Проверка организации: её название записано в сертификате.",
                "Organisation validation: its name is written into the certificate.",
                prices={12: "6490.00", 24: "11990.00"},
                features=(
                    ("Проверка", "Validation", "OV"),
                    ("Домены", "Domains", "1"),
                    ("Название организации в сертификате", "Organisation name in certificate", YES),
                ),
            ),
        ),
    ),
    ServiceTypeSpec(
        "admin",
        "Администрирование серверов",
        "Server administration",
        "Администраторы следят за вашим сервером, обновляют его и разбирают инциденты.",
        "Our administrators watch your server, keep it updated and handle incidents.",
        IdentifierKind.NONE,
        BillingUnit.MONTH,
        (
            _admin_plan(
                "admin-basic",
                ("Базовое", "Basic"),
                ("Мониторинг и обновления одного сервера.", "Monitoring and updates of a server."),
                {1: "1990.00", 3: "5670.00", 12: "21480.00"},
                servers="1",
                response_minutes="240",
                hours="2",
            ),
            _admin_plan(
                "admin-standard",
                ("Стандарт", "Standard"),
                (
                    "Настройка, резервное копирование и помощь с сайтами.",
                    "Setup, backups and help with your sites.",
                ),
                {1: "4990.00", 3: "14190.00", 12: "53880.00"},
                servers="1",
                response_minutes="60",
                hours="6",
            ),
            _admin_plan(
                "admin-premium",
                ("Премиум", "Premium"),
                (
                    "Несколько серверов и дежурный администратор.",
                    "Several servers and an administrator on call.",
                ),
                {1: "9990.00", 3: "28470.00", 12: "107880.00"},
                servers="3",
                response_minutes="15",
                hours="20",
            ),
        ),
    ),
)

PROVIDER: dict[str, object] = {
    "legal_name": "Общество с ограниченной ответственностью «Хутор Хостинг»",
    "short_name": "ООО «Хутор Хостинг»",
    "inn": "7714680234",
    "kpp": "771401001",
    "ogrn": "1167746179204",
    "address": "125167, г. Москва, Ленинградский проспект, д. 39, стр. 79, офис 12",
    "phone": "+7 495 000-00-00",
    "email": "billing@hutor.local",
    "website": "https://hutor.local",
    "bank_name": "АО «Полевой банк», г. Москва",
    "bik": "044525917",
    "correspondent_account": "30101810200000000917",
    "settlement_account": "40702810138000074215",
    "director": "Кузнецов Алексей Викторович",
    "accountant": "Соколова Марина Андреевна",
}

# The demo's public offer, version 1 (the offers app; later versions are written in the desk).
OFFER_TEXT_RU = (
    "Публичная оферта о заключении договора оказания услуг хостинга (демонстрационный текст: "
    "напишите свою редакцию в бэк-офисе, «Настройки» → «Публичная оферта»).\n\n"
    "1. ООО «Хутор Хостинг» (Исполнитель) предлагает любому лицу (Заказчику) заключить "
    "договор оказания услуг хостинга, регистрации доменов, аренды VPS, SSL-сертификатов и "
    "администрирования серверов на условиях этой оферты.\n\n"
    "2. Акцепт оферты: оформление заказа на сайте Исполнителя с отметкой о согласии с "
    "офертой. С акцепта договор считается заключённым.\n\n"
    "3. Услуги оказываются за оплаченные периоды по тарифам, опубликованным на сайте; "
    "оплата вносится на баланс биллинг-аккаунта Заказчика.\n\n"
    "4. Реквизиты Исполнителя указаны на этой странице и в каждом счёте."
)
OFFER_TEXT_EN = (
    "Public offer to conclude a contract for hosting services (a demonstration text: write "
    "your own version in the desk, Settings → Public offer).\n\n"
    "1. Hutor Hosting LLC (the Contractor) offers any person (the Customer) a contract for "
    "hosting, domain registration, VPS rental, SSL certificates and server administration on "
    "the terms of this offer.\n\n"
    "2. Acceptance: placing an order on the Contractor's website with the box of consent to "
    "this offer ticked. From the acceptance the contract is concluded.\n\n"
    "3. Services are rendered for paid periods at the tariffs published on the website; "
    "payment is made to the balance of the Customer's billing account.\n\n"
    "4. The Contractor's requisites are given on this page and in every invoice."
)
