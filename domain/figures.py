"""Shared helpers for explainable figures: exact ratios, how they are shown, where figures came from.

Verification results are shown to clerks and applicants with their reasons, so every comparison is
done on integers (fen, counts) by cross-multiplication — no float ever decides a threshold — and
every percentage shown is derived from the same integers, rounded half-up to one decimal.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.departments import DEPARTMENT_LABELS, Department

# Sources of a figure besides the departments (whose codes are Department values).
SOURCE_DECLARED = "declared"  # the applicant's own declaration (申报)
SOURCE_HOME_VISIT = "home_visit"  # the investigators' home visit (入户调查)

_SOURCE_LABELS: dict[str, str] = {
    SOURCE_DECLARED: "申请人申报",
    SOURCE_HOME_VISIT: "入户调查",
    **{d.value: label for d, label in DEPARTMENT_LABELS.items()},
}
# Stable display order: the applicant, the visit, then the departments in their declaration order.
_SOURCE_ORDER = {code: i for i, code in enumerate(_SOURCE_LABELS)}

BASIS_POINTS = 10_000  # 1 % = 100 basis points


def require_fen(value: int, label: str) -> None:
    """An amount in fen from outside the module: an int (not a float, not a bool), not negative."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{label}必须是整数（金额以分为单位），收到：{value!r}")
    if value < 0:
        raise ValueError(f"{label}不能为负数，收到：{value}")


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator rounded half-up, for a non-negative numerator and positive denominator."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient + 1 if 2 * remainder >= denominator else quotient


def exceeds_share(part: int, whole: int, threshold_bp: int) -> bool:
    """part > threshold × whole, strictly: exactly at the threshold is not "over" it."""
    return part * BASIS_POINTS > threshold_bp * whole


def ratio_bp(part: int, whole: int) -> int | None:
    """part ÷ whole in basis points, rounded half-up; None when there is nothing to divide by."""
    if whole == 0:
        return None
    sign = -1 if part < 0 else 1
    return sign * round_half_up(abs(part) * BASIS_POINTS, whole)


def percent_text(part: int, whole: int) -> str:
    """abs(part) ÷ whole as a percentage with one decimal, rounded half-up: 700, 2500 → "28.0%".

    One decimal can show a figure just over a threshold as the threshold itself (20.0004 % →
    "20.0%"); the decision is taken on the exact integers, never on this text.
    """
    tenths = round_half_up(abs(part) * 1000, whole)
    return f"{tenths // 10}.{tenths % 10}%"


def threshold_text(threshold_bp: int) -> str:
    """2000 → "20%", 2050 → "20.5%"."""
    whole, rest = divmod(threshold_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def sort_sources(codes: Iterable[str]) -> tuple[str, ...]:
    """Distinct source codes in display order (unknown codes last, alphabetically)."""
    return tuple(sorted(set(codes), key=lambda c: (_SOURCE_ORDER.get(c, len(_SOURCE_ORDER)), c)))


def source_label(code: str) -> str:
    """ "tax" → "税务部门", "home_visit" → "入户调查"; an unknown code is shown as it is."""
    return _SOURCE_LABELS.get(code, code)


def sources_text(codes: Iterable[str]) -> str:
    """Source codes as the Chinese list shown after a figure: "税务部门、人社部门"."""
    return "、".join(source_label(c) for c in sort_sources(codes)) or "无"


def department_codes(departments: Iterable[Department]) -> tuple[str, ...]:
    return sort_sources(d.value for d in departments)


def member_label(member: int) -> str:
    """Members are indices from 0 in the data and numbered from 1 for people: 1 → "成员2"."""
    return f"成员{member + 1}"
