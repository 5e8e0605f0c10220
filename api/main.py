"""API process entry point: `python -m api.main` (or the `sa-api` script)."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from infra.logging_setup import configure_logging
from infra.settings import UnsafeProductionSettings, load_settings


def main() -> None:
    configure_logging()  # with personal data redacted from every record
    settings = load_settings()
    try:
        app = create_app(settings)
    except UnsafeProductionSettings as refusal:
        raise SystemExit(str(refusal)) from None  # the reason, without a traceback
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="info")


if __name__ == "__main__":
    main()
