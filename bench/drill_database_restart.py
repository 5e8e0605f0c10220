"""`python -m bench.drill_database_restart [--cases 500] [--down 20] [--mode immediate]`: PostgreSQL
stopped mid-flight and started again after `--down` seconds.

On the production topology (bench/drill_stack.py) there is one PostgreSQL cluster, as in
docker-compose.yml: the application's database and Temporal's two. Half of the cases are
filed through the two API instances; once half of those have reached their first tasks, the
cluster is stopped (`pg_ctl stop -m immediate` by default: no checkpoint, crash recovery from the
WAL on the next start; every connection of the APIs, the workers and the Temporal server is cut)
and started again. The second
half is filed meanwhile; a clerk whose submission gets no 201 sends the same application number
again (idempotent).

Promises checked, exit 1 when one breaks: the activities retry and every case reaches its first
tasks; each case is stored once and its rows are those of the cases filed before the restart
(nothing lost, nothing doubled); one running workflow per case; no process died. Printed: the
answers the clerks got, the activity retries, the drain time.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from bench.drill_cases import (
    AppDb,
    Intake,
    activity_retries,
    describe,
    file_cases,
    login,
    machine,
    numbers,
    out,
    settle,
    shape_problems,
    wait_all,
    workflow_problems,
)
from bench.drill_stack import drill_stack


async def run(count: int, down: float, mode: str, within: float) -> int:
    problems: list[str] = []
    out(f"drill: PostgreSQL stopped (-m {mode}) for {down:.0f} s, {count} cases, production topology")
    async with drill_stack({"START_REPAIR_INTERVAL_SECONDS": "5"}) as stack:
        out(f"stack up (state in {stack.layout.state})")
        db = AppDb(stack)
        try:
            cases = numbers("D", count)
            before, during = cases[: count // 2], cases[count // 2 :]
            headers = await login(stack.api(0))
            intake = Intake()
            marks: dict[str, float] = {}
            started = time.monotonic()
            # Clerks resend for as long as the drill may take: a case is never given up on.
            until = time.monotonic() + within
            await file_cases(stack, headers, before, 0, intake, retry_until=until)
            await wait_all(db, before, within, enough=len(before) // 2)
            marks["restart"] = time.monotonic() - started
            out(f"first half filed; stopping PostgreSQL at {marks['restart']:.1f} s, the rest in flight")
            await asyncio.to_thread(stack.stop_postgres, mode)
            # The second half is filed while the database is down.
            filing = asyncio.create_task(
                file_cases(stack, headers, during, len(before), intake, retry_until=until)
            )
            await asyncio.sleep(down)
            await asyncio.to_thread(stack.start_postgres)
            marks["up"] = time.monotonic() - started
            out(f"PostgreSQL accepting connections again at {marks['up']:.1f} s")
            drained, done = await wait_all(db, cases, within)
            drained = time.monotonic() - started
            await filing
            out(f"{len(done)}/{count} cases at their tasks in {drained:.1f} s")
            out(f"clerks' answers (resubmissions included): {dict(sorted(intake.answers.items()))}")
            bare = {a: n for a, n in intake.answers.items() if not a.startswith(("201", "503 "))}
            if bare:
                problems.append(f"intake answered without a 201 or a coded 503: {bare}")
            waited = await settle(stack)
            out(f"settled {waited:.0f} s later")

            stored, pending = await db.stored(cases)
            if (stored, pending) != (count, 0):
                problems.append(f"{stored} cases stored, {pending} still waiting for their workflow")
            if len(done) != count:
                problems.append(f"{count - len(done)} cases never reached their tasks")
            if intake.failed:
                problems.append(
                    f"intake never saved {len(intake.failed)} cases: {list(intake.failed.values())[:3]}"
                )
            if "restart" not in marks:
                problems.append("PostgreSQL was never restarted (the wave finished before half-way?)")
            shapes = await db.shapes(cases)
            reference, seen = Counter(shapes.values()).most_common(1)[0]
            out(f"each case: {describe(reference)} (as in {seen} of {count})")
            problems += shape_problems(shapes, reference)
            problems += await db.sequence_problems(cases)
            problems += await workflow_problems(stack, count)
            problems += [f"{p} during the drill" for p in stack.died()]
            retries = await activity_retries(stack, cases)
            out(f"activity retries: {sum(retries.values())} ({dict(retries.most_common())})")
        finally:
            await db.close()
        if problems:
            for name in ("worker-1", "api-1", "temporal"):
                out(f"--- {name} log (tail) ---\n{stack.log_tail(name)}")
    if "up" in marks:
        out(
            f"PostgreSQL down {marks['up'] - marks['restart']:.1f} s; every case at its tasks {drained:.1f} s after the start"
        )
    out(f"machine: {machine()}")
    for problem in problems[:40]:
        out(f"FAIL: {problem}")
    out(
        "OK: activities retried, every case stored once and at its tasks, nothing doubled"
        if not problems
        else ""
    )
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drill_database_restart", description="演练：数据库重启"
    )
    parser.add_argument("--cases", type=int, default=500, help="cases in all (quick: --cases 20)")
    parser.add_argument("--down", type=float, default=20.0, help="seconds PostgreSQL stays down")
    parser.add_argument("--mode", choices=("immediate", "fast"), default="immediate", help="pg_ctl stop mode")
    parser.add_argument("--within", type=float, default=900.0, help="seconds the cases may take")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.cases, args.down, args.mode, args.within))


if __name__ == "__main__":
    raise SystemExit(main())
