"""Login and identity bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.staff import Role


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="有效期（秒）")


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: Role
    role_label: str
    region_code: str
    region_name: str | None


class UnlockOut(BaseModel):
    username: str
    unlocked: bool = Field(description="false：该账号本未被锁定")
