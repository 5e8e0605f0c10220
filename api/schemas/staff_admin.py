"""Staff account bodies (系统管理 · 工作人员账号). Checked in services/staff_admin.py, so that the pages
get the same field messages; here only lengths, against oversized bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.codes import JurisdictionCode
from domain.staff import Role
from services.staff_admin import StaffAccount


class StaffCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64, description="登录用户名：3至64位小写字母、数字、下划线、点或连字符")
    display_name: str = Field(max_length=64, description="姓名")
    role: str = Field(max_length=32, description="岗位代码，如 intake_clerk")
    region_code: JurisdictionCode = Field(description="辖区区划代码，须在操作人辖区内")
    password: str = Field(max_length=256, description="初始密码：至少10位，含字母和数字，不含用户名")


class StaffChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=32)
    region_code: JurisdictionCode | None = None


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=256, description="新的初始密码；该账号的所有登录随即失效")


class ActiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = Field(description="false：停用（该账号的登录随即失效）；true：重新启用")


class StaffAccountOut(BaseModel):
    username: str
    display_name: str
    role: Role
    role_label: str
    region_code: str
    region_name: str
    active: bool
    locked_until: datetime | None = Field(description="登录锁定到何时（未锁定为空）")
    created_at: datetime | None

    @classmethod
    def of(cls, account: StaffAccount) -> StaffAccountOut:
        return cls(
            username=account.username, display_name=account.display_name, role=account.role,
            role_label=account.role_label, region_code=account.region_code, region_name=account.region_name,
            active=account.active, locked_until=account.locked_until, created_at=account.created_at,
        )  # fmt: skip
