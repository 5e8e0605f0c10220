"""`python -m simulators.sms --host 127.0.0.1 --port 8300 --delivery-seconds 0`

The API key comes from SMS_API_KEY (what the adapter reads, so `make run` keeps both ends in step);
without it the development default applies.
"""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn

from simulators.sms.app import DEV_API_KEY, create_sms_app

log = logging.getLogger("simulators.sms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="短信平台模拟服务 / SMS provider simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument(
        "--delivery-seconds",
        type=float,
        default=0.0,
        help="how long a message stays 'pending' before its delivery report",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    api_key = os.environ.get("SMS_API_KEY") or DEV_API_KEY
    log.info("SMS simulator on %s:%d, delivery after %.1f s", args.host, args.port, args.delivery_seconds)
    app = create_sms_app(delivery_seconds=args.delivery_seconds, api_keys=[api_key])
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
