import pytest
from hutor.core.money import Money
from hutor.ledger import actions, checks
from hutor.ledger.models import EntryKind

@pytest.mark.django_db
def test_probe(account_factory):
    c = actions.customer_account(account_factory())
    clr = actions.clearing_account("card", "RUB")
    rev = actions.revenue_account("vps", "RUB")
    for a in ["0.10", "0.20"]:
        actions.post(lines=[(clr, Money("-" + a, "RUB")), (c, Money(a, "RUB"))], kind=EntryKind.TOP_UP)
    actions.post(lines=[(c, Money("-0.30", "RUB")), (rev, Money("0.30", "RUB"))], kind=EntryKind.SETTLEMENT)
    actions.post(lines=[(clr, Money("-0.10", "RUB")), (c, Money("0.07", "RUB")), (rev, Money("0.03", "RUB"))], kind=EntryKind.TOP_UP)
    actions.post(lines=[(clr, Money("-1.10", "RUB")), (c, Money("0.70", "RUB")), (rev, Money("0.20", "RUB")), (rev, Money("0.20", "RUB"))], kind=EntryKind.TOP_UP)
    r = checks.run()
    print(r)
    assert r.ok
