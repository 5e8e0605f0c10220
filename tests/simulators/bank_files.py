"""Building 代发 files for the bank tests: valid card numbers and files of any size."""

from __future__ import annotations

from domain.bank import DisbursementFile, DisbursementLine, valid_account_number
from simulators.bank import DEV_PAYER_ACCOUNT


def card(n: int, bin_prefix: str = "622202") -> str:
    """A 19-digit card number for seq n whose last digit passes the Luhn check."""
    prefix = f"{bin_prefix}{n:012d}"
    return next(prefix + d for d in "0123456789" if valid_account_number(prefix + d))


def bad_card(n: int) -> str:
    """The same number with a wrong check digit."""
    good = card(n)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def line(
    n: int, amount_fen: int = 80_000, month: str = "2027-01", holder: str = "张小明"
) -> DisbursementLine:
    return DisbursementLine(f"B{n:06d}:{month}", card(n), holder, amount_fen)


def disbursement(
    batch_id: str,
    *lines: DisbursementLine,
    payer_account: str = DEV_PAYER_ACCOUNT,
    value_date: str = "2027-01-05",
) -> DisbursementFile:
    return DisbursementFile(batch_id, payer_account, value_date, tuple(lines))


def big_file(batch_id: str, size: int, first: int = 1) -> DisbursementFile:
    return disbursement(batch_id, *(line(n, 50_000 + n % 997) for n in range(first, first + size)))
