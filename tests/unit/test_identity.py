from __future__ import annotations

import pytest

from domain.identity import InvalidIdNumber, id_check_char, normalize_id_number, normalize_phone


def test_the_standards_own_example_passes_including_check_char_x() -> None:
    # The worked example of GB 11643-1999: check character X.
    assert id_check_char("11010519491231002") == "X"
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "校验位"),  # one digit off in the check character
        ("11010519491231002", "18位"),  # too short
        ("1101051949123100AX", "18位"),  # letters in the body
        ("110105194902300021", "出生日期"),  # 30 February
        ("110105209901010011", "出生日期"),  # born in the future
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(InvalidIdNumber, match=message):
        normalize_id_number(value)


def test_every_single_digit_typo_is_caught() -> None:
    valid = "11010519491231002X"
    for position in range(17):
        digit = int(valid[position])
        typo = valid[:position] + str((digit + 1) % 10) + valid[position + 1 :]
        with pytest.raises(InvalidIdNumber):
            normalize_id_number(typo)


@pytest.mark.parametrize("phone", ["13812345678", "020-87654321", "02087654321", " 139 1234 5678 "])
def test_phones_accepted(phone: str) -> None:
    assert normalize_phone(phone)


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "abc", ""])
def test_phones_refused(phone: str) -> None:
    with pytest.raises(ValueError, match="电话"):
        normalize_phone(phone)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "variant",
    [
        "11010519491231002X".translate(FULL_WIDTH),
        "11010519491231002X".translate(ARABIC_INDIC),
        "1101051949\u200b1231002X",  # zero-width space
        "11010519491231002Х",  # Cyrillic Х for the check character X
    ],
)
def test_id_numbers_in_other_digits_or_with_invisible_characters_are_refused(variant: str) -> None:
    # Python's \d matched all but the last: a second identity for the same person (issue 16).
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(variant)


@pytest.mark.parametrize(
    "variant", ["13" + "812345678".translate(FULL_WIDTH), "020-" + "87654321".translate(ARABIC_INDIC)]
)
def test_phones_in_other_digits_are_refused(variant: str) -> None:
    with pytest.raises(ValueError, match="电话"):
        normalize_phone(variant)
