#!/usr/bin/env bash
# Starts the K2 portal on its development defaults: SQLite under .k2/data, the demo
# catalog, development sign-in, the sandbox clusters (test, prod-a, prod-b) running
# the demo services, and the Alerts monitoring stack (Prometheus, Alertmanager and the
# blackbox exporter on 127.0.0.1:7105-7107, configured under .k2/monitoring) and the local
# Git server on 127.0.0.1:7108 (repositories under .k2/git). Extra arguments go to
# `backstage-cli repo start` (e.g. --config app-config.local.yaml).
#
#   ./k2 start --production   the same portal on a production build of the frontend,
#                             served by the backend on http://localhost:7007 (no dev
#                             server; built afresh on every start)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/system.sh
. scripts/lib/sandbox.sh
. scripts/lib/registry.sh
. scripts/lib/portal.sh
. scripts/lib/nginx.sh
. scripts/lib/monitoring.sh
. scripts/lib/git-server.sh
. scripts/lib/base-images.sh
. scripts/lib/processes.sh
k2_bootstrap

demo_member_port=8481
nginx_line=""
# The local Nginx cluster, once the backend answers: nginx and its agent, a stand-in VM
# for payment-gateway's manual member, and the demo site published through the API.
start_local_nginx() {
  local url="$1"
  [ -n "${with_nginx:-}" ] || return 0
  node scripts/demo-member.mjs "$demo_member_port" payment-gateway >.k2/nginx/demo-member.log 2>&1 &
  demo_member=$!
  k2_log "starting the local Nginx cluster edge-test on 127.0.0.1:$K2_NGINX_HTTP_PORT (logs in .k2/nginx)"
  k2_start_nginx .k2/nginx "$url" || return 0
  node scripts/demo-traffic.mjs "$url" "$demo_member_port" >.k2/nginx/demo.log 2>&1 &
  demo_traffic=$!
  nginx_line="
  Nginx (cluster edge-test): http://127.0.0.1:$K2_NGINX_HTTP_PORT, serving payment-gateway's test site:
    curl -H 'Host: payment-gateway.test.k2.northwind.internal' http://127.0.0.1:$K2_NGINX_HTTP_PORT/
  (its pods and a stand-in VM on 127.0.0.1:$demo_member_port; the site is on the Traffic tab)"
}
monitoring_line=""
# Prometheus (scraping the sandbox clusters, evaluating the rules K2 writes under
# .k2/monitoring/rules), Alertmanager (calling the backend at $1's webhook) and the
# blackbox exporter; before the backend, which reads the webhook token they share. It
# writes the config layer that points k2.alerts at the stack: app-config.yaml has none,
# so a production config never falls back to these loopback addresses.
overlay_config=() # config layers the stack adds, in order
start_monitoring() {
  if k2_start_monitoring .k2/monitoring "$1" .k2/sandbox/kubeconfig 7105 7106 7107; then
    k2_write_alerts_config .k2/app-config.alerts.yaml .k2/monitoring 7105 7106 7107
    overlay_config+=("$root/.k2/app-config.alerts.yaml")
    monitoring_line="
  Alerts: Prometheus http://127.0.0.1:7105, Alertmanager http://127.0.0.1:7106 (logs in .k2/monitoring)"
  else
    k2_log "K2 starts without its monitoring stack: rules are not evaluated and no alert arrives"
  fi
}
git_line=""
# The local Git server new services are published to in development; without git, K2
# starts without it. $1: the backend's URL, which its push webhooks go to.
start_git_server() {
  # Pushes become builds: the Git server signs its webhooks with .k2/git/.webhook-secret,
  # which the backend reads as k2.builds.webhooks.secret.
  if k2_start_git_server .k2/git-server.log .k2/git 7108 \
    "$1/api/k2-builds/webhooks/push"; then
    K2_BUILDS_WEBHOOK_SECRET="$(cat .k2/git/.webhook-secret)"
    export K2_BUILDS_WEBHOOK_SECRET
    git_line="
  Git server: http://127.0.0.1:7108 (repositories in .k2/git; push as k2 with the token in
    .k2/git/.push-token, or: git config credential.helper 'store --file=$root/.k2/git/.git-credentials')"
  fi
}
# The image registry k2.registries names, then K2's base images for local builds built
# into it in the background (.k2/base-images.log; from .k2/cache/base-images in seconds
# once built): busybox, Debian and Node. A build started before they are there fails
# saying so.
start_registry() {
  if k2_start_registry .k2/registry.log .k2/registry app-config.yaml; then
    k2_start_base_images .k2/base-images.log http://127.0.0.1:7104 .k2/cache/base-images || true
  else
    # Without it no release could pass the image check against app-config.yaml's
    # registry: K2 starts with no registry listed (images are not checked, tags typed).
    printf 'k2:\n  registries: []\n' >.k2/app-config.no-registry.yaml
    overlay_config+=("$root/.k2/app-config.no-registry.yaml")
  fi
}
stop_all() {
  # The portal and what talks to it first, then the services it uses; each group (and
  # the groups its processes started) gets SIGTERM, then SIGKILL after a bounded wait.
  k2_stop_groups 20 "${demo:-}" "${demo_traffic:-}" "${portal:-}" "${nginx_agent:-}" || true
  k2_stop_groups 10 "${nginx:-}" "${demo_member:-}" "${registry:-}" "${monitoring:-}" \
    "${git_server:-}" "${sandbox:-}" "${base_images:-}" || true
  demo= demo_traffic= portal= nginx_agent= nginx= demo_member= registry= monitoring=
  git_server= sandbox= base_images=
  return 0
}

if [ "${1:-}" = --production ]; then
  shift
  [ $# -eq 0 ] || { k2_die "--production takes no further arguments"; exit 2; }
  url="http://localhost:7007"
  mkdir -p .k2/data/sqlite
  k2_build_app .k2/build.log
  # The backend serves the app, so the app's base URL is the backend's.
  k2_write_portal_config .k2/app-config.production-build.yaml "$url" 7007 \
    "$root/.k2/data/sqlite"
  set -m
  k2_log "starting the sandbox clusters (.k2/sandbox.log)"
  trap stop_all EXIT INT TERM
  K2_SANDBOX_REACHABLE_PODS=1 k2_start_sandbox .k2/sandbox.log .k2/sandbox/kubeconfig app-config.yaml
  start_registry
  start_git_server "$url"
  start_monitoring "$url"
  k2_prepare_nginx .k2/nginx && with_nginx=1
  k2_log "starting the backend, which serves the production build ($url; log in .k2/portal.log)"
  k2_start_backend .k2/portal.log "$url" "$root/app-config.yaml" \
    "$root/.k2/app-config.production-build.yaml" "${overlay_config[@]}"
  node scripts/demo-releases.mjs "$url" >.k2/demo.log 2>&1 &
  demo=$!
  start_local_nginx "$url"
  cat >&2 <<MSG

  K2 is running on the production build: open $url
  Sign in as a demo user (alice owns payment-gateway). Log: .k2/portal.log
  Demo release history is being recorded in the background (.k2/demo.log).$monitoring_line$git_line$nginx_line
  Stop with Ctrl-C.

MSG
  wait "$portal"
  exit
fi

app_url="http://localhost:3000"
backend_url="http://localhost:7007"
mkdir -p .k2/data/sqlite

set -m # own process groups, so stopping K2 stops every child
k2_log "starting the sandbox clusters (.k2/sandbox.log)"
trap stop_all EXIT INT TERM
K2_SANDBOX_REACHABLE_PODS=1 k2_start_sandbox .k2/sandbox.log .k2/sandbox/kubeconfig app-config.yaml
# The image registry k2.registries names, so the release dialog offers real tags.
start_registry
start_git_server "$backend_url"
start_monitoring "$backend_url"

k2_prepare_nginx .k2/nginx && with_nginx=1
k2_log "starting the backend ($backend_url) and the frontend ($app_url); first start takes a minute or two"
# With a --config, backstage-cli loads only the files named, so app-config.yaml (and a
# developer's app-config.local.yaml) are named too when the alerts layer is added.
start_args=()
if [ ${#overlay_config[@]} -gt 0 ]; then
  start_args=(--config "$root/app-config.yaml")
  [ -f app-config.local.yaml ] && start_args+=(--config "$root/app-config.local.yaml")
  for layer in "${overlay_config[@]}"; do start_args+=(--config "$layer"); done
fi
yarn start "${start_args[@]}" "$@" &
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
k2_wait_for_sign_in "$backend_url" || exit 1

# Release history through K2's own API (releases, a failed one and its rollback, an
# approved and a waiting production release); services with history are left alone.
node scripts/demo-releases.mjs "$backend_url" >.k2/demo.log 2>&1 &
demo=$!
start_local_nginx "$backend_url"

cat >&2 <<MSG

  K2 is running: open $app_url
  Sign in as a demo user (alice owns payment-gateway). Backend API: $backend_url
  Demo release history is being recorded in the background (.k2/demo.log).
  Sandbox clusters: kubectl --kubeconfig .k2/sandbox/kubeconfig get pods -A$monitoring_line$git_line$nginx_line
  Stop with Ctrl-C.

MSG
wait "$portal"
