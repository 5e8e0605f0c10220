"""`python -m simulators.bank --host 127.0.0.1 --port 8200 --processing-seconds 0`

The API key and the payer account come from BANK_API_KEY and BANK_PAYER_ACCOUNT (what the adapter
reads, so `make run` keeps both ends in step); without them the development defaults apply.
"""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn

from simulators.bank.app import DEV_API_KEY, create_bank_app
from simulators.bank.state import DEV_PAYER_ACCOUNT

log = logging.getLogger("simulators.bank")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="银行代发模拟服务 / bank disbursement simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=0.0,
        help="how long the bank takes to run a file before its result is ready",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    api_key = os.environ.get("BANK_API_KEY") or DEV_API_KEY
    payer = os.environ.get("BANK_PAYER_ACCOUNT") or DEV_PAYER_ACCOUNT
    log.info(
        "bank simulator: payer account ending %s, processing %.1f s", payer[-4:], args.processing_seconds
    )
    app = create_bank_app(
        processing_seconds=args.processing_seconds, payer_accounts=[payer], api_keys=[api_key]
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
