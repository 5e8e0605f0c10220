"""Record the event histories the replay tests replay (tests/histories/<WorkflowType>/*.json).

Runs the scenarios below (or the pytest node ids given as arguments) with the recorder plugin and
writes every workflow's history. Run it before changing a workflow, commit what it writes, then
make the change: `make test` replays the old histories against the new code and fails on a change
that would break running cases (see README, "Changing a workflow").

    .venv/bin/python scripts/record_histories.py                 # the standard scenarios
    .venv/bin/python scripts/record_histories.py tests/workflows/test_objection.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "tests" / "histories"

# Every workflow type and the application's main paths: standard, green channel, emergency,
# objection, withdrawal, county return, missing materials; the lifecycle (re-reviews, exit,
# fraud stop, phase-out); the payroll and its disclosure; the quarterly re-check; the data check's
# warnings, recheck and per-county departments.
SCENARIOS = [
    "tests/workflows/test_dibao_flow.py",
    "tests/workflows/test_time_limits.py::test_green_channel_verification_within_2_and_approval_within_5_working_days_met",
    "tests/workflows/test_time_limits.py::test_whole_process_extended_to_45_working_days_with_reason",
    "tests/workflows/test_emergency.py",
    "tests/workflows/test_objection.py",
    "tests/workflows/test_intake_and_actions.py::test_withdrawal_during_publicity_cancels_tasks_and_limits",
    "tests/workflows/test_intake_and_actions.py::test_missing_materials_are_notified_once_and_the_clock_starts_when_complete",
    "tests/workflows/test_intake_and_actions.py::test_deadline_in_an_unannounced_year_is_provisional_not_a_crash",
    "tests/workflows/test_assistance_types.py::test_tekun_spot_check_care_level_amount_and_15_day_approval",
    "tests/workflows/test_assistance_types.py::test_temporary_expenditure_is_approved_by_the_township_and_paid_once",
    "tests/workflows/test_data_check.py::test_tax_office_down_for_two_days_the_case_waits_and_then_completes",
    "tests/workflows/test_data_check.py::test_bad_data_from_a_department_becomes_a_task_for_a_person",
    # The assessment activity with warnings, twice (a recheck); a county's own list of departments.
    "tests/workflows/test_data_check.py::test_hidden_rising_wage_is_a_warning_on_the_list_and_forces_closer_review",
    "tests/workflows/test_data_check.py::test_applicant_is_told_and_an_objection_with_evidence_triggers_a_recheck",
    "tests/workflows/test_data_check.py::test_a_county_queries_only_the_departments_its_policy_names",
    "tests/workflows/test_beneficiary_lifecycle.py",
    # Notices to applicants by SMS (applicant-sms-v1): every notice, the refusal's electronic
    # delivery, an outage retried and then shown to staff; the lifecycle's notices.
    "tests/workflows/test_applicant_sms.py",
    "tests/workflows/test_lifecycle_sms.py",
    "tests/e2e/test_payroll.py::test_bank_failures_go_to_the_finance_queue_and_are_paid_once_on_retry",
    "tests/e2e/test_disclosure.py",
    "tests/e2e/test_quarterly_recheck.py::test_quarterly_schedule_rechecks_every_enrolled_household",
]


def main(argv: list[str]) -> int:
    targets = argv or SCENARIOS
    env = {**os.environ, "SA_RECORD_HISTORIES": str(FOLDER)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "tests.histories.recorder", *targets]
    return subprocess.call(command, cwd=REPO, env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
