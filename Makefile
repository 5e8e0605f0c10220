# The two set-up commands of the README. Each installs what it needs on a fresh machine.
.PHONY: run run-production test test-production lint test-postgres bench bench-province bench-pages bench-staff bench-intake bench-statistics bench-quarterly drills drills-quick bootstrap

PY := .venv/bin/python
# A temporary root of this run's own: pytest prunes old numbered folders of a shared root, which
# would pull the shared database from under another run on the same machine.
PYTEST_TMP = PYTEST_DEBUG_TEMPROOT=$${PYTEST_DEBUG_TEMPROOT:-$$(mktemp -d -t sa-pytest.XXXXXX)}

bootstrap:
	@scripts/bootstrap.sh

## make run — Temporal dev server (SQLite, Web UI :8233), migrations, demo data, worker, API (:8000)
run: bootstrap
	$(PY) -m infra.devstack

## make run-production — docker-compose.yml's topology on this machine: the Temporal server on
## PostgreSQL (+ Web UI :18233), two workers, two API instances (:18000, :18001), the simulators,
## APP_ENV=production with secrets generated for the run (var/prod). First run builds the server.
run-production: bootstrap
	@scripts/toolchain.sh production
	$(PY) -m infra.prodstack

## make test — lint, type check and the whole test suite against the real Temporal servers
## (the dev server, the time-skipping server, and the production server on PostgreSQL, built on first use)
test: bootstrap lint
	@scripts/toolchain.sh production
	$(PYTEST_TMP) $(PY) -m pytest -q $(PYTEST_ARGS)

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy domain workflows activities services api web workers infra simulators bench

## only the production topology's tests (tests/e2e/test_prodstack.py, also in make test)
test-production: bootstrap
	@scripts/toolchain.sh production
	$(PYTEST_TMP) $(PY) -m pytest -q -m production $(PYTEST_ARGS)

## the migrations and data-access tests again, on a throwaway PostgreSQL (CI runs this too)
test-postgres: bootstrap
	SA_TEST_DATABASE_URL=$$(scripts/postgres.sh start) $(PYTEST_TMP) $(PY) -m pytest -q -m db $(PYTEST_ARGS)

## the payroll of 100,000 households end to end against a bulk insert (targets: < 60 s, ≤ 20×)
bench: bootstrap
	$(PY) -m bench.payroll_100k $(BENCH_ARGS)

## a province's payroll night on the production topology: 1,000,000 households in 20 counties paid,
## reconciled and disclosed, beside a PostgreSQL COPY of the same rows (target: ≤ 180 s)
bench-province: bootstrap
	@scripts/toolchain.sh production
	$(PY) -m bench.payroll_province $(BENCH_ARGS)

## the inbox and case pages with 10,000 open tasks and cases, beside the JSON API (target: p95 ≤ 150 ms)
bench-pages: bootstrap
	$(PY) -m bench.pages_10k $(BENCH_ARGS)

## claim / release / complete and the case read and inbox during intake, beside a no-op Update
## (bench/staff_actions.py; targets: actions and case read p95 ≤ 100 ms, inbox p95 ≤ 50 ms)
bench-staff: bootstrap
	$(PY) -m bench.staff_actions $(BENCH_ARGS)

## 1,000 applications through the API at concurrency 16 beside raw start_workflow, then until every
## case's home visit is open (bench/intake_1000.py; targets: ≥ 0.7× the raw rate, ≥ 10 cases/s, p95 ≤ 300 ms)
bench-intake: bootstrap
	$(PY) -m bench.intake_1000 $(BENCH_ARGS)

## the statistics with 200,000 applications and 100,000 households × 12 months (bench/statistics_200k.py);
## BENCH_ARGS="--database-url postgresql+asyncpg://…" runs it on an empty PostgreSQL database
bench-statistics: bootstrap
	$(PY) -m bench.statistics_200k $(BENCH_ARGS)

## the quarterly re-check of 100,000 households against the department simulator (bench/quarterly_100k.py),
## beside the same department queries made straight through the adapters (target: ≤ 2×)
bench-quarterly: bootstrap
	$(PY) -m bench.quarterly_100k $(BENCH_ARGS)

## the durability drills on the production topology (bench/README.md, "Durability drills"): a worker
## SIGKILLed, the Temporal server SIGKILLed, PostgreSQL stopped, the bank down during a payroll.
## Each exits 1 when a promise breaks; a few minutes each on 2 cores. Not part of make test.
DRILLS := drill_worker_kill drill_temporal_kill drill_database_restart drill_bank_outage
drills: bootstrap
	@scripts/toolchain.sh production
	@set -e; for d in $(DRILLS); do echo "== $$d"; $(PY) -m bench.$$d; done

## the same drills at a small size (20-40 cases, 500 households): about five minutes in all
drills-quick: bootstrap
	@scripts/toolchain.sh production
	$(PY) -m bench.drill_worker_kill --cases 20
	$(PY) -m bench.drill_temporal_kill --cases 20 --outage 15
	$(PY) -m bench.drill_database_restart --cases 30 --down 10
	$(PY) -m bench.drill_bank_outage --households 500 --outage 20
