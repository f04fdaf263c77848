#!/usr/bin/env bash
# yarn bench:history: the release history benchmark on a throw-away PostgreSQL.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/system.sh
. scripts/lib/postgres.sh
k2_bootstrap
if [ -z "${K2_TEST_POSTGRES_URL:-}" ]; then
  k2_start_postgres || exit 1
  trap k2_stop_postgres EXIT
fi
yarn workspace @internal/plugin-k2-deploy-backend bench:history
