# The SEND guidance assistant. `make run` starts it, `make test` tests it; `make help` lists all.
# Every target installs what it needs first (Python 3.10 virtual environment, locked packages).

VENV   := .venv
PY     := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium
PYTHON ?= $(shell command -v python3.10 2>/dev/null || echo python3)

.PHONY: help run test eval build check train chat lint lock clean browser services
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

run: train ## set up, build, train if needed, and start the assistant on localhost:5005
	$(PY) -m tools.cli serve

test: lint train browser services ## lint, then every test (unit, data, conversations, servers, browser, production)
	SEND_CHROMIUM=$(CHROMIUM) $(PY) -m pytest

eval: train ## print per-topic and overall accuracy on tests/eval/dev_questions.yaml
	$(PY) -m tools.cli evaluate

chat: $(VENV)/.installed ## chat in this terminal with the assistant started by `make run`
	$(PY) -m tools.cli chat

check: $(VENV)/.installed ## validate the knowledge files
	$(PY) -m tools.cli check

build: $(VENV)/.installed ## generate NLU data and the spaCy pipeline from the knowledge files
	$(PY) -m tools.cli build

train: build ## train the model, only if its training data or config changed
	$(PY) -m tools.cli train

lint: $(VENV)/.installed ## ruff and mypy
	$(VENV)/bin/ruff check actions bot tools tests
	$(VENV)/bin/mypy

lock: ## re-resolve the dependencies and rewrite requirements.lock
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e . pytest ruff mypy playwright
	$(PY) -m pip freeze --exclude-editable > requirements.lock
	touch $(VENV)/.installed

clean: ## remove the environment, build output, models and local conversations
	rm -rf $(VENV) build models var results node_modules test-artifacts reports

browser: node_modules/.installed ## Debian's chromium, axe-core and rasa-webchat, for the browser tests
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium \
	    || { apt-get update -q && apt-get install -y -q chromium; }; \
	  else sudo apt-get install -y -q chromium; fi; } \
	  || { echo "Could not install chromium: run 'sudo apt-get install chromium', or set" \
	            "CHROMIUM=/path/to/chromium"; exit 1; }

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || { \
	  echo "Rasa 3.6 needs Python 3.10, but '$(PYTHON)' is not 3.10. Install it (e.g." \
	       "'pyenv install 3.10') or run: make PYTHON=/path/to/python3.10"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@


SERVICES := /usr/lib/postgresql /usr/bin/redis-server /usr/sbin/nginx
services: ## Debian's postgresql, redis-server and nginx, for the production tests
	@for p in $(SERVICES); do test -e $$p || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's postgresql, redis-server and nginx for the production tests..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q postgresql redis-server nginx \
	    || { apt-get update -q && apt-get install -y -q postgresql redis-server nginx; }; \
	  else sudo apt-get install -y -q postgresql redis-server nginx; fi \
	  || { echo "Could not install them: run 'sudo apt-get install postgresql redis-server nginx'"; \
	       exit 1; }; \
	fi
