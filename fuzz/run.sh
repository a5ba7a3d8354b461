#!/usr/bin/env bash
# `make fuzz`: build the fuzz targets and run them side by side (one per core)
# for FUZZ_SECONDS each; fail on any crash, panic, timeout, leak or
# disagreement, and print how many executions each target ran.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-150}"
TARGETS=(decode differential json)
# cargo-fuzz needs nightly flags (-Zsanitizer, sancov passes); only stable is
# installed here, and RUSTC_BOOTSTRAP=1 lets stable accept them.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi
cargo fuzz build -O

logs=fuzz/target/logs
mkdir -p "$logs"
pids=()
for target in "${TARGETS[@]}"; do
    mkdir -p "fuzz/corpus-run/$target"
    # New inputs go to corpus-run/ (ignored by git); the committed seeds are read only.
    cargo fuzz run -O "$target" "fuzz/corpus-run/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$logs/$target.log" 2>&1 &
    pids+=($!)
done

failed=0
total=0
for i in "${!TARGETS[@]}"; do
    target="${TARGETS[$i]}"
    if wait "${pids[$i]}"; then status=ok; else status=FAILED; failed=1; fi
    runs=$(grep -oE '^Done [0-9]+ runs' "$logs/$target.log" | grep -oE '[0-9]+' || true)
    if [[ -z "$runs" ]]; then
        runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$logs/$target.log" | grep -oE '[0-9]+$' || echo 0)
    fi
    total=$((total + runs))
    printf 'fuzz %-13s %-6s %10s executions in %ss\n' "$target" "$status" "$runs" "$FUZZ_SECONDS"
    grep -E '^differential tally' "$logs/$target.log" | tail -n 1 | sed 's/^/  /' || true
    if [[ "$status" != ok ]]; then
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|disagreement|Test unit written' "$logs/$target.log" | head -20 || true
        echo "  full log: $logs/$target.log; reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run -O $target <artifact>"
    fi
done
echo "fuzz total: $total executions, $([[ $failed == 0 ]] && echo 'no failures' || echo 'FAILURES')"
exit "$failed"
