#!/usr/bin/env bash
# The README's promise for its two commands: they need nothing on PATH but Python >= 3.10, a Rust
# toolchain and a C compiler.  This runs `make demo` (a fresh venv, the dev requirements, the package
# built by pip + maturin, the demo over real HTTP) under `env -i`, with a PATH of one directory holding
# only python3, cargo, rustc and cc, then /usr/bin:/bin (make, the shell; no maturin, no pip tools).
#
#   tests/install/clean_path.sh WORK PYTHON     (`make test-clean-path`, part of `make test`)
#
# WORK gets bin/ (the symlinks), venv/ (the demo's venv) and cargo/ (its own CARGO_TARGET_DIR, so that
# this build and the checkout's .venv build do not rebuild each other's PyO3 configuration).
set -euo pipefail

work=${1:?work directory}
python=${2:?python}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)

bin=$work/bin
rm -rf "$bin"
mkdir -p "$bin"
# The interpreter itself, not a pyenv shim (a shim needs pyenv on PATH).
ln -s "$("$python" -c 'import sys; print(sys.executable)')" "$bin/python3"
for tool in cargo rustc cc; do
    found=$(command -v "$tool") || { echo "FAIL: no $tool on PATH" >&2; exit 1; }
    ln -s "$found" "$bin/$tool"  # rustup's proxies pick the tool by this name
done
clean_path=$bin:/usr/bin:/bin

# The point of the exercise: the build tools that come from the venv must not be found otherwise.
for tool in maturin nox check-jsonschema twine gunicorn; do
    if found=$(env -i PATH="$clean_path" bash -c "command -v $tool"); then
        echo "FAIL: $tool is on the clean PATH ($found); this check would prove nothing" >&2
        exit 1
    fi
done

echo "clean PATH: $clean_path ($(ls "$bin" | tr '\n' ' '))"
started=$SECONDS
env -i PATH="$clean_path" HOME="$HOME" CARGO_TARGET_DIR="$work/cargo" \
    ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} \
    make -C "$root" --no-print-directory VENV="$work/venv" demo
echo "clean PATH: make demo passed in $((SECONDS - started))s"
