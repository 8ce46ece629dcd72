# Atrium: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install assets lint typecheck test-postgres worker translations clean bench-smoke bench-http lock

# Exactly the versions in the lock (checked against its hashes), then Atrium itself without resolving anything.
$(BIN)/.installed: requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

app/static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error  # also installs axe-core and vnu-jar for the browser tests
	mkdir -p app/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx.min.js
	cp node_modules/sortablejs/Sortable.min.js app/static/vendor/Sortable.min.js

# A catalog is compiled when its .po is newer than its .mo, so a second `make test` started beside a
# running one (CI runs both databases at once) never rewrites a file the first is reading.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(BIN)/.installed
	$(BIN)/pybabel --quiet compile -d translations -l $* --statistics

install: $(BIN)/.installed assets $(MO_FILES)

assets: app/static/vendor/htmx.min.js

## Install, migrate the SQLite database, load the demo data and serve on http://localhost:$(PORT)
run: export LOG_JSON ?= 0
run: export ATRIUM_PORT ?= $(PORT)
run: export OUTBOUND_ALLOWED_HOSTS ?= 127.0.0.1
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --base-url http://localhost:$(PORT)
	@echo "Serving on http://localhost:$(PORT) (tenants at http://<slug>.localhost:$(PORT)); Ctrl-C stops."
	@echo "Demo identity providers beside it: Acme SSO (SAML) on http://localhost:8089, Partner SSO (OpenID Connect) on http://localhost:8090."
	@echo "Demo HR system (BambooHR-shaped, company acme, API key demo-hr-key) on http://localhost:8091."
	$(BIN)/python scripts/demo_saml_idp.py & saml=$$!; \
	$(BIN)/python scripts/demo_oidc_provider.py --port 8090 --redirect-uri http://partners.localhost:$(PORT)/sso/oidc/callback & oidc=$$!; \
	$(BIN)/python scripts/demo_hr_api.py --port 8091 & hr=$$!; \
	trap 'kill $$saml $$oidc $$hr' EXIT; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## Start an RQ worker (needs REDIS_URL)
worker: install
	$(BIN)/python -m workers

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## Install what the tests need and run every test. PostgreSQL and Redis are used when
## TEST_POSTGRES_URL and TEST_REDIS_URL are set (see README); SQLite and inline jobs otherwise.
test: install
	scripts/ensure-system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

## A short run of the benchmark scripts on a tiny dataset, HTTP one included (the real numbers: bench/README.md).
bench-smoke: install
	rm -f /tmp/atrium-smoke.sqlite3 /tmp/atrium-smoke.json /tmp/atrium-certificates-smoke.sqlite3 \
	    /tmp/atrium-scim-smoke.sqlite3 /tmp/atrium-scim-http-smoke.sqlite3 /tmp/atrium-sync-smoke.sqlite3
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/generate.py --tenants 1 --users 30 --courses 8 \
	    --enrollments 60 --database-url sqlite:////tmp/atrium-smoke.sqlite3 --manifest /tmp/atrium-smoke.json
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/run.py --manifest /tmp/atrium-smoke.json --warmup 1 --repeat 2
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/compliance.py --manifest /tmp/atrium-smoke.json --warmup 1 --repeat 2
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/certificates_bench.py --awards 200 --issue 5 --warmup 1 \
	    --repeat 20 --database-url sqlite:////tmp/atrium-certificates-smoke.sqlite3
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/scim_bench.py --users 50 --list-people 500 --repeat 3 \
	    --database-url sqlite:////tmp/atrium-scim-smoke.sqlite3
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/scim_bench.py --users 50 --list-people 500 --repeat 3 \
	    --http 2 --database-url sqlite:////tmp/atrium-scim-http-smoke.sqlite3
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/sync_bench.py --people 1000 \
	    --database-url sqlite:////tmp/atrium-sync-smoke.sqlite3
	scripts/ensure-system-packages
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/http_bench.py --manifest /tmp/atrium-smoke.json \
	    --duration 1s --warmup 0 --connections 2 --threads 1

## The HTTP benchmark (bench/README.md): every page through gunicorn and wrk beside a bare Flask
## hello-world, on PostgreSQL with row-level security. The dataset is generated once per size and reused;
## e.g. make bench-http BENCH_SIZE=large BENCH_ARGS="--duration 30s --output results.md"
BENCH_SIZE ?= default
BENCH_POSTGRES_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BENCH_ARGS ?=
bench-http: install
	scripts/ensure-system-packages
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/generate.py --reuse --size $(BENCH_SIZE) \
	    --postgres-admin-url $(BENCH_POSTGRES_ADMIN_URL)
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bench/http_bench.py --manifest bench/.data/postgresql.json \
	    $(BENCH_ARGS)

## The same suite against the PostgreSQL and Redis on this machine.
test-postgres:
	TEST_POSTGRES_URL=$${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} $(MAKE) test

## Extract new strings, merge them into every locale, compile (see README, "Translating Atrium")
translations: $(BIN)/.installed
	$(BIN)/flask translate update
	$(BIN)/flask translate compile

## Re-resolve the locks after editing pyproject.toml's dependencies, keeping every other pin.
## `make lock LOCK_ARGS=--upgrade` takes the newest allowed releases; `LOCK_ARGS="--upgrade-package flask"` one.
## requirements-dev.lock (dev and demo extras) is what make install and CI install; requirements.lock is the
## runtime subset at the same versions, for production.
LOCK := $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock"
lock: $(BIN)/.installed
	$(LOCK) --extra dev $(LOCK_ARGS) -o requirements-dev.lock
	$(LOCK) -c requirements-dev.lock -o requirements.lock

clean:
	rm -rf $(VENV) node_modules app/static/vendor instance .pytest_cache .mypy_cache .ruff_cache
