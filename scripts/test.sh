#!/usr/bin/env bash
# The whole K2 test suite: type-check, lint, unit and database tests (SQLite and a
# PostgreSQL started here), backend boot tests, and end-to-end tests in Chromium
# against a real portal. With CI=true every suite runs or the command fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/system.sh
. scripts/lib/postgres.sh
. scripts/lib/sandbox.sh
k2_bootstrap

out="$root/.k2/test-results"
rm -rf "$out" && mkdir -p "$out"
declare -a skipped=()
started=$SECONDS

k2_stage() { printf '\n\033[1;35m══ %s\033[0m\n' "$*" >&2; }

cleanup() {
  [ -n "${portal:-}" ] && kill -- -"$portal" 2>/dev/null || true
  [ -n "${sandbox:-}" ] && kill -- -"$sandbox" 2>/dev/null || true
  [ -n "${e2e_dir:-}" ] && rm -rf "$e2e_dir"
  k2_stop_postgres
}
trap cleanup EXIT

# System packages first, so a missing one is reported before minutes of work.
have_chromium=1
k2_need_package chromium chromium "end-to-end tests in a real browser" || have_chromium=0
# kubectl: the sandbox's API fidelity tests drive it as a user would.
k2_need_package kubectl kubernetes-client "kubectl against the sandbox cluster" || true
# promtool: the sandbox's /metrics output is checked by the real Prometheus parser.
k2_need_package promtool prometheus "checking the sandbox's Prometheus metrics" || true
have_postgres=1
k2_start_postgres || have_postgres=0
if [ "$have_postgres" = 0 ]; then
  [ "${CI:-}" = true ] && k2_die "PostgreSQL could not be started; CI runs every suite" && exit 1
  skipped+=("PostgreSQL database tests (install: postgresql)")
else
  # Database tests fail rather than skip PostgreSQL when it was meant to be there.
  export K2_REQUIRE_POSTGRES=1
fi

k2_stage "type-check (yarn tsc)"
yarn tsc

k2_stage "lint and formatting (yarn lint, yarn prettier:check)"
yarn lint
yarn prettier:check
yarn openapi:check

k2_stage "unit, database and backend boot tests (jest; SQLite$([ "$have_postgres" = 1 ] && echo " and PostgreSQL"))"
jest_status=0
# CI=true makes Jest run once instead of watching.
CI=true yarn test --json --outputFile="$out/jest.json" || jest_status=$?

e2e_status=0
if [ "$have_chromium" = 1 ]; then
  k2_stage "end-to-end tests (Playwright in Chromium against a running portal)"
  e2e_dir="$(mktemp -d /tmp/k2-e2e.XXXXXX)"
  cat >"$e2e_dir/app-config.e2e.yaml" <<YAML
app:
  baseUrl: http://localhost:3100
backend:
  baseUrl: http://localhost:7100
  listen:
    port: 7100
  cors:
    origin: http://localhost:3100
  database:
    client: better-sqlite3
    connection:
      directory: $e2e_dir/sqlite
kubernetes:
  clusterLocatorMethods:
    - type: config
      clusters:
        - { name: test, url: http://127.0.0.1:7111, authProvider: serviceAccount, serviceAccountToken: e2e-test }
        - { name: prod-a, url: http://127.0.0.1:7112, authProvider: serviceAccount, serviceAccountToken: e2e-prod-a }
        - { name: prod-b, url: http://127.0.0.1:7113, authProvider: serviceAccount, serviceAccountToken: e2e-prod-b }
YAML
  set -m
  k2_start_sandbox "$out/e2e-sandbox.log" "$e2e_dir/kubeconfig" \
    "$root/app-config.yaml" "$e2e_dir/app-config.e2e.yaml"
  yarn start --config "$root/app-config.yaml" --config "$e2e_dir/app-config.e2e.yaml" \
    >"$out/e2e-portal.log" 2>&1 &
  portal=$!
  set +m
  deadline=$((SECONDS + 600))
  until curl -fsS -o /dev/null http://localhost:7100/.backstage/health/v1/readiness 2>/dev/null &&
    curl -fsS -o /dev/null http://localhost:3100 2>/dev/null; do
    if ! kill -0 "$portal" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      tail -50 "$out/e2e-portal.log" >&2
      k2_die "the portal for end-to-end tests did not start"
      exit 1
    fi
    sleep 2
  done
  K2_E2E_URL=http://localhost:3100 K2_E2E_BACKEND_URL=http://localhost:7100 K2_E2E_KUBECONFIG="$e2e_dir/kubeconfig" yarn test:e2e || e2e_status=$?
  kill -- -"$portal" 2>/dev/null || true
  kill -- -"$sandbox" 2>/dev/null || true
  portal=
  sandbox=
else
  skipped+=("end-to-end tests (install: chromium)")
fi

# One closing line for the whole suite, counted from the runners' own reports.
summary="$(node scripts/lib/summary.js "$out/jest.json" "$out/playwright.json")"
printf '\n%s\n' "Suite finished in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s." >&2
for s in "${skipped[@]}"; do
  k2_log "SKIPPED: $s"
done
echo "$summary"
if [ "$jest_status" != 0 ] || [ "$e2e_status" != 0 ]; then
  exit 1
fi
