#!/usr/bin/env bash
# Runs the reference backend's lint and test suite in .venv beside this script (created if
# missing). Needs only python3 (3.11+) with venv, and PyPI. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/ruff check app tests load
.venv/bin/ruff format --check --quiet app tests load
exec .venv/bin/python -m pytest "$@"
