PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo run test test-deep lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# pip's build warnings go to a log, shown only if the install fails.
	$(PY) -m pip install --quiet -e '.[dev]' 2> $(VENV)/pip.log || { cat $(VENV)/pip.log; exit 1; }
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m tests.support.demo

run: $(STAMP)
	$(PY) -m bot

# The schedule page's browser test drives Debian's chromium through Playwright (whose own
# browser download is never used): installed once here when it is missing.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	@command -v apt-get > /dev/null || { echo "Install chromium (the browser test needs $(CHROMIUM))"; exit 1; }
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core \
		|| { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; }

# The end-to-end tests mostly wait on timers and sockets (the suite uses about half of two
# cores): six workers keep both busy. Measured: -n 4 took 9 min 47 s, -n 6 5 min 43 s.
test: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -n 6

# The stateful property test of what is owed, with many more random examples (about 20
# minutes; AIRDATE_DEEP_EXAMPLES sets how many).
test-deep: $(STAMP)
	AIRDATE_DEEP=1 AIRDATE_DEEP_EXAMPLES=$${AIRDATE_DEEP_EXAMPLES:-3000} $(PY) -m pytest -q -p no:xdist \
		--hypothesis-show-statistics tests/properties

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	@# The scale benchmark's baseline needs SQLAlchemy (the `bench` extra).
	$(PY) -m pip install --quiet -e '.[dev,bench]' 2> $(VENV)/pip.log || { cat $(VENV)/pip.log; exit 1; }
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
