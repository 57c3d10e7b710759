"""The demo dataset: a hosting provider's catalog, requisites, a staff user and a demo customer.

`load()` is idempotent: every row is keyed by a code (service type and tariff codes, a tariff's
period, a feature's position, Provider pk=1, a user's email) and created only when missing, so
edits made in the admin survive the next `make run`; the initial top-up goes through the
ledger with an idempotency key. Loading twice leaves the same rows and the same balances, and
opens no second billing account (so no account number is burned).

All names and requisites are fictional. The INN, OGRN and bank account numbers pass their
checksums (INN and OGRN check digits; the 7-1-3 control key of the accounts against the BIK),
so bank documents printed from the demo look like real ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from hutor.accounts.actions import open_billing_account
from hutor.accounts.models import BillingAccount, User
from hutor.catalog.models import (
    ServiceType,
    Tariff,
    TariffFeature,
    TariffPrice,
)
from hutor.core import clock
from hutor.core.models import Provider
from hutor.core.money import Money
from hutor.demo import dns as demo_dns
from hutor.demo.catalog import CATALOG, OFFER_TEXT_EN, OFFER_TEXT_RU, PROVIDER, TariffSpec
from hutor.demo.kb import load_help
from hutor.ledger.actions import clearing_account, customer_account, post
from hutor.ledger.models import EntryKind
from hutor.offers.actions import publish as publish_offer
from hutor.offers.actions import save_draft as save_offer_draft
from hutor.offers.models import Offer
from hutor.payments.models import Gateway, PaymentMethod
from hutor.taxes import actions as taxes
from hutor.taxes.models import SINCE_EVER, TaxRegime

CURRENCY = "RUB"

ADMIN_EMAIL = "admin@hutor.local"
DEFAULT_ADMIN_PASSWORD = "hutor-admin"
CUSTOMER_EMAIL = "demo@hutor.local"
CUSTOMER_NAME = "Иван Петров"
CUSTOMER_PASSWORD = "hutor-demo"
TOP_UP = Money("1500.00", CURRENCY)
TOP_UP_KEY = "demo:initial-top-up"


@dataclass
class LoadResult:
    service_types: int
    tariffs: int
    prices: int
    admin: User
    # The password the staff user was given now, or None when an existing user kept its own.
    admin_password: str | None
    customer: BillingAccount | None
    # The demo customer's password when the account was opened now (None: it already existed).
    customer_password: str | None
    # Where the demo's PowerDNS listens; None: not installed, hosting uses the "log" module.
    dns: demo_dns.DemoDNS | None = None
    help_articles: int = 0  # articles of the help center (/help/)


def load_catalog() -> tuple[int, int, int]:
    """Write the catalog; return the number of service types, tariffs and prices it holds."""
    tariffs = prices = 0
    for type_position, spec in enumerate(CATALOG, start=1):
        service_type, _ = ServiceType.objects.get_or_create(
            code=spec.code,
            defaults={
                "name_ru": spec.name_ru,
                "name_en": spec.name_en,
                "description_ru": spec.description_ru,
                "description_en": spec.description_en,
                "identifier_kind": spec.identifier_kind,
                "billing_unit": spec.billing_unit,
                "position": type_position * 10,
                "is_active": True,
            },
        )
        for tariff_position, tariff_spec in enumerate(spec.tariffs, start=1):
            _load_tariff(service_type, tariff_spec, tariff_position * 10)
            tariffs += 1
            prices += len(tariff_spec.prices)
    return len(CATALOG), tariffs, prices


def _load_tariff(service_type: ServiceType, spec: TariffSpec, position: int) -> None:
    tariff, _ = Tariff.objects.get_or_create(
        service_type=service_type,
        code=spec.code,
        defaults={
            "name_ru": spec.name_ru,
            "name_en": spec.name_en,
            "description_ru": spec.description_ru,
            "description_en": spec.description_en,
            "domain_zone": spec.domain_zone,
            "grace_days": spec.grace_days,
            "redemption_days": spec.redemption_days,
            "position": position,
            "is_active": True,
        },
    )
    for period, price in spec.prices.items():
        TariffPrice.objects.get_or_create(
            tariff=tariff,
            period_months=period,
            currency=CURRENCY,
            defaults={
                "price": Decimal(price),
                "setup_fee": Decimal(spec.setup_fees.get(period, "0")),
                "restore_fee": Decimal(spec.restore_fee),
                "is_active": True,
            },
        )
    # A feature is keyed by its position within the tariff.
    for feature_position, (name_ru, name_en, value) in enumerate(spec.features, start=1):
        TariffFeature.objects.get_or_create(
            tariff=tariff,
            position=feature_position,
            defaults={"name_ru": name_ru, "name_en": name_en, "value": value},
        )


def load_provider() -> Provider:
    provider, _ = Provider.objects.get_or_create(pk=1, defaults=PROVIDER)
    if not Offer.objects.exists():  # the first version of the public offer, in force today
        offer, _changes = save_offer_draft(
            offer=None,
            values={
                "number": "1",
                "effective_from": clock.today(),
                "text_ru": OFFER_TEXT_RU,
                "text_en": OFFER_TEXT_EN,
            },
        )
        publish_offer(offer=offer)
    if not provider.tax_rules.exists():
        # A small provider on the simplified regime, released from VAT: «Без НДС».
        taxes.add_rule(
            provider=provider, regime=TaxRegime.SIMPLIFIED, rate=None, effective_from=SINCE_EVER
        )
    return provider


def ensure_staff_user(*, password: str | None) -> tuple[User, str | None]:
    """The demo's superuser. A new one gets `password` (or the default); an existing one keeps
    its own password unless `password` is given. Returns the user and the password it was
    given now (None: unchanged)."""
    user = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if user is None:
        given = password or DEFAULT_ADMIN_PASSWORD
        user = User.objects.create_superuser(
            email=ADMIN_EMAIL, password=given, full_name="Hutor administrator"
        )
        return user, given
    changed: list[str] = []
    if not (user.is_staff and user.is_superuser and user.is_active):
        user.is_staff = user.is_superuser = user.is_active = True
        changed += ["is_staff", "is_superuser", "is_active"]
    if password and not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return user, password if password else None


def ensure_demo_customer() -> tuple[BillingAccount | None, str | None]:
    """Open the demo customer's billing account unless a login with its email exists.

    Returns the account (None when that login exists but owns no billing account) and the
    password it was opened with now (None: it existed already)."""
    existing = User.objects.filter(email__iexact=CUSTOMER_EMAIL).first()
    if existing is not None:
        return BillingAccount.objects.filter(user=existing).first(), None
    # The login has its password already, so no activation email (its one-time link is how a
    # real customer sets one).
    account = open_billing_account(
        email=CUSTOMER_EMAIL, name=CUSTOMER_NAME, password=CUSTOMER_PASSWORD, notify=False
    )
    return account, CUSTOMER_PASSWORD


def top_up_demo_customer(account: BillingAccount) -> bool:
    """Credit the demo customer's balance once (the ledger's idempotency key makes sure).

    Returns whether the top-up was posted now."""
    _, posted = post(
        lines=[
            (clearing_account("demo", CURRENCY), -TOP_UP),
            (customer_account(account), TOP_UP),
        ],
        kind=EntryKind.TOP_UP,
        memo="Demo top-up",
        reference="demo",
        billing_account=account,
        idempotency_key=TOP_UP_KEY,
    )
    return posted


def load_payment_methods() -> None:
    """The built-in demo payment service (pays end to end offline) and bank transfer."""
    PaymentMethod.objects.get_or_create(
        slug="demo",
        defaults={
            "gateway": Gateway.DEMO,
            "name_ru": "Демо-платёжный сервис",
            "name_en": "Demo payment service",
            "settings": {"secret": secrets.token_urlsafe(32)},
            "is_test_mode": True,
            "position": 1,
        },
    )
    PaymentMethod.objects.get_or_create(
        slug="bank",
        defaults={
            "gateway": Gateway.BANK_TRANSFER,
            "name_ru": "Банковский перевод",
            "name_en": "Bank transfer",
            "min_amount": Decimal("100.00"),
            "max_amount": Decimal("10000000.00"),
            "position": 2,
        },
    )


def load(*, admin_password: str | None = None) -> LoadResult:
    """Load the whole demo dataset in one transaction; safe to run any number of times."""
    with transaction.atomic():
        service_types, tariffs, prices = load_catalog()
        load_provider()
        load_payment_methods()
        help_articles = load_help()
        admin, given_admin_password = ensure_staff_user(password=admin_password)
        customer, customer_password = ensure_demo_customer()
        if customer is not None and customer.currency == CURRENCY:
            top_up_demo_customer(customer)
        dns_server = demo_dns.configure()
        demo_dns.load(dns_server)
    return LoadResult(
        service_types=service_types,
        tariffs=tariffs,
        prices=prices,
        admin=admin,
        admin_password=given_admin_password,
        customer=customer,
        customer_password=customer_password,
        dns=dns_server,
        help_articles=help_articles,
    )
