"""Outside the API edge too, digits are ASCII digits (issue 16): department answers and months.

`str.isdigit()`, `int()`, `Decimal()` and `\\d` all accept full-width and other scripts' digits, and
`int("²")` fails after `"²".isdigit()` said yes. A department answer in such digits is bad data to
look at, not an income to count.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.department_data import DepartmentBadData, last_day_of_month
from infra.departments.wire import TaxIncome, Taxpayer


@pytest.mark.parametrize("month", ["２０２６-01", "2026-0²", "٢٠٢٦-01"])
def test_a_month_in_other_digits_is_bad_department_data(month: str) -> None:
    with pytest.raises(DepartmentBadData):
        last_day_of_month(month)


@pytest.mark.parametrize(
    "income",
    [
        {"period": "2026-01", "item": "salary", "amount": "２３００.00"},
        {"period": "２０２６-01", "item": "salary", "amount": "2300.00"},
        {"period": "2026-01", "item": "salary", "amount": "2300.00\n"},
    ],
)
def test_tax_incomes_in_other_digits_are_refused(income: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        TaxIncome.model_validate(income)


def test_a_full_width_id_number_from_a_department_is_refused() -> None:
    with pytest.raises(ValidationError):
        Taxpayer.model_validate({"id_number": "４４０１０５１９８００１０１００１２", "incomes": []})


def test_ascii_answers_still_read() -> None:
    assert (
        TaxIncome.model_validate({"period": "2026-01", "item": "salary", "amount": "2300.00"}).amount
        == 230000
    )
    assert last_day_of_month("2026-02").day == 28
