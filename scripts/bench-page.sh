#!/usr/bin/env bash
# yarn bench:page: builds the frontend for production, starts the sandbox clusters and
# a backend serving the build (ports 7100 and 7111-7113, as the end-to-end tests use),
# and measures in Chromium how long payment-gateway's Deploy tab takes to show its
# environments (scripts/bench-page.mjs). Exits 1 when a target is missed.
# K2_BENCH_RUNS sets the runs per measurement (default 10).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/sandbox.sh
. scripts/lib/portal.sh
k2_bootstrap

out="$root/.k2/bench-page"
work="$(mktemp -d /tmp/k2-bench-page.XXXXXX)"
cleanup() {
  [ -n "${portal:-}" ] && kill -- -"$portal" 2>/dev/null || true
  [ -n "${sandbox:-}" ] && kill -- -"$sandbox" 2>/dev/null || true
  rm -rf "$work"
  # The build is for this run only, as under ./k2 test: no later backend serves it stale.
  rm -rf "$root/packages/app/dist"
}
trap cleanup EXIT

k2_build_app "$out/build.log"
k2_write_portal_config "$work/app-config.bench.yaml" http://localhost:7100 7100 \
  "$work/sqlite" 7110
set -m
k2_start_sandbox "$out/sandbox.log" "$work/kubeconfig" \
  "$root/app-config.yaml" "$work/app-config.bench.yaml"
k2_start_backend "$out/portal.log" http://localhost:7100 \
  "$root/app-config.yaml" "$work/app-config.bench.yaml"
set +m
K2_BENCH_URL=http://localhost:7100 node scripts/bench-page.mjs
