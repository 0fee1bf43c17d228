#!/usr/bin/env bash
# Fuzzes Sluice's SQL dialect and its option lists with cargo-fuzz (libFuzzer) on the
# nightly toolchain: `scripts/fuzz.sh [SECONDS]` runs each target for SECONDS (default
# 60; .ci/run runs this default, a longer hunt is e.g. `scripts/fuzz.sh 3600`). The
# corpus grows in fuzz/target/corpus/ (kept between runs), seeded from fuzz/seeds/; an
# input that panics is saved under fuzz/artifacts/ and fails the run. Prints, per target,
# the inputs tried and the panics found.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "fuzz: no nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
  fi
  echo "fuzz: skipped: no nightly toolchain"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

cd fuzz
# No sanitizer: the parser is safe Rust, what is hunted is panics (and an ASan build of
# the dependencies would double the build).
flags=(--sanitizer none --debug-assertions)
echo "fuzz: building the targets ($SECONDS s)"
cargo +nightly fuzz build "${flags[@]}"
echo "fuzz: built ($SECONDS s)"
status=0
summary=()
for target in dialect options; do
  corpus="target/corpus/$target"
  mkdir -p "$corpus" "seeds/$target"
  log="target/fuzz-$target.log"
  if cargo +nightly fuzz run "${flags[@]}" "$target" "$corpus" "seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 >"$log" 2>&1; then
    panics=0
  else
    panics=1
    status=1
    grep -E "panicked at|Test unit written|SUMMARY" "$log" | head -20 >&2 || tail -40 "$log" >&2
  fi
  inputs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | grep -oE "[0-9]+" | tail -1)
  summary+=("fuzz $target: ${inputs:-0} inputs in ${seconds} s, $panics panics")
done
printf '%s\n' "${summary[@]}"
exit "$status"
