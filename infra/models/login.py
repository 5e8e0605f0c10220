"""Login throttling state, kept in the database so that every API instance sees the same counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.core import Base
from infra.models.types import UtcDateTime


class LoginState(Base):
    """Consecutive failed logins of one username (existing or not: unknown names are counted the
    same way, so the answers reveal nothing about which accounts exist). No row = no failures."""

    __tablename__ = "login_states"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginIpFailure(Base):
    """One failed login from a client address; counted over a sliding window, pruned after it."""

    __tablename__ = "login_ip_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
