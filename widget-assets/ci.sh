#!/usr/bin/env bash
# CI for the widget runtime: install from the lockfile, typecheck, unit tests,
# committed dist/ up to date, size budget. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund
npm run typecheck
npm test
npm run check-dist
npm run budget
