"""The time a Schedule meant a run for: its period (the month paid, the quarter re-checked) comes
from there, not from when the run happens to start.

A catch-up after an outage across a month's end, or a run buffered behind one still at the bank,
starts days late — `workflow.now()` would then pay the month it starts in and skip the one it was
scheduled for. Temporal sets `TemporalScheduledStartTime` on every run a Schedule starts (a
backfill included); a run started by hand has none and uses its start time.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey

SCHEDULED_START_TIME = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def scheduled_start_time() -> datetime | None:
    """The scheduled time of a Schedule-started run (None when started otherwise)."""
    return workflow.info().typed_search_attributes.get(SCHEDULED_START_TIME)


def period_time() -> datetime:
    """The scheduled time, or the run's start when no Schedule started it."""
    return scheduled_start_time() or workflow.now()
