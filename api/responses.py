"""OpenAPI declarations for routes whose success answer is not JSON."""

from __future__ import annotations

from typing import Any

# A CSV export (for Excel). Declared as a response, not as the route's response_class: FastAPI
# documents every error response of a route in the route's media type, and errors stay JSON.
CSV_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV 文件（UTF-8 带 BOM，可直接用 Excel 打开）",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
