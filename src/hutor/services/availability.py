"""Is a domain name free to register: the order form's and the domain search's question, asked
of the registrar that sells the zone (registrar.RegistrarModule.availability).

Each zone's tariff names a server group whose servers run a registrar module; the question goes
to the group's first enabled server, outside any transaction, several names of one registrar in
one call. An answer is kept in the cache for a minute (a search typed twice asks once). When no
registrar can answer (a zone sold by the `manual` module, a registry that is down) the answer
is "unknown": the order is still taken, and a name taken meanwhile is refunded when the
registration is refused (services.refusals).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache

from hutor.catalog.models import Tariff
from hutor.servers.models import Server
from hutor.services.provisioning import MODULES, ServerAccess, get_module
from hutor.services.provisioning.registrar import RegistrarModule, ascii_name

log = logging.getLogger("hutor.provisioning")

CACHE_SECONDS = 60


@dataclass(frozen=True)
class Answer:
    name: str  # as the customer wrote it, normalised
    tariff: Tariff
    available: bool | None  # None: no registrar could say
    reason: str = ""


def _registrar(tariff: Tariff) -> Server | None:
    """The server that answers for the tariff's zone: the first enabled server of its group
    whose module is a registrar declaring `availability`."""
    if tariff.server_group_id is None:
        return None
    for server in Server.objects.filter(group_id=tariff.server_group_id, enabled=True).order_by(
        "pk"
    ):
        module = MODULES.get(server.module)
        if module is not None and issubclass(module, RegistrarModule):
            return server if module.supports("availability") else None
    return None


def check(pairs: Sequence[tuple[Tariff, str]]) -> list[Answer]:
    """The answers for (zone tariff, domain name) pairs, in the order asked."""
    answers: dict[int, Answer] = {}
    asking: dict[int, list[tuple[int, Tariff, str]]] = defaultdict(list)
    servers: dict[int, Server] = {}
    for position, (tariff, name) in enumerate(pairs):
        cached = cache.get(_key(name))
        if cached is not None:
            answers[position] = Answer(name, tariff, cached[0], cached[1])
            continue
        server = _registrar(tariff)
        if server is None:
            answers[position] = Answer(name, tariff, None)
            continue
        servers[server.pk] = server
        asking[server.pk].append((position, tariff, name))
    for server_pk, wanted in asking.items():
        server = servers[server_pk]
        module = get_module(server.module)
        assert isinstance(module, RegistrarModule)
        try:
            replies = module.availability(ServerAccess.of(server), [n for _p, _t, n in wanted])
        except Exception as exc:  # the registry is down: say "unknown", never fail the page
            log.warning("availability at %s failed: %s", server.name, type(exc).__name__)
            replies = []
        by_name = {ascii_name(r.name): r for r in replies}
        for position, tariff, name in wanted:
            reply = by_name.get(ascii_name(name))
            if reply is None:
                answers[position] = Answer(name, tariff, None)
                continue
            answers[position] = Answer(name, tariff, reply.available, reply.reason)
            cache.set(_key(name), (reply.available, reply.reason), CACHE_SECONDS)
    return [answers[position] for position in range(len(pairs))]


def _key(name: str) -> str:
    return f"hutor:availability:{ascii_name(name)}"
