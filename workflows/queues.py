"""Task queue names the workflows and the worker agree on (no I/O: safe inside workflows)."""

from __future__ import annotations

from temporalio import workflow


def department_queue(task_queue: str) -> str:
    """The queue of the slow calls to the departments' systems (信息核对, the quarterly re-check),
    beside the worker's main queue: a department answering in minutes occupies its own slots, not
    those of the short database writes every case's next step waits for."""
    return f"{task_queue}-departments"


def departments_queue() -> str | None:
    """Inside a workflow: the departments' queue for its department calls (None, the workflow's
    own queue, in executions started before the split: their commands stay as they were)."""
    if workflow.patched("departments-own-queue"):
        return department_queue(workflow.info().task_queue)
    return None
