"""What the EPP tests share: the registrars' credentials, a registrant, the server started and
checked, a domain service ordered through the real order and a context for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hutor.catalog.models import Tariff
from hutor.servers import actions as servers
from hutor.services.actions import place_order
from hutor.services.provisioning import ProvisioningContext, ServerAccess
from hutor.services.provisioning.epp import close_sessions
from hutor.services.provisioning.registrar import Registrant
from hutor.services.provisioning.tests.epp_server import EppServer

CLID, PASSWORD = "hutor-reg", "Secr3t-pw-0042"  # eppcom:clIDType 3-16, epp:pwType 6-16
OTHER, OTHER_PASSWORD = "other-reg", "0ther-pw-0042"  # another registrar at the registry
NAMESERVERS = ("ns1.hosting.example", "ns2.hosting.example")

PERSON = Registrant(
    kind="person",
    email="ivanov@example.org",
    phone="+7.9161234567",
    country="RU",
    city="Москва",
    postcode="101000",
    street="ул. Тверская, д. 1",
    name="Иванов Иван Иванович",
    name_latin="Ivan I Ivanov",
    birth_date=dt.date(1980, 1, 2),
    passport="4510 123456, выдан ОВД Тверской, 01.02.2010",
)

COMPANY = Registrant(
    kind="company",
    email="office@hutor.example",
    phone="+7.4950000000",
    country="RU",
    city="Moscow",
    postcode="117312",
    street="Vavilova 19",
    org="ООО «Хутор»",
    org_latin="Hutor LLC",
    inn="7707083893",
    kpp="773601001",
)


@contextmanager
def running(folder: Path, client_ca: Path | None = None) -> Iterator[EppServer]:
    """The server with two registrars; fails when anything Hutor sent (or the server
    answered) was outside the RFC schemas."""
    server = EppServer(folder, {CLID: PASSWORD, OTHER: OTHER_PASSWORD}, client_ca).start()
    try:
        yield server
    finally:
        close_sessions()
        server.stop()
    assert server.violations == [], "outside the RFC schemas:\n" + "\n".join(server.violations)


def add_registry(epp: EppServer, **settings: Any):
    """The registry as a Hutor server (servers.actions.add_server, module "epp") taking the
    domain tariffs of the `catalog` fixture."""
    group = servers.add_group(code="registry-1", name="Registry")
    server = servers.add_server(
        name="registry",
        group=group,
        module="epp",
        host="127.0.0.1",
        port=epp.port,
        username=CLID,
        password=PASSWORD,
        settings={"ca_file": str(epp.cert), "prefix": "HUT-", **settings},
    )
    Tariff.objects.filter(service_type__code="domain").update(server_group=group)
    return server


def order_domain(catalog, account_factory, name: str = "example.ru", months: int = 12):
    """A domain service ordered through the real order (its invoice not yet paid)."""
    tariff = catalog.rf if name.endswith(".рф") else catalog.ru
    tariff.refresh_from_db()
    return place_order(
        billing_account=account_factory(), price=catalog.price(tariff, months), identifier=name
    )


def context(
    service,
    server,
    *,
    registrant: Registrant | None = PERSON,
    nameservers: tuple[str, ...] = NAMESERVERS,
    auth_code: str = "",
    **params: str,
) -> ProvisioningContext:
    service.refresh_from_db()
    server.refresh_from_db()
    return ProvisioningContext(
        service=service,
        params={},
        server=ServerAccess.of(server),
        operation_params=params,
        registrant=registrant,
        nameservers=nameservers,
        auth_code=auth_code,
    )
