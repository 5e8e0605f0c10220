"""The audit trail (审计日志): who did what to which case, from where, with what outcome.

`AuditTrail` is bound to one request (client address, user agent) and appends entries to the
hash-chained, append-only `audit_log` (infra/models/audit.py). What to do when the insert fails
depends on what is being recorded, and the caller says so with `required`:

- a read of a full personal record is recorded *before* the data leaves (`required=True`): no
  audit entry, no data (503);
- a decision the workflow has already committed cannot be undone by failing the request: the
  insert is retried a few times, then the entry is written to the error log (codes only) and the
  caller's answer stands. The case's own timeline records the decision independently.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.staff import Actor, county_of
from infra.models import Application, PaymentOrder, Task
from services.audit_chain import Clock, append
from services.errors import ApiError

log = logging.getLogger(__name__)

__all__ = ["ACTIONS", "AuditTrail", "Clock", "RequestContext", "Target", "Who", "clean", "client_ip"]

# Machine code → Chinese label (CSV export, documentation). New actions are added here.
ACTIONS: dict[str, str] = {
    "application.submit": "受理申请",
    "application.objection": "登记异议",
    "application.withdraw": "登记撤回申请",
    "application.extend": "延长办结时限",
    "task.claim": "认领待办",
    "task.release": "退回待办",
    "task.complete": "办结待办",
    "calendar.replace": "载入节假日安排",
    "personal_data.read": "查看完整个人信息",
    "login.succeeded": "登录成功",
    "login.failed": "登录失败",
    "login.locked": "账号锁定",
    "login.unlocked": "账号解锁",
    "login.refused": "拒绝登录（锁定或限流中）",
    "login.ip_throttled": "来源地址限流",
    "ops_session.issued": "运维人员登录 Temporal UI 解密会话",
    "ops_session.refused": "拒绝非运维人员的解密会话",
    "codec.decode": "解密 Temporal 工作流数据",
    "codec.refused": "拒绝解密辖区外的工作流数据",
    "beneficiary.change": "报告家庭情况变化",
    "beneficiary.fraud": "认定骗取救助",
    "beneficiary.account": "登记或更正发放账户",
    "beneficiary.recovery_payment": "登记追回款到账",
    "payment.retry": "重新发放",
    "payment.delivered": "登记实物已发放",
    "payroll.start": "启动月度发放",
    "audit.export": "导出审计日志",
    "staff.created": "新建工作人员账号",
    "staff.changed": "修改工作人员岗位或辖区",
    "staff.password_reset": "重置工作人员密码",
    "staff.deactivated": "停用工作人员账号",
    "staff.reactivated": "重新启用工作人员账号",
    "public_objection.submitted": "群众提交公示异议",
    "public_objection.registered": "群众异议登记为案件异议",
    "public_objection.dismissed": "群众异议不予登记",
    "public_objection.evidence_read": "查看群众异议证据文件",
    "public_objection.contact_read": "查看群众异议人联系电话",
    "phone_code.sent": "发送短信验证码",
    "phone_code.refused": "拒绝发送短信验证码（限流或号码有误）",
    "phone_code.verified": "短信验证码校验通过",
    "phone_code.failed": "短信验证码校验失败",
    "portal_session.started": "申请人登录掌上办",
    "portal_session.identity": "申请人在掌上办核验身份证号",
    "online_application.submitted": "申请人网上提交申请",
    "online_application.withdrawn": "申请人撤回网上申请",
    "online_application.returned": "退回网上申请（一次性告知缺少材料）",
    "application.withdrawal_requested": "申请人在掌上办申请撤回",
}
OUTCOME_LABELS = {"ok": "成功", "refused": "被拒绝", "error": "出错"}

_RETRY_DELAYS = (0.05, 0.25, 1.0)


def clean(value: str | None, length: int) -> str | None:
    """Text from the request, fit for a column: control characters (NUL breaks PostgreSQL) dropped,
    cut to the column's length."""
    if value is None:
        return None
    return "".join(ch for ch in value if ch.isprintable())[:length] or None


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[str]) -> str | None:
    """The client's address. X-Forwarded-For is believed only when the connecting peer is a trusted
    proxy, and then only up to the first address that is not itself a trusted proxy (walking from
    the right: everything left of it could have been written by the client)."""
    networks = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in n for n in networks)

    if peer is None or not forwarded_for or not is_trusted(peer):
        return clean(peer, 64)
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return clean(peer, 64)  # a garbled header: keep the address we can vouch for
    return clean(hops[0] if hops else peer, 64)


@dataclass(frozen=True)
class RequestContext:
    client_ip: str | None
    user_agent: str | None


@dataclass
class Target:
    """What an entry is about. The region is looked up from the case or task when not given."""

    type: str
    id: str | None = None
    application_number: str | None = None
    region_code: str | None = None

    @classmethod
    def application(cls, number: str, region_code: str | None = None) -> Target:
        return cls("application", number, number, region_code)

    @classmethod
    def task(cls, task_id: str) -> Target:
        return cls("task", task_id)


@dataclass(frozen=True)
class Who:
    """The acting staff member, or for a failed login the username that was tried."""

    username: str | None
    role: str | None = None
    region_code: str | None = None

    @classmethod
    def of(cls, actor: Actor) -> Who:
        return cls(actor.username, actor.role.value, actor.region_code)


def outcome_of(status_code: int) -> str:
    return "ok" if status_code < 400 else "refused" if status_code < 500 else "error"


class AuditTrail:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, context: RequestContext
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._context = context

    @property
    def context(self) -> RequestContext:
        return self._context

    async def record(
        self,
        who: Actor | Who | None,
        action: str,
        target: Target,
        *,
        status_code: int = 200,
        detail: Mapping[str, Any] | None = None,
        required: bool = False,
    ) -> int | None:
        """Append an entry; the id, or None if it could not be written (see the module docstring).
        With `required`, a failure raises 503 instead, so the caller does not go on."""
        if isinstance(who, Actor):
            who = Who.of(who)
        entry = await self._entry(who or Who(None), action, target, status_code, dict(detail or {}))
        for attempt, delay in enumerate((*_RETRY_DELAYS, None)):
            try:
                return await append(self._sessions, self._clock, entry)
            except Exception as exc:  # never let the audit turn a done action into a 500
                # Database trouble may pass (a lock, a failover); anything else will not.
                if delay is None or not isinstance(exc, SQLAlchemyError):
                    # The entry holds codes only, so the log may carry it for a later re-entry.
                    text = json.dumps(entry, ensure_ascii=False, default=str)
                    log.error(
                        "audit entry not written after %d attempts: %r; entry: %s", attempt + 1, exc, text
                    )
                    break
                await asyncio.sleep(delay)
        if required:
            raise ApiError(503, "audit_unavailable", "审计日志暂时无法写入，本次查询未执行，请稍后重试")
        return None

    async def _entry(
        self, who: Who, action: str, target: Target, status_code: int, detail: dict[str, Any]
    ) -> dict[str, Any]:
        await self._locate(target)
        region = clean(target.region_code, 12)
        return {
            "actor_username": clean(who.username, 64),
            "actor_role": who.role,
            "actor_region": who.region_code,
            "action": action,
            "target_type": target.type,
            "target_id": clean(target.id, 64),
            "application_number": clean(target.application_number, 40),
            "county_code": county_of(region) if region else None,
            "region_code": region,
            "client_ip": self._context.client_ip,
            "user_agent": self._context.user_agent,
            "outcome": outcome_of(status_code),
            "status_code": status_code,
            "detail": detail,
        }

    async def _locate(self, target: Target) -> None:
        """Fill in the case and region of a task, case or payment order from the database (a
        refused request may name one that does not exist: then the entry simply has no region)."""
        if target.region_code is not None or not target.id or target.type not in _LOCATORS:
            return
        key, number, region = _LOCATORS[target.type]
        try:
            async with self._sessions() as session:
                found = (
                    await session.execute(select(number, region).where(key == clean(target.id, 80)))
                ).first()
        except SQLAlchemyError as exc:
            log.warning("audit: could not locate %s %s: %s", target.type, target.id, exc)
            return
        if found is not None:
            target.application_number, target.region_code = found[0], found[1]


# target type → (its key column, its case's application number, its most specific region)
_LOCATORS: dict[str, tuple[Any, Any, Any]] = {
    "task": (Task.task_id, Task.application_number, Task.region_code),
    "application": (
        Application.application_number,
        Application.application_number,
        Application.community_code,
    ),
    "payment_order": (
        PaymentOrder.order_key,
        PaymentOrder.application_number,
        func.coalesce(PaymentOrder.township_code, PaymentOrder.county_code),
    ),
}
