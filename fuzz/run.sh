#!/usr/bin/env bash
# Fuzz the page rewrite (fuzz_targets/rewrite.rs) for a bounded time, then the corpus's page
# scanner against its reference (corpus.rs) and the other parsers of untrusted input (config.rs,
# csp.rs, journal.rs) for a quarter of it each.
#
#   fuzz/run.sh [SECONDS]      default 60
#
# Needs cargo-fuzz (installed on first use) and a C++ compiler for libFuzzer. cargo-fuzz passes
# nightly-only flags (-Z sanitizer=address); RUSTC_BOOTSTRAP=1 lets the stable toolchain accept
# them, so no nightly toolchain is needed. The corpus is seeded with the fixture pages and the
# committed regression inputs; a crash is saved under fuzz/artifacts/rewrite/ and the script
# exits non-zero. Copy the crash file into fuzz/regressions/ (the integration test
# `reliability::mutated_real_pages_keep_the_rewrite_properties` replays every file there).
set -euo pipefail

secs="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

corpus="corpus/rewrite"
mkdir -p "$corpus"
find ../fixtures regressions -type f \( -name '*.html' -o -path 'regressions/*' \) \
    -not -name README.md -not -path 'regressions/scanner/*' -not -path '*/source/*' \
    -not -path '*/node_modules/*' -size -120k -print0 |
    while IFS= read -r -d '' f; do
        cp "$f" "$corpus/seed-$(printf '%s' "$f" | sha256sum | cut -c1-16)"
    done

# AddressSanitizer by default; FUZZ_SANITIZER=none skips it for more executions per second (the code under
# test is safe Rust apart from lol_html's internals).
sanitizer="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer "$sanitizer"
# A fixed seed and a fixed number of runs by default (no time-based corpus reloads), so the run
# CI makes is the same exploration each time and any failure replays exactly; FUZZ_SEED=0 lets
# libFuzzer pick a seed and FUZZ_RUNS=-1 runs until the time limit (explore that way locally).
run_target() {
    local target="$1" corpus="$2" time="$3" runs="${4:-1500}"
    cargo fuzz run --sanitizer "$sanitizer" "$target" "$corpus" -- \
        -seed="${FUZZ_SEED:-7}" -runs="${FUZZ_RUNS:-$runs}" -reload=0 \
        -max_total_time="$time" -max_len=131072 -rss_limit_mb=4096 -timeout=60 -print_final_stats=1
}
run_target rewrite "$corpus" "$secs"

# The corpus's page scanner against its lol_html reference (same records, linear work, any
# chunking; the unit tests hold it to every fixture page already), seeded with the fixture pages
# under 16 KB (all those under 120 KB when exploring, FUZZ_RUNS=-1) and fuzz/regressions/scanner/
# (its edge cases, hostile pages and findings), for 500 executions: a few seconds, as each one
# reads the page four times.
mkdir -p corpus/corpus
seed_size=-16k
[ "${FUZZ_RUNS:-}" = -1 ] && seed_size=-120k
{
    find ../fixtures -type f -name '*.html' -not -path '*/source/*' -not -path '*/node_modules/*' \
        -size "$seed_size" -print0
    find regressions/scanner -type f -print0
} | while IFS= read -r -d '' f; do
    cp "$f" "corpus/corpus/seed-$(printf '%s' "$f" | sha256sum | cut -c1-16)"
done

# The other parsers of untrusted input: chatkit.toml, a page's Content-Security-Policy, the
# undo journal's records. Seeded with the repository's configs and a few policies.
mkdir -p corpus/config corpus/csp corpus/journal
find .. -maxdepth 3 -name '*.toml' -not -path '*/target/*' -not -path '*/node_modules/*' -print0 |
    while IFS= read -r -d '' f; do
        cp "$f" "corpus/config/seed-$(printf '%s' "$f" | sha256sum | cut -c1-16)"
    done
printf "default-src 'self'; script-src 'self' https://cdn.platform.openai.com" >corpus/csp/seed-1
printf "default-src 'none'; connect-src http://localhost:8000; frame-src *" >corpus/csp/seed-2
other_secs="${FUZZ_OTHER_SECONDS:-$(( secs / 4 > 10 ? secs / 4 : 10 ))}"
run_target corpus corpus/corpus "$other_secs" 500
for target in config csp journal; do
    run_target "$target" "corpus/$target" "$other_secs"
done
