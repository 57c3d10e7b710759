"""Migration 0008: the default company's counters "closing-YYYY" and "advance-YYYY" take the
company's id, as every other company's counters are named; a counter of the new name that
already exists continues after the larger of the two, so no number is issued twice."""

import pytest

from hutor.testing import migrate_to

BEFORE = [("documents", "0007_merge_companies_one_offs_edo")]
AFTER = [("documents", "0008_series_by_company_id")]


@pytest.mark.django_db(transaction=True)
def test_the_default_company_s_series_take_its_id():
    apps = migrate_to(BEFORE)
    Provider = apps.get_model("core", "Provider")
    Sequence = apps.get_model("core", "Sequence")
    default = Provider.objects.create(
        legal_name="ООО «Х»", short_name="Х", inn="7707083893", address="Москва",
        is_default=True,
    )  # fmt: skip
    Sequence.objects.create(name="closing-2026", next_value=41)
    Sequence.objects.create(name="advance-2026", next_value=7)
    Sequence.objects.create(name="closing-2025", next_value=300)
    Sequence.objects.create(name=f"advance-2025-c{default.pk}", next_value=12)  # already there
    Sequence.objects.create(name="advance-2025", next_value=9)
    Sequence.objects.create(name="invoice-2026", next_value=5)  # not a document series here

    apps = migrate_to(AFTER)
    counters = dict(apps.get_model("core", "Sequence").objects.values_list("name", "next_value"))
    c = f"-c{default.pk}"
    assert counters == {
        f"closing-2026{c}": 41,
        f"advance-2026{c}": 7,
        f"closing-2025{c}": 300,
        f"advance-2025{c}": 12,  # the larger of 12 and 9
        "invoice-2026": 5,
    }

    migrate_to()
