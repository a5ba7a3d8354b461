# simplejwt-rs — every target installs what it needs (see `make help`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The interpreter that makes the venvs, found before .venv/bin goes on PATH (else `python3` would be the venv's own).
override PYTHON := $(or $(shell command -v $(PYTHON)),$(PYTHON))
# Every recipe finds the venv's tools first: `pip install --no-build-isolation .` runs maturin's PEP 517 backend,
# which looks for the `maturin` binary on PATH.  Nothing but Python, cargo/rustc and a C compiler need be on it.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install test test-rust test-python test-pg lint demo matrix clean check docs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.deps: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.deps ## Build the Rust extension with maturin (via pip) into .venv
	$(PIP) install -q --no-build-isolation --force-reinstall --no-deps .

lint: $(VENV)/.deps ## cargo fmt --check, cargo clippy -D warnings, ruff, mypy
	cargo fmt --all -- --check
	cargo fmt --manifest-path fuzz/Cargo.toml --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --no-default-features -- -D warnings
	$(VENV)/bin/ruff check python tests examples bench fuzz harness scripts
	$(VENV)/bin/ruff format --check python tests examples bench fuzz harness scripts
	$(PY) -m mypy

test-rust: ## cargo test on the pure-Rust core
	cargo test --no-default-features

test-python: install ## pytest (core + Django on SQLite) and stub check
	$(PY) -m mypy.stubtest simplejwt_rs._core
	$(PY) -m pytest -q

test-pg: install ## Django tests on a throwaway PostgreSQL, then 16 racing HTTP clients x 50 trials (gunicorn: ours vs stock; uvicorn: ninja)
	scripts/pg-tests.sh $(PY)

matrix: install ## The Django drop-in on old and new simplejwt/Django/DRF (nox; one wheel, built once)
	rm -rf .nox/wheels
	$(PIP) wheel -q --no-build-isolation --no-deps -w .nox/wheels .
	$(VENV)/bin/nox

test: lint docs supply-chain test-rust test-python test-pg test-multi matrix test-upstream test-install test-clean-path test-clients test-browser ## Everything CI runs: lint, cargo test, pytest (SQLite, PostgreSQL, HTTP), the version matrix

check: $(VENV)/.deps ## The quick loop (< 2 min; after make install or maturin develop): ruff, mypy, cargo test, pytest tests/core
	$(VENV)/bin/ruff check python tests examples bench fuzz harness scripts
	$(VENV)/bin/ruff format --check python tests examples bench fuzz harness scripts
	$(PY) -m mypy
	cargo test --no-default-features -q
	$(PY) -m pytest -q -p no:cacheprovider tests/core

docs: $(VENV)/.deps ## The docs site (mkdocs.yml, docs/): mkdocs build --strict into target/site/
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

demo: install ## The example DRF project under gunicorn on 127.0.0.1, driven over real HTTP
	$(PY) examples/demo/run_demo.py

.PHONY: supply-chain audit fuzz bench-threads leakcheck

supply-chain: ## cargo deny: bans, licenses, sources (offline; installs cargo-deny if missing)
	cargo deny --version >/dev/null 2>&1 || cargo install --locked cargo-deny
	cargo deny --offline check bans licenses sources

audit: ## cargo deny check advisories (needs the RustSec database from the network; not part of make test)
	cargo deny --version >/dev/null 2>&1 || cargo install --locked cargo-deny
	cargo deny check advisories

fuzz: ## cargo fuzz: decode, jsonwebtoken differential, JSON bytes vs serde_json, FUZZ_SECONDS each (default 150), side by side
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),150) fuzz/run.sh

bench-threads: install ## RS256/ES256 sign and verify throughput with 1 vs 2 threads (GIL released)
	$(PY) bench/threads.py

leakcheck: install ## A million encodes/decodes (failing ones too); fails if RSS grows after warm-up
	$(PY) bench/leakcheck.py

clean: ## Remove build products and the venv
	rm -rf $(VENV) target .pytest_cache

# --- benchmarks (issue 6): their own CPython 3.12 venv, since ryjwt needs >= 3.12 ----------------
# The first CPython >= 3.12 that actually runs: for 3.12, then 3.13, pythonX.Y on PATH, else pyenv's
# if it has that version (its shims run only the selected ones); then python3; with none,
# "python3.12", so that the error names what is missing.  No install location is named.
BENCH_PYTHON ?= $(shell for v in 3.12 3.13; do \
	for p in "python$$v" "$$(PYENV_VERSION=$$v pyenv which python$$v 2>/dev/null)"; do \
	[ -n "$$p" ] && "$$p" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { command -v "$$p"; exit; }; \
	done; done; python3 -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && command -v python3 || echo python3.12)
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
.PHONY: bench bench-install bench-report messages

$(BENCH_VENV)/.deps: requirements-bench.txt
	$(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --upgrade pip
	$(BENCH_PY) -m pip install -q -r requirements-bench.txt
	touch $@

bench-install: $(BENCH_VENV)/.deps ## Benchmark env: .venv-bench with our wheel, PyJWT, simplejwt 5.5.1, the Rust peers; wrk
	$(BENCH_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall .
	command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
	cp Cargo.lock bench/rsa_floor/Cargo.lock
	CARGO_TARGET_DIR=$(CURDIR)/target cargo build --release --quiet --manifest-path bench/rsa_floor/Cargo.toml

bench: bench-install ## Core, Django and HTTP tables side by side -> docs/benchmarks/ (~6 min)
	$(BENCH_PY) bench/core.py
	$(BENCH_PY) bench/matrix.py
	$(BENCH_PY) bench/django_paths.py
	$(BENCH_PY) bench/http_load.py
	$(BENCH_PY) bench/policy_cache.py
	$(BENCH_PY) bench/flush.py
	$(BENCH_PY) bench/ninja_async.py
	$(BENCH_PY) bench/near_cache.py
	$(BENCH_PY) bench/report.py

messages: ## Compile the translation catalogues (python/simplejwt_rs/locale/*/django.po -> .mo; standard library only)
	$(PYTHON) scripts/compile_messages.py

bench-report: ## Rebuild docs/benchmarks/README.md and the chart from the JSON
	$(BENCH_PY) bench/report.py

# --- distribution (issue 11): an sdist and one abi3 wheel in dist/, and a test that installs each ------
.PHONY: dist test-install
INSTALL_TEST_DIR := target/install-test
# The wheel goes onto CPython 3.10 (the oldest the abi3 wheel supports) and 3.14/3.13, each that runs, found
# as BENCH_PYTHON is (pythonX.Y on PATH, else pyenv's); with none of them, $(PYTHON).
INSTALL_TEST_PYTHONS ?= $(or $(shell for v in 3.10 3.14 3.13; do \
	for p in "python$$v" "$$(PYENV_VERSION=$$v pyenv which python$$v 2>/dev/null)"; do \
	[ -n "$$p" ] && "$$p" -c 'import sys' 2>/dev/null && { command -v "$$p"; break; }; \
	done; done),$(PYTHON))

dist: $(VENV)/.deps ## Build the sdist and one abi3 wheel (manylinux-tagged for this glibc) into dist/
	rm -rf dist
	$(VENV)/bin/maturin sdist --out dist
	$(VENV)/bin/maturin build --release --locked --out dist

# The sdist is built into a target dir of its own: cargo would take the crate unpacked from an sdist for the
# one in target/ (same fingerprint, old mtimes) and reuse its library; see tests/install/check_dist.py.
test-install: dist ## Check dist/ (twine --strict, metadata); install the wheel (no cargo on PATH) and the sdist into fresh venvs, smoke-test; check release.yml
	$(VENV)/bin/twine check --strict dist/*
	$(PY) tests/install/check_metadata.py --dist dist
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/release.yml
	$(PY) tests/install/check_release_workflow.py
	CARGO_TARGET_DIR=$(CURDIR)/$(INSTALL_TEST_DIR)/cargo $(PY) tests/install/check_dist.py --dist dist \
		--work $(INSTALL_TEST_DIR) $(foreach p,$(INSTALL_TEST_PYTHONS),--wheel-python $(p))

# The README's two commands need nothing on PATH but Python >= 3.10, cargo/rustc and a C compiler: `make demo` run
# under `env -i` with exactly those (and /usr/bin:/bin), into a venv and a cargo target dir of its own.
.PHONY: test-clean-path
test-clean-path: ## `make demo` with a PATH holding only python3, cargo, rustc, cc (+ /usr/bin:/bin), into target/clean-path
	tests/install/clean_path.sh target/clean-path $(PYTHON)

# --- another package's JWT classes (issue 11): dj-rest-auth 7.1.1 in cookie mode, PATCH_UPSTREAM_CLASSES ----
# tests/clients: the cookie story over DRF's client and over gunicorn (dj-rest-auth from requirements-dev.txt);
# then dj-rest-auth's own suite (its sdist) without us, with us + the opt-in, and with rotation too, in a venv
# of its own (it pins simplejwt 5.5.1 and needs django-allauth and responses 0.12.1).
.PHONY: test-clients
CLIENTS_WORK := target/clients
CLIENTS_VENV := $(CLIENTS_WORK)/venv

$(CLIENTS_VENV)/.deps: tests/clients/requirements-suite.txt
	$(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install -q -r tests/clients/requirements-suite.txt
	touch $@

test-clients: install $(CLIENTS_VENV)/.deps ## dj-rest-auth cookie mode with PATCH_UPSTREAM_CLASSES (DRF client, gunicorn), and its own suite
	$(PY) -m pytest -q -p no:cacheprovider tests/clients --ds=tests.clients.settings
	$(CLIENTS_VENV)/bin/python tests/clients/dj_rest_auth_suite.py --work $(CLIENTS_WORK) --ours-from $(PY)

# --- several app servers (issue 14): POLICY_CACHE on Redis, two gunicorn servers sharing PostgreSQL and Redis -----
.PHONY: test-multi

test-multi: install ## Two gunicorn servers, one PostgreSQL, one Redis (throwaway): a change on A refused by B; Redis stopped mid-load
	$(PY) -m pytest -q -p no:cacheprovider tests/multi

# --- upstream's own test suite, our modules swapped in (issue 11) -------------------------------------
.PHONY: test-upstream
UPSTREAM_DIR := target/upstream-suite

test-upstream: $(VENV)/.deps ## simplejwt 5.5.1's and 5.3.1's own tests on upstream and on ours; each difference must be in docs/security.md
	rm -rf $(UPSTREAM_DIR)/wheel
	$(PIP) wheel -q --no-build-isolation --no-deps -w $(UPSTREAM_DIR)/wheel .
	$(PY) scripts/upstream_suite.py --work $(UPSTREAM_DIR) --wheel $(UPSTREAM_DIR)/wheel/simplejwt_rs-*.whl

.PHONY: bench-instructions
bench-instructions: bench-install ## Instructions per HS256 call, ours vs ryjwt, by callgrind (valgrind), as a table (~4 min)
	command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
	$(BENCH_PY) bench/instructions.py

# --- browser apps (issue 21): the cookie transport in headless Chromium (Debian's), driven by Selenium ---------
.PHONY: test-browser

test-browser: install ## The cookie transport in a real browser: Debian's chromium + chromium-driver (installed if missing), Selenium, gunicorn
	[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }
	$(PY) -m pytest -q -p no:cacheprovider tests/browser
