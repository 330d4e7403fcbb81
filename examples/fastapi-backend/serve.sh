#!/usr/bin/env bash
# Starts the backend (python -m app) from .venv beside this script, creating it if missing.
# Arguments go to `python -m app` (--host, --port, --log-level); settings come from CHATKIT_* env.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
exec .venv/bin/python -m app "$@"
