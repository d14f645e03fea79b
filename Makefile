# The front door. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export SALESOPS_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(SALESOPS_HOME)/dagster_home
# The demo's own home: sample data is generated and served only there, never in SALESOPS_HOME.
DEMO_HOME ?= $(CURDIR)/demo

PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced

SCALE ?= 0.25
PORT ?= 8501
DAGSTER_PORT ?= 3000
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=25

.PHONY: setup browser-deps java-deps test-spark run demo dashboard dev serve docs test lint bench bench-engines sample clean help

help:
	@echo "make demo       set up, build the sample warehouse in $(DEMO_HOME), serve dashboards on http://127.0.0.1:$(PORT)"
	@echo "make test       set up and run every test but the Spark portability test"
	@echo "make test-spark the Spark portability test, on the shipped and the tiny-world settings (~10 min; CI)"
	@echo "make run        set up and run the daily job once on your extracts (ingest → dbt → publish), no server"
	@echo "make dashboard  serve the dashboards on the last published snapshot"
	@echo "make dev        Dagster UI on http://127.0.0.1:$(DAGSTER_PORT) and the daemon (schedules, landing sensor)"
	@echo "make serve      team server: Dagster daemon + UI (:$(DAGSTER_PORT)) + dashboards (:$(PORT)); stops on Ctrl-C/SIGTERM"
	@echo "make docs       dbt docs of the warehouse (one HTML file, opens offline)"
	@echo "make lint       ruff"
	@echo "make bench      cost curve of the daily run: make bench SCALES=\"0.1 1 10\" (bench-profile, bench-excel: the older profiles)"
	@echo "make bench-engines  the dbt build on DuckDB and on Spark: make bench-engines SCALES=\"1 10\""
	@echo "make bench-suite    the test suite's CPU per module (WITH_SPARK=1: with the Spark portability test)"

$(STAMP): pyproject.toml uv.lock
	@echo "Setting up $(VENV): installing and compiling the packages (first time ~1 min; uv shows its progress) 首次安装依赖并编译，约 1 分钟…"
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(PYTHON) -m uv sync --locked --compile-bytecode
	@touch $(STAMP)

setup: $(STAMP)

# The browser tests drive Debian's Chromium (no browser download); fonts-noto-cjk renders Chinese.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "The browser tests need Chromium: sudo apt-get install chromium fonts-noto-cjk"; exit 1; fi; }

# Spark (the portability test, `salesops run --target spark`) runs on a Java 17+ runtime: Debian's.
java-deps:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "Spark needs Java 17+: sudo apt-get install openjdk-17-jre-headless"; exit 1; fi; }

run: setup
	$(BIN)/salesops run $(if $(LANDING),--landing $(LANDING)) $(foreach p,$(PROFILE),--profile $(p)) $(if $(AS_OF),--as-of $(AS_OF))

demo: setup
	$(BIN)/salesops demo --home $(DEMO_HOME) --scale $(SCALE) --port $(PORT)

dashboard: setup
	$(BIN)/salesops dashboard --port $(PORT)

# Not `dagster dev`: superseded by `dg dev` in Dagster 1.13 (a warning on every start; the `dg`
# CLI is not installed) and, started without job control, it ignored SIGTERM and SIGINT
# (orchestration/serve.py says why). `salesops serve` runs the same daemon and UI and stops in
# seconds.
dev: setup
	$(BIN)/salesops serve --no-dashboards --dagster-port $(DAGSTER_PORT)

serve: setup
	$(BIN)/salesops serve --dagster-port $(DAGSTER_PORT) --port $(PORT)

# The warehouse's documentation: every mart's grain and definitions, bilingual, with lineage.
# Needs a built warehouse (make run); writes one self-contained HTML file.
docs: setup
	$(BIN)/salesops-dbt docs generate --static --project-dir dbt_project --profiles-dir dbt_project --target-path $(SALESOPS_HOME)/docs
	@echo "→ $(SALESOPS_HOME)/docs/static_index.html"

test: setup browser-deps
	SALESOPS_PLANTED_PREBUILD=1 $(BIN)/pytest -m "not spark" $(PYTEST_ARGS)

# The portability test (tests/spark): the whole project built on DuckDB and on Spark, every
# published mart compared; twice: on the `spark` target's shipped settings with the incremental
# re-run (~6 min), then on the settings for a tiny world from nothing (~3 min). Not in `make
# test`: with it, `make test` took 15:17 to 15:18 in a clean clone, over its 15-minute budget
# (README "When one machine is not enough").
test-spark: setup java-deps
	$(BIN)/pytest -m spark tests/spark --durations=5
	SALESOPS_SPARK_TINY=1 $(BIN)/pytest -m spark tests/spark --durations=5

lint: setup
	$(BIN)/ruff check .

# `make bench SCALES="0.1 1 10"`: the daily run's cost curve (benchmarks/scaling.py); one scale
# by default (BENCH_SCALE, else the demo's 0.25); BENCH_ARGS=--resume keeps scales measured at this SHA.
.PHONY: bench-profile bench-excel bench-suite
bench: setup
	$(BIN)/python -m benchmarks.scaling --scales "$(or $(SCALES),$(BENCH_SCALE),0.25)" $(BENCH_ARGS)

# one scale's profile: ingest, signals, a dbt build per model area, and the Excel ingest
bench-profile: setup
	BENCH_SCALE=$(or $(BENCH_SCALE),0.25) $(BIN)/python -m benchmarks.run

# the dbt build on DuckDB and on Spark, per scale: make bench-engines SCALES="1 10"
bench-engines: setup java-deps
	$(BIN)/python -m benchmarks.engines --scales "$(or $(SCALES),1 10)"

# where the test suite's CPU goes, per module (WITH_SPARK=1: with the Spark portability test)
bench-suite: setup browser-deps $(if $(WITH_SPARK),java-deps)
	$(BIN)/python -m benchmarks.suite_cpu $(if $(WITH_SPARK),--with-spark)

bench-excel: setup
	$(BIN)/python -m benchmarks.excel_ingest

sample: setup
	$(BIN)/salesops demo --home $(DEMO_HOME) --scale $(SCALE) --prepare-only

clean:
	rm -rf $(SALESOPS_HOME)/bronze $(SALESOPS_HOME)/quarantine $(SALESOPS_HOME)/warehouse dbt_project/target
