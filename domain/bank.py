"""Bank disbursement (代发) files and their results (回盘): pure data, no I/O, safe in workflows.

The wire format is a pipe-separated UTF-8 text file, one record per line, as the banks' 代发
interfaces carry it:

    H|batch_id|payer_account|count|total_fen|value_date        header
    D|seq|account_number|account_holder|amount_fen|reference   one line per payment, seq from 1

and the bank's result file:

    R|batch_id|state|paid_count|paid_total_fen|line_count|rejected_reason
    L|reference|status|reason|bank_serial                      one per line once the bank has run it

Fields may not contain "|" or line breaks; every file is checked against its header (count and
total; a result against its line count), so a truncated or doctored file is refused as a whole
instead of paying — or being booked — in part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MAX_REFERENCE_LENGTH = 60
MAX_BATCH_ID_LENGTH = 64
_FORBIDDEN = ("|", "\n", "\r")
_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class LineStatus(StrEnum):
    PAID = "paid"
    FAILED = "failed"


class FailureReason(StrEnum):
    ACCOUNT_CLOSED = "account_closed"
    ACCOUNT_NOT_FOUND = "account_not_found"
    NAME_MISMATCH = "name_mismatch"
    ACCOUNT_FROZEN = "account_frozen"
    INVALID_LINE = "invalid_line"


FAILURE_LABELS: dict[FailureReason, str] = {
    FailureReason.ACCOUNT_CLOSED: "账户已销户",
    FailureReason.ACCOUNT_NOT_FOUND: "账户不存在",
    FailureReason.NAME_MISMATCH: "户名不符",
    FailureReason.ACCOUNT_FROZEN: "账户冻结",
    FailureReason.INVALID_LINE: "明细格式错误",
}

BATCH_STATES = frozenset({"processing", "completed", "rejected"})


def valid_account_number(s: str) -> bool:
    """A bank card number: 16–19 digits whose last digit is the Luhn (ISO/IEC 7812) check digit."""
    if not (16 <= len(s) <= 19) or not s.isascii() or not s.isdigit():
        return False
    total = 0
    # Double every second digit counting from the check digit (which itself is not doubled).
    for i, ch in enumerate(reversed(s)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _check_text(value: str, what: str, max_length: int) -> None:
    if not value or len(value) > max_length:
        raise ValueError(f"{what}不能为空且不超过 {max_length} 个字符")
    for ch in _FORBIDDEN:
        if ch in value:
            raise ValueError(f"{what}不能包含竖线或换行符")


def _rows(text: str) -> list[str]:
    # Not str.splitlines(): it also breaks on U+2028, U+0085 … which may sit inside a name.
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    rows = text.split("\n")
    if rows and not rows[-1]:
        rows.pop()
    return rows


def _valid_date(value: str) -> bool:
    # fromisoformat alone would also take "20270105" and week dates such as "2027-W01-1".
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _int_field(raw: str, what: str, where: str) -> int:
    # int() would accept "+5", " 5" and "5_000": a bank file allows plain digits only.
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"{where}：{what}应为非负整数，实为 {raw[:20]!r}")
    return int(raw)


@dataclass(frozen=True, slots=True)
class DisbursementLine:
    reference: str  # 业务参考号: our payment order key, e.g. "B000123:2027-01"
    account_number: str
    account_holder: str
    amount_fen: int

    def __post_init__(self) -> None:
        _check_text(self.reference, "业务参考号", MAX_REFERENCE_LENGTH)
        # The account number is not Luhn-checked here: a wrong number is the bank's verdict
        # (account_not_found) on one line, not a reason to refuse the whole file.
        _check_text(self.account_number, "收款账号", 32)
        _check_text(self.account_holder, "收款户名", 60)
        if type(self.amount_fen) is not int or self.amount_fen <= 0:
            raise ValueError(f"业务参考号 {self.reference} 的金额应为正整数（分）")


@dataclass(frozen=True, slots=True)
class DisbursementFile:
    batch_id: str
    payer_account: str  # the bureau's 财政专户
    value_date: str  # YYYY-MM-DD
    lines: tuple[DisbursementLine, ...]

    def __post_init__(self) -> None:
        # The batch id goes into the bank's URLs: letters, digits and - _ . : only.
        if not _BATCH_ID.fullmatch(self.batch_id):
            raise ValueError(
                f"批次号应为 1–{MAX_BATCH_ID_LENGTH} 位字母、数字或 - _ . :，实为 {self.batch_id[:70]!r}"
            )
        _check_text(self.payer_account, "付款账号", 32)
        if not _valid_date(self.value_date):
            raise ValueError(f"入账日期应为 YYYY-MM-DD，实为 {self.value_date[:20]!r}")
        if not self.lines:
            raise ValueError("代发文件没有明细")
        # One reference twice in a file would pay one order twice and make the result ambiguous.
        if len({line.reference for line in self.lines}) != len(self.lines):
            seen: set[str] = set()
            for line in self.lines:
                if line.reference in seen:
                    raise ValueError(f"业务参考号 {line.reference} 在文件中重复出现")
                seen.add(line.reference)

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def render(self) -> str:
        out = [f"H|{self.batch_id}|{self.payer_account}|{len(self.lines)}|{self.total_fen}|{self.value_date}"]
        out += [
            f"D|{seq}|{x.account_number}|{x.account_holder}|{x.amount_fen}|{x.reference}"
            for seq, x in enumerate(self.lines, 1)
        ]
        out.append("")  # a final newline: a file cut at a line boundary still fails the count
        return "\n".join(out)

    @classmethod
    def parse(cls, text: str) -> DisbursementFile:
        """The file the bank receives. Raises ValueError with a Chinese message the bank shows."""
        rows = _rows(text)
        if not rows:
            raise ValueError("代发文件为空")
        header = rows[0].split("|")
        if len(header) != 6 or header[0] != "H":
            raise ValueError("文件头格式错误：应为 H|批次号|付款账号|笔数|金额合计|入账日期")
        _, batch_id, payer, raw_count, raw_total, value_date = header
        count = _int_field(raw_count, "笔数", "文件头")
        total = _int_field(raw_total, "金额合计", "文件头")
        details = rows[1:]
        while details and not details[-1]:
            details.pop()
        if len(details) != count:
            raise ValueError(f"笔数不符：文件头 {count} 笔，明细 {len(details)} 笔")
        lines = []
        for seq, row in enumerate(details, 1):
            fields = row.split("|")
            if len(fields) != 6 or fields[0] != "D":
                raise ValueError(f"第 {seq} 笔明细格式错误：应为 D|序号|账号|户名|金额|业务参考号")
            if fields[1] != str(seq):
                raise ValueError(f"第 {seq} 笔明细的序号为 {fields[1][:10]!r}，应为 {seq}")
            amount = _int_field(fields[4], "金额", f"第 {seq} 笔明细")
            lines.append(DisbursementLine(fields[5], fields[2], fields[3], amount))
        parsed = cls(batch_id, payer, value_date, tuple(lines))
        if parsed.total_fen != total:
            raise ValueError(f"金额合计不符：文件头 {total} 分，明细合计 {parsed.total_fen} 分")
        return parsed


@dataclass(frozen=True, slots=True)
class LineResult:
    reference: str
    status: LineStatus
    reason: FailureReason | None
    bank_serial: str | None  # the bank's transaction serial of a paid line


@dataclass(frozen=True, slots=True)
class BatchResult:
    batch_id: str
    state: str  # "processing" | "completed" | "rejected"
    lines: tuple[LineResult, ...]
    rejected_reason: str | None
    # The bank's own sum of what it paid: a reconciliation cross-check against our amounts.
    paid_total_fen: int = 0

    @property
    def paid_count(self) -> int:
        return sum(1 for line in self.lines if line.status is LineStatus.PAID)

    def render(self) -> str:
        reason = (self.rejected_reason or "").replace("\r", " ").replace("\n", " ")
        out = [
            f"R|{self.batch_id}|{self.state}|{self.paid_count}|{self.paid_total_fen}|{len(self.lines)}|{reason}"
        ]
        out += [
            f"L|{x.reference}|{x.status.value}|{x.reason.value if x.reason else ''}|{x.bank_serial or ''}"
            for x in self.lines
        ]
        out.append("")
        return "\n".join(out)

    @classmethod
    def parse(cls, text: str) -> BatchResult:
        rows = _rows(text)
        if not rows:
            raise ValueError("回盘文件为空")
        header = rows[0].split("|", 6)  # the reason is free text, the last field
        if len(header) != 7 or header[0] != "R" or header[2] not in BATCH_STATES:
            raise ValueError("回盘文件头格式错误：应为 R|批次号|状态|成功笔数|成功金额|明细笔数|拒绝原因")
        _, batch_id, state, raw_count, raw_total, raw_lines, reason = header
        paid_count = _int_field(raw_count, "成功笔数", "回盘文件头")
        paid_total = _int_field(raw_total, "成功金额", "回盘文件头")
        line_count = _int_field(raw_lines, "明细笔数", "回盘文件头")
        details = rows[1:]
        if len(details) != line_count:
            # A cut-off result would leave payments we cannot book as paid or failed.
            raise ValueError(f"回盘明细笔数不符：文件头 {line_count} 笔，明细 {len(details)} 笔")
        lines = []
        for n, row in enumerate(details, 1):
            fields = row.split("|")
            if len(fields) != 5 or fields[0] != "L":
                raise ValueError(f"回盘第 {n} 笔格式错误：应为 L|业务参考号|状态|原因|流水号")
            try:
                status = LineStatus(fields[2])
                failure = FailureReason(fields[3]) if fields[3] else None
            except ValueError:
                raise ValueError(f"回盘第 {n} 笔的状态或原因无法识别") from None
            if (status is LineStatus.PAID) != (failure is None):
                raise ValueError(f"回盘第 {n} 笔：成功的明细不应有失败原因，失败的明细必须有")
            lines.append(LineResult(fields[1], status, failure, fields[4] or None))
        result = cls(batch_id, state, tuple(lines), reason or None, paid_total)
        if result.paid_count != paid_count:
            raise ValueError(f"回盘成功笔数不符：文件头 {paid_count} 笔，明细 {result.paid_count} 笔")
        return result
