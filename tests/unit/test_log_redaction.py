"""No ID number, mobile number or bank account reaches a log in clear, whichever logger, argument
style or handler carries it; other numbers (application numbers, dates, amounts) stay readable."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from infra.logging_setup import PersonalDataFilter, install_log_redaction, redact
from tests.factories import id_number

ID_X = "44010519800101001X"  # an ID number whose check character is X
ID = id_number(seq=101)
PHONE = "13812345678"
ACCOUNT = "6222020200112233445"


@pytest.fixture
def redacting() -> Iterator[io.StringIO]:
    """The redaction as the entry points install it, and a handler writing to a buffer the way a
    console or file handler would (on a child logger that does not propagate, as uvicorn's)."""
    factory = logging.getLogRecordFactory()
    root_filters = list(logging.getLogger().filters)
    install_log_redaction()
    install_log_redaction()  # idempotent
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logging.setLogRecordFactory(factory)
        logging.getLogger().filters[:] = root_filters


def test_redact_masks_the_three_kinds_and_leaves_other_numbers_alone() -> None:
    text = (
        f"申请人 {ID} 身份证 {ID_X.lower()} 电话 {PHONE} / +86 139-0000 / +86{PHONE} 账户 {ACCOUNT} "
        "申请编号 440105-20261122-0001 2026-11-22 金额 117000 分 run 0194f3c1-7a2b-7c3d"
    )
    masked = redact(text)
    for secret in (ID, ID_X.lower(), PHONE, ACCOUNT):
        assert secret not in masked
    assert f"{ID[:4]}**********{ID[-4:]}" in masked
    assert "138****5678" in masked and f"***************{ACCOUNT[-4:]}" in masked
    assert "440105-20261122-0001" in masked and "2026-11-22" in masked and "117000" in masked
    assert redact(masked) == masked


def test_every_argument_style_is_redacted(redacting: io.StringIO) -> None:
    log = logging.getLogger("tests.redaction")
    log.info("intake %s phone %s", ID, PHONE)
    log.info("as a number: %d", int(PHONE))
    log.info("mapping %(who)s", {"who": ID_X})
    log.warning("object: %r", {"members": [{"id_number": ID}]})
    log.error(f"f-string {ACCOUNT}")
    try:
        raise ValueError(f"bad member {ID}")
    except ValueError:
        log.exception("with a traceback")
    log.debug("stack", stack_info=True)
    out = redacting.getvalue()
    for secret in (ID, ID_X, PHONE, ACCOUNT):
        assert secret not in out, out
    assert "ValueError: bad member 4401" in out and "as a number: 138****5678" in out


def test_records_of_any_logger_are_redacted_before_any_handler_sees_them(
    redacting: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    # Propagated records never pass the root logger's own filters: the record factory catches them.
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("temporalio.activity.some.child").debug("member %s", ID)
    assert caplog.records and all(ID not in r.getMessage() for r in caplog.records)
    assert ID not in caplog.text


def test_uvicorn_access_log_lines_still_format(redacting: io.StringIO) -> None:
    # uvicorn's access formatter unpacks the arguments: they must stay a 5-tuple.
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.setFormatter(
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    access = logging.getLogger("uvicorn.access.test")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/x?phone={PHONE}", "1.1", 200)
    finally:
        access.removeHandler(handler)
    assert stream.getvalue().strip() == '127.0.0.1:5000 - "GET /x?phone=138****5678 HTTP/1.1" 200 OK'


def test_the_filter_alone_redacts_a_record_in_place() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", (ID,), None)
    assert PersonalDataFilter().filter(record) is True
    assert ID not in record.getMessage()
