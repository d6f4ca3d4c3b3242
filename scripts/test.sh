#!/usr/bin/env bash
# Install what the tests need on a fresh Debian (daemons from Debian, Python
# packages in .venv) and run the whole suite in parallel.  README's test
# command; .ci/run calls exactly this.  Prints README's interoperability
# table from the run's results at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq bird2 gobgpd frr tshark exabgp python3-venv iproute2 >/dev/null
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check .
# the interoperability table (README) from this very run's results
junit="$(mktemp --suffix=.xml)"
trap 'rm -f "$junit"' EXIT
status=0
.venv/bin/python -m pytest -n auto --junitxml="$junit" "$@" || status=$?
.venv/bin/python scripts/interop_table.py --junit "$junit" || true
exit "$status"
