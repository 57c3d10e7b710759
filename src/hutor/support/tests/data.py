"""The departments a fresh installation has (migration support 0002), made again for tests
that run after a transactional test has emptied the database."""

from __future__ import annotations

from hutor.support.models import Department

DEPARTMENTS = [
    ("billing", "Оплата и документы", "Billing and documents", 10),
    ("technical", "Техническая поддержка", "Technical support", 20),
    ("domains", "Домены", "Domains", 30),
]


def department(code: str = "technical") -> Department:
    """The department `code`, with the others of a fresh installation."""
    for each, ru, en, position in DEPARTMENTS:
        Department.objects.get_or_create(
            code=each, defaults={"name_ru": ru, "name_en": en, "position": position}
        )
    return Department.objects.get(code=code)
