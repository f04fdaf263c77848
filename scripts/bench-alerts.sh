#!/usr/bin/env bash
# yarn bench:alerts [--postgres]: the alert storm benchmark, on SQLite or on a
# throw-away PostgreSQL (or the one K2_TEST_POSTGRES_URL names).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/system.sh
. scripts/lib/postgres.sh
k2_bootstrap
if [[ " $* " == *" --postgres "* && -z "${K2_TEST_POSTGRES_URL:-}" ]]; then
  k2_start_postgres || exit 1
  trap k2_stop_postgres EXIT
fi
yarn workspace @internal/plugin-k2-alerts-backend bench:alerts "$@"
