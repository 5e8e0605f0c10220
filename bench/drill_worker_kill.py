"""`python -m bench.drill_worker_kill [--cases 500]`: one of the two worker processes SIGKILLed
half-way through a wave of cases, and restarted (as a supervisor would).

On the production topology (bench/drill_stack.py), two waves of the same size are filed through the
two API instances: first undisturbed (the yardstick), then with worker-2 killed once half of the
wave has reached its first tasks. Promises checked, exit 1 when one breaks: every case reaches its
tasks; no task row, timeline event or notification is doubled or lost (each case's rows are those
of the undisturbed cases); Temporal holds exactly one running workflow per case. Printed: both
drain times and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from bench.drill_cases import (
    AppDb,
    Intake,
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
from bench.drill_stack import WORKERS, DrillStack, drill_stack

VICTIM = WORKERS[1]


async def wave(
    stack: DrillStack, db: AppDb, cases: list[str], offset: int, kill_at: int | None, within: float
) -> tuple[float, set[str], Intake, dict[str, float]]:
    """File the cases and wait for them: (drain seconds, cases that reached their tasks, intake,
    moments of the kill and restart in seconds from the start)."""
    headers = await login(stack.api(0))
    intake = Intake()
    marks: dict[str, float] = {}
    started = time.monotonic()

    async def progress(done: int) -> None:
        if kill_at is not None and done >= kill_at and "killed" not in marks:
            stack.kill(VICTIM)
            marks["killed"] = time.monotonic() - started
            out(
                f"  SIGKILL {VICTIM} at {marks['killed']:.1f} s ({done} of {len(cases)} cases at their tasks)"
            )
            await asyncio.sleep(2.0)  # a supervisor's restart delay
            stack.spawn_worker(VICTIM)
            marks["restarted"] = time.monotonic() - started
            out(f"  {VICTIM} restarted at {marks['restarted']:.1f} s")

    filing = asyncio.create_task(file_cases(stack, headers, cases, offset, intake))
    _, done = await wait_all(db, cases, within, progress)
    await filing
    return time.monotonic() - started, done, intake, marks


async def run(count: int, within: float) -> int:
    problems: list[str] = []
    out(f"drill: worker SIGKILL, {count} cases per wave, production topology (2 workers, 2 APIs)")
    async with drill_stack({"START_REPAIR_INTERVAL_SECONDS": "5"}) as stack:
        out(f"stack up (state in {stack.layout.state})")
        db = AppDb(stack)
        try:
            calm_cases, drill_cases = numbers("K", count), numbers("L", count)
            calm, calm_done, calm_intake, _ = await wave(stack, db, calm_cases, 0, None, within)
            out(f"undisturbed wave: {len(calm_done)}/{count} cases at their tasks in {calm:.1f} s")
            await settle(stack)
            hit, hit_done, hit_intake, marks = await wave(stack, db, drill_cases, count, count // 2, within)
            out(f"wave with {VICTIM} killed: {len(hit_done)}/{count} cases at their tasks in {hit:.1f} s")
            waited = await settle(stack)
            out(f"settled {waited:.0f} s later")

            shapes = await db.shapes(calm_cases + drill_cases)
            reference, seen = Counter(shapes[n] for n in calm_cases).most_common(1)[0]
            out(f"each case: {describe(reference)} (as in {seen} of {count} undisturbed cases)")
            for label, finished, intake in (
                ("undisturbed", calm_done, calm_intake),
                ("drill", hit_done, hit_intake),
            ):
                if len(finished) != count:
                    problems.append(f"{label} wave: {count - len(finished)} cases never reached their tasks")
                if intake.statuses != Counter({201: count}):
                    problems.append(f"{label} wave: intake answered {dict(intake.statuses)}")
            problems += shape_problems(shapes, reference)
            problems += await db.sequence_problems(calm_cases + drill_cases)
            problems += await workflow_problems(stack, 2 * count)
            if "killed" not in marks:
                problems.append("the worker was never killed (the wave finished before half-way?)")
            problems += [f"{p} during the drill" for p in stack.died()]
        finally:
            await db.close()
        if problems:
            for name in ("worker-1", "worker-2", "temporal"):
                out(f"--- {name} log (tail) ---\n{stack.log_tail(name)}")
    ratio = hit / calm
    out(f"drain time: undisturbed {calm:.1f} s, with the kill {hit:.1f} s, ratio {ratio:.2f}×")
    out(f"machine: {machine()}")
    for problem in problems[:40]:
        out(f"FAIL: {problem}")
    if len(problems) > 40:
        out(f"FAIL: … and {len(problems) - 40} more")
    out("OK: every case reached its tasks once, nothing doubled or lost" if not problems else "")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drill_worker_kill", description="演练：工作进程被强杀"
    )
    parser.add_argument("--cases", type=int, default=500, help="cases per wave (quick: --cases 20)")
    parser.add_argument("--within", type=float, default=900.0, help="seconds a wave may take")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.cases, args.within))


if __name__ == "__main__":
    raise SystemExit(main())
