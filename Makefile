# Tadamon — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYBABEL := $(VENV)/bin/pybabel
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
AXE := .cache/axe/node_modules/axe-core/axe.min.js
# What the app needs to render PDFs (Pango/HarfBuzz and the Noto fonts, Arabic included), and
# what the tests add: Chromium and its driver for browser tests, poppler to read PDFs back,
# nginx for the production-topology test.
RUNTIME_PACKAGES := fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
SYSTEM_PACKAGES := $(RUNTIME_PACKAGES) chromium chromium-driver poppler-utils nginx-light postgresql-client
# A make variable only: never exported, and the SQLite run unsets it (an exported
# TEST_DATABASE_URL in the shell would otherwise turn the SQLite run into a PostgreSQL one).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
unexport TEST_DATABASE_URL
PYTEST := $(PY) -m pytest -n 2 --dist loadgroup -p no:cacheprovider
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install bytecode runtime-packages system-packages axe translations extract update-catalogs init-catalog \
        migrate serve worker lint mypy-count measure test-sqlite test-postgres fuzz benchmark loadtest clean

$(STAMP): pyproject.toml
	@echo "== Creating $(VENV) and installing the Python packages (a few minutes the first time)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	set -o pipefail; $(PIP) install --progress-bar off -e ".[dev]" | \
	  { grep --line-buffered -E '^(Collecting|Successfully installed)' || true; }
	touch $(STAMP)

install: $(STAMP)

# Tadamon's own bytecode, compiled ahead (only what changed since): a process that may not
# write __pycache__ (PYTHONDONTWRITEBYTECODE, a read-only checkout under systemd) would otherwise
# compile ~190 modules at every start, a third of a command's start-up.
# The web instances run with PYTHONOPTIMIZE=2 (deploy/systemd/tadamon-web@.service): their
# *.opt-2.pyc too, the libraries' and the standard library's included (each only once; the
# standard library's test and demo folders, which hold files that are not Python 3, left out).
bytecode: $(STAMP)
	$(PY) -m compileall -q -o 0 -o 2 platform wsgi.py gunicorn.conf.py
	$(PY) -m compileall -q -j 0 -o 2 -x '/(test|tests|idlelib|lib2to3|turtledemo|tkinter|ensurepip)/' \
	  $$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"), sysconfig.get_path("stdlib"))') > /dev/null

# Debian packages, installed only when missing: the runtime's for `make demo`, all for the tests.
define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "== Installing Debian packages (about a minute):$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

runtime-packages:
	$(call install_missing,$(RUNTIME_PACKAGES))

system-packages:
	$(call install_missing,$(SYSTEM_PACKAGES))

# axe-core from the npm registry, vendored once into .cache/ and never fetched at test time.
$(AXE):
	mkdir -p .cache/axe
	cd .cache/axe && npm install --silent --no-audit --no-fund axe-core@4 >/dev/null

axe: $(AXE)

translations: $(STAMP)
	$(PYBABEL) compile -d translations

extract: $(STAMP)
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 \
	  -k gettext_isolated -k ngettext_isolated:1,2 \
	  --add-comments=Translators: --sort-by-file --no-wrap --project=Tadamon \
	  -o translations/messages.pot .

update-catalogs: extract
	$(PYBABEL) update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete --no-fuzzy-matching

init-catalog: extract
	$(PYBABEL) init -i translations/messages.pot -d translations -l $(LANG_CODE)

migrate: $(STAMP)
	$(FLASK) db upgrade

# Serve again what is in the database (the demo, as visitors left it): nothing is wiped.
serve: $(STAMP) translations bytecode
	$(FLASK) db upgrade
	@echo "== Serving on http://127.0.0.1:5000 (Ctrl-C to stop; the data stays)"
	SHOW_OUTBOX_PAGE=1 $(FLASK) run --host 127.0.0.1 --port 5000

# Plan exports and emails in the background: set REDIS_URL for both the server and this worker.
worker: $(STAMP)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL, for example redis://127.0.0.1:6379/0"; exit 1; }
	$(VENV)/bin/rq worker --url "$$REDIS_URL" $${TADAMON_EXPORT_QUEUE:-tadamon-exports} $${TADAMON_MAIL_QUEUE:-tadamon-mail}

# Install, compile catalogs, migrate, seed the demo and serve. `flask demo` empties only a
# database it filled itself (or one without accounts): pointed at real data (DATABASE_URL),
# it refuses and nothing is deleted. The outbox page (/dev/outbox, administrators only) is
# turned on for this server alone.
demo: $(STAMP) runtime-packages translations bytecode
	@echo "== Migrating the database"
	$(FLASK) db upgrade
	@echo "== Seeding the demo (about 15 seconds)"
	$(FLASK) demo
	@echo "== Serving on http://127.0.0.1:5000 (Ctrl-C to stop; \`make serve\` serves it again without wiping it)"
	SHOW_OUTBOX_PAGE=1 $(FLASK) run --host 127.0.0.1 --port 5000

# ruff and mypy (the pyproject's config); `make mypy-count` prints only mypy's error count.
lint: $(STAMP)
	$(VENV)/bin/ruff check platform tests scripts
	$(VENV)/bin/mypy

MYPY_COUNT = $(VENV)/bin/mypy 2>/dev/null | grep -cE '^[^ ]+:[0-9]+: error:' || true

mypy-count: $(STAMP)
	@$(MYPY_COUNT)

# What the architecture issue measures: view sizes, radon's D-or-worse blocks, mypy, tests.
measure: $(STAMP)
	@echo "== view sizes (scripts/view_sizes.py)"
	@$(PY) scripts/view_sizes.py
	@echo "== functions rated D or worse (radon cc -s -n D platform/tadamon)"
	@$(VENV)/bin/radon cc -s -n D platform/tadamon
	@echo "== mypy errors"
	@$(MYPY_COUNT)
	@echo "== tests collected"
	@env -u TEST_DATABASE_URL $(PY) -m pytest --collect-only -q -p no:cacheprovider | tail -n 1

# The whole suite on SQLite, then on PostgreSQL when it answers (always in CI).
test: $(STAMP) system-packages axe translations bytecode
	$(MAKE) --no-print-directory test-sqlite
	@if $(PY) scripts/database_available.py "$(TEST_DATABASE_URL)"; then \
	  $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL is required in CI but $(TEST_DATABASE_URL) does not answer (see above)."; exit 1; \
	else \
	  echo "PostgreSQL does not answer at $(TEST_DATABASE_URL): PostgreSQL run skipped."; \
	fi

# Everything, browser tests included, on SQLite files.
test-sqlite: $(STAMP) system-packages axe translations
	env -u TEST_DATABASE_URL $(PYTEST)

# Everything but the browser tests (they run on their own SQLite file) on PostgreSQL; the
# database is created when the server answers without it.
test-postgres: $(STAMP) translations
	@$(PY) scripts/database_available.py "$(TEST_DATABASE_URL)" || \
	  { echo "PostgreSQL run impossible: $(TEST_DATABASE_URL) does not answer (see above)."; exit 1; }
	@echo "== PostgreSQL run: $(TEST_DATABASE_URL)"
	TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(PYTEST) -m "not browser"

# The generated-input suites with 200 examples per form and per query-string page (25 in
# `make test`), on SQLite, then on PostgreSQL when it answers (always in CI).
FUZZ_TESTS := tests/test_fuzz_forms.py
fuzz: $(STAMP) translations
	env -u TEST_DATABASE_URL TADAMON_FUZZ_EXAMPLES=200 $(PYTEST) $(FUZZ_TESTS)
	@if $(PY) scripts/database_available.py "$(TEST_DATABASE_URL)"; then \
	  TEST_DATABASE_URL="$(TEST_DATABASE_URL)" TADAMON_FUZZ_EXAMPLES=200 $(PYTEST) $(FUZZ_TESTS); \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL is required in CI but $(TEST_DATABASE_URL) does not answer (see above)."; exit 1; \
	fi

# The production topology under load (never in `make test`): seeds `flask demo --scale SCALE`
# into a PostgreSQL database of its own, starts nginx + two instances of WORKERS workers + worker
# + scheduler from deploy/, drives it with wrk (scripts/loadtest/*.lua) and prints each page's
# SQL queries, requests/s, p50/p99 and ratio to hello-world (medians of RUNS runs of DURATION s),
# ballots/s, the workers' memory and the first load's weight, beside the goals.
loadtest: $(STAMP) translations bytecode
	$(call install_missing,wrk nginx-light)
	SCALE=$(or $(SCALE),10) DURATION=$(or $(DURATION),10) RUNS=$(or $(RUNS),3) CLIENTS=$(or $(CLIENTS),8) \
	  WORKERS=$(or $(WORKERS),2) LOADTEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(PY) scripts/loadtest.py

# The PostgreSQL measures (parallel ballots, ballot posts) on TEST_DATABASE_URL's server when it
# answers (BENCH_DATABASE_URL, if set, wins), each in a database of its own.
benchmark: $(STAMP) bytecode
	@if [ -z "$$BENCH_DATABASE_URL" ] && $(PY) scripts/database_available.py "$(TEST_DATABASE_URL)"; then \
	  BENCH_DATABASE_URL="$(TEST_DATABASE_URL)" $(PY) scripts/benchmarks.py $(or $(SCALE),10); \
	else \
	  $(PY) scripts/benchmarks.py $(or $(SCALE),10); \
	fi

clean:
	rm -rf $(VENV) .cache instance test-artifacts
