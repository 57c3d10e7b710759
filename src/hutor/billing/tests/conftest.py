"""Fixtures of the billing run's tests."""

from __future__ import annotations

import datetime as dt

import pytest

from hutor.billing.tests import helpers


@pytest.fixture(autouse=True)
def _billing_rules(settings):
    """The documented defaults, whatever the environment says."""
    settings.HUTOR_BILLING_RENEW_DAYS_BEFORE = {"default": 7, "domain": 30}
    settings.HUTOR_BILLING_REMINDER_DAYS = [-3, 0, 3]
    settings.HUTOR_BILLING_EXPIRING_TYPES = ["domain"]
    settings.HUTOR_BILLING_GRACE_DAYS = 3
    settings.HUTOR_BILLING_TERMINATE_AFTER_DAYS = 30
    settings.HUTOR_BILLING_CANCEL_ORDERS_AFTER_DAYS = 14
    settings.HUTOR_BILLING_BATCH_SIZE = 500


@pytest.fixture
def active_service(catalog):
    """Make an active service paid until a date, without going through an order."""

    def make(account, tariff=None, *, months=1, paid_until: dt.date, **fields):
        return helpers.active_service(
            account, tariff or catalog.start, months=months, paid_until=paid_until, **fields
        )

    return make
