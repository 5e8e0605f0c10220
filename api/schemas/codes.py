"""Code-like fields at the edge: ID numbers, region codes, months, application numbers, accounts,
phones, receipt references and the identifiers in paths and filters (issue 16, item 1).

Python's `\\d` and Pydantic patterns using it (Rust regex, Unicode-aware) match `４４０１…`: the same
person filed again with a full-width ID number passed intake as a second identity — no department
had records for it, no duplicate or resubmission check matched — and a full-width month started a
second payroll for one county and month. So every code-like value is, before its own check:

1. normalised with NFKC: full-width digits, letters and hyphens (what a Chinese input method types)
   become their ASCII forms, and the ideographic space is stripped with the ASCII ones, so
   `４４０１０５` is stored, compared and looked up as `440105`;
2. then required to be printable ASCII: anything NFKC leaves outside ASCII — Arabic-Indic or other
   script digits, zero-width and other invisible characters, Cyrillic or Greek look-alikes of
   Latin letters — is refused (422) rather than stored as a second identity;
3. then checked by its own pattern, written with `[0-9]` (never `\\d`).

Free text (names, reasons, notes) is not normalised: NFKC would also rewrite the full-width
punctuation (，。：) of ordinary Chinese text.

Every such field carries `x-ascii-code: true` in the OpenAPI document, which the hostile-input tests
read to sweep every code-like field of every route, present and future.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from domain.identity import normalize_id_number, normalize_phone

MARKER = "x-ascii-code"
REFUSAL = "只能填写半角（ASCII）数字、字母和符号：含有其他文字的数字、不可见字符或形近字"


def ascii_code(value: Any) -> Any:
    """NFKC, surrounding blanks stripped, then printable ASCII or a ValueError (422)."""
    if not isinstance(value, str):
        return value  # the field's own type check answers
    text = unicodedata.normalize("NFKC", value).strip()
    if not text.isascii() or not text.isprintable():
        raise ValueError(REFUSAL)
    return text


@dataclass(frozen=True)
class _Marked:
    """Puts the marker (and an example the hostile-input tests start from) in the JSON schema."""

    example: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema[MARKER] = True
        schema.setdefault("examples", [self.example])
        return schema


# The metadata of a code-like string: `Annotated[str, Field(pattern=…), ASCII, Example("440105")]`.
# After the constraints (the before-validator still runs first), so that the pattern stays in the
# JSON schema: placed before them, Pydantic checks it separately and leaves it out of the document.
ASCII = BeforeValidator(ascii_code)
Example = _Marked


# An ID number that passes GB 11643 (birth date 1980-01-01, check character computed).
EXAMPLE_ID_NUMBER = "440105198001010012"

IdNumber = Annotated[str, ASCII, Example(EXAMPLE_ID_NUMBER), AfterValidator(normalize_id_number)]
Phone = Annotated[str, ASCII, Example("13812345678"), AfterValidator(normalize_phone)]
CountyCode = Annotated[
    str, Field(pattern=r"^[0-9]{6}$", description="县级区划代码（6位）"), ASCII, Example("440105")
]
TownshipCode = Annotated[
    str, Field(pattern=r"^[0-9]{9}$", description="乡镇（街道）区划代码（9位）"), ASCII, Example("440105001")
]
CommunityCode = Annotated[
    str,
    Field(pattern=r"^[0-9]{12}$", description="村（社区）区划代码（12位）"),
    ASCII,
    Example("440105001001"),
]
RegionCode = Annotated[
    str, Field(pattern=r"^[0-9]{6,12}$", description="县、乡镇或村社区编码"), ASCII, Example("440105001")
]
# A staff member's jurisdiction: a province (2 digits, the provincial operator) down to a community.
JurisdictionCode = Annotated[
    str,
    Field(pattern=r"^[0-9]{2,12}$", description="辖区区划代码（省2位至村社区12位）"),
    ASCII,
    Example("440105"),
]
Month = Annotated[
    str,
    Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="月份（YYYY-MM）"),
    ASCII,
    Example("2026-12"),
]
ApplicationNumber = Annotated[
    str,
    Field(
        min_length=6,
        max_length=40,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z-]+$",
        description="申请编号（受理窗口编制，幂等键）",
    ),
    ASCII,
    Example("440106-20260105-0001"),
]
GridCode = Annotated[
    str, Field(pattern=r"^[0-9A-Za-z-]{1,32}$", description="网格编号"), ASCII, Example("G-0101")
]
AccountNumber = Annotated[
    str, Field(min_length=1, max_length=32, description="银行账号"), ASCII, Example("6222021234567890123")
]
Reference = Annotated[
    str, Field(min_length=1, max_length=64, description="收款凭证号"), ASCII, Example("RCPT-2026-0001")
]


# Looked-up identifiers (paths and filters): normalised the same way, so a full-width copy finds the
# same record as its ASCII form or is refused, never a near miss that answers "not found" or "none".
TaskId = Annotated[
    str,
    Field(min_length=1, max_length=64, description="待办编号"),
    ASCII,
    Example("440105-20260105-0001-T01"),
]
OrderKey = Annotated[
    str,
    Field(min_length=1, max_length=80, description="发放单编号"),
    ASCII,
    Example("440105-20260105-0001:2026-12"),
]
NumberLookup = Annotated[
    str, Field(min_length=1, max_length=40, description="申请编号"), ASCII, Example("440106-20260105-0001")
]
FilterCode = Annotated[str, Field(max_length=40, description="筛选条件（编码）"), ASCII, Example("440105")]
