"""Resident ID numbers (GB 11643-1999) and phone numbers: validation without I/O.

ASCII digits only (`[0-9]`, never `\\d`, which also matches full-width and other scripts' digits):
a full-width copy of an ID number is another string, so it would be another person to every
lookup, digest and duplicate check. The API edge turns full-width input into ASCII first
(api/schemas/codes.py); here anything else is refused.
"""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_LANDLINE_PATTERN = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}", re.ASCII)


class InvalidIdNumber(ValueError):
    """Raised with a Chinese message that can be shown to the clerk as is."""


def id_check_char(first17: str) -> str:
    """The GB 11643 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Validate an 18-digit resident ID number and return it upper-cased.

    Checks the format, the birth date and the check character; 15-digit legacy numbers are
    not accepted because every living resident has been issued an 18-digit number.
    """
    value = raw.strip().upper()
    if not _ID_PATTERN.fullmatch(value):
        raise InvalidIdNumber("身份证号码应为18位，前17位为数字，最后一位为数字或X")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("身份证号码中的出生日期无效") from exc
    if born.year < 1900 or born > date.today():
        raise InvalidIdNumber("身份证号码中的出生日期无效")
    if id_check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号码校验位错误，请核对后重新输入")
    return value


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def normalize_phone(raw: str) -> str:
    value = raw.strip().replace(" ", "")
    if _MOBILE_PATTERN.fullmatch(value) or _LANDLINE_PATTERN.fullmatch(value):
        return value
    raise ValueError("电话号码格式不正确：应为11位手机号或带区号的固定电话")
