"""Which database errors mean "cannot be reached now" (the API answers 503 database_unavailable,
send again later) and which are faults in a statement or the data (a 500, or the caller's own
handling, as for a unique-constraint conflict)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from infra.db import database_unreachable


class _DriverError(Exception):
    """What SQLAlchemy's asyncpg adapter puts in `orig`: the driver's error with its SQLSTATE."""

    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = self.pgcode = sqlstate


def _wrapped(kind: type[DBAPIError], sqlstate: str | None, invalidated: bool = False) -> DBAPIError:
    return kind("SELECT 1", {}, _DriverError(sqlstate), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed"),  # asyncpg's connect, unwrapped
        TimeoutError(),
        _wrapped(DBAPIError, "57P03"),  # the database system is shutting down / starting up
        _wrapped(DBAPIError, "57P01"),  # terminating connection due to administrator command
        _wrapped(DBAPIError, "08006"),  # connection failure
        _wrapped(DBAPIError, None, invalidated=True),  # the connection broke mid-statement
        _wrapped(OperationalError, None),  # SQLite: database is locked
    ],
    ids=["refused", "timeout", "57P03", "57P01", "08006", "invalidated", "operational"],
)
def test_an_outage_is_recognised(exc: BaseException) -> None:
    assert database_unreachable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(IntegrityError, "23505"),  # a unique constraint: the caller's business
        _wrapped(ProgrammingError, "42601"),  # a syntax error: a bug, not an outage
        _wrapped(DBAPIError, "22P02"),  # bad input
        FileNotFoundError("policy.toml"),
        ValueError("x"),
    ],
    ids=["unique", "syntax", "bad-input", "file", "value"],
)
def test_a_fault_in_the_statement_or_data_is_not_an_outage(exc: BaseException) -> None:
    assert not database_unreachable(exc)
