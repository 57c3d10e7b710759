from __future__ import annotations

import pytest

# The desk's fixtures (staff by role, a customer's world, a provisioning task given up) and the
# receiver, shared with the desk's webhook tests.
from hutor.backoffice.tests.conftest import (  # noqa: F401
    fail_for_good,
    staff_factory,
    world,
)
from hutor.core.events import EventKind
from hutor.webhooks import actions
from hutor.webhooks.tests.receiver import receiver  # noqa: F401


@pytest.fixture
def endpoint(db, receiver):  # noqa: F811
    """An endpoint of every event kind pointing at the receiver, which knows its secret."""
    made, secret = actions.create_endpoint(url=receiver.url, events=EventKind.values)
    receiver.secret = secret
    return made
