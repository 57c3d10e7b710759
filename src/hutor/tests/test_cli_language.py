"""`hutor` commands speak one language per run (HUTOR_CLI_LANGUAGE, Russian by default): every
line of a run is Russian or every line is English, and a refused request is one line on stderr
with a documented exit code and no traceback (hutor/commands.py)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hutor.payments.models import BankStatementLine

pytestmark = pytest.mark.django_db

STATEMENT = Path(__file__).parents[1] / "payments" / "tests" / "data" / "statement-2026-11-20.txt"

# What may be Latin in a Russian line: addresses, file names, currency and option codes,
# passwords and codes the reader copies as they are.
ALLOWED = [
    r"https?://\S+",
    r"[\w.+-]+@[\w.-]+",
    r"\S+\.txt",
    r"\b[A-Z]{3}\b",  # currency codes
    r"--[a-z-]+",
    r"hutor-admin|hutor-demo",  # the demo's passwords
    r"`[^`]*`",  # a command to type, as it is typed
    r"\bPowerDNS\b",  # a product's name
]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def latin_words(text: str, *data: str) -> set[str]:
    for value in data:
        text = text.replace(value, " ")
    for pattern in ALLOWED:
        text = re.sub(pattern, " ", text)
    return set(re.findall(r"[A-Za-z]{2,}", text))


def cyrillic_lines(text: str, *data: str) -> list[str]:
    for value in data:
        text = text.replace(value, " ")
    return [line for line in text.splitlines() if CYRILLIC.search(line)]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def statement_customers(account_factory, provider, payment_methods):
    """The billing accounts the statement names (1000002 and on), so some lines match."""
    for name in ("Иванов", "ООО «Ромашка»", "Петров", "Сидоров", "Смирнова", "Козлов"):
        account_factory(name=name)


def bank_data() -> list[str]:
    """What the bank wrote (payers, purposes): shown as it is, in its own language."""
    values: list[str] = []
    for line in BankStatementLine.objects.all():
        values += [line.purpose, line.payer_name, line.document_kind]
    return sorted({v for v in values if v}, key=len, reverse=True)


def test_a_russian_run_has_no_english_in_it(statement_customers, settings):
    settings.HUTOR_CLI_LANGUAGE = "ru"
    output = run("bank", "import", str(STATEMENT))
    output += run("bank", "unmatched")
    output += run("ledger", "check")
    output += run("worker", "--once")
    output += run("demo")
    assert "документов — 10" in output and re.search(r"не сопоставлено: [1-9]", output)
    assert "контрольная цифра" in output
    assert "проверка учёта: в порядке" in output
    assert not latin_words(output, *bank_data()), output


def test_an_english_run_has_no_russian_in_it(statement_customers, settings):
    settings.HUTOR_CLI_LANGUAGE = "en"
    output = run("bank", "import", str(STATEMENT))
    output += run("bank", "unmatched")
    output += run("ledger", "check")
    output += run("worker", "--once")
    output += run("demo")
    assert "10 documents" in output and re.search(r"\n[1-9] unmatched", output)
    assert "payment order No. 1 of 20.11.2026" in output
    assert "check digit" in output
    # The demo customer's name and the bank's own words are data, not the command's.
    assert not cyrillic_lines(output, *bank_data(), "Иван Петров"), output


@pytest.mark.parametrize(
    ("language", "words"),
    [("ru", "нет строки выписки № 999999"), ("en", "no bank statement line #999999")],
)
def test_a_refusal_is_in_the_run_language(statement_customers, settings, language, words):
    settings.HUTOR_CLI_LANGUAGE = language
    with pytest.raises(CommandError, match=words) as refused:
        run("bank", "not-ours", "999999", "--reason", "x")
    assert refused.value.returncode == 1


def test_an_unknown_language_falls_back_to_russian(settings, statement_customers):
    settings.HUTOR_CLI_LANGUAGE = "de"
    assert "не сопоставлено: 0" in run("bank", "unmatched")


def hutor(tmp_path: Path, *args: str, language: str | None) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "HUTOR_CLI_LANGUAGE"}
    }
    env.update(HUTOR_VAR_DIR=str(tmp_path), DEBUG="1", SECRET_KEY="x")
    if language is not None:
        env["HUTOR_CLI_LANGUAGE"] = language
    return subprocess.run(
        [str(Path(sys.executable).parent / "hutor"), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "ошибка: не читается {path}: нет такого файла"),  # Russian by default
        ("en", "error: cannot read {path}: no such file"),
    ],
)
def test_the_console_script_prints_one_line_and_exits_1(tmp_path, language, expected):
    missing = tmp_path / "missing.txt"
    result = hutor(tmp_path, "bank", "import", str(missing), language=language)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [expected.format(path=missing)]
    assert "Traceback" not in result.stderr and "CommandError" not in result.stderr


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ru", ["Банковские выписки", "загрузить файл 1CClientBankExchange"]),
        ("en", ["Bank statements", "import a 1CClientBankExchange file"]),
    ],
)
def test_help_texts_follow_the_language(settings, language, words):
    from django.core.management import load_command_class

    settings.HUTOR_CLI_LANGUAGE = language
    parser = load_command_class("hutor.payments", "bank").create_parser("hutor", "bank")
    shown = " ".join(parser.format_help().split())
    for text in words:
        assert text in shown
