# Two commands: `make run` serves the app, `make test` runs the suite. Both set everything up first:
# system PostgreSQL + PostGIS (Debian/Ubuntu packages) if missing, .venv, the embedded cluster
# under var/pg, migrations and the sample district.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
DIZHI := $(VENV)/bin/dizhi
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint system venv kernels db node bench-quick clean-db

run: venv db node
	$(DIZHI) serve --host $(HOST) --port $(PORT)

test: venv db node
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check address spatial layers tiles api migrations tests bench data/generate
	$(VENV)/bin/mypy address spatial layers tiles api && $(VENV)/bin/mypy --explicit-package-bases data/generate
	@# no function of cyclomatic complexity D or worse (radon)
	@! $(VENV)/bin/radon cc -n D -s address spatial layers tiles api migrations data/generate | grep .

db: venv
	$(DIZHI) db start
	$(DIZHI) migrate
	@# the sample park's first month only (the whole year: dizhi load sample; ~300 meters × 35,040 slots)
	$(DIZHI) load sample --park-days 31

# PostGIS from the OS when no initdb/PostGIS is found (a conda env brings its own), and Chromium
# for the page tests.
system:
	@if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 \
	   && ! { command -v pg_config >/dev/null && ls "$$(pg_config --sharedir)"/extension/postgis.control >/dev/null 2>&1; }; then \
	  echo "installing PostgreSQL + PostGIS from the OS packages"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3 >/dev/null; \
	fi
	@if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then \
	  echo "installing mosquitto for the energy MQTT tests"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null; }; \
	fi
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "installing Node.js and npm for CesiumJS and the glTF validator"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing Chromium for the page tests"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	fi

venv: system $(VENV)/.installed kernels

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# The parse's kernels compiled ahead of time (numba.pycc and gcc, about a minute the first time;
# address/parse/compiled/kernels.py): a process that parses then starts without numba. Rebuilt
# when the parse's code changed; without them parsing runs numba's jit, slower to start.
kernels: $(VENV)/.installed
	$(PY) -m address.parse.compiled.aot --if-stale || \
	  echo "address/parse/compiled/_kernels not built: parsing falls back to numba's jit"

# CesiumJS (served at /vendor/cesium) and the Khronos glTF validator (run by the tests), from npm
# into var/node; the versions are pinned here.
NODE_PACKAGES := cesium@1.145.0 gltf-validator@2.0.0-dev.3.10
node: system var/node/.installed

var/node/.installed: Makefile
	mkdir -p var/node
	cd var/node && npm install --no-audit --no-fund --loglevel=error --no-save $(NODE_PACKAGES)
	touch $@

bench-quick: venv db
	$(PY) bench/parse_eval.py

clean-db:
	-$(DIZHI) db stop
	rm -rf var/pg
