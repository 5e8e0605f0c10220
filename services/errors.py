"""Refusals of the service layer: a machine-readable code, a Chinese message and the HTTP status
the JSON API answers with. Pages map the same refusal to a message beside the field or an error page."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised by services (and API routes). The API renders it as {"code", "message", ...extra};
    a page shows the message beside the field named in `errors`, or on its error page."""

    def __init__(
        self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra


def forbidden(message: str = "您无权办理此事项") -> ApiError:
    return ApiError(403, "forbidden", message)
