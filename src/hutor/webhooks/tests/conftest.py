from __future__ import annotations

from collections.abc import Iterator

import pytest

from hutor.backoffice.tests.conftest import staff_factory  # noqa: F401 (the desk's fixture)
from hutor.core.events import EventKind
from hutor.webhooks import actions
from hutor.webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (its secret is set by `endpoint`)."""
    found = Receiver()
    found.start()
    yield found
    found.stop()


@pytest.fixture
def endpoint(db, receiver):
    """An endpoint of every event kind pointing at the receiver, which knows its secret."""
    made, secret = actions.create_endpoint(url=receiver.url, events=EventKind.values)
    receiver.secret = secret
    return made
