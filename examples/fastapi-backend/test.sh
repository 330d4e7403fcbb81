#!/usr/bin/env bash
# Runs the reference backend's lint and test suite in .venv beside this script (created if
# missing). Needs python3 (3.11+) with venv, PyPI, and Debian's postgresql package (installed here
# with apt-get when missing and run as root). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# The PostgreSQL store's tests start a throwaway cluster from Debian's postgresql package.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "test.sh: PostgreSQL is missing (apt-get install postgresql); its tests are skipped" >&2
    fi
fi
.venv/bin/ruff check app tests load corpus
.venv/bin/ruff format --check --quiet app tests load corpus
exec .venv/bin/python -m pytest "$@"
