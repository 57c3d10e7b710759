"""The default company's counters "closing-YYYY" and "advance-YYYY" become
"closing-YYYY-c<id>" and "advance-YYYY-c<id>", as every other company's are named: a series is
named by its company's id, so moving the default to another company mid-year no longer
renames (and restarts) two companies' series.

Should a counter of the new name already exist (the default was moved before this migration),
the kept counter continues after the larger of the two, so no number is issued twice."""

import re

from django.db import migrations

OLD = re.compile(r"^(closing|advance)-(\d{4})$")


def by_company_id(apps, schema_editor):
    Provider = apps.get_model("core", "Provider")
    Sequence = apps.get_model("core", "Sequence")
    default = Provider.objects.filter(is_default=True).first()
    if default is None:
        return
    for counter in Sequence.objects.filter(name__regex=r"^(closing|advance)-[0-9]{4}$"):
        new_name = f"{counter.name}-c{default.pk}"
        existing = Sequence.objects.filter(name=new_name).first()
        if existing is not None:
            existing.next_value = max(existing.next_value, counter.next_value)
            existing.save(update_fields=["next_value"])
            counter.delete()
        else:
            Sequence.objects.filter(pk=counter.pk).update(name=new_name)


def back(apps, schema_editor):
    Provider = apps.get_model("core", "Provider")
    Sequence = apps.get_model("core", "Sequence")
    default = Provider.objects.filter(is_default=True).first()
    if default is None:
        return
    suffix = f"-c{default.pk}"
    for counter in Sequence.objects.filter(name__endswith=suffix):
        old_name = counter.name[: -len(suffix)]
        if OLD.match(old_name) and not Sequence.objects.filter(name=old_name).exists():
            Sequence.objects.filter(pk=counter.pk).update(name=old_name)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_companies"),
        ("documents", "0007_merge_companies_one_offs_edo"),
    ]

    operations = [migrations.RunPython(by_company_id, back)]
