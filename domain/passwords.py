"""What a staff password must be: long enough that the lockout (5 tries per 15 minutes) cannot
walk through it, not the account's name, and new when it is changed."""

from __future__ import annotations

MIN_LENGTH = 10
MAX_LENGTH = 128


def password_problems(new: str, username: str, current: str | None = None) -> list[str]:
    """Chinese reasons the new password is refused (empty when it is fine)."""
    problems: list[str] = []
    if len(new) < MIN_LENGTH:
        problems.append(f"新密码至少{MIN_LENGTH}位")
    if len(new) > MAX_LENGTH:
        problems.append(f"新密码不能超过{MAX_LENGTH}位")
    if not (any(c.isalpha() for c in new) and any(c.isdigit() for c in new)):
        problems.append("新密码须同时包含字母和数字")
    if username.lower() in new.lower():
        problems.append("新密码不能包含用户名")
    if current is not None and new == current:
        problems.append("新密码不能与当前密码相同")
    return problems
