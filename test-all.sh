#!/usr/bin/env bash
# Run every test suite of chatkit-inject, installing what each needs on a fresh Debian machine.
# Usage: ./test-all.sh [suite ...]   suites: rust widget backend e2e npm bench fuzz (default: all)
set -uo pipefail
cd "$(dirname "$0")"

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(rust widget backend e2e npm bench fuzz)

rust() {
  python3 fixtures/check.py &&
    cargo fmt --check &&
    cargo clippy --locked --all-targets -- -D warnings &&
    cargo test --locked -- --include-ignored
}
widget() { bash widget-assets/ci.sh; }
backend() { bash examples/fastapi-backend/test.sh; }
e2e() { bash tests/e2e/run; }
# npm launcher + plugin unit tests, version agreement, release workflow lint, fresh-site e2e.
npm() { bash npm/ci.sh; }
bench() { python3 -m unittest discover -s bench -p 'test_*.py' && bash bench/run --quick; }
fuzz() { bash fuzz/run.sh "${FUZZ_SECONDS:-60}"; }

passed=0
failed=0
failed_names=()
for suite in "${suites[@]}"; do
  echo
  echo "=== suite: $suite ==="
  start=$(date +%s)
  if "$suite"; then
    passed=$((passed + 1))
    echo "=== suite $suite: ok ($(($(date +%s) - start))s) ==="
  else
    failed=$((failed + 1))
    failed_names+=("$suite")
    echo "=== suite $suite: FAILED ($(($(date +%s) - start))s) ==="
  fi
done

echo
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
