#!/usr/bin/env bash
# Starts the backend (python -m app) from .venv beside this script, creating it if missing and
# installing requirements.txt whenever it changed.
# Arguments go to `python -m app` (--host, --port, --log-level); settings come from CHATKIT_* env.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
# (Re)install when requirements.txt changed since the last install (a new dependency, a new pin).
if [ ! -f .venv/.requirements.txt ] || ! cmp -s requirements.txt .venv/.requirements.txt; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    cp requirements.txt .venv/.requirements.txt
fi
exec .venv/bin/python -m app "$@"
