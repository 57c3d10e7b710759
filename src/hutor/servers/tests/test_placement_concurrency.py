"""Placement under real concurrency (PostgreSQL row locks): workers placing services at the
same moment never put more services on a server than its capacity."""

import threading

import pytest
from django.db import connection

from hutor.catalog.models import Tariff
from hutor.core import clock
from hutor.servers import actions as servers
from hutor.services import placement
from hutor.services.models import Service, ServiceStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
SERVICES = 48


def test_concurrent_placements_keep_every_server_within_its_capacity(catalog, account_factory):
    group = servers.add_group(code="race", name="Race")
    small = servers.add_server(name="small", group=group, module="log", host="a", capacity=3)
    big = servers.add_server(name="big", group=group, module="log", host="b", capacity=7)
    Tariff.objects.filter(pk=catalog.start.pk).update(server_group=group)
    # One billing account each: no account lock serialises two placements.
    accounts = [account_factory() for _ in range(SERVICES)]
    ids = [
        Service.objects.create(
            billing_account=accounts[n],
            service_type=catalog.hosting,
            tariff_id=catalog.start.pk,
            period_months=1,
            identifier=f"s{n}.ru",
            status=ServiceStatus.ACTIVE,
            provisioning_module="log",
            created_at=clock.now(),
        ).pk
        for n in range(SERVICES)
    ]
    chunks = [ids[i::THREADS] for i in range(THREADS)]
    placed: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def place(chunk):
        try:
            barrier.wait()
            for pk in chunk:
                try:
                    placement.place(service=Service.objects.get(pk=pk))
                    placed.append(pk)
                except placement.NeedsAttention:
                    refused.append(pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert len(placed) == 10 and len(refused) == SERVICES - 10
    assert placement.loads([small.pk, big.pk]) == {small.pk: 3, big.pk: 7}
