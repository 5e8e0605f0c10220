"""The 代发 file and its result file: what we send the bank is exactly what it reads back, and a
file that does not add up is refused as a whole."""

from __future__ import annotations

import pytest

from domain.bank import (
    FAILURE_LABELS,
    BatchResult,
    DisbursementFile,
    DisbursementLine,
    FailureReason,
    LineResult,
    LineStatus,
    valid_account_number,
)
from tests.simulators.bank_files import card

# Real-world-shaped card numbers with a correct Luhn digit (16 and 19 digits).
CARD_16 = "4111111111111111"
CARD_19 = "6222020200112345679"


def a_file(**overrides: object) -> DisbursementFile:
    values: dict[str, object] = {
        "batch_id": "PAY-440105-2027-01-001",
        "payer_account": "44001000000000000001",
        "value_date": "2027-01-05",
        "lines": (
            DisbursementLine("B000123:2027-01", card(1), "张小明", 80_000),
            DisbursementLine("B000124:2027-01", card(2), "欧阳娜娜", 123_456),
        ),
    }
    values.update(overrides)
    return DisbursementFile(**values)  # type: ignore[arg-type]


def test_the_file_renders_as_the_bank_reads_it() -> None:
    text = a_file().render()
    assert text == (
        "H|PAY-440105-2027-01-001|44001000000000000001|2|203456|2027-01-05\n"
        f"D|1|{card(1)}|张小明|80000|B000123:2027-01\n"
        f"D|2|{card(2)}|欧阳娜娜|123456|B000124:2027-01\n"
    )
    assert DisbursementFile.parse(text) == a_file()
    assert a_file().total_fen == 203_456


def test_crlf_line_ends_and_a_byte_order_mark_are_read_as_well() -> None:
    text = "\ufeff" + a_file().render().replace("\n", "\r\n")
    assert DisbursementFile.parse(text) == a_file()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace("|2|203456|", "|2|203457|"), "金额合计不符"),
        (lambda t: t.replace("|2|203456|", "|3|203456|"), "笔数不符"),
        (lambda t: t.rsplit("D|2|", 1)[0], "笔数不符"),  # truncated after the first line
        (lambda t: t.replace("H|", "X|", 1), "文件头格式错误"),
        (lambda t: t.replace("|2|203456|", "|two|203456|"), "笔数应为非负整数"),
        (lambda t: t.replace("|80000|", "|-80000|"), "金额应为非负整数"),
        (lambda t: t.replace("|80000|", "|+80000|"), "金额应为非负整数"),
        (lambda t: t.replace("D|2|", "D|3|"), "序号"),
        (lambda t: t.replace("2027-01-05", "2027-02-30"), "入账日期"),
        (lambda t: t.replace("|张小明|", "|张小明|多一列|"), "明细格式错误"),
        (lambda t: t.replace("B000124:2027-01", "B000123:2027-01"), "重复"),
        (lambda t: "", "为空"),
    ],
    ids=[
        "total",
        "count",
        "truncated",
        "header",
        "count-not-a-number",
        "negative-amount",
        "signed-amount",
        "sequence",
        "date",
        "extra-field",
        "duplicate-reference",
        "empty",
    ],
)
def test_a_file_that_does_not_add_up_is_refused_with_a_chinese_reason(mutate: object, message: str) -> None:
    text = mutate(a_file().render())  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        DisbursementFile.parse(text)


@pytest.mark.parametrize(
    "line",
    [
        {"reference": "", "amount_fen": 1},
        {"reference": "x" * 61, "amount_fen": 1},
        {"reference": "B1|2027-01", "amount_fen": 1},
        {"reference": "B1", "amount_fen": 0},
        {"reference": "B1", "amount_fen": 1, "account_holder": "张\n三"},
    ],
)
def test_a_line_that_cannot_be_written_is_refused_when_built(line: dict[str, object]) -> None:
    values = {"account_number": card(1), "account_holder": "张三", **line}
    with pytest.raises(ValueError):
        DisbursementLine(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("batch_id", ["", "PAY/2027", "PAY 2027", "批次1", "x" * 65, "PAY\n"])
def test_batch_ids_are_safe_in_the_banks_urls(batch_id: str) -> None:
    with pytest.raises(ValueError, match="批次号"):
        a_file(batch_id=batch_id)


def test_a_file_with_no_lines_or_a_reference_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="没有明细"):
        a_file(lines=())
    line = DisbursementLine("B1:2027-01", card(1), "张三", 100)
    with pytest.raises(ValueError, match="B1:2027-01 在文件中重复"):
        a_file(lines=(line, line))


def test_the_result_file_round_trips() -> None:
    result = BatchResult(
        "PAY-1",
        "completed",
        (
            LineResult("B1:2027-01", LineStatus.PAID, None, "BS00000000000001"),
            LineResult("B2:2027-01", LineStatus.FAILED, FailureReason.ACCOUNT_FROZEN, None),
        ),
        None,
        80_000,
    )
    text = result.render()
    assert text == (
        "R|PAY-1|completed|1|80000|2|\n"
        "L|B1:2027-01|paid||BS00000000000001\n"
        "L|B2:2027-01|failed|account_frozen|\n"
    )
    assert BatchResult.parse(text) == result
    rejected = BatchResult("PAY-2", "rejected", (), "付款账号不存在|请核对")
    assert BatchResult.parse(rejected.render()) == rejected
    processing = BatchResult("PAY-3", "processing", (), None)
    assert BatchResult.parse(processing.render()) == processing


@pytest.mark.parametrize(
    "text",
    [
        "R|PAY-1|done|0|0|0|\n",  # unknown state
        "R|PAY-1|completed|0|0|\n",  # no line count
        "R|PAY-1|completed|2|80000|1|\nL|B1|paid||BS1\n",  # paid count does not match
        "R|PAY-1|completed|0|0|2|\nL|B1|failed|account_closed|\n",  # cut off after the first line
        "R|PAY-1|completed|0|0|1|\nL|B1|failed||\n",  # a failure without a reason
        "R|PAY-1|completed|1|1|1|\nL|B1|paid|account_closed|BS1\n",  # paid with a reason
        "R|PAY-1|completed|0|0|1|\nL|B1|failed|lost_in_the_post|\n",
        "",
    ],
)
def test_a_garbled_result_file_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        BatchResult.parse(text)


@pytest.mark.parametrize(
    "number", [CARD_16, CARD_19, "6212264100011335373", "6250941006528599", "5555555555554444", card(7)]
)
def test_card_numbers_with_a_correct_check_digit_are_valid(number: str) -> None:
    assert valid_account_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",  # wrong check digit
        CARD_19[:-1] + str((int(CARD_19[-1]) + 1) % 10),
        "411111111111111",  # 15 digits
        "41111111111111111110",  # 20 digits
        "4111-1111-1111-1111",
        "４１１１１１１１１１１１１１１１",  # full-width digits
        "",
    ],
)
def test_wrong_card_numbers_are_not(number: str) -> None:
    assert not valid_account_number(number)


def test_every_failure_reason_has_a_chinese_label() -> None:
    assert set(FAILURE_LABELS) == set(FailureReason)
    assert FAILURE_LABELS[FailureReason.NAME_MISMATCH] == "户名不符"
