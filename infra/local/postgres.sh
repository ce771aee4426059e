#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the store tests (and local work).
#
#   eval "$(infra/local/postgres.sh start)"   # initdb + start on a free port; exports
#                                             # MENTIONWATCH_TEST_POSTGRES_URL and MENTIONWATCH_LOCALPG_DIR
#   .venv/bin/python -m pytest tests          # the store tests now run against it too
#   infra/local/postgres.sh stop              # stop it and delete its folder
#
# Needs Debian's postgresql server binaries (apt-get install -y postgresql);
# under root the server runs as the 'postgres' user (PostgreSQL refuses root).
# `start --durable` keeps fsync on (benchmarks); the default turns it off.
# The work is done by src/mentionwatch/store/localpg.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m mentionwatch.store.localpg "$@"
