#!/usr/bin/env bash
# Starts the K2 portal on its development defaults: SQLite under .k2/data, the demo
# catalog, development sign-in, and the sandbox clusters (test, prod-a, prod-b) running
# the demo services. Extra arguments go to `backstage-cli repo start`
# (e.g. --config app-config.local.yaml).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/sandbox.sh
k2_bootstrap

app_url="http://localhost:3000"
backend_url="http://localhost:7007"
mkdir -p .k2/data/sqlite

set -m # own process groups, so stopping K2 stops every child
k2_log "starting the sandbox clusters (.k2/sandbox.log)"
stop_all() {
  [ -n "${portal:-}" ] && kill -- -"$portal" 2>/dev/null
  [ -n "${sandbox:-}" ] && kill -- -"$sandbox" 2>/dev/null
  return 0
}
trap stop_all EXIT INT TERM
k2_start_sandbox .k2/sandbox.log .k2/sandbox/kubeconfig app-config.yaml

k2_log "starting the backend ($backend_url) and the frontend ($app_url); first start takes a minute or two"
yarn start "$@" &
portal=$!

k2_wait_for() {
  local url="$1" deadline=$((SECONDS + 600))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ! kill -0 "$portal" 2>/dev/null; then
      k2_die "the portal exited during start-up; see the output above"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      k2_die "$url did not answer within 10 minutes"
      exit 1
    fi
    sleep 2
  done
}
k2_wait_for "$backend_url/.backstage/health/v1/readiness"
k2_wait_for "$app_url"

# Release history through K2's own API (releases, a failed one and its rollback, an
# approved and a waiting production release); services with history are left alone.
node scripts/demo-releases.mjs "$backend_url" >.k2/demo.log 2>&1 &

cat >&2 <<MSG

  K2 is running: open $app_url
  Sign in as a demo user (alice owns payment-gateway). Backend API: $backend_url
  Demo release history is being recorded in the background (.k2/demo.log).
  Sandbox clusters: kubectl --kubeconfig .k2/sandbox/kubeconfig get pods -A
  Stop with Ctrl-C.

MSG
wait "$portal"
