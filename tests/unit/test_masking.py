from __future__ import annotations

from domain.masking import mask_account, mask_id_number, mask_name, mask_phone


def test_names_keep_only_family_name_and_last_character() -> None:
    assert mask_name("张小明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("王") == "*"


def test_id_number_keeps_first_four_and_last_four() -> None:
    assert mask_id_number("440106199001011234") == "4401**********1234"


def test_phone_and_account() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_account("6222021234567890123") == "*" * 15 + "0123"
