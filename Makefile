# simplejwt-rs — every target installs what it needs (see `make help`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help install test test-rust test-python lint demo matrix clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.deps: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.deps ## Build the Rust extension with maturin (via pip) into .venv
	$(PIP) install -q --no-build-isolation --force-reinstall --no-deps .

lint: $(VENV)/.deps ## cargo fmt --check, cargo clippy -D warnings, ruff
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --no-default-features -- -D warnings
	$(VENV)/bin/ruff check python tests examples bench
	$(VENV)/bin/ruff format --check python tests examples bench

test-rust: ## cargo test on the pure-Rust core
	cargo test --no-default-features

test-python: install ## pytest (core + Django) and stub check
	$(PY) -m mypy.stubtest simplejwt_rs._core
	$(PY) -m pytest -q

matrix: install ## The Django drop-in on old and new simplejwt/Django/DRF (nox; one wheel, built once)
	rm -rf .nox/wheels
	$(PIP) wheel -q --no-build-isolation --no-deps -w .nox/wheels .
	$(VENV)/bin/nox

test: lint supply-chain test-rust test-python matrix ## Everything CI runs: lint, cargo test, pytest, the version matrix

demo: install ## The example DRF project under gunicorn on 127.0.0.1, driven over real HTTP
	$(PY) examples/demo/run_demo.py

.PHONY: supply-chain audit fuzz bench-threads leakcheck

supply-chain: ## cargo deny: bans, licenses, sources (offline; installs cargo-deny if missing)
	cargo deny --version >/dev/null 2>&1 || cargo install --locked cargo-deny
	cargo deny --offline check bans licenses sources

audit: ## cargo deny check advisories (needs the RustSec database from the network; not part of make test)
	cargo deny --version >/dev/null 2>&1 || cargo install --locked cargo-deny
	cargo deny check advisories

fuzz: ## cargo fuzz: decode + jsonwebtoken differential, FUZZ_SECONDS each (default 150), side by side
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),150) fuzz/run.sh

bench-threads: install ## RS256/ES256 sign and verify throughput with 1 vs 2 threads (GIL released)
	$(PY) bench/threads.py

leakcheck: install ## A million encodes/decodes (failing ones too); fails if RSS grows after warm-up
	$(PY) bench/leakcheck.py

clean: ## Remove build products and the venv
	rm -rf $(VENV) target .pytest_cache
