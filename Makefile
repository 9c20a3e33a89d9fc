# Two commands on a fresh machine:
#   make run    set everything up (Chromium for board packs included), build the demo
#               database if missing, serve the app (on port 8501, or PORT=...)
#   make test   set everything up (Chromium included) and run the whole test suite, in tiers
#               (tests/tiers.py): the browser tier, and every other test twice with the
#               process clock moved two years ahead and one back
# While working: make test-fast (the unit and page tests, without the slow ones).
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
OUTCOMES_DB ?= data/outcomes.duckdb
PORT ?= 8501

export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export UV_LINK_MODE := copy
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := False
export OUTCOMES_DB

.PHONY: run replicas test test-fast lint bench demo setup chromium axe clean lock

run: setup chromium
	$(BIN)/outcomes demo --if-missing
	$(BIN)/streamlit run dashboard/server.py --server.address 127.0.0.1 --server.port $(PORT)

# Several app processes behind HAProxy on one PostgreSQL database (deploy/replicas.py): the
# server started here with its data in .cache/postgres/, unless OUTCOMES_DATABASE_URL names one.
REPLICAS ?= 2
replicas: setup chromium
	$(BIN)/python -m deploy.replicas --port $(PORT) --replicas $(REPLICAS)

test: setup chromium axe lint
	$(BIN)/python -m tests.tiers

test-fast: setup
	$(BIN)/pytest -p no:cacheprovider -n 2 -m "not browser and not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: setup chromium
	$(BIN)/python bench/bench_upload.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_overview.py
	$(BIN)/python bench/bench_overview_reads.py
	$(BIN)/python bench/bench_pack.py
	$(BIN)/outcomes demo --if-missing
	$(BIN)/python bench/bench_load.py --people 1,10,25,50 --replicas 2
	$(BIN)/python bench/bench_mixed.py
	$(BIN)/python bench/bench_national.py

demo: setup
	$(BIN)/outcomes demo

setup: $(VENV)/.synced

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# Every dependency pinned with its hashes in requirements.lock (no index address in it:
# uv fetches by package name from its default index). `make lock` refreshes the pins.
$(VENV)/.synced: pyproject.toml requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

lock: | $(UV)
	$(UV) pip compile --quiet --universal --generate-hashes --no-header --group dev \
	  -o requirements.lock pyproject.toml

# From Debian's packages: Chromium, for board packs (printed to PDF) and the browser tests
# (Playwright's own browser download does not work here); poppler-utils (pdftoppm: the tests
# save pictures of a board pack's pages); PostgreSQL and HAProxy (make replicas, and the
# tests, which start their own server as the postgres user in a folder of their own:
# deploy/postgres.py).
chromium:
	@missing=; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v haproxy >/dev/null 2>&1 || missing="$$missing haproxy"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "Installing from Debian's packages:$$missing ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# axe-core (Deque's accessibility engine), fetched by package name with the npm client
# (Node.js and npm from Debian's packages where the machine has none) and checked against
# the integrity hash the registry publishes for that version: the browser tests inject it
# into every page.
AXE_VERSION := 4.14.1
AXE_INTEGRITY := sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE := .tools/axe-core-$(AXE_VERSION)/axe.min.js
axe: $(AXE)

$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "Installing Node.js and npm from Debian's packages ..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	mkdir -p $(dir $@)
	cd $(dir $@) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	$(PYTHON) -c "import base64,hashlib,sys; d=open(sys.argv[1],'rb').read(); \
	  h='sha512-'+base64.b64encode(hashlib.sha512(d).digest()).decode(); \
	  sys.exit(0 if h==sys.argv[2] else 'axe-core: the package does not match its published hash')" \
	  $(dir $@)axe-core-$(AXE_VERSION).tgz '$(AXE_INTEGRITY)'
	tar -xzf $(dir $@)axe-core-$(AXE_VERSION).tgz -C $(dir $@) --strip-components=1 package/axe.min.js
	rm $(dir $@)axe-core-$(AXE_VERSION).tgz

clean:
	rm -rf $(VENV) .tools test-artifacts .pytest_cache .ruff_cache
