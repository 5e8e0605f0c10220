"""The shared CSV writer: text that a spreadsheet would evaluate is neutralised, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from infra.csv_export import BOM, csv_text, safe_cell

FORMULAS = [
    '=HYPERLINK("http://evil.example/","点此领取")',
    "@SUM(1)",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "-",
    "\t=1+1",
    "\r=1+1",
    '＝HYPERLINK("http://evil.example/")',  # full-width equals sign
    "＠SUM(1)",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_text_cell_that_a_spreadsheet_would_evaluate_gets_a_leading_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["张*明", "4401**********1234", "2026-12", "440105-20260105-0001", '{"a": -1}', " =1", ""]
)
def test_ordinary_text_is_left_as_it_is(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-5, -1250, 0, 3, -12.5, Decimal("-12.50"), True])
def test_numbers_are_written_as_numbers_even_when_negative(value: object) -> None:
    assert safe_cell(value) is value


@pytest.mark.parametrize("value", ["-12.50", "-5", "+3", "1234.56"])
def test_a_money_or_count_written_as_plain_decimal_text_stays_a_number(value: str) -> None:
    # A spreadsheet reads "-12.50" as minus twelve and a half either way: no apostrophe, which would
    # turn a legitimately negative amount into text that no longer sums.
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", ["-١٢", "-１２", "-12.5.1", "-12e3", "-0x1F"])
def test_only_ascii_plain_decimals_count_as_numbers(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_a_whole_document_reads_back_with_every_formula_neutralised_and_numbers_intact() -> None:
    document = csv_text(
        ["用户名", "客户端", "金额（分）", "金额（元）"], [[FORMULAS[0], "@SUM(1)", -1250, "-12.50"]]
    )
    assert document.startswith(BOM)
    rows = list(csv.reader(io.StringIO(document.removeprefix(BOM))))
    assert rows == [
        ["用户名", "客户端", "金额（分）", "金额（元）"],
        ["'" + FORMULAS[0], "'@SUM(1)", "-1250", "-12.50"],
    ]
