"""Logging for the entry points (API, worker, `make run`): no ID number, mobile number or bank
account ever reaches a log in clear.

`PersonalDataFilter` rewrites a record's message, arguments, traceback and stack text, replacing
18-digit ID numbers (with a final X), 11-digit mainland mobile numbers (optionally +86) and 16–19
digit account numbers with their masked forms (4401**********1234, 138****5678, ****1234), the
same as the product's public disclosure. Masking errs on the safe side: any long digit run of
those shapes is masked, whatever it really is.

A filter on the root logger alone would not be enough: logging applies a logger's filters only to
records created on that logger, not to those propagated from child loggers ("uvicorn.access",
"temporalio.activity", ...), and uvicorn's loggers do not propagate at all. So `install_log_redaction`
also wraps the log-record factory: every record, from any logger, is redacted as it is created,
before any handler (console, file, pytest's capture) sees it.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any

from domain.masking import mask_account, mask_id_number, mask_phone

_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d{9})(?!\d)")
_ACCOUNT = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
_PLAIN_SCALARS = (int, float, bool, type(None))


def redact(text: str) -> str:
    # ID numbers first: an 18-digit run is an ID number, not an account.
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _ACCOUNT.sub(lambda m: mask_account(m.group()), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group(1)), text)


def _redact_arg(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, _PLAIN_SCALARS):
        return value  # numbers keep their type (%d); a leaking number is caught on the whole text
    text = str(value)
    masked = redact(text)
    return value if masked == text else masked


class PersonalDataFilter(logging.Filter):
    """Redacts the record in place and always lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        else:
            text = str(record.msg)
            if redact(text) != text:
                record.msg = redact(text)
        if isinstance(record.args, Mapping):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            # Redacted one by one, so formatters that read the arguments (uvicorn's access log) work.
            record.args = tuple(_redact_arg(a) for a in record.args)
        self._flatten_if_still_leaking(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

    @staticmethod
    def _flatten_if_still_leaking(record: logging.LogRecord) -> None:
        # A number argument (logged with %d) or a %r of an object may still carry one: then the
        # formatted message is redacted as a whole and the arguments dropped.
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return  # a malformed call: logging reports it when the record is emitted
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()


_MARK = "redacts_personal_data"


def install_log_redaction() -> None:
    """Idempotent: every log record of the process is redacted from now on."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return
    redactor = PersonalDataFilter()
    root = logging.getLogger()
    root.addFilter(redactor)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor.filter(record)
        return record

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)


def configure_logging(level: int = logging.INFO) -> None:
    """What the entry points call instead of logging.basicConfig."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_log_redaction()
