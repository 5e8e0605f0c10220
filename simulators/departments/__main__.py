"""`python -m simulators.departments --host 127.0.0.1 --port 8100 --households 3000 --seed 2026`

API keys come from DEPARTMENT_API_KEYS (the JSON the adapters read, so `make run` keeps both ends
in step); without it every department accepts its development key `dev-<department>-key`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from datetime import date

import uvicorn

from simulators.departments.app import DEFAULT_API_KEY_HEADER, create_app, keys_from_mapping
from simulators.departments.faults import FaultBook
from simulators.departments.population import Population

log = logging.getLogger("simulators.departments")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="部门数据模拟服务 / department data simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--reference-date",
        type=date.fromisoformat,
        default=None,
        help="records end the month before this date (default: today)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    raw_keys = os.environ.get("DEPARTMENT_API_KEYS")
    keys = keys_from_mapping(json.loads(raw_keys)) if raw_keys else None
    header = os.environ.get("DEPARTMENT_API_KEY_HEADER") or DEFAULT_API_KEY_HEADER
    population = Population.generate(args.households, args.seed, args.reference_date)
    log.info(
        "population: %d households, seed %d, records up to the month before %s",
        len(population),
        args.seed,
        population.reference_date,
    )
    app = create_app(population, FaultBook(), api_keys=keys, api_key_header=header)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
